package script

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/protocol"
)

// benchHost answers GET with a bulk string and anything else with +OK,
// without recording: the replies of bench/run.sh's scripts phase.
type benchHost struct{}

func (benchHost) Call(r *Run, args [][]byte) []byte {
	if len(args[0]) == 3 && (args[0][0] == 'g' || args[0][0] == 'G') {
		return valueReply
	}
	return okReply
}

var okReply, valueReply = []byte("+OK\r\n"), []byte("$5\r\nvalue\r\n")

func (benchHost) Interrupt(r *Run) {}
func (benchHost) Log(int, string)  {}

const getSetScript = "local v = redis.call('get', KEYS[1]) redis.call('set', KEYS[1], ARGV[1]) return v"

// benchEval runs body b.N times; keys[0] changes from run to run, as
// redis-benchmark's __rand_int__ does.
func benchEval(b *testing.B, body string, keys, argv [][]byte) {
	vm := New(benchHost{})
	s, msg := vm.Create([]byte(body))
	if s == nil {
		b.Fatal(msg)
	}
	w := protocol.Writer{Resp: 2}
	run := Run{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w.Buf = w.Buf[:0]
		if len(keys) > 0 {
			// One of 10,000 keys, as the bench's -r 10000.
			k := keys[0]
			n := i * 7919 % 10000
			for j := 1; j <= 4; j++ {
				k[len(k)-j] = '0' + byte(n%10)
				n /= 10
			}
		}
		run = Run{Name: s.SHA, Eval: true, Resp: 2, Repl: ReplAll}
		vm.Eval(&w, &run, s, keys, argv)
	}
}

// The script of bench/run.sh's scripts phase: one GET, one SET.
func BenchmarkEvalGetSet(b *testing.B) {
	benchEval(b, getSetScript, [][]byte{[]byte("key:000000001234")}, [][]byte{[]byte("value")})
}

// The common path of a short script allocates only the Lua strings of
// its arguments that were not seen lately: a status reply nobody reads
// is not converted, and short strings are shared (strCache). A script
// reading its reply builds it as Redis does.
func TestEvalAllocations(t *testing.T) {
	vm := New(benchHost{})
	for _, c := range []struct {
		body    string
		newKey  bool
		allowed float64
	}{
		// The bench's script on a key seen before: nothing.
		{getSetScript, false, 0},
		// On a new key each time: KEYS[1]'s string and its box.
		{getSetScript, true, 2},
		// A status reply read by the script: its table {ok = ...}.
		{"return redis.call('set', KEYS[1], ARGV[1])", false, 8},
	} {
		s, msg := vm.Create([]byte(c.body))
		if s == nil {
			t.Fatal(msg)
		}
		w := protocol.Writer{Resp: 2}
		keys := [][]byte{make([]byte, 0, 32)}
		keys[0] = append(keys[0], "key:000000000000"...)
		argv := [][]byte{[]byte("value")}
		i := 0
		run := Run{}
		got := testing.AllocsPerRun(1000, func() {
			w.Buf = w.Buf[:0]
			if c.newKey {
				i++
				keys[0] = strconv.AppendInt(keys[0][:4], int64(100000000+i), 10)
			}
			run = Run{Name: s.SHA, Eval: true, Resp: 2, Repl: ReplAll}
			vm.Eval(&w, &run, s, keys, argv)
		})
		if got > c.allowed {
			t.Errorf("%q (new key %v): %.1f allocations per run, want at most %.0f", c.body, c.newKey, got, c.allowed)
		}
	}
}
