package difftest

import (
	"math/rand/v2"
	"strconv"
	"strings"
)

// EveryEncoding builds, on both servers of p, one key per encoding and
// shape that DUMP and RDB files write differently; byteKeys are those
// whose serialization is deterministic (all but hashtable sets and
// hashes, which Redis writes in its dict's order, and streams with
// consumer groups, which carry delivery times).
func EveryEncoding(p *Pair) (byteKeys, allKeys []string) {
	r := rand.New(rand.NewPCG(7, 7))
	word := func(n int) string {
		b := make([]byte, n)
		for i := range b {
			b[i] = "abcdefghijklmnopqrstuvwxyz0123456789"[r.IntN(36)]
		}
		return string(b)
	}
	strs := map[string]string{
		"s:int8": "-128", "s:int16": "32767", "s:int32": "-2147483648", "s:int64": "9223372036854775807",
		"s:lead0": "0123", "s:plus": "+5", "s:short": "hello", "s:embstr": strings.Repeat("e", 44),
		"s:rep": strings.Repeat("abc", 40), "s:random": word(300), "s:binary": "\x00\xff\r\n\x00",
		"s:20": strings.Repeat("x", 20), "s:21": strings.Repeat("x", 21), "s:24": strings.Repeat("x", 24),
		"s:long": strings.Repeat(word(50), 200),
	}
	for k, v := range strs {
		p.Do("set", k, v)
		byteKeys = append(byteKeys, k)
	}
	p.Do("setbit", "s:bits", "1000", "1")
	p.Do("append", "s:appended", "12")
	p.Do("pfadd", "s:hll-sparse", "a", "b", "c")
	hll := []string{"pfadd", "s:hll-dense"}
	for i := range 3000 {
		hll = append(hll, "el"+strconv.Itoa(i))
	}
	p.Do(hll...)
	byteKeys = append(byteKeys, "s:bits", "s:appended", "s:hll-sparse", "s:hll-dense")

	// Lists: one node, several nodes by count and by size, plain nodes.
	p.Do("rpush", "l:small", "a", "1", "-70000", strings.Repeat("z", 70))
	p.Do("config", "set", "list-max-listpack-size", "4")
	for i := range 30 {
		p.Do("rpush", "l:count", "e"+strconv.Itoa(i))
		p.Do("lpush", "l:count", strconv.Itoa(i*1000))
	}
	p.Do("config", "set", "list-max-listpack-size", "-1")
	for range 40 {
		p.Do("rpush", "l:size", word(10+r.IntN(300)))
	}
	p.Do("linsert", "l:size", "before", "nothere", "x")
	p.Do("config", "set", "list-max-listpack-size", "-2")
	p.Do("debug", "quicklist-packed-threshold", "100")
	p.Do("rpush", "l:plain", "small", strings.Repeat("P", 150), "tiny", strings.Repeat("Q", 500))
	p.Do("debug", "quicklist-packed-threshold", "0")
	byteKeys = append(byteKeys, "l:small", "l:count", "l:size", "l:plain")

	// Hashes, sets and sorted sets in each encoding.
	p.Do("hset", "h:lp", "f", "v", "n", "12", "neg", "-5", "long", strings.Repeat("v", 60))
	p.Do("sadd", "set:i16", "1", "2", "-3")
	p.Do("sadd", "set:i32", "1", "70000")
	p.Do("sadd", "set:i64", "1", "5000000000")
	p.Do("zadd", "z:lp", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d", "3", "12")
	p.Do("config", "set", "zset-max-listpack-entries", "4")
	p.Do("zadd", "z:sl", "1", "a", "2.5", "b", "-inf", "c", "1e300", "d", "3", "12", "0.1", "x")
	byteKeys = append(byteKeys, "h:lp", "set:i16", "set:i32", "set:i64", "z:lp", "z:sl")

	p.Do("config", "set", "hash-max-listpack-entries", "4")
	p.Do("config", "set", "set-max-intset-entries", "4")
	p.Do("hset", "h:ht", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5")
	p.Do("sadd", "set:ht", "a", "b", "c")
	p.Do("sadd", "set:ht-ints", "1", "2", "3", "4", "5", "6")
	for _, k := range []string{"hash-max-listpack-entries", "set-max-intset-entries", "zset-max-listpack-entries"} {
		p.Do("config", "set", k, map[string]string{"hash-max-listpack-entries": "128", "set-max-intset-entries": "512", "zset-max-listpack-entries": "128"}[k])
	}
	// Streams: one without groups (no clocks in it), one with a group
	// whose delivery times differ between the servers.
	p.Do("config", "set", "stream-node-max-entries", "3")
	for i := range 10 {
		p.Do("xadd", "x:plain", strconv.Itoa(i+1)+"-1", "f", strconv.Itoa(i), "g", "v")
	}
	p.Do("xdel", "x:plain", "2-1", "5-1")
	p.Do("xadd", "x:group", "1-1", "f", "v")
	p.Do("xadd", "x:group", "2-1", "other", "fields", "x", "y")
	p.Do("xgroup", "create", "x:group", "g", "0")
	p.Do("xreadgroup", "group", "g", "alice", "count", "1", "streams", "x:group", ">")
	p.Do("config", "set", "stream-node-max-entries", "100")
	byteKeys = append(byteKeys, "x:plain")
	allKeys = append(append(allKeys, byteKeys...), "h:ht", "set:ht", "set:ht-ints", "x:group")
	return byteKeys, allKeys
}
