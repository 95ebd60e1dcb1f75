package zset_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/intset"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/zset"
)

// newHarness runs the sorted set commands in process (internal/cmdtest),
// so that tests can plant sets of each encoding directly.
func newHarness(t testing.TB) *cmdtest.Harness { return cmdtest.New(t, zset.Register) }

// plantIntset stores an intset-encoded set.
func plantIntset(h *cmdtest.Harness, key string, members ...int64) {
	is := intset.New()
	for _, m := range members {
		is, _ = intset.Add(is, m)
	}
	h.KS.DBs[0].Add([]byte(key), keyspace.KindSet, keyspace.EncIntset, uint64(h.KS.Arena.New(is)))
}

// plantTable stores a hashtable-encoded set.
func plantTable(h *cmdtest.Harness, key string, members ...string) {
	d := dict.New(h.KS.Arena)
	for _, m := range members {
		d.Insert([]byte(m))
	}
	h.KS.DBs[0].Add([]byte(key), keyspace.KindSet, keyspace.EncHashtable, h.KS.NewObject(d))
}

// TestSetInputsMatchRedis builds the same sets in Redis (with SADD) and
// in process, and compares the set operations' replies.
func TestSetInputsMatchRedis(t *testing.T) {
	redis := difftest.Dial(t, difftest.StartRedis(t))
	h := newHarness(t)
	redis.Do("sadd", "iset", "1", "2", "3", "-5", "100000")
	plantIntset(h, "iset", 1, 2, 3, -5, 100000)
	redis.Do("sadd", "hset", "a", "b", "2", "c")
	plantTable(h, "hset", "a", "b", "2", "c")
	script := `
zadd z 5 a 7 2 9 x
zunion 3 iset hset z withscores
zunion 2 iset hset weights 2 3 aggregate max withscores
zinter 2 hset z withscores
zinter 2 iset z withscores
zinter 2 iset iset weights 1 2 withscores
zinter 2 iset hset withscores
zintercard 2 iset hset
zintercard 2 hset z limit 1
zdiff 2 iset z withscores
zdiff 2 hset iset withscores
zdiff 2 z hset withscores
zdiff 2 z iset withscores
zdiff 2 iset iset
zunionstore d 2 iset hset
zrange d 0 -1 withscores
zinterstore d 2 z hset weights 1 10
zrange d 0 -1 withscores
zdiffstore d 2 hset z
zrange d 0 -1 withscores
zrange iset 0 -1
zscore hset a
`
	for _, line := range strings.Split(script, "\n") {
		if line == "" {
			continue
		}
		args := strings.Fields(line)
		want := redis.Do(args...)
		if got := h.Do(args...); !bytes.Equal(got, want) {
			t.Errorf("%s\n redis:   %q\n redoubt: %q", line, want, got)
		}
	}
	h.Events = nil
	h.Do("zunionstore", "new", "1", "iset")
	if got := strings.Join(h.Events, ","); got != "new new,zunionstore new" {
		t.Errorf("ZUNIONSTORE into a new key fired %q", got)
	}
}
