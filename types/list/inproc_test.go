package list_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/types/list"
)

// newHarness runs the list commands in process (internal/cmdtest), to
// see keyspace notifications and to measure the handlers alone.
func newHarness(t testing.TB) *cmdtest.Harness { return cmdtest.New(t, list.Register) }

// args splits a command at spaces, for DoArgs.
func args(s string) [][]byte { return cmdtest.Args(strings.Fields(s)...) }

// TestListNotifications checks the events each command fires, in Redis's
// order.
func TestListNotifications(t *testing.T) {
	h := newHarness(t)
	for _, tc := range []struct {
		cmd    string
		events []string
	}{
		{"rpush l a b c", []string{"new l", "rpush l"}},
		{"lpush l x", []string{"lpush l"}},
		{"lpushx nokey x", nil},
		{"lset l 0 y", []string{"lset l"}},
		{"linsert l before a z", []string{"linsert l"}},
		{"linsert l before missing z", nil},
		{"lrem l 0 z", []string{"lrem l"}},
		{"lrem l 0 missing", nil},
		{"ltrim l 0 -1", []string{"ltrim l"}},
		{"lmove l d left right", []string{"new d", "rpush d", "lpop l"}},
		{"rpoplpush l l", []string{"lpush l", "rpop l"}},
		{"lpop l 2", []string{"lpop l"}},
		{"rpop l", []string{"rpop l", "del l"}},
		{"lmpop 2 nokey d right count 5", []string{"rpop d", "del d"}},
		{"rpush l a", []string{"new l", "rpush l"}},
		{"lmove l l left left", []string{"lpush l", "lpop l"}},
		{"ltrim l 1 0", []string{"ltrim l", "del l"}},
		{"rpush l a", []string{"new l", "rpush l"}},
		{"blpop l 0", []string{"lpop l", "del l"}},
		{"rpush l a", []string{"new l", "rpush l"}},
		{"blmove l d right left 0", []string{"new d", "lpush d", "rpop l", "del l"}},
		{"lrem d 1 a", []string{"lrem d", "del d"}},
	} {
		h.Events = nil
		h.DoArgs(args(tc.cmd))
		if !slices.Equal(h.Events, tc.events) {
			t.Errorf("%s: events %q, want %q", tc.cmd, h.Events, tc.events)
		}
	}
}

// TestHotListCommandsDoNotAllocate measures the handlers alone: pushes,
// pops, LLEN and LINDEX work in the arena and write straight to the reply.
func TestHotListCommandsDoNotAllocate(t *testing.T) {
	h := newHarness(t)
	h.Quiet = true
	h.DoArgs(args("rpush l a b c 1 2 3"))
	for _, cmd := range []string{
		"lpush l element", "lpop l",
		"rpush l 12345", "rpop l",
		"llen l", "lindex l 3", "lindex l -1",
		"lrange l 0 -1",
	} {
		argv := args(cmd)
		for range 10 {
			h.DoArgs(argv)
		}
		if n := testing.AllocsPerRun(1000, func() { h.DoArgs(argv) }); n != 0 {
			t.Errorf("%s allocates %v times per call", cmd, n)
		}
	}
}
