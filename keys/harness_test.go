package keys_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/types/str"
)

// newHarness runs the generic key commands, and the string commands to
// make keys, in process; events are "db event key" as Redis's keyevent
// channels name them.
func newHarness(t testing.TB) *cmdtest.Harness {
	h := cmdtest.New(t, keys.Register, expire.Register, str.Register)
	h.EventDB = true
	return h
}

// TestNoAllocs: in steady state the common commands allocate nothing on
// the Go heap (keys and values live in the arena).
func TestNoAllocs(t *testing.T) {
	h := newHarness(t)
	h.Quiet = true
	for i := 0; i < 1000; i++ {
		h.Do("set", "key:"+strconv.Itoa(i), "value")
	}
	h.Do("set", "a", "hello")
	h.Do("set", "n", "12")
	h.Do("expire", "n", "1000")
	for _, tc := range []struct {
		name string
		cmds [][][]byte
	}{
		{"exists", [][][]byte{cmdtest.Args("exists", "a", "nokey", "n")}},
		{"type", [][][]byte{cmdtest.Args("type", "a")}},
		{"touch", [][][]byte{cmdtest.Args("touch", "a", "n")}},
		{"dbsize", [][][]byte{cmdtest.Args("dbsize")}},
		{"randomkey", [][][]byte{cmdtest.Args("randomkey")}},
		{"object", [][][]byte{cmdtest.Args("object", "encoding", "a"), cmdtest.Args("object", "refcount", "n")}},
		{"rename", [][][]byte{cmdtest.Args("rename", "a", "b"), cmdtest.Args("rename", "b", "a")}},
		{"renamenx", [][][]byte{cmdtest.Args("renamenx", "a", "b"), cmdtest.Args("renamenx", "b", "a")}},
		{"move", [][][]byte{cmdtest.Args("move", "a", "1"), cmdtest.Args("select", "1"), cmdtest.Args("move", "a", "0"), cmdtest.Args("select", "0")}},
		{"copy", [][][]byte{cmdtest.Args("copy", "a", "c", "replace"), cmdtest.Args("copy", "n", "c", "db", "2", "replace")}},
		{"del", [][][]byte{cmdtest.Args("del", "c"), cmdtest.Args("unlink", "c"), cmdtest.Args("set", "c", "v")}},
		{"scan", [][][]byte{cmdtest.Args("scan", "0", "count", "20"), cmdtest.Args("scan", "0", "match", "key:1*", "type", "string")}},
		{"keys", [][][]byte{cmdtest.Args("keys", "key:99*")}},
		{"expire", [][][]byte{cmdtest.Args("expire", "a", "100"), cmdtest.Args("pexpireat", "a", "4102444800000", "gt")}},
		{"ttl", [][][]byte{cmdtest.Args("ttl", "n"), cmdtest.Args("pttl", "n"), cmdtest.Args("expiretime", "n"), cmdtest.Args("pexpiretime", "a")}},
		{"persist", [][][]byte{cmdtest.Args("persist", "a"), cmdtest.Args("pexpire", "a", "100000")}},
	} {
		run := func() {
			for _, c := range tc.cmds {
				if string(c[0]) == "select" {
					h.DB = h.KS.DBs[c[1][0]-'0']
					continue
				}
				h.DoArgs(c)
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

func benchCmd(b *testing.B, setup func(h *cmdtest.Harness), cmds ...[][]byte) {
	h := newHarness(b)
	h.Quiet = true
	if setup != nil {
		setup(h)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range cmds {
			h.DoArgs(c)
		}
	}
}

func populate(n int) func(h *cmdtest.Harness) {
	return func(h *cmdtest.Harness) {
		for i := 0; i < n; i++ {
			h.Do("set", "key:"+strconv.Itoa(i), "value")
		}
	}
}

func BenchmarkExists(b *testing.B) {
	benchCmd(b, populate(10000), cmdtest.Args("exists", "key:123"))
}

func BenchmarkType(b *testing.B) {
	benchCmd(b, populate(10000), cmdtest.Args("type", "key:123"))
}

func BenchmarkDelSet(b *testing.B) {
	benchCmd(b, populate(10000), cmdtest.Args("del", "key:123"), cmdtest.Args("set", "key:123", "value"))
}

func BenchmarkRename(b *testing.B) {
	benchCmd(b, populate(10000), cmdtest.Args("rename", "key:123", "other"), cmdtest.Args("rename", "other", "key:123"))
}

func BenchmarkCopy(b *testing.B) {
	benchCmd(b, populate(10000), cmdtest.Args("copy", "key:123", "other", "replace"))
}

// BenchmarkScan iterates over 10000 keys, 10 at a time, wrapping around.
func BenchmarkScan(b *testing.B) {
	h := newHarness(b)
	h.Quiet = true
	populate(10000)(h)
	args := cmdtest.Args("scan", "0")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := h.DoArgs(args)
		// "*2\r\n$<len>\r\n<cursor>\r\n...": the cursor is the fourth line's
		// start, after the array and bulk headers.
		r = r[bytes.IndexByte(r, '\n')+1:]
		r = r[bytes.IndexByte(r, '\n')+1:]
		args[1] = append(args[1][:0], r[:bytes.IndexByte(r, '\r')]...)
	}
}

func BenchmarkKeysPattern(b *testing.B) {
	benchCmd(b, populate(1000), cmdtest.Args("keys", "key:1?"))
}

func BenchmarkRandomkey(b *testing.B) {
	benchCmd(b, populate(10000), cmdtest.Args("randomkey"))
}
