package hll_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/hll"
)

// harness runs the HLL handlers in process, without the server, so that
// their allocations can be measured alone.
type harness struct {
	ks    *keyspace.Keyspace
	table *command.Table
	cfg   *config.Config
	w     protocol.Writer
	ctx   command.Ctx
}

func newHarness() *harness {
	h := &harness{ks: keyspace.New(1), table: command.NewTable(), cfg: config.New()}
	hll.Register(h.table)
	return h
}

func (h *harness) Notify(command.Event, string, []byte, int) {}
func (h *harness) RecordError(string)                        {}
func (h *harness) Block(*command.Ctx, [][]byte, int64) bool  { return false }
func (h *harness) SignalReady(int, []byte)                   {}

func (h *harness) do(argv [][]byte) []byte {
	h.w.Buf = h.w.Buf[:0]
	h.ctx = command.Ctx{Args: argv, Cmd: h.table.Lookup(argv[0]), W: &h.w, KS: h.ks, DB: h.ks.DBs[0], Cfg: &h.cfg.Values, Srv: h}
	h.ctx.Cmd.Handler(&h.ctx)
	return h.w.Buf
}

func args(s ...string) [][]byte {
	out := make([][]byte, len(s))
	for i, a := range s {
		out[i] = []byte(a)
	}
	return out
}

// TestDenseAddDoesNotAllocate checks that PFADD to a dense HLL and PFCOUNT
// (cached or not) update the stored value in place without allocating.
func TestDenseAddDoesNotAllocate(t *testing.T) {
	h := newHarness()
	h.do(args("pfadd", "h", "seed"))
	h.do(args("pfdebug", "todense", "h"))
	var adds [][][]byte
	for i := range 1000 {
		adds = append(adds, args("pfadd", "h", "e"+strconv.Itoa(i), "f"+strconv.Itoa(i)))
	}
	count := args("pfcount", "h")
	i := 0
	allocs := testing.AllocsPerRun(500, func() {
		h.do(adds[i%len(adds)])
		h.do(count)
		h.do(count)
		i++
	})
	if allocs != 0 {
		t.Fatalf("PFADD/PFCOUNT on a dense HLL: %v allocations per run", allocs)
	}
	if string(h.do(count)) == ":0\r\n" {
		t.Fatalf("the adds were not counted")
	}
}
