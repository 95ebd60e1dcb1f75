package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// infoLayout returns the section headers and field names of an INFO
// reply, in order, leaving out the per-command, per-error and per-database
// lines, whose presence depends on what ran.
func infoLayout(c *difftest.Conn, args ...string) []string {
	var out []string
	for _, line := range strings.Split(c.DoValue(args...).Str, "\r\n") {
		name, _, _ := strings.Cut(line, ":")
		switch {
		case line == "",
			strings.HasPrefix(name, "cmdstat_"), strings.HasPrefix(name, "latency_percentiles_usec_"),
			strings.HasPrefix(name, "errorstat_"), strings.HasPrefix(name, "db"),
			name == "redoubt_version", name == "go_version": // Redoubt's own additions
			continue
		}
		out = append(out, name)
	}
	return out
}

// TestInfoFieldsMatchRedis checks that INFO has Redis's sections and
// fields, in Redis's order, for every section selector.
func TestInfoFieldsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("SET", "k", "v")
	for _, sel := range [][]string{{"INFO"}, {"INFO", "everything"}, {"INFO", "all"}, {"INFO", "default"},
		{"INFO", "server"}, {"INFO", "clients", "memory"}, {"INFO", "persistence"}, {"INFO", "stats"},
		{"INFO", "replication"}, {"INFO", "cpu"}, {"INFO", "keyspace"}, {"INFO", "nosuch"}} {
		want, got := infoLayout(p.Redis, sel...), infoLayout(p.Redoubt, sel...)
		if strings.Join(want, " ") != strings.Join(got, " ") {
			t.Errorf("%v:\n redis:   %v\n redoubt: %v", sel, want, got)
		}
	}
}

// TestInfoKeyspaceMatchesRedis compares the keyspace section line for
// line: keys, expires, and avg_ttl of 0 for keys without a TTL.
func TestInfoKeyspaceMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
set a 1
set b 2
select 3
set c 3
select 0
`)
	want, got := p.Redis.DoValue("INFO", "keyspace").Str, p.Redoubt.DoValue("INFO", "keyspace").Str
	if want != got {
		t.Errorf("INFO keyspace:\n redis:   %q\n redoubt: %q", want, got)
	}
}

// MEMORY answers with Redis's shapes: the same STATS fields in the same
// order (figures are our own), and the same errors.
func TestMemoryCommandMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
set k v
memory usage nokey
memory usage k samples
memory usage k samples x
memory usage k samples -1
memory usage k foo 1
memory foo
memory stats extra
memory help
memory purge
`)
		names := func(v protocol.Value) []string {
			var out []string
			for i := 0; i+1 < len(v.Elems); i += 2 {
				out = append(out, v.Elems[i].Str)
			}
			return out
		}
		want := names(p.Redis.DoValue("memory", "stats"))
		got := names(p.Redoubt.DoValue("memory", "stats"))
		if strings.Join(want, ",") != strings.Join(got, ",") {
			t.Errorf("MEMORY STATS fields:\n redis:   %v\n redoubt: %v", want, got)
		}
		if n := p.Redoubt.DoValue("memory", "usage", "k", "samples", "0").Int; n <= 0 {
			t.Errorf("MEMORY USAGE k = %d", n)
		}
	})
}

// used_memory counts a big collection's table as it counts its blobs:
// a hash, a set and a sorted set of 100,000 elements each grow it by
// about what MEMORY USAGE says they hold, on Redoubt as on Redis, and
// deleting them (DEL, or UNLINK freeing in the background) gives it
// back.
func TestUsedMemoryCountsBigValuesTables(t *testing.T) {
	for _, addr := range []string{difftest.StartRedis(t), difftest.StartRedoubt(t)} {
		c := difftest.Dial(t, addr)
		for _, tc := range []struct{ kind, del string }{{"hset", "del"}, {"sadd", "unlink"}, {"zadd", "del"}, {"zadd", "unlink"}} {
			kind, del := tc.kind, tc.del
			base := infoInt(c, "memory", "used_memory")
			const n = 100_000
			for i := 0; i < n; i += 1000 {
				args := []string{kind, "big"}
				for j := i; j < i+1000; j++ {
					if kind == "zadd" {
						args = append(args, strconv.Itoa(j))
					}
					args = append(args, "element-"+strconv.Itoa(j))
					if kind == "hset" {
						args = append(args, "v")
					}
				}
				c.Do(args...)
			}
			grown := infoInt(c, "memory", "used_memory") - base
			usage := c.DoValue("memory", "usage", "big").Int
			if grown < usage*3/4 {
				t.Errorf("%s: %s of %d elements: used_memory grew by %d, MEMORY USAGE says %d", addr, kind, n, grown, usage)
			}
			c.Do(del, "big")
			deadline := time.Now().Add(10 * time.Second)
			for infoInt(c, "memory", "lazyfree_pending_objects") != 0 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if back := infoInt(c, "memory", "used_memory") - base; back > 256<<10 {
				t.Errorf("%s: %s: used_memory %d over its start after %s", addr, kind, back, del)
			}
		}
	}
}

// A stream's consumer groups hold memory of their own: each pending
// entry is a record in the group's list and its consumer's, as in
// Redis's two rax trees. used_memory counts it as it grows, and gives it
// back when the group goes; the same on both servers.
func TestUsedMemoryCountsStreamGroups(t *testing.T) {
	for _, addr := range []string{difftest.StartRedis(t), difftest.StartRedoubt(t)} {
		c := difftest.Dial(t, addr)
		base := infoInt(c, "memory", "used_memory")
		const n = 100_000
		for i := 0; i < n; i += 1000 {
			args := []string{"xadd", "s", "*", "f", "v"}
			c.Do(args...)
			for j := 1; j < 1000; j++ {
				c.Send(args...)
			}
			for j := 1; j < 1000; j++ {
				c.ReadRaw()
			}
		}
		entries := infoInt(c, "memory", "used_memory")
		c.Do("xgroup", "create", "s", "g", "0")
		for i := range 100 {
			c.Do("xreadgroup", "group", "g", "consumer-"+strconv.Itoa(i), "count", strconv.Itoa(n/100), "streams", "s", ">")
		}
		pending := infoInt(c, "memory", "used_memory") - entries
		if pending < 32*n {
			t.Errorf("%s: %d pending entries took %d bytes of used_memory", addr, n, pending)
		}
		if usage := c.DoValue("memory", "usage", "s").Int; usage < (entries-base+pending)*3/4 {
			t.Errorf("%s: MEMORY USAGE %d, used_memory grew by %d", addr, usage, entries-base+pending)
		}
		c.Do("xgroup", "destroy", "s", "g")
		if back := infoInt(c, "memory", "used_memory") - entries; back > 256<<10 {
			t.Errorf("%s: used_memory %d over its figure before the group once it is destroyed", addr, back)
		}
		c.Do("del", "s")
		if back := infoInt(c, "memory", "used_memory") - base; back > 256<<10 {
			t.Errorf("%s: used_memory %d over its start after DEL", addr, back)
		}
	}
}
