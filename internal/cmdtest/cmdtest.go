// Package cmdtest runs command handlers in process, without the server: a
// keyspace, a command table and a command.Engine that records keyspace
// notifications and the propagated commands. Tests use it where the
// network server cannot help: to see notifications and propagation, to
// plant values, and to measure the handlers alone (allocations,
// benchmarks).
package cmdtest

import (
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Harness is a keyspace of 16 databases with the commands of the
// packages given to New.
type Harness struct {
	T     testing.TB
	KS    *keyspace.Keyspace
	Table *command.Table
	Cfg   *config.Config
	// DB is the database commands run in (SELECT switches it).
	DB  *keyspace.DB
	W   protocol.Writer
	Ctx command.Ctx
	// Events has a line "event key" per notification, or "db event key"
	// with EventDB, as Redis's keyevent channels name them.
	Events  []string
	EventDB bool
	// Propagated has a line per command propagated, its arguments
	// joined by spaces, lazy deletions first, as the engine orders them.
	Propagated []string
	// Quiet drops notifications and propagation and keeps the command
	// time still, so that allocation tests and benchmarks see the
	// handlers alone.
	Quiet bool
	// Clock is the keyspace's time: T is the time of the next command
	// (set before each unless Quiet).
	Clock keyspace.Clock
	argv  [][]byte
}

// New returns a harness whose table has the commands each register
// function adds (str.Register, keys.Register, ...).
func New(t testing.TB, register ...func(*command.Table)) *Harness {
	h := &Harness{T: t, KS: keyspace.New(16), Table: command.NewTable(), Cfg: config.New()}
	for _, r := range register {
		r(h.Table)
	}
	h.DB = h.KS.DBs[0]
	h.Clock.OnExpired = func(db *keyspace.DB, key []byte) {
		h.Notify(command.EvExpired, "expired", key, db.ID)
		h.Propagate(db.ID, command.ToAll, []byte("DEL"), key)
	}
	h.Clock.T = time.Now().UnixMilli()
	h.KS.SetEnv(&h.Clock)
	return h
}

// KeyChanged implements command.Engine.
func (h *Harness) KeyChanged(*keyspace.DB, []byte) {}

// Propagating implements command.Engine: the harness records
// propagation unless it is quiet.
func (h *Harness) Propagating(command.Target) bool { return !h.Quiet }

// Propagate implements command.Engine: it records the command in
// Propagated unless the harness is quiet.
func (h *Harness) Propagate(db int, target command.Target, args ...[]byte) {
	if h.Quiet {
		return
	}
	line := ""
	for i, a := range args {
		if i > 0 {
			line += " "
		}
		line += string(a)
	}
	h.Propagated = append(h.Propagated, line)
}

// Notify records an event in Events unless the harness is quiet.
func (h *Harness) Notify(class command.Event, event string, key []byte, db int) {
	if h.Quiet {
		return
	}
	line := event + " " + string(key)
	if h.EventDB {
		line = strconv.Itoa(db) + " " + line
	}
	h.Events = append(h.Events, line)
}

// RecordError implements command.Engine.
func (h *Harness) RecordError(string) {}

// Block implements command.Engine: nothing blocks in process, as inside
// MULTI.
func (h *Harness) Block(*command.Ctx, [][]byte, int64) bool { return false }

// SignalReady implements command.Engine.
func (h *Harness) SignalReady(int, []byte) {}

// Do runs a command and returns its reply, valid until the next call.
// SELECT, which is the server's, switches the harness's database.
func (h *Harness) Do(args ...string) []byte {
	h.argv = h.argv[:0]
	for _, a := range args {
		h.argv = append(h.argv, []byte(a))
	}
	if command.EqualFold(h.argv[0], "select") {
		n, _ := strconv.Atoi(args[1])
		h.DB = h.KS.DBs[n]
		return []byte("+OK\r\n")
	}
	return h.DoArgs(h.argv)
}

// DoArgs is Do for a command split in advance, so that benchmarks and
// allocation tests measure the handler and not the conversion. A wrong
// number of arguments gets the server's error reply; an unknown command
// fails the test.
func (h *Harness) DoArgs(argv [][]byte) []byte {
	h.W.Buf = h.W.Buf[:0]
	cmd := h.Table.Lookup(argv[0])
	if cmd == nil {
		h.T.Fatalf("cmdtest: no command %q", argv[0])
	}
	if cmd.Subs != nil && len(argv) > 1 {
		cmd = cmd.LookupSub(argv[1])
		if cmd == nil {
			h.T.Fatalf("cmdtest: no subcommand %q", argv[:2])
		}
	}
	if !cmd.ArityOK(len(argv)) {
		h.W.Error("ERR wrong number of arguments for '" + cmd.FullName() + "' command")
		return h.W.Buf
	}
	if !h.Quiet {
		h.Clock.T = time.Now().UnixMilli()
	}
	h.Ctx.Reset(command.Ctx{Args: argv, Cmd: cmd, W: &h.W, KS: h.KS, DB: h.DB, Cfg: &h.Cfg.Values, E: h})
	cmd.Handler(&h.Ctx)
	if target, args := h.Ctx.Propagation(); target != 0 {
		h.Propagate(h.DB.ID, target, args...)
	}
	return h.W.Buf
}

// Args splits a command in advance for DoArgs.
func Args(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}
