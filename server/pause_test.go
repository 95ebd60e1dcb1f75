package server_test

import (
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// While CLIENT PAUSE holds writes, keys whose time passed read as
// missing but are not deleted (nothing is propagated, expired_keys does
// not move); once the pause ends, the next read deletes them. Compared
// with redis-server.
func TestPauseHoldsExpiry(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("debug", "set-active-expire", "0")
	p.Do("set", "k", "v", "px", "20")
	p.Do("client", "pause", "60000", "write")
	time.Sleep(50 * time.Millisecond)
	p.Do("get", "k")
	p.Do("dbsize")
	p.Do("exists", "k")
	// With only such keys, Redis 7.0's RANDOMKEY loops forever looking
	// for a live one; Redoubt answers as a replica does, with one of them.
	if got := string(p.Redoubt.Do("randomkey")); got != "$1\r\nk\r\n" {
		t.Errorf("RANDOMKEY during the pause: %q", got)
	}
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		if got := infoField(string(c.Do("info", "stats")), "expired_keys"); got != "0" {
			t.Errorf("%s: expired_keys %q during the pause", c.Addr(), got)
		}
	}
	p.Do("client", "unpause")
	p.Do("get", "k")
	p.Do("dbsize")
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		if got := infoField(string(c.Do("info", "stats")), "expired_keys"); got != "1" {
			t.Errorf("%s: expired_keys %q after the pause", c.Addr(), got)
		}
	}
}
