package server_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// fillHash makes key a hash of n fields (a hashtable past
// hash-max-listpack-entries), in commands of 1,000 fields.
func fillBigHash(t *testing.T, c *difftest.Conn, key string, n int) {
	t.Helper()
	for i := 0; i < n; i += 1000 {
		args := []string{"hset", key}
		for j := i; j < min(n, i+1000); j++ {
			args = append(args, "f"+strconv.Itoa(j), "v")
		}
		if r := c.Do(args...); r[0] != ':' {
			t.Fatalf("HSET %s: %q", key, r)
		}
	}
}

// waitLazyDone waits until nothing waits to be freed in the background,
// and returns lazyfreed_objects.
func waitLazyDone(t *testing.T, c *difftest.Conn) int64 {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for infoInt(c, "memory", "lazyfree_pending_objects") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("lazyfree_pending_objects still %d after 20 s", infoInt(c, "memory", "lazyfree_pending_objects"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	return infoInt(c, "memory", "lazyfreed_objects")
}

// Every way a value is freed in the background counts in
// lazyfreed_objects as on Redis: UNLINK, FLUSHALL ASYNC, and the
// lazyfree-lazy-* options for DEL, FLUSHDB, expiry and overwrites.
func TestLazyFreeMatchesRedis(t *testing.T) {
	steps := []struct {
		name  string
		setup []string // a CONFIG SET before the step, if any
		run   func(t *testing.T, c *difftest.Conn)
	}{
		{"unlink", nil, func(t *testing.T, c *difftest.Conn) { fillBigHash(t, c, "big", 50000); c.Do("unlink", "big") }},
		{"unlink small", nil, func(t *testing.T, c *difftest.Conn) { fillBigHash(t, c, "small", 10); c.Do("unlink", "small") }},
		{"flushall async", nil, func(t *testing.T, c *difftest.Conn) { c.Do("debug", "populate", "20000"); c.Do("flushall", "async") }},
		{"user-del", []string{"lazyfree-lazy-user-del", "yes"}, func(t *testing.T, c *difftest.Conn) { fillBigHash(t, c, "big", 5000); c.Do("del", "big") }},
		{"user-flush", []string{"lazyfree-lazy-user-flush", "yes"}, func(t *testing.T, c *difftest.Conn) { c.Do("debug", "populate", "3000"); c.Do("flushdb") }},
		{"server-del", []string{"lazyfree-lazy-server-del", "yes"}, func(t *testing.T, c *difftest.Conn) {
			fillBigHash(t, c, "big", 5000)
			c.Do("set", "big", "now a string")
			fillBigHash(t, c, "big2", 5000)
			c.Do("set", "k", "v")
			c.Do("rename", "k", "big2")
		}},
		{"expire", []string{"lazyfree-lazy-expire", "yes"}, func(t *testing.T, c *difftest.Conn) {
			fillBigHash(t, c, "expiring", 5000)
			c.Do("pexpire", "expiring", "1")
			time.Sleep(10 * time.Millisecond)
			c.Do("exists", "expiring") // the lookup deletes it
		}},
	}
	got := map[string][]int64{}
	for _, srv := range []struct{ name, addr string }{
		{"redis", difftest.StartRedis(t)},
		{"redoubt", difftest.StartRedoubt(t)},
	} {
		c := difftest.Dial(t, srv.addr)
		base := waitLazyDone(t, c)
		for _, st := range steps {
			if st.setup != nil {
				c.Do(append([]string{"config", "set"}, st.setup...)...)
			}
			st.run(t, c)
			n := waitLazyDone(t, c)
			got[srv.name] = append(got[srv.name], n-base)
			base = n
			if st.setup != nil {
				c.Do("config", "set", st.setup[0], "no")
			}
		}
		if srv.name == "redoubt" {
			// What was freed is given back: the dataset is empty again.
			c.Do("flushall")
			if n := infoInt(c, "memory", "used_memory_dataset"); n > 1<<20 {
				t.Errorf("used_memory_dataset %d after everything was freed", n)
			}
		}
	}
	t.Logf("lazyfreed_objects per step, Redis %v, Redoubt %v", got["redis"], got["redoubt"])
	for i, st := range steps {
		if got["redis"][i] != got["redoubt"][i] {
			t.Errorf("%s: lazyfreed_objects grew by %d on Redis, %d on Redoubt", st.name, got["redis"][i], got["redoubt"][i])
		}
	}
}
