package hash_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
	"github.com/redoubt-db/redoubt/zipmap"
)

// Hashes of older Redis versions restored on Redoubt and redis-server
// 7.0: ziplists (RDB type 13) and zipmaps (type 9) on either side of the
// conversion thresholds, with duplicates, and empty. Both servers must
// answer alike and hold the same hash in the same encoding.

// oldHash is the DUMP payload of a hash of RDB type typ whose blob is b.
func oldHash(typ byte, b []byte) string {
	w := rdb.Encoder{}
	w.Byte(typ)
	w.String(b)
	return string(rdb.AppendDumpFooter(w.B))
}

func hashZiplist(kv ...string) string {
	z := ziplist.New()
	for _, v := range kv {
		z = ziplist.Append(z, []byte(v))
	}
	return oldHash(rdb.TypeHashZiplist, z)
}

func hashZipmap(kv ...string) string {
	m := zipmap.New()
	for i := 0; i+1 < len(kv); i += 2 {
		m = zipmap.Append(m, []byte(kv[i]), []byte(kv[i+1]), i%5)
	}
	return oldHash(rdb.TypeHashZipmap, m)
}

func fieldsN(n int) []string {
	var kv []string
	for i := range n {
		kv = append(kv, "f"+strconv.Itoa(i), strconv.Itoa(i*-31))
	}
	return kv
}

// sameHash restores payload as k on both servers, which must load it, and
// compares the hashes.
func sameHash(t *testing.T, p *difftest.Pair, k, payload string) {
	t.Helper()
	if r := string(p.Do("restore", k, "0", payload, "replace")); r != "+OK\r\n" {
		t.Errorf("restore %s: %q", k, r)
		return
	}
	if string(p.Do("object", "encoding", k)) == "$8\r\nlistpack\r\n" {
		p.Do("dump", k)
	}
	p.DoPairs("hgetall", k)
}

func TestOldHashEncodingsAsRedis(t *testing.T) {
	const entries, value = 4, 8
	p := difftest.NewPair(t, "rdbcompression no", "hash-max-listpack-entries "+strconv.Itoa(entries),
		"hash-max-listpack-value "+strconv.Itoa(value))
	atValue, overValue := strings.Repeat("v", value), strings.Repeat("v", value+1)
	for _, c := range []struct {
		name string
		kv   []string
	}{
		{"small", []string{"a", "1", "b", "-70000", "12", "x", "", ""}},
		{"at the entries limit", fieldsN(entries)},
		{"over the entries limit", fieldsN(entries + 1)},
		{"a value at the length limit", []string{"f", atValue}},
		// A zipmap converts to a table; a ziplist stays a listpack.
		{"a value over the length limit", []string{"f", overValue}},
		{"a field over the length limit", []string{overValue, "v"}},
		{"many, long", append(fieldsN(300), strings.Repeat("L", 300), "v")},
	} {
		sameHash(t, p, "zl:"+c.name, hashZiplist(c.kv...))
		sameHash(t, p, "zm:"+c.name, hashZipmap(c.kv...))
	}
	p.SameKeyspace("db0")
}

func TestOldHashRefusedAsRedis(t *testing.T) {
	p := difftest.NewPair(t)
	oneAsString := ziplist.AppendString(ziplist.New(), []byte("1"))
	oneAsString = ziplist.Append(ziplist.Append(ziplist.Append(oneAsString, []byte("a")), []byte("1")), []byte("b"))
	for _, payload := range []string{
		hashZiplist("a", "1", "a", "2"),
		hashZiplist("a", "1", "b", "2", "b", "3"),
		// The field 1 as a string, then as an integer: the same field.
		oldHash(rdb.TypeHashZiplist, oneAsString),
		hashZiplist("a", "1", "b"),
		hashZiplist(),
		hashZipmap("a", "1", "a", "2"),
		hashZipmap("x", "1", "y", "", "x", ""),
		hashZipmap(),
		oldHash(rdb.TypeHashZiplist, []byte("not a ziplist")),
		oldHash(rdb.TypeHashZipmap, []byte("\x01\x01a\x01\x00b")),
	} {
		if got := string(p.Do("restore", "k", "0", payload)); got != "-ERR Bad data format\r\n" {
			t.Errorf("restore %q: %q", payload, got)
		}
	}
	p.SameKeyspace("db0")
}
