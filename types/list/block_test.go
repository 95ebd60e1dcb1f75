package list_test

import (
	"bytes"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// expect reads one reply from c and compares it.
func expect(t *testing.T, c *difftest.Conn, want string) {
	t.Helper()
	if got := string(c.ReadRaw()); got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestBlockingPopServesInOrder(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	ctl, c1, c2 := difftest.Dial(t, addr), difftest.Dial(t, addr), difftest.Dial(t, addr)
	c1.Send("blpop", "nokey", "k", "0")
	difftest.WaitBlocked(t, ctl, 1)
	c2.Send("brpop", "k", "0")
	difftest.WaitBlocked(t, ctl, 2)
	// Both are served by one push, first blocked first, before the
	// pushing client's next command runs.
	ctl.Send("rpush", "k", "a", "b", "c")
	ctl.Send("lrange", "k", "0", "-1")
	expect(t, ctl, ":3\r\n")
	expect(t, ctl, "*1\r\n$1\r\nb\r\n")
	expect(t, c1, "*2\r\n$1\r\nk\r\n$1\r\na\r\n")
	expect(t, c2, "*2\r\n$1\r\nk\r\n$1\r\nc\r\n")

	// A list emptied by the first client leaves the second blocked.
	c1.Send("blmpop", "0", "2", "x", "k2", "right", "count", "5")
	difftest.WaitBlocked(t, ctl, 1)
	c2.Send("blpop", "k2", "0")
	difftest.WaitBlocked(t, ctl, 2)
	if got := string(ctl.Do("lpush", "k2", "1", "2")); got != ":2\r\n" {
		t.Fatalf("lpush: %q", got)
	}
	expect(t, c1, "*2\r\n$2\r\nk2\r\n*2\r\n$1\r\n1\r\n$1\r\n2\r\n")
	difftest.WaitBlocked(t, ctl, 1)
	ctl.Do("rpush", "k2", "3")
	expect(t, c2, "*2\r\n$2\r\nk2\r\n$1\r\n3\r\n")
	if got := string(ctl.Do("exists", "k2")); got != ":0\r\n" {
		t.Fatalf("exists: %q", got)
	}
}

func TestBlockingMoveChains(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	ctl, c1, c2, c3 := difftest.Dial(t, addr), difftest.Dial(t, addr), difftest.Dial(t, addr), difftest.Dial(t, addr)
	c1.Send("blmove", "a", "b", "left", "right", "0")
	difftest.WaitBlocked(t, ctl, 1)
	c2.Send("brpoplpush", "b", "c", "0")
	difftest.WaitBlocked(t, ctl, 2)
	c3.Send("blpop", "c", "0")
	difftest.WaitBlocked(t, ctl, 3)
	ctl.Do("rpush", "a", "x")
	expect(t, c1, "$1\r\nx\r\n")
	expect(t, c2, "$1\r\nx\r\n")
	expect(t, c3, "*2\r\n$1\r\nc\r\n$1\r\nx\r\n")
	for _, k := range []string{"a", "b", "c"} {
		if got := string(ctl.Do("exists", k)); got != ":0\r\n" {
			t.Fatalf("exists %s: %q", k, got)
		}
	}
	// A destination of another type fails the served client.
	ctl.Do("set", "s", "v")
	c1.Send("blmove", "a", "s", "left", "right", "0")
	difftest.WaitBlocked(t, ctl, 1)
	ctl.Do("rpush", "a", "y")
	expect(t, c1, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n")
	if got := string(ctl.Do("lrange", "a", "0", "-1")); got != "*1\r\n$1\r\ny\r\n" {
		t.Fatalf("lrange: %q", got)
	}
}

func TestBlockingUnblock(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	ctl, c1 := difftest.Dial(t, addr), difftest.Dial(t, addr)
	id := string(bytes.Trim(c1.Do("client", "id"), ":\r\n"))
	c1.Send("blpop", "k", "0")
	difftest.WaitBlocked(t, ctl, 1)
	if got := string(ctl.Do("client", "unblock", id, "timeout")); got != ":1\r\n" {
		t.Fatalf("unblock: %q", got)
	}
	expect(t, c1, "*-1\r\n")
	c1.Send("blmove", "k", "d", "left", "left", "0")
	difftest.WaitBlocked(t, ctl, 1)
	ctl.Do("client", "unblock", id, "error")
	expect(t, c1, "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n")
	if got := string(ctl.Do("client", "unblock", id)); got != ":0\r\n" {
		t.Fatalf("unblock: %q", got)
	}
}

func TestBlockingTimeout(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c := difftest.Dial(t, addr)
	for _, cmd := range [][]string{
		{"blpop", "k", "0.05"},
		{"brpop", "k", "k2", "0.05"},
		{"blmove", "k", "d", "right", "left", "0.05"},
		{"brpoplpush", "k", "d", "0.05"},
		{"blmpop", "0.05", "1", "k", "left"},
	} {
		if got := string(c.Do(cmd...)); got != "*-1\r\n" {
			t.Fatalf("%q: %q", cmd, got)
		}
	}
}

// TestBlockingTimeoutRace: a timed-out client's null reply must be in its
// output before its loop is woken, or the loop may write nothing and
// never look at the client again (a bug short timeouts used to hit).
func TestBlockingTimeoutRace(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedoubt(t))
	for range 20 {
		if got := string(c.Do("blpop", "k", "0.001")); got != "*-1\r\n" {
			t.Fatalf("blpop: %q", got)
		}
	}
}
