package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Client buffers and big values (issue 9, point 3). Timings belong to
// bench/probes; these tests check behaviour.

// A huge SRANDMEMBER reply under an output limit: the client is closed
// without its reply being built to the end (the test would not finish
// otherwise: 2 billion members), and the server serves others.
func TestOutputLimitStopsHugeReply(t *testing.T) {
	addr := difftest.StartRedoubt(t, "client-output-buffer-limit normal 1mb 512kb 10")
	admin := difftest.Dial(t, addr)
	admin.Do("SADD", "s", "a", "b", "c")
	admin.Do("HSET", "h", "a", "1", "b", "2")
	admin.Do("ZADD", "z", "1", "a", "2", "b")
	for _, cmd := range [][]string{
		{"SRANDMEMBER", "s", "-2000000000"},
		{"HRANDFIELD", "h", "-2000000000", "WITHVALUES"},
		{"ZRANDMEMBER", "z", "-2000000000", "WITHSCORES"},
	} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		c.Write(encodeCmd(cmd...))
		// Redis sends nothing of a reply that passed the hard limit.
		n, err := io.Copy(io.Discard, c)
		if err != nil {
			t.Fatalf("%s: the connection was not closed: %v", cmd[0], err)
		}
		if n != 0 {
			t.Fatalf("%s: %d bytes of a reply over the limit were sent", cmd[0], n)
		}
		c.Close()
		if got := admin.Do("PING"); string(got) != "+PONG\r\n" {
			t.Fatalf("PING after %s: %q", cmd[0], got)
		}
	}
	// The pipelined replies before the one that passed the limit are
	// not sent either; the connection is closed.
	c := difftest.Dial(t, addr)
	c.Do("SET", "v", string(bytes.Repeat([]byte("x"), 300<<10)))
	var pipe []byte
	for i := 0; i < 10; i++ {
		pipe = append(pipe, encodeCmd("GET", "v")...)
	}
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	raw.Write(pipe)
	time.Sleep(200 * time.Millisecond)
	if _, err := io.Copy(io.Discard, raw); err != nil {
		t.Fatalf("pipelined GETs over the limit: %v", err)
	}
	if list := admin.DoValue("CLIENT", "LIST").Str; bytes.Count([]byte(list), []byte("\n")) != 2 {
		t.Fatalf("clients left:\n%s", list)
	}
}

// Pipelined GETs of a big value are answered completely and in order,
// whether the client reads slowly or at once.
func TestPipelinedBigGets(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	admin := difftest.Dial(t, addr)
	vals := make([][]byte, 3)
	for i := range vals {
		vals[i] = bytes.Repeat([]byte{byte('a' + i)}, (1<<20)+i*7919)
		admin.Do("SET", "v"+strconv.Itoa(i), string(vals[i]))
	}
	for _, slow := range []bool{false, true} {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(60 * time.Second))
		var pipe []byte
		const n = 30
		for i := 0; i < n; i++ {
			pipe = append(pipe, encodeCmd("GET", "v"+strconv.Itoa(i%3))...)
			pipe = append(pipe, encodeCmd("PING")...)
		}
		go c.Write(pipe)
		if slow {
			time.Sleep(300 * time.Millisecond)
		}
		r := bufio.NewReaderSize(c, 4096)
		for i := 0; i < n; i++ {
			want := vals[i%3]
			line, err := r.ReadString('\n')
			if err != nil || line != fmt.Sprintf("$%d\r\n", len(want)) {
				t.Fatalf("GET %d: header %q, %v", i, line, err)
			}
			got := make([]byte, len(want)+2)
			if _, err := io.ReadFull(r, got); err != nil {
				t.Fatalf("GET %d: %v", i, err)
			}
			if !bytes.Equal(got[:len(want)], want) || string(got[len(want):]) != "\r\n" {
				t.Fatalf("GET %d: wrong bytes", i)
			}
			if line, err := r.ReadString('\n'); line != "+PONG\r\n" {
				t.Fatalf("PING %d: %q, %v", i, line, err)
			}
			if slow && i%5 == 0 {
				time.Sleep(20 * time.Millisecond)
			}
		}
		c.Close()
	}
}

// Big SET arguments are stored byte for byte, whatever the pieces they
// arrive in (a big argument is read into an allocation of its own), and
// with arguments after them; a value overwritten in the same command
// stays intact in the command's propagation.
func TestBigArgumentsStoredExactly(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	admin := difftest.Dial(t, addr)
	mk := func(n int, seed byte) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(i*31) ^ seed
		}
		return b
	}
	cases := []struct {
		name  string
		val   []byte
		chunk int
		extra []string
	}{
		{"just under big", mk(32<<10-1, 1), 1000, nil},
		{"big in one write", mk(1<<20, 2), 0, nil},
		{"big in small pieces", mk(200<<10+3, 3), 777, []string{"EX", "100"}},
		{"big split in its CRLF", mk(64<<10, 4), 64<<10 + 40, nil},
		{"several megabytes", mk(5<<20+1, 5), 100_000, nil},
	}
	for i, tc := range cases {
		key := "big" + strconv.Itoa(i)
		req := encodeCmd(append([]string{"SET", key, string(tc.val)}, tc.extra...)...)
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if tc.chunk == 0 {
			c.Write(req)
		} else {
			for off := 0; off < len(req); off += tc.chunk {
				c.Write(req[off:min(off+tc.chunk, len(req))])
				time.Sleep(time.Millisecond)
			}
		}
		line, err := bufio.NewReader(c).ReadString('\n')
		if line != "+OK\r\n" {
			t.Fatalf("%s: SET replied %q, %v", tc.name, line, err)
		}
		c.Close()
		got := admin.DoValue("GET", key)
		if !bytes.Equal([]byte(got.Str), tc.val) {
			t.Fatalf("%s: GET returned %d bytes, not the %d sent", tc.name, len(got.Str), len(tc.val))
		}
	}
	// Two big values for one key in one command: the first, kept as
	// the value and then replaced, is still read correctly by what
	// follows the command (MSET's reply, and a GET).
	a, b := mk(100<<10, 7), mk(100<<10, 8)
	if got := admin.Do("MSET", "k", string(a), "k", string(b)); string(got) != "+OK\r\n" {
		t.Fatalf("MSET: %q", got)
	}
	if got := admin.DoValue("GET", "k"); !bytes.Equal([]byte(got.Str), b) {
		t.Fatal("MSET k a k b: GET k is not b")
	}
	// A big argument of a command that does not keep it.
	if got := admin.DoValue("APPEND", "k", string(a)); got.Int != int64(len(a)+len(b)) {
		t.Fatalf("APPEND: %v", got)
	}
	if got := admin.DoValue("GET", "k"); !bytes.Equal([]byte(got.Str), append(append([]byte(nil), b...), a...)) {
		t.Fatal("APPEND k a: GET k is not b+a")
	}
	if got := admin.Do("DEL", "k"); string(got) != ":1\r\n" {
		t.Fatalf("DEL: %q", got)
	}
}

// CLIENT LIST's omem and tot-mem count what a client holds: nothing much
// when idle, its pending replies when it does not read them.
func TestClientListMemoryFigures(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	admin := difftest.Dial(t, addr)
	admin.Do("SET", "v", string(bytes.Repeat([]byte("x"), 1<<20)))
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(4096)
	c.Write(encodeCmd("CLIENT", "SETNAME", "stuck"))
	bufio.NewReader(c).ReadString('\n')
	field := func(name string) int64 {
		list := admin.DoValue("CLIENT", "LIST").Str
		m := regexp.MustCompile(`name=stuck .* ` + name + `=(\d+)`).FindStringSubmatch(list)
		if m == nil {
			t.Fatalf("no %s for the client in\n%s", name, list)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	if omem, tot := field("omem"), field("tot-mem"); omem != 0 || tot > 64<<10 {
		t.Fatalf("idle client: omem=%d tot-mem=%d", omem, tot)
	}
	var pipe []byte
	for i := 0; i < 20; i++ {
		pipe = append(pipe, encodeCmd("GET", "v")...)
	}
	c.Write(pipe)
	// 20 MB of replies: the sockets hold a few MB at most.
	deadline := time.Now().Add(10 * time.Second)
	for field("omem") < 10<<20 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	omem, tot := field("omem"), field("tot-mem")
	if omem < 10<<20 || omem > 21<<20 {
		t.Fatalf("omem=%d with 20 MB of replies pending", omem)
	}
	if tot < omem || tot > omem+1<<20 {
		t.Fatalf("tot-mem=%d beside omem=%d", tot, omem)
	}
	used := difftest.InfoFields(t, admin, "memory")
	clients, _ := strconv.ParseInt(used["mem_clients_normal"], 10, 64)
	if clients < omem || clients > omem+2<<20 {
		t.Fatalf("mem_clients_normal=%d beside omem=%d", clients, omem)
	}
}

func encodeCmd(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// The request path allocates nothing in steady state: replies go
// through pooled blocks. Counted over the whole process (the client's
// reads and writes into fixed buffers allocate nothing either), for
// pipelined and single GETs and an LRANGE reply.
func TestRequestPathAllocatesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("counts the process's allocations")
	}
	// The portable poller's Go connection allocates 3 times per round
	// (it did before the reply blocks too); the epoll path nothing.
	limit := 0.2
	if os.Getenv("REDOUBT_IO_POLLER") == "portable" {
		limit = 3.2
	}
	addr := difftest.StartRedoubt(t)
	admin := difftest.Dial(t, addr)
	admin.Do("SET", "k", "value")
	for i := 0; i < 100; i++ {
		admin.Do("RPUSH", "l", "element-"+strconv.Itoa(i))
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, tc := range []struct {
		name  string
		cmd   []byte
		depth int
	}{
		{"GET", encodeCmd("GET", "k"), 1},
		{"GET pipelined", encodeCmd("GET", "k"), 16},
		{"LRANGE", encodeCmd("LRANGE", "l", "0", "99"), 4},
	} {
		req := bytes.Repeat(tc.cmd, tc.depth)
		// The size of one round's replies, to read exactly that.
		c.Write(req)
		time.Sleep(50 * time.Millisecond)
		buf := make([]byte, 1<<20)
		c.SetReadDeadline(time.Now().Add(time.Second))
		want, _ := c.Read(buf)
		c.SetReadDeadline(time.Time{})
		round := func() {
			c.Write(req)
			for got := 0; got < want; {
				n, err := c.Read(buf[got:want])
				if err != nil {
					t.Fatal(err)
				}
				got += n
			}
		}
		for i := 0; i < 200; i++ {
			round()
		}
		const rounds = 2000
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := 0; i < rounds; i++ {
			round()
		}
		runtime.ReadMemStats(&after)
		// The cron and the runtime allocate a little on their own.
		per := float64(after.Mallocs-before.Mallocs) / rounds
		t.Logf("%s: %.3f allocations per round", tc.name, per)
		if per > limit {
			t.Errorf("%s: %.2f allocations per round of %d commands", tc.name, per, tc.depth)
		}
	}
}
