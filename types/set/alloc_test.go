package set_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/set"
)

// harness runs the set handlers in process, without the server, to count
// their allocations.
type harness struct {
	ks    *keyspace.Keyspace
	table *command.Table
	cfg   *config.Config
	w     protocol.Writer
	ctx   command.Ctx
}

func (h *harness) Notify(command.Event, string, []byte, int) {}
func (h *harness) RecordError(string)                        {}
func (h *harness) Block(*command.Ctx, [][]byte, int64) bool  { return false }
func (h *harness) SignalReady(int, []byte)                   {}

func (h *harness) do(argv [][]byte) []byte {
	h.w.Buf = h.w.Buf[:0]
	cmd := h.table.Lookup(argv[0])
	h.ctx = command.Ctx{Args: argv, Cmd: cmd, W: &h.w, KS: h.ks, DB: h.ks.DBs[0], Cfg: &h.cfg.Values, Srv: h}
	cmd.Handler(&h.ctx)
	return h.w.Buf
}

func argv(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// TestNoAllocs: adding, removing and testing members of existing sets of
// every representation (intset, packed, dict) allocate nothing on the Go
// heap.
func TestNoAllocs(t *testing.T) {
	h := &harness{ks: keyspace.New(16), table: command.NewTable(), cfg: config.New()}
	set.Register(h.table)
	for i := range 1000 {
		h.do(argv("sadd", "h", "m"+strconv.Itoa(i)))
	}
	h.do(argv("sadd", "i", "1", "2", "3"))
	h.do(argv("sadd", "p", "a", "b", "3", "c"))
	for _, tc := range []struct {
		key, member string
		enc         keyspace.Encoding
	}{{"h", "m1", keyspace.EncHashtable}, {"i", "8", keyspace.EncIntset}, {"p", "b", keyspace.EncPackedHashtable}, {"p", "new", keyspace.EncPackedHashtable}} {
		key := tc.key
		cmds := [][][]byte{
			argv("sadd", key, "7", tc.member),
			argv("sismember", key, "7"),
			argv("smismember", key, "7", tc.member, "x"),
			argv("scard", key),
			argv("srem", key, "7", tc.member),
			argv("srandmember", key),
		}
		run := func() {
			for _, c := range cmds {
				h.do(c)
			}
		}
		run() // warm the buffers
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("%s: %v allocations per run", key, n)
		}
		db := h.ks.DBs[0]
		if enc := db.Encoding(db.Find([]byte(key))); enc != tc.enc {
			t.Errorf("%s: encoding %v, want %v", key, enc, tc.enc)
		}
	}
	// One-member SPOP, its member added back.
	for _, c := range [][]string{{"i", "1", "2", "3"}, {"p", "a", "b", "3", "c"}} {
		pop, add := argv("spop", c[0]), argv(append([]string{"sadd"}, c...)...)
		run := func() {
			h.do(pop)
			h.do(add)
		}
		run()
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("spop %s: %v allocations per run", c[0], n)
		}
	}
}
