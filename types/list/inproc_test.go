package list_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/list"
)

// harness runs the list handlers in process, without the server, to see
// keyspace notifications and to measure the handlers alone.
type harness struct {
	t      testing.TB
	ks     *keyspace.Keyspace
	table  *command.Table
	cfg    *config.Config
	w      protocol.Writer
	ctx    command.Ctx
	events []string
	quiet  bool // drop notifications, to measure the handlers alone
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, ks: keyspace.New(16), table: command.NewTable(), cfg: config.New()}
	list.Register(h.table)
	h.ks.Now = time.Now().UnixMilli()
	return h
}

func (h *harness) Notify(class command.Event, event string, key []byte, db int) {
	if !h.quiet {
		h.events = append(h.events, event+" "+string(key))
	}
}
func (h *harness) RecordError(string)                       {}
func (h *harness) Block(*command.Ctx, [][]byte, int64) bool { return false }
func (h *harness) SignalReady(int, []byte)                  {}

func (h *harness) doArgs(argv [][]byte) []byte {
	h.w.Buf = h.w.Buf[:0]
	cmd := h.table.Lookup(argv[0])
	h.ctx = command.Ctx{Args: argv, Cmd: cmd, W: &h.w, KS: h.ks, DB: h.ks.DBs[0], Cfg: &h.cfg.Values, Srv: h}
	cmd.Handler(&h.ctx)
	return h.w.Buf
}

func args(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

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
		h.events = nil
		h.doArgs(args(tc.cmd))
		if !slices.Equal(h.events, tc.events) {
			t.Errorf("%s: events %q, want %q", tc.cmd, h.events, tc.events)
		}
	}
}

// TestHotListCommandsDoNotAllocate measures the handlers alone: pushes,
// pops, LLEN and LINDEX work in the arena and write straight to the reply.
func TestHotListCommandsDoNotAllocate(t *testing.T) {
	h := newHarness(t)
	h.quiet = true
	h.doArgs(args("rpush l a b c 1 2 3"))
	for _, cmd := range []string{
		"lpush l element", "lpop l",
		"rpush l 12345", "rpop l",
		"llen l", "lindex l 3", "lindex l -1",
		"lrange l 0 -1",
	} {
		argv := args(cmd)
		for range 10 {
			h.doArgs(argv)
		}
		if n := testing.AllocsPerRun(1000, func() { h.doArgs(argv) }); n != 0 {
			t.Errorf("%s allocates %v times per call", cmd, n)
		}
	}
}
