package keys_test

import (
	"bufio"
	"bytes"
	"regexp"
	"slices"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
)

func TestDumpIsRedisBytes(t *testing.T) {
	for _, compression := range []string{"yes", "no"} {
		t.Run("rdbcompression-"+compression, func(t *testing.T) {
			p := difftest.NewPair(t, "rdbcompression "+compression)
			byteKeys, _ := difftest.EveryEncoding(p)
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
	_, keys := difftest.EveryEncoding(p)
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
	byteKeys, _ := difftest.EveryEncoding(p)
	for _, k := range byteKeys {
		want := debugObjectFields.FindAllString(p.Redis.DoValue("debug", "object", k).Str, -1)
		got := debugObjectFields.FindAllString(p.Redoubt.DoValue("debug", "object", k).Str, -1)
		if !slices.Equal(got, want) {
			t.Errorf("DEBUG OBJECT %s:\n redis:   %q\n redoubt: %q", k, want, got)
		}
	}
}
