package str_test

import (
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/bitops"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/str"
)

// harness runs the string and bit handlers in process, without the
// server: a keyspace, the command table, and a command.Server that
// records keyspace notifications. Tests use it where the network server
// cannot help: to plant keys of types no package implements yet, to see
// notifications, and to measure the handlers alone.
type harness struct {
	t      testing.TB
	ks     *keyspace.Keyspace
	table  *command.Table
	cfg    *config.Config
	w      protocol.Writer
	ctx    command.Ctx
	argv   [][]byte
	events []string
	// quiet drops notifications and keeps the command time still, so
	// that benchmarks measure the handlers alone.
	quiet bool
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, ks: keyspace.New(16), table: command.NewTable(), cfg: config.New()}
	str.Register(h.table)
	bitops.Register(h.table)
	h.ks.Hooks.Expired = func(db *keyspace.DB, key []byte) { h.Notify(command.EvExpired, "expired", key, db.ID) }
	h.ks.Now = time.Now().UnixMilli()
	return h
}

// Notify records an event as "event key".
func (h *harness) Notify(class command.Event, event string, key []byte, db int) {
	if !h.quiet {
		h.events = append(h.events, event+" "+string(key))
	}
}

func (h *harness) RecordError(string)                       {}
func (h *harness) Block(*command.Ctx, [][]byte, int64) bool { return false }
func (h *harness) SignalReady(int, []byte)                  {}

// do runs a command, checking its arity as the server does, and returns
// the reply bytes (valid until the next call).
func (h *harness) do(args ...string) []byte {
	h.argv = h.argv[:0]
	for _, a := range args {
		h.argv = append(h.argv, []byte(a))
	}
	return h.doArgs(h.argv)
}

func (h *harness) doArgs(argv [][]byte) []byte {
	h.w.Buf = h.w.Buf[:0]
	cmd := h.table.Lookup(argv[0])
	if cmd == nil {
		h.t.Fatalf("harness: no command %q", argv[0])
	}
	if !cmd.ArityOK(len(argv)) {
		h.w.Error("ERR wrong number of arguments for '" + cmd.FullName() + "' command")
		return h.w.Buf
	}
	if !h.quiet {
		h.ks.Now = time.Now().UnixMilli()
	}
	h.ctx = command.Ctx{Args: argv, Cmd: cmd, W: &h.w, KS: h.ks, DB: h.ks.DBs[0], Cfg: &h.cfg.Values, Srv: h}
	cmd.Handler(&h.ctx)
	return h.w.Buf
}

// plantOther creates a key holding a value of a kind other than string,
// for WRONGTYPE paths.
func (h *harness) plantOther(key string, kind keyspace.Kind) {
	h.ks.DBs[0].Add([]byte(key), kind, keyspace.EncInt, 0)
}
