package set_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/aoftest"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/set"
)

// rewriteScript builds a set of every encoding and shape the AOF rewrite
// writes differently, with the encoding each has in Redoubt.
func rewriteScript() ([][]string, map[string]keyspace.Encoding) {
	var ints []string
	for i := range 300 {
		ints = append(ints, strconv.Itoa(i*7919-1000000))
	}
	script := [][]string{
		{"SADD", "ints", "3", "-1", "0", "9223372036854775807", "-9223372036854775808", "70000", "-40000"},
		// 300 integers: batches of 64 and a last one of 44, ascending.
		aoftest.Cmd("SADD", "ints:300", ints),
		aoftest.Cmd("SADD", "ints:600", aoftest.Seq("", 0, 600)),
		{"SADD", "packed", "a", "\x00bin\r\nary\xff", "12", "-5", "", strings.Repeat("x", 64)},
		aoftest.Cmd("SADD", "packed:128", aoftest.Seq("m", 0, 128)),
		aoftest.Cmd("SADD", "table", aoftest.Seq("member:", 0, 200)),
		{"SADD", "table:long", "a", "1", strings.Repeat("l", 65)},
		// Members deleted from each encoding.
		aoftest.Cmd("SADD", "deleted:table", aoftest.Seq("d", 0, 300)),
		aoftest.Cmd("SREM", "deleted:table", aoftest.Seq("d", 0, 250)),
		aoftest.Cmd("SADD", "deleted:ints", aoftest.Seq("", 0, 100)),
		aoftest.Cmd("SREM", "deleted:ints", aoftest.Seq("", 10, 90)),
		{"SADD", "deleted:packed", "x", "y", "z", "7"},
		{"SREM", "deleted:packed", "y"},
		// An intset turned into what Redis makes a hashtable by a string.
		{"SADD", "converted", "1", "2", "3"},
		{"SADD", "converted", "three"},
	}
	encodings := map[string]keyspace.Encoding{
		"ints": keyspace.EncIntset, "ints:300": keyspace.EncIntset, "ints:600": keyspace.EncHashtable,
		"packed": keyspace.EncPackedHashtable, "packed:128": keyspace.EncPackedHashtable,
		"table": keyspace.EncHashtable, "table:long": keyspace.EncHashtable,
		"deleted:table": keyspace.EncHashtable, "deleted:ints": keyspace.EncIntset,
		"deleted:packed": keyspace.EncPackedHashtable, "converted": keyspace.EncPackedHashtable,
	}
	return script, encodings
}

// checkEncodings fails unless each key has the encoding given, so that
// the comparisons cover what they say.
func checkEncodings(t *testing.T, h *cmdtest.Harness, want map[string]keyspace.Encoding) {
	t.Helper()
	for key, e := range want {
		if got := h.DB.Encoding(h.DB.Find([]byte(key))); got != e {
			t.Errorf("key %q is %d (%v), the test means %d (%v)", key, got, got, e, e)
		}
	}
}

// TestRewriteMatchesRedis compares the SADD commands of each key with
// those Redis's BGREWRITEAOF writes: the same bytes for intsets, the
// same batches and members for sets Redis walks in its table's order.
func TestRewriteMatchesRedis(t *testing.T) {
	script, encodings := rewriteScript()
	h := cmdtest.New(t, set.Register)
	redis, _ := aoftest.Compare(h, script, nil)
	checkEncodings(t, h, encodings)
	if n := len(redis["ints:300"]); n != 5 {
		t.Errorf("Redis wrote 300 members in %d commands, the test means 5", n)
	}
}

// TestRewriteRoundTrip replays the rewrite and finds every set again, in
// its encoding.
func TestRewriteRoundTrip(t *testing.T) {
	script, _ := rewriteScript()
	h := cmdtest.New(t, set.Register)
	aoftest.Run(h, script, nil)
	aoftest.RoundTrip(h, cmdtest.New(t, set.Register))
}

// TestRewriteWalks shows that big sets are written as they are walked:
// rewriting one allocates nothing beyond the output.
func TestRewriteWalks(t *testing.T) {
	h := cmdtest.New(t, set.Register)
	aoftest.Run(h, [][]string{
		{"CONFIG", "SET", "set-max-intset-entries", "10000"},
		aoftest.Cmd("SADD", "ints", aoftest.Seq("", 0, 5000)),
		aoftest.Cmd("SADD", "table", aoftest.Seq("m", 0, 5000)),
		aoftest.Cmd("SADD", "packed", aoftest.Seq("m", 0, 100)),
	}, nil)
	for _, key := range []string{"ints", "table", "packed"} {
		if n := aoftest.Allocs(h, key); n != 0 {
			t.Errorf("rewriting %s allocates %v times", key, n)
		}
	}
}
