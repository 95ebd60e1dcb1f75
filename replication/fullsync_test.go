package replication

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
)

// TestFullSync pins what a full resynchronisation carries: every type in
// its small and large encodings (int-encoded and 100 KB strings, intsets,
// listpacks and their big forms, streams with consumer groups, pending
// entries and deleted entries, an empty stream), TTLs and several
// databases. A replica attached with REPLICAOF after the writes must read
// back exactly the primary's dataset, key by key, in every database.
func TestFullSync(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c := newCluster(t)
		p := c.start("primary", primaryKind)
		r := c.start("replica", replicaKind)
		fillEveryType(p.conn())
		c.replicate(r, p)
		want := dataset(p)
		if n := len(want); n < 30 {
			c.fatalf("the primary holds only %d keys after fillEveryType", n)
		}
		c.sameData("primary", want, "replica", dataset(r))
	})
}

// fillEveryType writes keys of every type and encoding in db 0 and db 9
// (and leaves the connection on db 0).
func fillEveryType(c *conn) {
	c.s.c.t.Helper()
	run := func(cmds ...[]string) {
		for _, a := range cmds {
			c.do(a...)
		}
	}
	many := func(prefix string, n int, f func(i int) []string) []string {
		var out []string
		for i := range n {
			out = append(out, f(i)...)
		}
		return append([]string{prefix}, out...)
	}
	words := func(cmd, key string, n int) []string {
		return append([]string{cmd, key}, many("", n, func(i int) []string {
			return []string{fmt.Sprintf("member-%d-%s", i, strings.Repeat("x", i%70))}
		})[1:]...)
	}
	big := make([]byte, 100*1024)
	for i := range big {
		big[i] = byte(i * 7 % 251)
	}

	run(
		// Strings: raw, embedded, int-encoded, negative, empty, binary.
		[]string{"SET", "str:plain", "hello world"},
		[]string{"SET", "str:int", "12345"},
		[]string{"SET", "str:neg", "-9223372036854775808"},
		[]string{"SET", "str:float", "3.14159"},
		[]string{"SET", "str:empty", ""},
		[]string{"SET", "str:big", string(big)},
		[]string{"APPEND", "str:appended", "abc"},
		[]string{"SETRANGE", "str:appended", "10", "\x00\xff"},
		// Lists: small (listpack) and big (several quicklist nodes).
		[]string{"RPUSH", "list:small", "a", "b", "c", "1", "2", "-3"},
		words("RPUSH", "list:big", 1000),
		[]string{"RPUSH", "list:bigelem", strings.Repeat("L", 10000), "short"},
		// Hashes.
		[]string{"HSET", "hash:small", "f1", "v1", "f2", "2", "f3", ""},
		append([]string{"HSET", "hash:big"}, many("", 600, func(i int) []string {
			return []string{fmt.Sprintf("field%d", i), strconv.Itoa(i * i)}
		})[1:]...),
		[]string{"HSET", "hash:bigval", "f", strings.Repeat("H", 200)},
		// Sets: intset, small strings, big.
		[]string{"SADD", "set:int", "1", "2", "3", "-5", "9223372036854775807"},
		[]string{"SADD", "set:str", "a", "b", "c"},
		words("SADD", "set:big", 600),
		// Sorted sets.
		[]string{"ZADD", "zset:small", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d", "0", "e"},
		append([]string{"ZADD", "zset:big"}, many("", 300, func(i int) []string {
			return []string{strconv.FormatFloat(float64(i)/3, 'g', -1, 64), fmt.Sprintf("m%d", i)}
		})[1:]...),
		[]string{"ZADD", "zset:bigelem", "1", strings.Repeat("Z", 100)},
		// Streams: entries with explicit and automatic ids, a deleted
		// entry, consumer groups with pending entries and an idle
		// consumer.
		[]string{"XADD", "stream", "1-1", "name", "a", "n", "1"},
		[]string{"XADD", "stream", "1-2", "name", "b"},
		[]string{"XADD", "stream", "2-0", "name", "c", "extra", "field"},
		[]string{"XADD", "stream", "*", "name", "d"},
		[]string{"XDEL", "stream", "1-2"},
		[]string{"XGROUP", "CREATE", "stream", "g1", "0"},
		[]string{"XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "stream", ">"},
		[]string{"XREADGROUP", "GROUP", "g1", "bob", "COUNT", "1", "STREAMS", "stream", ">"},
		[]string{"XACK", "stream", "g1", "1-1"},
		[]string{"XCLAIM", "stream", "g1", "bob", "0", "2-0"},
		[]string{"XGROUP", "CREATE", "stream", "g2", "$"},
		[]string{"XGROUP", "CREATECONSUMER", "stream", "g2", "carol"},
		// A stream left with no entries still exists, with its group.
		[]string{"XADD", "stream:empty", "5-5", "k", "v"},
		[]string{"XGROUP", "CREATE", "stream:empty", "g", "0"},
		[]string{"XDEL", "stream:empty", "5-5"},
		// A big stream (several listpack nodes).
		[]string{"XADD", "stream:big", "MAXLEN", "1000", "*", "f", "v"},
		// Keys with TTLs, relative and absolute.
		[]string{"SET", "ttl:str", "v", "EX", "1000"},
		[]string{"RPUSH", "ttl:list", "x"},
		[]string{"PEXPIRE", "ttl:list", "500000"},
		[]string{"HSET", "ttl:hash", "a", "b"},
		[]string{"EXPIREAT", "ttl:hash", "4102444800"}, // 2100-01-01
	)
	for i := range 300 {
		c.do("XADD", "stream:big", "*", "i", strconv.Itoa(i), "pad", strings.Repeat("s", i%50))
	}

	// Database 9: same names, other values, and keys of its own.
	run(
		[]string{"SELECT", "9"},
		[]string{"SET", "str:plain", "in db 9"},
		[]string{"SET", "db9:int", "7"},
		[]string{"RPUSH", "list:small", "z"},
		[]string{"SADD", "set:int", "42"},
		[]string{"ZADD", "zset:small", "9", "nine"},
		[]string{"HSET", "hash:small", "db", "9"},
		[]string{"SET", "ttl:db9", "v", "PX", "800000"},
		[]string{"SELECT", "0"},
	)
}
