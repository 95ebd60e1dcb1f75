package script

import (
	"testing"

	"github.com/redoubt-db/redoubt/protocol"
)

// benchHost answers GET with a bulk string and anything else with +OK,
// without recording: the replies of bench/run.sh's scripts phase.
type benchHost struct{}

func (benchHost) Call(r *Run, args [][]byte) []byte {
	if len(args[0]) == 3 && (args[0][0] == 'g' || args[0][0] == 'G') {
		return []byte("$5\r\nvalue\r\n")
	}
	return okReply
}

var okReply = []byte("+OK\r\n")

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
			k := keys[0]
			k[len(k)-1] = '0' + byte(i%10)
		}
		run = Run{Name: s.SHA, Eval: true, Resp: 2, Repl: ReplAll}
		vm.Eval(&w, &run, s, keys, argv)
	}
}

// The script of bench/run.sh's scripts phase: one GET, one SET.
func BenchmarkEvalGetSet(b *testing.B) {
	benchEval(b, getSetScript, [][]byte{[]byte("key:000000001234")}, [][]byte{[]byte("value")})
}
