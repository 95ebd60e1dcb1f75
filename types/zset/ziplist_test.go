package zset_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
)

// Sorted sets of Redis versions before 7.0 (ziplists, RDB type 12) restored on
// Redoubt and redis-server 7.0: scores in the forms Redis wrote them,
// either side of the conversion threshold, with duplicates and empty.
// Both servers must answer alike and hold the same sorted set in the same
// encoding, except where Redoubt refuses what Redis accepts by design.

// zsetZiplist is the DUMP payload of a ziplist of members and scores.
func zsetZiplist(ms ...string) string {
	z := ziplist.New()
	for _, v := range ms {
		z = ziplist.Append(z, []byte(v))
	}
	w := rdb.Encoder{}
	w.Byte(rdb.TypeZSetZiplist)
	w.String(z)
	return string(rdb.AppendDumpFooter(w.B))
}

func membersN(n int) []string {
	var ms []string
	for i := range n {
		ms = append(ms, "m"+strconv.Itoa(i), strconv.Itoa(i/2-10))
	}
	return ms
}

func sameZset(t *testing.T, p *difftest.Pair, k, payload string) {
	t.Helper()
	if r := string(p.Do("restore", k, "0", payload, "replace")); r != "+OK\r\n" {
		t.Errorf("restore %s: %q", k, r)
		return
	}
	p.Do("object", "encoding", k)
	p.Do("dump", k)
	p.Do("zrange", k, "0", "-1", "withscores")
	p.Do("zscore", k, "m1")
}

func TestZsetZiplistAsRedis(t *testing.T) {
	const entries = 4
	p := difftest.NewPair(t, "rdbcompression no", "zset-max-listpack-entries "+strconv.Itoa(entries), "zset-max-listpack-value 8")
	for _, c := range []struct {
		name string
		ms   []string
	}{
		// Scores as Redis wrote them: integers as integer entries, others
		// as the text of the double.
		{"scores", []string{"lo", "-inf", "m1", "-3", "b", "0.5", "c", "1.5", "d", "1.5", "e", "3.0000000000000004", "f", "1e+300", "hi", "inf"}},
		{"members that are integers", []string{"7", "1", "-70000", "2", "m1", "2"}},
		{"at the entries limit", membersN(entries)},
		{"over the entries limit", membersN(entries + 1)},
		// Member lengths are not looked at on load: it stays a listpack.
		{"a long member", []string{"m1", "1", strings.Repeat("L", 100), "2"}},
		{"many", membersN(300)},
	} {
		sameZset(t, p, c.name, zsetZiplist(c.ms...))
	}
	p.SameKeyspace("db0")
}

func TestZsetZiplistRefusedAsRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, ms := range [][]string{
		{"a", "1", "a", "2"},
		{"1", "1", "b", "2", "1", "3"},
		{"a", "1", "b"},
		{},
	} {
		if got := string(p.Do("restore", "k", "0", zsetZiplist(ms...))); got != "-ERR Bad data format\r\n" {
			t.Errorf("restore %q: %q", ms, got)
		}
	}
	p.SameKeyspace("db0")
}

// TestZsetZiplistOrderChecked is a deliberate difference: Redis 7.0
// restores a sorted set ziplist whose scores are out of order or not
// numbers (reading those as 0), and then answers range queries from the
// wrong order; Redoubt refuses it, as it refuses such a listpack.
func TestZsetZiplistOrderChecked(t *testing.T) {
	p := difftest.NewPair(t)
	for _, ms := range [][]string{
		{"a", "2", "b", "1"},
		{"b", "1", "a", "1"},
		{"a", "1", "b", "x"},
		{"a", "nan", "b", "1"},
	} {
		payload := zsetZiplist(ms...)
		if got := string(p.Redis.Do("restore", "k", "0", payload, "replace")); got != "+OK\r\n" {
			t.Errorf("redis: restore %q: %q", ms, got)
		}
		if got := string(p.Redoubt.Do("restore", "k", "0", payload, "replace")); got != "-ERR Bad data format\r\n" {
			t.Errorf("redoubt: restore %q: %q", ms, got)
		}
	}
}
