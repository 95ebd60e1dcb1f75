package difftest

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// EachProtocol runs fn on a fresh pair of servers once per protocol
// version: as the connections start (RESP2), and after HELLO 3. The HELLO
// replies are not compared: they carry each server's client id.
func EachProtocol(t *testing.T, settings []string, fn func(t *testing.T, p *Pair)) {
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			p := NewPair(t, settings...)
			if proto == "3" {
				p.Redis.Do("HELLO", "3")
				p.Redoubt.Do("HELLO", "3")
			}
			fn(t, p)
		})
	}
}

// SameInfo fails the test unless both servers report the same values for
// the given fields of an INFO section, e.g. keyspace_hits in "stats".
func (p *Pair) SameInfo(section string, fields ...string) {
	p.t.Helper()
	want := InfoFields(p.t, p.Redis, section)
	got := InfoFields(p.t, p.Redoubt, section)
	for _, f := range fields {
		if want[f] != got[f] {
			p.t.Errorf("INFO %s %s: redis %q, redoubt %q", section, f, want[f], got[f])
		}
	}
}

// InfoFields returns the name:value lines of an INFO section.
func InfoFields(t testing.TB, c *Conn, section string) map[string]string {
	t.Helper()
	v := c.DoValue("INFO", section)
	m := map[string]string{}
	for _, line := range strings.Split(v.Str, "\r\n") {
		if k, val, ok := strings.Cut(line, ":"); ok {
			m[k] = val
		}
	}
	return m
}

// WaitBlocked waits until the server c is connected to has n clients
// blocked (INFO clients blocked_clients): a test that blocks a client
// with Send calls it before making the client's keys ready.
func WaitBlocked(t testing.TB, c *Conn, n int) {
	t.Helper()
	want := strconv.Itoa(n)
	for range 1000 {
		if InfoFields(t, c, "clients")["blocked_clients"] == want {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("blocked_clients never reached %d", n)
}

// SameKeyspace fails the test unless both servers report the same number
// of keys and of keys with a TTL in each given database ("db0", ...).
// avg_ttl is left out: it is an estimate made at cron time.
func (p *Pair) SameKeyspace(dbs ...string) {
	p.t.Helper()
	want := InfoFields(p.t, p.Redis, "keyspace")
	got := InfoFields(p.t, p.Redoubt, "keyspace")
	for _, db := range dbs {
		w, _, _ := strings.Cut(want[db], ",avg_ttl=")
		g, _, _ := strings.Cut(got[db], ",avg_ttl=")
		if w != g {
			p.t.Errorf("INFO keyspace %s: redis %q, redoubt %q", db, want[db], got[db])
		}
	}
}
