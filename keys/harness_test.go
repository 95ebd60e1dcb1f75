package keys_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/str"
)

// harness runs the handlers in process, without the server: a keyspace,
// the command table and a command.Server that records keyspace
// notifications, which the network server does not deliver yet. Tests
// use it to compare notifications with Redis's and to measure the
// handlers alone.
type harness struct {
	t     testing.TB
	ks    *keyspace.Keyspace
	table *command.Table
	cfg   *config.Config
	db    *keyspace.DB
	w     protocol.Writer
	ctx   command.Ctx
	argv  [][]byte
	// record turns on the recording of notifications in events.
	record bool
	events []string
}

func newHarness(t testing.TB) *harness {
	h := &harness{t: t, ks: keyspace.New(16), table: command.NewTable(), cfg: config.New()}
	keys.Register(h.table)
	expire.Register(h.table)
	str.Register(h.table)
	h.db = h.ks.DBs[0]
	h.ks.Hooks.Expired = func(db *keyspace.DB, key []byte) { h.Notify(command.EvExpired, "expired", key, db.ID) }
	h.ks.Now = time.Now().UnixMilli()
	return h
}

// Notify records an event as "db event key", as Redis's keyevent
// channels name them.
func (h *harness) Notify(class command.Event, event string, key []byte, db int) {
	if !h.record {
		return
	}
	h.events = append(h.events, strconv.Itoa(db)+" "+event+" "+string(key))
}

func (h *harness) RecordError(string)                       {}
func (h *harness) Block(*command.Ctx, [][]byte, int64) bool { return false }
func (h *harness) SignalReady(int, []byte)                  {}

// do runs a command at the current time and returns its reply, valid
// until the next call. SELECT, which is the server's, just switches the
// harness's database.
func (h *harness) do(args ...string) []byte {
	h.ks.Now = time.Now().UnixMilli()
	h.argv = h.argv[:0]
	for _, a := range args {
		h.argv = append(h.argv, []byte(a))
	}
	if args[0] == "select" {
		n, _ := strconv.Atoi(args[1])
		h.db = h.ks.DBs[n]
		return []byte("+OK\r\n")
	}
	return h.doArgs(h.argv)
}

func (h *harness) doArgs(argv [][]byte) []byte {
	h.w.Buf = h.w.Buf[:0]
	cmd := h.table.Lookup(argv[0])
	if cmd == nil {
		h.t.Fatalf("harness: no command %q", argv[0])
	}
	if cmd.Subs != nil {
		cmd = cmd.LookupSub(argv[1])
	}
	if !cmd.ArityOK(len(argv)) {
		h.t.Fatalf("harness: bad arity for %q", argv)
	}
	h.ctx = command.Ctx{Args: argv, Cmd: cmd, W: &h.w, KS: h.ks, DB: h.db, Cfg: &h.cfg.Values, Srv: h}
	cmd.Handler(&h.ctx)
	return h.w.Buf
}

// argv pre-splits a command for benchmarks, so that they measure the
// handler and not the conversion.
func argv(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// TestNoAllocs: in steady state the common commands allocate nothing on
// the Go heap (keys and values live in the arena).
func TestNoAllocs(t *testing.T) {
	h := newHarness(t)
	for i := 0; i < 1000; i++ {
		h.do("set", "key:"+strconv.Itoa(i), "value")
	}
	h.do("set", "a", "hello")
	h.do("set", "n", "12")
	h.do("expire", "n", "1000")
	for _, tc := range []struct {
		name string
		cmds [][][]byte
	}{
		{"exists", [][][]byte{argv("exists", "a", "nokey", "n")}},
		{"type", [][][]byte{argv("type", "a")}},
		{"touch", [][][]byte{argv("touch", "a", "n")}},
		{"dbsize", [][][]byte{argv("dbsize")}},
		{"randomkey", [][][]byte{argv("randomkey")}},
		{"object", [][][]byte{argv("object", "encoding", "a"), argv("object", "refcount", "n")}},
		{"rename", [][][]byte{argv("rename", "a", "b"), argv("rename", "b", "a")}},
		{"renamenx", [][][]byte{argv("renamenx", "a", "b"), argv("renamenx", "b", "a")}},
		{"move", [][][]byte{argv("move", "a", "1"), argv("select", "1"), argv("move", "a", "0"), argv("select", "0")}},
		{"copy", [][][]byte{argv("copy", "a", "c", "replace"), argv("copy", "n", "c", "db", "2", "replace")}},
		{"del", [][][]byte{argv("del", "c"), argv("unlink", "c"), argv("set", "c", "v")}},
		{"scan", [][][]byte{argv("scan", "0", "count", "20"), argv("scan", "0", "match", "key:1*", "type", "string")}},
		{"keys", [][][]byte{argv("keys", "key:99*")}},
		{"expire", [][][]byte{argv("expire", "a", "100"), argv("pexpireat", "a", "4102444800000", "gt")}},
		{"ttl", [][][]byte{argv("ttl", "n"), argv("pttl", "n"), argv("expiretime", "n"), argv("pexpiretime", "a")}},
		{"persist", [][][]byte{argv("persist", "a"), argv("pexpire", "a", "100000")}},
	} {
		run := func() {
			for _, c := range tc.cmds {
				if string(c[0]) == "select" {
					h.db = h.ks.DBs[c[1][0]-'0']
					continue
				}
				h.doArgs(c)
			}
		}
		run() // warm the pools and buffers
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("%s: %v allocations per run", tc.name, n)
		}
	}
}

// Notifications are compared with the events the real Redis publishes:
// see notify_test.go.

func benchCmd(b *testing.B, setup func(h *harness), cmds ...[][]byte) {
	h := newHarness(b)
	if setup != nil {
		setup(h)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range cmds {
			h.doArgs(c)
		}
	}
}

func populate(n int) func(h *harness) {
	return func(h *harness) {
		for i := 0; i < n; i++ {
			h.do("set", "key:"+strconv.Itoa(i), "value")
		}
	}
}

func BenchmarkExists(b *testing.B) {
	benchCmd(b, populate(10000), argv("exists", "key:123"))
}

func BenchmarkType(b *testing.B) {
	benchCmd(b, populate(10000), argv("type", "key:123"))
}

func BenchmarkDelSet(b *testing.B) {
	benchCmd(b, populate(10000), argv("del", "key:123"), argv("set", "key:123", "value"))
}

func BenchmarkRename(b *testing.B) {
	benchCmd(b, populate(10000), argv("rename", "key:123", "other"), argv("rename", "other", "key:123"))
}

func BenchmarkCopy(b *testing.B) {
	benchCmd(b, populate(10000), argv("copy", "key:123", "other", "replace"))
}

// BenchmarkScan iterates over 10000 keys, 10 at a time, wrapping around.
func BenchmarkScan(b *testing.B) {
	h := newHarness(b)
	populate(10000)(h)
	args := argv("scan", "0")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := h.doArgs(args)
		// "*2\r\n$<len>\r\n<cursor>\r\n...": the cursor is the fourth line's
		// start, after the array and bulk headers.
		r = r[bytes.IndexByte(r, '\n')+1:]
		r = r[bytes.IndexByte(r, '\n')+1:]
		args[1] = append(args[1][:0], r[:bytes.IndexByte(r, '\r')]...)
	}
}

func BenchmarkKeysPattern(b *testing.B) {
	benchCmd(b, populate(1000), argv("keys", "key:1?"))
}

func BenchmarkRandomkey(b *testing.B) {
	benchCmd(b, populate(10000), argv("randomkey"))
}
