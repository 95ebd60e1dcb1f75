package server_test

import (
	"bufio"
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/server"
)

// keysOf decodes a KEYS reply into its sorted keys.
func keysOf(t *testing.T, raw []byte) []string {
	t.Helper()
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("decoding a KEYS reply: %v", err)
	}
	out := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		out[i] = e.Str
	}
	slices.Sort(out)
	return out
}

// waitWalking waits until the client named name is in a KEYS walk
// (CLIENT LIST shows it waiting, flag b, in KEYS).
func waitWalking(t *testing.T, c *difftest.Conn, name string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(c.DoValue("client", "list").Str, "\n") {
			if strings.Contains(line, "name="+name+" ") && strings.Contains(line, " flags=b ") && strings.Contains(line, " cmd=keys ") {
				return
			}
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatalf("client %s never seen in its KEYS", name)
}

// A KEYS over a big database answers what the database held when it
// started, whatever other clients change while it walks in steps: keys
// deleted, renamed, added, expired since, a FLUSHDB or a SWAPDB.
func TestKeysWalkAnswersAsOfItsStart(t *testing.T) {
	defer server.SetKeysStep(16, time.Millisecond)()
	changes := map[string][][]string{
		"writes": {
			{"del", "k:10", "k:11", "k:12"},
			{"rename", "k:13", "renamed"},
			{"set", "new", "v"},
			{"set", "k:14", "overwritten"},
			{"pexpire", "k:15", "1"},
		},
		"flushdb": {{"flushdb"}},
		"swapdb":  {{"swapdb", "0", "1"}},
		"unlink":  {{"unlink", "k:1", "k:2"}, {"flushall", "async"}},
	}
	for name, cmds := range changes {
		t.Run(name, func(t *testing.T) {
			addr := difftest.StartRedoubt(t)
			a, b := difftest.Dial(t, addr), difftest.Dial(t, addr)
			b.Do("debug", "populate", "5000", "k")
			b.Do("select", "1")
			b.Do("debug", "populate", "10", "other")
			b.Do("select", "0")
			// Two keys past their deadline at the start are left out.
			b.Do("set", "gone1", "x", "px", "1")
			b.Do("set", "gone2", "x", "px", "1")
			time.Sleep(5 * time.Millisecond)
			want := make([]string, 0, 5000)
			for i := range 5000 {
				want = append(want, "k:"+strconv.Itoa(i))
			}
			slices.Sort(want)

			a.Do("client", "setname", "walker")
			a.Send("keys", "*")
			waitWalking(t, b, "walker")
			for _, c := range cmds {
				if r := b.Do(c...); r[0] == '-' {
					t.Fatalf("%v during the walk: %q", c, r)
				}
			}
			got := keysOf(t, a.ReadRaw())
			if !slices.Equal(got, want) {
				t.Fatalf("KEYS * gave %d keys, not the %d of its start (first differences: %v)", len(got), len(want), firstDiff(got, want))
			}
			// The connection goes on, and the writes took effect.
			if r := string(a.Do("ping")); r != "+PONG\r\n" {
				t.Fatalf("PING after the walk: %q", r)
			}
			if r := string(a.Do("exists", "k:10")); name == "writes" && r != ":0\r\n" {
				t.Fatalf("EXISTS k:10 after the walk deleted it: %q", r)
			}
		})
	}
}

func firstDiff(got, want []string) []string {
	var d []string
	for _, k := range got {
		if _, ok := slices.BinarySearch(want, k); !ok && len(d) < 5 {
			d = append(d, "+"+k)
		}
	}
	for _, k := range want {
		if _, ok := slices.BinarySearch(got, k); !ok && len(d) < 10 {
			d = append(d, "-"+k)
		}
	}
	return d
}

// A client that leaves during its KEYS ends the walk; CLIENT UNBLOCK
// cannot end one (KEYS does not block in Redis), and a walk is not
// counted in blocked_clients.
func TestKeysWalkLeaveAndUnblock(t *testing.T) {
	restore := server.SetKeysStep(16, time.Millisecond)
	defer restore()
	addr := difftest.StartRedoubt(t)
	a, b := difftest.Dial(t, addr), difftest.Dial(t, addr)
	b.Do("debug", "populate", "20000", "k")
	a.Do("client", "setname", "walker")
	id := strings.TrimSpace(strings.TrimPrefix(string(a.Do("client", "id")), ":"))
	a.Send("keys", "k:1*")
	waitWalking(t, b, "walker")
	if r := string(b.Do("client", "unblock", id)); r != ":0\r\n" {
		t.Fatalf("CLIENT UNBLOCK of a KEYS: %q", r)
	}
	if n := infoInt(b, "clients", "blocked_clients"); n != 0 {
		t.Fatalf("blocked_clients %d during a KEYS", n)
	}
	a.Close()
	// The walk ends with its client; the server goes on.
	deadline := time.Now().Add(10 * time.Second)
	for {
		if !strings.Contains(b.DoValue("client", "list").Str, "name=walker") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the client that left is still listed")
		}
		time.Sleep(time.Millisecond)
	}
	b.Do("debug", "populate", "60000", "more")
	if r := string(b.Do("dbsize")); r != ":80000\r\n" {
		t.Fatalf("DBSIZE after the walk ended: %q", r)
	}
	restore()
	a2 := difftest.Dial(t, addr)
	if got := keysOf(t, a2.Do("keys", "more:5999*")); len(got) != 11 {
		t.Fatalf("KEYS more:5999* after the table grew: %v", got)
	}
}
