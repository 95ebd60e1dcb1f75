package str_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
)

// hotCommands are the commands whose steady state must not allocate. The
// bit commands are here too: the harness has both tables.
var hotCommands = []struct {
	name  string
	setup [][]string
	cmd   []string
}{
	{"GET", [][]string{{"set", "k", "some value"}}, []string{"get", "k"}},
	{"GET-int", [][]string{{"set", "k", "123456"}}, []string{"get", "k"}},
	{"GET-missing", nil, []string{"get", "nokey"}},
	{"SET", nil, []string{"set", "k", "some value"}},
	{"SET-int", nil, []string{"set", "k", "123456"}},
	{"SET-raw", nil, []string{"set", "k", "a value that is longer than forty-four bytes, so raw"}},
	{"SET-EX", nil, []string{"set", "k", "v", "ex", "100"}},
	{"SET-GET", [][]string{{"set", "k", "v"}}, []string{"set", "k", "v", "get"}},
	{"INCR", nil, []string{"incr", "counter"}},
	{"INCRBY", nil, []string{"incrby", "counter", "-3"}},
	{"MGET", [][]string{{"mset", "a", "1", "b", "two"}}, []string{"mget", "a", "b", "c"}},
	{"APPEND", [][]string{{"set", "k", "x"}}, []string{"append", "k", "y"}},
	{"SETBIT", [][]string{{"setbit", "bm", "1000", "1"}}, []string{"setbit", "bm", "77", "1"}},
	{"GETBIT", [][]string{{"setbit", "bm", "1000", "1"}}, []string{"getbit", "bm", "77"}},
	{"BITCOUNT", [][]string{{"setbit", "bm", "1000", "1"}}, []string{"bitcount", "bm", "1", "100"}},
	{"BITPOS", [][]string{{"setbit", "bm", "1000", "1"}}, []string{"bitpos", "bm", "1", "0", "-1", "bit"}},
	{"BITFIELD", [][]string{{"setbit", "bm", "1000", "1"}}, []string{"bitfield", "bm", "incrby", "u8", "#3", "1", "get", "i16", "40"}},
}

// prepare runs the setup and returns the command as arguments, ready to
// be run repeatedly.
func prepare(h *cmdtest.Harness, setup [][]string, cmd []string) [][]byte {
	for _, s := range setup {
		h.Do(s...)
	}
	argv := make([][]byte, len(cmd))
	for i, a := range cmd {
		argv[i] = []byte(a)
	}
	return argv
}

// TestHotPathsDoNotAllocate checks that GET, SET, INCR, the bit commands
// on existing keys and their friends run without a single Go allocation once the reply buffer and the arena have
// warmed up.
func TestHotPathsDoNotAllocate(t *testing.T) {
	for _, hc := range hotCommands {
		if hc.name == "APPEND" {
			continue // grows the value: covered by the benchmark only
		}
		t.Run(hc.name, func(t *testing.T) {
			h := newHarness(t)
			h.Quiet = true
			argv := prepare(h, hc.setup, hc.cmd)
			for i := 0; i < 10; i++ {
				h.DoArgs(argv)
			}
			if n := testing.AllocsPerRun(1000, func() { h.DoArgs(argv) }); n != 0 {
				t.Errorf("%s allocates %v times per call", hc.name, n)
			}
		})
	}
}

func BenchmarkCommands(b *testing.B) {
	for _, hc := range hotCommands {
		b.Run(hc.name, func(b *testing.B) {
			h := newHarness(b)
			h.Quiet = true
			argv := prepare(h, hc.setup, hc.cmd)
			h.DoArgs(argv)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				h.DoArgs(argv)
			}
		})
	}
}

func BenchmarkIncrbyfloat(b *testing.B) {
	h := newHarness(b)
	h.Quiet = true
	argv := prepare(h, [][]string{{"set", "f", "10.5"}}, []string{"incrbyfloat", "f", "0.1"})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.DoArgs(argv)
	}
}

func BenchmarkLCS(b *testing.B) {
	h := newHarness(b)
	h.Quiet = true
	argv := prepare(h, [][]string{{"mset", "a", "ohmytext-with-some-more-words", "b", "mynewtext-with-other-words"}},
		[]string{"lcs", "a", "b", "idx", "withmatchlen"})
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		h.DoArgs(argv)
	}
}
