package keys_test

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
)

// dumpValues builds one key per encoding and shape that DUMP writes
// differently; byteKeys are those whose DUMP is deterministic (all but
// hashtable sets and hashes, which Redis writes in its dict's order).
func dumpValues(p *difftest.Pair) (byteKeys, allKeys []string) {
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
	allKeys = append(append(allKeys, byteKeys...), "h:ht", "set:ht", "set:ht-ints")
	return byteKeys, allKeys
}

func TestDumpIsRedisBytes(t *testing.T) {
	for _, compression := range []string{"yes", "no"} {
		t.Run("rdbcompression-"+compression, func(t *testing.T) {
			p := difftest.NewPair(t, "rdbcompression "+compression)
			byteKeys, _ := dumpValues(p)
			for _, k := range byteKeys {
				p.Do("dump", k)
			}
			p.Do("dump", "nokey")
		})
	}
}

// bulk decodes a bulk string reply.
func bulk(t *testing.T, raw []byte) []byte {
	t.Helper()
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil || v.Type != '$' {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return []byte(v.Str)
}

// TestRestoreAcrossServers: every value dumped by Redis restores here and
// every value dumped here restores in Redis, with the same contents and
// encoding on both sides.
func TestRestoreAcrossServers(t *testing.T) {
	p := difftest.NewPair(t)
	_, keys := dumpValues(p)
	for _, k := range keys {
		fromRedis := bulk(t, p.Redis.Do("dump", k))
		fromRedoubt := bulk(t, p.Redoubt.Do("dump", k))
		// Each server restores the other's payload under the same name.
		for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
			payload := fromRedis
			if c == p.Redis {
				payload = fromRedoubt
			}
			if got := string(c.Do("restore", k+":copy", "0", string(payload))); got != "+OK\r\n" {
				t.Fatalf("restore %s: %q", k, got)
			}
		}
		p.Do("object", "encoding", k+":copy")
		p.Do("type", k+":copy")
		switch string(p.Redis.DoValue("type", k).Str) {
		case "string":
			p.Do("get", k+":copy")
		case "list":
			p.Do("lrange", k+":copy", "0", "-1")
		case "hash":
			p.DoUnordered("hgetall", k+":copy")
		case "set":
			p.DoUnordered("smembers", k+":copy")
		case "zset":
			p.Do("zrange", k+":copy", "0", "-1", "withscores")
		}
		for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
			if a, b := c.Do("debug", "digest-value", k), c.Do("debug", "digest-value", k+":copy"); !bytes.Equal(a, b) {
				t.Errorf("%s: the restored copy differs from the original", k)
			}
		}
	}
}

// payload seals a value body as DUMP does.
func payload(body ...byte) string { return string(rdb.AppendDumpFooter(body)) }

func TestRestoreRepliesMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	good := payload(rdb.TypeString, 3, 'f', 'o', 'o')
	badCRC := []byte(good)
	badCRC[len(badCRC)-1] ^= 1
	newer := []byte(payload(rdb.TypeString, 1, 'x'))
	newer[len(newer)-10] = rdb.Version + 1
	for _, args := range [][]string{
		{"restore", "k", "0", good},
		{"get", "k"},
		{"restore", "k", "0", good},
		{"restore", "k", "0", good, "replace"},
		{"restore", "k", "0", good, "bogus"},
		{"restore", "k", "0", good, "replace", "idletime"},
		{"restore", "k", "0", good, "replace", "idletime", "-1"},
		{"restore", "k", "0", good, "replace", "idletime", "x"},
		{"restore", "k", "0", good, "replace", "freq", "256"},
		{"restore", "k", "0", good, "replace", "freq", "-1"},
		{"restore", "k", "0", good, "replace", "idletime", "5", "freq", "5"},
		{"restore", "k", "0", good, "replace", "freq", "5", "idletime", "5"},
		{"restore", "k2", "-1", good},
		{"restore", "k2", "x", good},
		{"restore", "k2", "0", string(badCRC)},
		{"restore", "k2", "0", string(newer)},
		{"restore", "k2", "0", "short"},
		{"restore", "k2", "0", payload(200)},
		{"restore", "k2", "0", payload(rdb.TypeSet, 0)},
		{"restore", "k2", "0", payload(rdb.TypeSet, 2, 1, 'a', 1, 'a')},
		{"restore", "k2", "0", payload(rdb.TypeHash, 1, 1, 'a')},
		{"restore", "k2", "0", payload(rdb.TypeZSet2, 1, 1, 'a', 0, 0, 0, 0, 0, 0, 0xf8, 0x7f)},
		{"restore", "k2", "0", payload(rdb.TypeListQuicklist2, 1, 3, 1, 'a')},
		{"restore", "k2", "0", payload(rdb.TypeList, 2, 1, 'a', 1, 'b')},
		{"lrange", "k2", "0", "-1"},
		{"exists", "k2"},
		{"restore", "k3", "4102444800000", good, "absttl"},
		{"pexpiretime", "k3"},
		{"restore", "k3", "1", good, "absttl", "replace"},
		{"exists", "k3"},
		{"restore", "k3", "1", good, "absttl"},
		{"exists", "k3"},
		{"restore", "k", "0", good, "replace", "absttl", "idletime", "1000"},
		{"pttl", "k"},
		{"dump", "nokey"},
		{"restore"},
		{"restore", "k", "0"},
	} {
		p.Do(args...)
	}
	p.SameKeyspace("db0")
}

// TestRestoreAccessData: IDLETIME and FREQ set the access data that OBJECT
// reports, as in Redis (compared loosely: the clocks may tick between).
func TestRestoreAccessData(t *testing.T) {
	p := difftest.NewPair(t)
	good := payload(rdb.TypeString, 3, 'f', 'o', 'o')
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		c.Do("restore", "idle", "0", good, "idletime", "1000")
		if n := c.DoValue("object", "idletime", "idle").Int; n < 1000 || n > 1002 {
			t.Errorf("OBJECT IDLETIME after IDLETIME 1000: %d", n)
		}
		c.Do("config", "set", "maxmemory-policy", "allkeys-lfu")
		c.Do("restore", "freq", "0", good, "freq", "100")
		if n := c.DoValue("object", "freq", "freq").Int; n < 99 || n > 100 {
			t.Errorf("OBJECT FREQ after FREQ 100: %d", n)
		}
	}
}

// TestRestoreRefusesValuesNotEndingAtTheFooter is a documented departure:
// Redis restores a value that reads into the footer, or stops short of
// it, as if the payload were sound.
func TestRestoreRefusesValuesNotEndingAtTheFooter(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedoubt(t))
	for _, p := range []string{
		payload(rdb.TypeString, 10, 'x'),     // reads 9 bytes past the value
		payload(rdb.TypeString, 1, 'x', 'y'), // leaves a byte
	} {
		if got := string(c.Do("restore", "k", "0", p)); got != "-ERR Bad data format\r\n" {
			t.Errorf("restore %q: %q", p, got)
		}
	}
	if got := string(c.Do("exists", "k")); got != ":0\r\n" {
		t.Errorf("exists after refused restores: %q", got)
	}
}

// debugObjectFields are the fields of DEBUG OBJECT that do not depend on
// addresses or clocks.
var debugObjectFields = regexp.MustCompile(` (encoding|serializedlength|ql_nodes|ql_avg_node|ql_listpack_max|ql_compressed|ql_uncompressed_size):(\S+)`)

// TestDebugObjectMatchesRedis: serializedlength is the RDB size, and
// lists show their quicklist's shape, as Redis reports them.
func TestDebugObjectMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	byteKeys, _ := dumpValues(p)
	for _, k := range byteKeys {
		want := debugObjectFields.FindAllString(p.Redis.DoValue("debug", "object", k).Str, -1)
		got := debugObjectFields.FindAllString(p.Redoubt.DoValue("debug", "object", k).Str, -1)
		if !slices.Equal(got, want) {
			t.Errorf("DEBUG OBJECT %s:\n redis:   %q\n redoubt: %q", k, want, got)
		}
	}
}
