package list_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/aoftest"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/types/list"
)

// packedThreshold runs DEBUG QUICKLIST-PACKED-THRESHOLD, which is the
// server's, in the harness.
func packedThreshold(h *cmdtest.Harness, args []string) bool {
	if len(args) != 3 || !strings.EqualFold(args[0], "debug") || !strings.EqualFold(args[1], "quicklist-packed-threshold") {
		return false
	}
	n, err := strconv.ParseInt(strings.TrimSuffix(args[2], "b"), 10, 64)
	if err != nil || !list.SetPackedThreshold(n) {
		h.T.Fatalf("bad threshold %q", args[2])
	}
	return true
}

// rewriteScript builds lists of one node and of many, by count and by
// size, with plain nodes, and changed in the middle, each element a
// string or a listpack integer.
func rewriteScript() [][]string {
	script := [][]string{
		{"RPUSH", "small", "a", "1", "-70000", "", "\x00\xff\r\n", "9223372036854775807", "007", "1.5"},
		{"CONFIG", "SET", "list-max-listpack-size", "4"},
		aoftest.Cmd("RPUSH", "count", aoftest.Seq("e", 0, 30)),
		aoftest.Cmd("LPUSH", "count", aoftest.Seq("", 0, 30)),
		{"LINSERT", "count", "BEFORE", "e7", "inserted"},
		{"LSET", "count", "3", "set"},
		{"LREM", "count", "0", "e11"},
		{"LTRIM", "count", "2", "-3"},
		{"CONFIG", "SET", "list-max-listpack-size", "-1"},
		// 300 elements: four RPUSH of 64 and one of 44.
		aoftest.Cmd("RPUSH", "size", aoftest.Seq(strings.Repeat("s", 200), 0, 300)),
		{"CONFIG", "SET", "list-max-listpack-size", "-2"},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100b"},
		{"RPUSH", "plain", "small", strings.Repeat("P", 150), "12", strings.Repeat("Q", 500)},
		{"DEBUG", "QUICKLIST-PACKED-THRESHOLD", "0"},
	}
	return script
}

// TestRewriteMatchesRedis compares the RPUSH commands of each list with
// those Redis's BGREWRITEAOF writes, byte for byte: elements head to
// tail, 64 per command, integers in decimal.
func TestRewriteMatchesRedis(t *testing.T) {
	defer list.SetPackedThreshold(0)
	h := cmdtest.New(t, list.Register)
	redis, _ := aoftest.Compare(h, rewriteScript(), packedThreshold)
	if c := redis["size"]; len(c) != 5 || len(c[4].Args) != 2+44 {
		t.Errorf("Redis wrote 300 elements as %d commands, the test means 4 of 64 and one of 44", len(c))
	}
	shape := func(key string) int {
		nodes, _, _ := list.Shape(h.KS, h.DB.Value(h.DB.Find([]byte(key))))
		return nodes
	}
	if n := shape("count"); n < 10 {
		t.Errorf("the list meant to have many nodes has %d", n)
	}
	// Two plain nodes between two packed ones.
	if n := shape("plain"); n != 4 {
		t.Errorf("the list meant to have plain nodes has %d nodes", n)
	}
}

// TestRewriteRoundTrip replays the rewrite and finds every list again.
func TestRewriteRoundTrip(t *testing.T) {
	defer list.SetPackedThreshold(0)
	h := cmdtest.New(t, list.Register)
	aoftest.Run(h, rewriteScript(), packedThreshold)
	aoftest.RoundTrip(h, cmdtest.New(t, list.Register))
}

// TestRewriteWalks shows that big lists are written as they are walked:
// rewriting one allocates nothing beyond the output.
func TestRewriteWalks(t *testing.T) {
	h := cmdtest.New(t, list.Register)
	aoftest.Run(h, [][]string{aoftest.Cmd("RPUSH", "l", aoftest.Seq("", 0, 20000))}, nil)
	if n := aoftest.Allocs(h, "l"); n != 0 {
		t.Errorf("rewriting a list allocates %v times", n)
	}
}
