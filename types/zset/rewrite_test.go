package zset_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/aoftest"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/zset"
)

// scores are written by ZADD as Redis's rioWriteBulkDouble writes them
// (%.17g): fractions, infinities, huge and tiny, negative zero, and
// integers a listpack stores as integers.
var scores = []string{"1.5", "-inf", "inf", "+inf", "1e300", "0.1", "-0", "0", "3", "-2.5", "1e-5",
	"123456789012345678", "-9007199254740993", "4.9406564584124654e-324", "1.7976931348623157e308", "2.5e-10"}

// pairs returns ZADD arguments: n members named prefix+i with the scores
// above in turn, and every few an integer member.
func pairs(prefix string, n int) []string { return pairsOf(scores, prefix, n) }

func pairsOf(scores []string, prefix string, n int) []string {
	var out []string
	for i := range n {
		m := prefix + strconv.Itoa(i)
		if i%5 == 3 {
			m = strconv.Itoa(i * 1000)
		}
		out = append(out, scores[i%len(scores)], m)
	}
	return out
}

func rewriteScript() ([][]string, map[string]keyspace.Encoding) {
	return rewriteScriptOf(scores)
}

func rewriteScriptOf(scores []string) ([][]string, map[string]keyspace.Encoding) {
	script := [][]string{
		aoftest.Cmd("ZADD", "lp", pairsOf(scores, "m", len(scores))),
		{"ZADD", "lp:binary", "1", "\x00\xff\r\n", "2", "", "2", "-12", "7", "12"},
		aoftest.Cmd("ZADD", "lp:128", pairsOf(scores, "m", 128)),
		{"ZINCRBY", "lp:incr", "0.1", "a"},
		{"ZINCRBY", "lp:incr", "0.2", "a"},
		aoftest.Cmd("ZADD", "sl", pairsOf(scores, "member:", 300)),
		// Made a skiplist by its first member, in the replay too: -0 stays.
		{"ZADD", "sl:long", "-inf", strings.Repeat("l", 65), "-0", "a", "1.5", "b", "inf", "c", "0.1", "d"},
		aoftest.Cmd("ZADD", "deleted:lp", pairsOf(scores, "d", 40)),
		aoftest.Cmd("ZREM", "deleted:lp", aoftest.Seq("d", 0, 30)),
		aoftest.Cmd("ZADD", "deleted:sl", pairsOf(scores, "d", 400)),
		aoftest.Cmd("ZREM", "deleted:sl", aoftest.Seq("d", 0, 200)),
	}
	encodings := map[string]keyspace.Encoding{
		"lp": keyspace.EncListpack, "lp:binary": keyspace.EncListpack, "lp:128": keyspace.EncListpack,
		"lp:incr": keyspace.EncListpack, "deleted:lp": keyspace.EncListpack,
		"sl": keyspace.EncSkiplist, "sl:long": keyspace.EncSkiplist, "deleted:sl": keyspace.EncSkiplist,
	}
	return script, encodings
}

// TestRewriteMatchesRedis compares the ZADD commands of each key with
// those Redis's BGREWRITEAOF writes: the same bytes for listpacks, scores
// formatted alike; the same batches and pairs for skiplists, which Redis
// walks in its dict's order.
func TestRewriteMatchesRedis(t *testing.T) {
	script, encodings := rewriteScript()
	h := cmdtest.New(t, zset.Register)
	redis, _ := aoftest.Compare(h, script, nil)
	for key, e := range encodings {
		if got := h.DB.Encoding(h.DB.Find([]byte(key))); got != e {
			t.Errorf("key %q is %v, the test means %v", key, got, e)
		}
	}
	// ZADD's batches are 64 pairs: 2+128 arguments.
	if c := redis["lp:128"]; len(c) != 2 || len(c[0].Args) != 130 {
		t.Errorf("Redis wrote 128 pairs as %v, the test means two commands of 64", c)
	}
}

// TestRewriteRoundTrip replays the rewrite and finds every sorted set
// again, scores included. Negative zero is left out: a listpack stores
// it as the integer 0 (Redis's double2ll), so members replayed while the
// set is small come back with 0 where a skiplist had -0, in Redis too.
func TestRewriteRoundTrip(t *testing.T) {
	var noNegZero []string
	for _, s := range scores {
		if s != "-0" {
			noNegZero = append(noNegZero, s)
		}
	}
	script, _ := rewriteScriptOf(noNegZero)
	h := cmdtest.New(t, zset.Register)
	aoftest.Run(h, script, nil)
	aoftest.RoundTrip(h, cmdtest.New(t, zset.Register))
}

// TestRewriteWalks shows that big sorted sets are written as they are
// walked: rewriting one allocates nothing beyond the output.
func TestRewriteWalks(t *testing.T) {
	h := cmdtest.New(t, zset.Register)
	aoftest.Run(h, [][]string{aoftest.Cmd("ZADD", "sl", pairs("m", 5000)), aoftest.Cmd("ZADD", "lp", pairs("m", 100))}, nil)
	for _, key := range []string{"sl", "lp"} {
		if n := aoftest.Allocs(h, key); n != 0 {
			t.Errorf("rewriting %s allocates %v times", key, n)
		}
	}
}
