package zset_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// served reads the reply a blocked client got once served or timed out,
// and checks that the client reads commands again: a PING sent while it
// was blocked is answered right after that reply.
func served(t *testing.T, b *difftest.Conn) string {
	t.Helper()
	b.Send("ping")
	reply, pong := string(b.ReadRaw()), string(b.ReadRaw())
	if pong != "+PONG\r\n" {
		t.Fatalf("expected PONG after the blocked reply %q, got %q", reply, pong)
	}
	return reply
}

func TestBlockingPops(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	ctl := difftest.Dial(t, addr)

	t.Run("served by zadd", func(t *testing.T) {
		b := difftest.Dial(t, addr)
		b.Send("bzpopmin", "z1", "z2", "0")
		difftest.WaitBlocked(t, ctl, 1)
		ctl.Do("zadd", "z2", "2", "b", "1", "a")
		if got, want := served(t, b), "*3\r\n$2\r\nz2\r\n$1\r\na\r\n$1\r\n1\r\n"; got != want {
			t.Fatalf("BZPOPMIN reply %q, want %q", got, want)
		}
		ctl.Do("del", "z2")
	})

	t.Run("first blocked first served", func(t *testing.T) {
		b1, b2 := difftest.Dial(t, addr), difftest.Dial(t, addr)
		b2.Do("hello", "3")
		b1.Send("bzmpop", "0", "1", "q", "max", "count", "2")
		difftest.WaitBlocked(t, ctl, 1)
		b2.Send("bzpopmax", "q", "0")
		difftest.WaitBlocked(t, ctl, 2)
		ctl.Do("zadd", "q", "1", "a", "2", "b", "3", "c")
		if got, want := served(t, b1), "*2\r\n$1\r\nq\r\n*2\r\n*2\r\n$1\r\nc\r\n$1\r\n3\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"; got != want {
			t.Fatalf("first client got %q, want %q", got, want)
		}
		if got, want := served(t, b2), "*3\r\n$1\r\nq\r\n$1\r\na\r\n,1\r\n"; got != want {
			t.Fatalf("second client got %q, want %q", got, want)
		}
		if got := string(ctl.Do("exists", "q")); got != ":0\r\n" {
			t.Fatalf("EXISTS q after the pops: %q", got)
		}
	})

	t.Run("timeout", func(t *testing.T) {
		b := difftest.Dial(t, addr)
		b.Send("bzpopmin", "none", "0.02")
		time.Sleep(100 * time.Millisecond)
		if got := served(t, b); got != "*-1\r\n" {
			t.Fatalf("timed out BZPOPMIN, PING replied %q", got)
		}
		b.Do("hello", "3")
		b.Send("bzmpop", "0.01", "2", "none", "none2", "min")
		time.Sleep(100 * time.Millisecond)
		if got := served(t, b); got != "_\r\n" {
			t.Fatalf("timed out BZMPOP, PING replied %q in RESP3", got)
		}
	})

	t.Run("no blocking in multi", func(t *testing.T) {
		b := difftest.Dial(t, addr)
		b.Do("multi")
		b.Do("bzpopmin", "none", "0")
		b.Do("bzmpop", "0", "1", "none", "min")
		if got := string(b.Do("exec")); got != "*2\r\n*-1\r\n*-1\r\n" {
			t.Fatalf("EXEC replied %q", got)
		}
	})

	t.Run("wrong type while blocked", func(t *testing.T) {
		b := difftest.Dial(t, addr)
		b.Send("bzpopmin", "w", "0")
		difftest.WaitBlocked(t, ctl, 1)
		// The key is ready at EXEC but holds a string: the client stays
		// blocked until a sorted set shows up.
		ctl.Do("multi")
		ctl.Do("zadd", "w", "0", "foo")
		ctl.Do("del", "w")
		ctl.Do("set", "w", "x")
		ctl.Do("exec")
		ctl.Do("del", "w")
		ctl.Do("zadd", "w", "5", "m")
		if got := served(t, b); !strings.HasPrefix(got, "*3\r\n$1\r\nw\r\n$1\r\nm\r\n") {
			t.Fatalf("BZPOPMIN reply %q", got)
		}
	})
}
