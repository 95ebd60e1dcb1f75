package hash_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/aoftest"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/hash"
)

// fields returns HSET arguments: n fields named prefix+i, every few an
// integer, with values of several kinds.
func fields(prefix string, n int) []string {
	values := []string{"v", "", "12", "-9223372036854775808", "3.14", "\x00\xff\r\n", "007"}
	var out []string
	for i := range n {
		f := prefix + strconv.Itoa(i)
		if i%4 == 1 {
			f = strconv.Itoa(-i)
		}
		out = append(out, f, values[i%len(values)])
	}
	return out
}

func rewriteScript() ([][]string, map[string]keyspace.Encoding) {
	script := [][]string{
		aoftest.Cmd("HSET", "lp", fields("f", 10)),
		// Up to hash-max-listpack-entries (512) fields stay a listpack.
		aoftest.Cmd("HSET", "lp:200", fields("f", 200)),
		{"HSET", "lp:updated", "a", "1", "b", "2", "c", "3"},
		{"HSET", "lp:updated", "b", "a longer value now", "d", "4"},
		{"HINCRBY", "lp:updated", "a", "41"},
		{"HINCRBYFLOAT", "lp:updated", "e", "0.1"},
		{"HDEL", "lp:updated", "c"},
		aoftest.Cmd("HSET", "table", fields("field:", 600)),
		{"HSET", "table:long", "a", "1", "b", strings.Repeat("v", 65)},
		aoftest.Cmd("HSET", "deleted:table", fields("d", 600)),
		aoftest.Cmd("HDEL", "deleted:table", aoftest.Seq("d", 0, 50)),
	}
	encodings := map[string]keyspace.Encoding{
		"lp": keyspace.EncListpack, "lp:200": keyspace.EncListpack, "lp:updated": keyspace.EncListpack,
		"table": keyspace.EncHashtable, "table:long": keyspace.EncHashtable, "deleted:table": keyspace.EncHashtable,
	}
	return script, encodings
}

// TestRewriteMatchesRedis compares the HMSET commands of each key with
// those Redis's BGREWRITEAOF writes: the same bytes for listpacks; the
// same batches and pairs for hashtables, which Redis walks in its
// table's order.
func TestRewriteMatchesRedis(t *testing.T) {
	script, encodings := rewriteScript()
	h := cmdtest.New(t, hash.Register)
	redis, _ := aoftest.Compare(h, script, nil)
	for key, e := range encodings {
		if got := h.DB.Encoding(h.DB.Find([]byte(key))); got != e {
			t.Errorf("key %q is %v, the test means %v", key, got, e)
		}
	}
	if c := redis["table"]; len(c) != 10 || c[0].Args[0] != "HMSET" || len(c[9].Args) != 2+2*24 {
		t.Errorf("Redis wrote 600 fields as %d commands, the test means HMSET of 64 nine times and of 24", len(c))
	}
}

// TestRewriteRoundTrip replays the rewrite and finds every hash again.
func TestRewriteRoundTrip(t *testing.T) {
	script, _ := rewriteScript()
	h := cmdtest.New(t, hash.Register)
	aoftest.Run(h, script, nil)
	aoftest.RoundTrip(h, cmdtest.New(t, hash.Register))
}

// TestRewriteWalks shows that big hashes are written as they are walked:
// rewriting one allocates nothing beyond the output.
func TestRewriteWalks(t *testing.T) {
	h := cmdtest.New(t, hash.Register)
	aoftest.Run(h, [][]string{aoftest.Cmd("HSET", "table", fields("f", 5000)), aoftest.Cmd("HSET", "lp", fields("f", 100))}, nil)
	for _, key := range []string{"table", "lp"} {
		if n := aoftest.Allocs(h, key); n != 0 {
			t.Errorf("rewriting %s allocates %v times", key, n)
		}
	}
}
