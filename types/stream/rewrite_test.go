package stream_test

import (
	"bufio"
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/aoftest"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/stream"
)

// claimed is when the test's pending entries were last delivered, set
// with XCLAIM ... TIME so that both servers write the same XCLAIMs.
const claimed = "1600000000123"

// rewriteScript builds streams of every shape the AOF rewrite writes
// differently: entries with the master entry's fields and without,
// several nodes, deleted and trimmed entries, empty streams, and
// consumer groups with pending entries and consumers without any.
func rewriteScript() [][]string {
	script := [][]string{
		{"XADD", "s", "1-1", "f", "v"},
		{"XADD", "s", "1-2", "f", "v2"},
		{"XADD", "s", "2-0", "a", "1", "b", "2"},
		{"XADD", "s", "3-0", "\x00\xff\r\n", "", "12", "-9223372036854775808"},
		{"XADD", "s", "18446744073709551615-18446744073709551614", "f", "007"},
		// An empty stream made by XDEL: XADD MAXLEN 0 0-1 x y, then
		// XSETID gives back the last ID and the counters.
		{"XADD", "emptied", "5-5", "f", "v"},
		{"XADD", "emptied", "6-0", "f", "v"},
		{"XDEL", "emptied", "5-5", "6-0"},
		{"XGROUP", "CREATE", "made", "g", "$", "MKSTREAM"},
		{"XADD", "deleted", "1-0", "f", "1"},
		{"XADD", "deleted", "2-0", "f", "2"},
		{"XADD", "deleted", "3-0", "f", "3"},
		{"XDEL", "deleted", "2-0", "3-0"},
		{"XADD", "set", "7-0", "f", "v"},
		{"XSETID", "set", "9-9", "ENTRIESADDED", "40", "MAXDELETEDID", "8-0"},
	}
	for i := 1; i <= 250; i++ {
		fields := []string{"f", strconv.Itoa(i)}
		if i%7 == 0 {
			fields = []string{"other", "x", "f", strconv.Itoa(i)}
		}
		script = append(script, append([]string{"XADD", "nodes", strconv.Itoa(i) + "-0"}, fields...))
	}
	script = append(script, []string{"XTRIM", "nodes", "MAXLEN", "200"})
	return append(script, groupScript()...)
}

// groupScript gives the stream "groups" four groups: one with pending
// entries of two consumers and four consumers with none, one created at
// the end ($, entries read known), two at an ID (entries read unknown).
func groupScript() [][]string {
	script := [][]string{
		{"XGROUP", "CREATE", "groups", "g", "0", "MKSTREAM"},
	}
	for i := 1; i <= 6; i++ {
		script = append(script, []string{"XADD", "groups", strconv.Itoa(i) + "-0", "n", strconv.Itoa(i)})
	}
	return append(script,
		[]string{"XREADGROUP", "GROUP", "g", "alice", "COUNT", "3", "STREAMS", "groups", ">"},
		[]string{"XREADGROUP", "GROUP", "g", "bob", "COUNT", "2", "STREAMS", "groups", ">"},
		[]string{"XREADGROUP", "GROUP", "g", "dave", "COUNT", "1", "STREAMS", "groups", ">"},
		[]string{"XACK", "groups", "g", "2-0", "6-0"},
		[]string{"XGROUP", "CREATECONSUMER", "groups", "g", "carol"},
		// Names in byte order, as Redis's radix trees keep them: a prefix
		// first, high bytes last.
		[]string{"XGROUP", "CREATECONSUMER", "groups", "g", "al"},
		[]string{"XGROUP", "CREATECONSUMER", "groups", "g", "\xff\x00"},
		[]string{"XGROUP", "CREATE", "groups", "at", "0"},
		[]string{"XCLAIM", "groups", "g", "alice", "0", "1-0", "3-0", "TIME", claimed, "RETRYCOUNT", "3", "JUSTID"},
		[]string{"XCLAIM", "groups", "g", "bob", "0", "4-0", "5-0", "TIME", claimed, "RETRYCOUNT", "1", "JUSTID"},
		[]string{"XGROUP", "CREATE", "groups", "at-end", "$"},
		[]string{"XGROUP", "CREATE", "groups", "at-id", "2-0"},
		[]string{"XGROUP", "SETID", "groups", "g", "5-0", "ENTRIESREAD", "5"},
	)
}

// TestRewriteMatchesRedis compares the commands each stream is written
// as with those Redis's BGREWRITEAOF writes, byte for byte.
func TestRewriteMatchesRedis(t *testing.T) {
	h := cmdtest.New(t, stream.Register)
	script := append(rewriteScript(),
		// A pending entry whose stream entry is gone is still written,
		// as Redis writes it (its XCLAIM then claims nothing).
		[]string{"XADD", "gone", "1-0", "f", "v"},
		[]string{"XADD", "gone", "2-0", "f", "v"},
		[]string{"XGROUP", "CREATE", "gone", "g", "0"},
		[]string{"XREADGROUP", "GROUP", "g", "c", "STREAMS", "gone", ">"},
		[]string{"XCLAIM", "gone", "g", "c", "0", "1-0", "2-0", "TIME", claimed, "JUSTID"},
		[]string{"XDEL", "gone", "1-0"},
	)
	redis, _ := aoftest.Compare(h, script, nil)
	for key, n := range map[string]int{"s": 5 + 1, "emptied": 1 + 1, "made": 1 + 1 + 1, "nodes": 200 + 1, "groups": 6 + 1 + 4 + 4 + 4} {
		if len(redis[key]) != n {
			t.Errorf("Redis wrote %q as %d commands, the test means %d: %v", key, len(redis[key]), n, redis[key])
		}
	}
}

// TestRewriteRoundTrip replays the rewrite and finds every stream again
// as XINFO STREAM FULL shows it, but for the node layout of entries
// added anew: entries, IDs, counters, groups, pending entries with their
// delivery times and counts, and consumers.
func TestRewriteRoundTrip(t *testing.T) {
	const now = 1700000000000
	h, fresh := cmdtest.New(t, stream.Register), cmdtest.New(t, stream.Register)
	for _, x := range []*cmdtest.Harness{h, fresh} {
		x.Quiet, x.Clock.T = true, now
	}
	aoftest.Run(h, rewriteScript(), nil)
	cmds := aoftest.RoundTrip(h, fresh)
	for key := range cmds {
		want, got := infoFull(h, key), infoFull(fresh, key)
		if got != want {
			t.Errorf("stream %q after the replay of %v:\n %s\nwas\n %s", key, cmds[key], got, want)
		}
	}
	// Written again, the streams are written the same.
	again := aoftest.Rewrite(fresh)
	for key, c := range cmds {
		if fmt.Sprint(again[key]) != fmt.Sprint(c) {
			t.Errorf("stream %q is written after the replay as\n %v\nand was written as\n %v", key, again[key], c)
		}
	}
}

// infoFull is XINFO STREAM key FULL without the radix tree's size.
func infoFull(h *cmdtest.Harness, key string) string {
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(h.Do("XINFO", "STREAM", key, "FULL", "COUNT", "0"))))
	if err != nil {
		h.T.Fatal(err)
	}
	var b strings.Builder
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if name := v.Elems[i].Str; !strings.HasPrefix(name, "radix-tree-") {
			fmt.Fprintf(&b, "%s=%s ", name, show(v.Elems[i+1]))
		}
	}
	return b.String()
}

func show(v protocol.Value) string {
	switch {
	case v.Null:
		return "nil"
	case v.Type == ':':
		return strconv.FormatInt(v.Int, 10)
	case v.Elems == nil:
		return strconv.Quote(v.Str)
	}
	parts := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		parts[i] = show(e)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// TestRewriteWalks shows that big streams are written as they are
// walked: rewriting one allocates nothing beyond the output.
func TestRewriteWalks(t *testing.T) {
	h := cmdtest.New(t, stream.Register)
	var script [][]string
	for i := 1; i <= 5000; i++ {
		script = append(script, []string{"XADD", "s", strconv.Itoa(i) + "-0", "f", strconv.Itoa(i), "g", "v"})
	}
	script = append(script, groupScript()...)
	aoftest.Run(h, script, nil)
	for _, key := range []string{"s", "groups"} {
		if n := aoftest.Allocs(h, key); n != 0 {
			t.Errorf("rewriting %s allocates %v times", key, n)
		}
	}
}
