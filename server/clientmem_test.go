package server_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// clientField reads a field of the client named name from CLIENT LIST,
// or -1 if there is no such client.
func clientField(c *difftest.Conn, name, field string) int64 {
	re := regexp.MustCompile(`\b` + field + `=(\d+)`)
	for _, line := range strings.Split(string(c.DoValue("client", "list").Str), "\n") {
		if !strings.Contains(line, " name="+name+" ") {
			continue
		}
		if m := re.FindStringSubmatch(line); m != nil {
			n, _ := strconv.ParseInt(m[1], 10, 64)
			return n
		}
	}
	return -1
}

// waitFor polls cond for up to ten seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// What a client keeps besides its buffers counts toward
// maxmemory-clients as Redis counts it: a client that watches keys,
// subscribes to channels, patterns or shard channels, or registers
// tracking prefixes one command at a time grows its tot-mem by about
// what Redis's grows, and is evicted on both servers.
func TestClientEvictedForWhatItKeeps(t *testing.T) {
	kinds := []struct {
		name string
		cmd  func(i int) []string
	}{
		{"watch", func(i int) []string { return []string{"watch", strconv.Itoa(i)} }},
		{"psubscribe", func(i int) []string { return []string{"psubscribe", strconv.Itoa(i)} }},
		{"subscribe", func(i int) []string { return []string{"subscribe", strconv.Itoa(i)} }},
		{"ssubscribe", func(i int) []string { return []string{"ssubscribe", strconv.Itoa(i)} }},
		{"tracking prefix", func(i int) []string {
			return []string{"client", "tracking", "on", "prefix", fmt.Sprintf("%012d", i), "bcast"}
		}},
	}
	const limit, items = 200000, 1000
	for _, k := range kinds {
		growth := map[string]int64{}
		for _, srv := range []struct{ name, addr string }{{"redis", difftest.StartRedis(t)}, {"redoubt", difftest.StartRedoubt(t)}} {
			c := difftest.Dial(t, srv.addr)
			c.Do("debug", "replybuffer", "resizing", "0")
			nc, err := net.Dial("tcp", srv.addr)
			if err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(nc)
			do := func(args ...string) error {
				nc.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := nc.Write(protocol.AppendCommand(nil, args...)); err != nil {
					return err
				}
				return difftest.CopyReply(io.Discard, r)
			}
			do("client", "setname", "keeper")
			before := clientField(c, "keeper", "tot-mem")
			for i := range items {
				do(k.cmd(i)...)
			}
			growth[srv.name] = clientField(c, "keeper", "tot-mem") - before
			c.Do("config", "set", "maxmemory-clients", strconv.Itoa(limit))
			n := items
			for ; n < limit; n++ {
				if do(k.cmd(n)...) != nil {
					break
				}
			}
			nc.Close()
			if n == limit {
				t.Errorf("%s: %s: the client was not evicted after %d commands", srv.name, k.name, n)
			}
		}
		if r, o := growth["redis"], growth["redoubt"]; o < r*3/4 || o > r*4/3 {
			t.Errorf("%s: %d items grew tot-mem by %d on Redoubt, %d on Redis", k.name, items, o, r)
		}
	}
}

// A big argument counts whole from the moment its length is read, as
// Redis sizes its query buffer for it, and qbuf counts its bytes alone,
// without the command's header before it. A client announcing more than
// maxmemory-clients is evicted before it has sent it.
func TestBigArgumentCountsWhole(t *testing.T) {
	const n = 1 << 20
	for _, addr := range []string{difftest.StartRedis(t), difftest.StartRedoubt(t)} {
		c := difftest.Dial(t, addr)
		big := difftest.Dial(t, addr)
		big.Do("client", "setname", "big")
		big.WriteRaw([]byte(fmt.Sprintf("*2\r\n$3\r\nget\r\n$%d\r\n%s", n, strings.Repeat("v", n/2))))
		waitFor(t, "half the argument to arrive", func() bool { return clientField(c, "big", "qbuf") == n/2 })
		if tot := clientField(c, "big", "tot-mem"); tot < n {
			t.Errorf("%s: tot-mem %d with half of a %d-byte argument read", addr, tot, n)
		}
		c.Do("config", "set", "maxmemory-clients", strconv.Itoa(n/2))
		c.Do("client", "no-evict", "on")
		waitFor(t, "the client to be evicted", func() bool { return clientField(c, "big", "tot-mem") < 0 })
	}
}

// The reply buffer's size in CLIENT LIST (rbs) follows Redis's rule: an
// idle client's shrinks to 1 KiB, and replies that fill it double it
// back to 16 KiB; DEBUG REPLYBUFFER tunes the rule, and switched off,
// leaves the size as it is.
func TestReplyBufferSize(t *testing.T) {
	for _, addr := range []string{difftest.StartRedis(t), difftest.StartRedoubt(t)} {
		c := difftest.Dial(t, addr)
		tc := difftest.Dial(t, addr)
		tc.Do("client", "setname", "tc")
		if got := clientField(c, "tc", "rbs"); got != 16384 {
			t.Errorf("%s: a new client's rbs is %d", addr, got)
		}
		c.Do("debug", "replybuffer", "peak-reset-time", "100")
		waitFor(t, "the idle client's buffer to shrink", func() bool {
			n := clientField(c, "tc", "rbs")
			return n >= 1024 && n < 2046
		})
		c.Do("set", "bigval", strings.Repeat("x", 32768))
		c.Do("debug", "replybuffer", "peak-reset-time", "never")
		waitFor(t, "the busy client's buffer to grow", func() bool {
			tc.Do("get", "bigval")
			n := clientField(c, "tc", "rbs")
			return n >= 16384 && n < 32768
		})
		c.Do("debug", "replybuffer", "peak-reset-time", "100")
		c.Do("debug", "replybuffer", "resizing", "0")
		time.Sleep(500 * time.Millisecond)
		if got := clientField(c, "tc", "rbs"); got != 16384 {
			t.Errorf("%s: rbs %d with resizing off", addr, got)
		}
		if got, want := string(c.Do("debug", "replybuffer", "sizing", "1")), "-ERR unknown subcommand or wrong number of arguments for 'replybuffer'. Try DEBUG HELP.\r\n"; got != want {
			t.Errorf("%s: DEBUG REPLYBUFFER SIZING: %q, want %q", addr, got, want)
		}
		c.Do("debug", "replybuffer", "peak-reset-time", "reset")
		c.Do("debug", "replybuffer", "resizing", "1")
	}
}

// Lowering maxmemory-clients evicts the biggest clients first, and only
// until the rest is under the limit: three sizes of clients, each size
// evicted in its turn (unit/client-eviction's ordering test).
func TestClientEvictionOrder(t *testing.T) {
	for _, addr := range []string{difftest.StartRedis(t), difftest.StartRedoubt(t)} {
		c := difftest.Dial(t, addr)
		c.Do("client", "setname", "control")
		c.Do("client", "no-evict", "on")
		c.Do("debug", "replybuffer", "resizing", "0")
		sizes := []int64{128 << 10, 1 << 20, 3 << 20}
		var total int64
		for i, size := range sizes {
			for j := range 3 {
				name := fmt.Sprintf("c%d-%d", i, j)
				cc := difftest.Dial(t, addr)
				cc.Do("client", "setname", name)
				cc.WriteRaw([]byte(fmt.Sprintf("*2\r\n$%d\r\n%s", size, strings.Repeat("v", int(size)))))
				waitFor(t, "the client to fill its buffer", func() bool { return clientField(c, name, "qbuf") == size })
			}
			sizes[i] = clientField(c, fmt.Sprintf("c%d-0", i), "tot-mem")
			total += 3 * sizes[i]
		}
		for i := len(sizes) - 1; i >= 0; i-- {
			total -= 3 * sizes[i]
			// Half the smallest size of slack: the control client's own
			// buffers move as it reads CLIENT LIST (on Redis too), and
			// one client fewer must still fit.
			c.Do("config", "set", "maxmemory-clients", strconv.FormatInt(total+clientField(c, "control", "tot-mem")+sizes[0]/2, 10))
			list := string(c.DoValue("client", "list").Str)
			for j := range sizes {
				want := 3
				if j >= i {
					want = 0
				}
				if got := strings.Count(list, fmt.Sprintf("name=c%d-", j)); got != want {
					t.Errorf("%s: limit for sizes below %d: %d clients of size %d left, want %d", addr, sizes[i], got, sizes[j], want)
				}
			}
		}
	}
}
