package expire_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
)

// Benchmarks of the handlers alone, in process, over 10000 keys. The
// zero-allocation check of these commands is in package keys's
// TestNoAllocs, whose harness runs every generic key command.

func benchCmds(b *testing.B, cmds ...[]string) {
	h := cmdtest.New(b, expire.Register)
	h.Quiet = true
	h.Clock.T = now
	fill(h.DB, "key:", 10000, now+100000)
	var calls [][][]byte
	for _, c := range cmds {
		calls = append(calls, cmdtest.Args(c...))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range calls {
			h.DoArgs(c)
		}
	}
}

func BenchmarkExpire(b *testing.B) {
	benchCmds(b, []string{"expire", "key:123", "1000"})
}

func BenchmarkPexpireatGT(b *testing.B) {
	benchCmds(b, []string{"pexpireat", "key:123", strconv.Itoa(now + 200000), "gt"})
}

func BenchmarkTTL(b *testing.B) {
	benchCmds(b, []string{"ttl", "key:123"})
}

func BenchmarkPersistExpire(b *testing.B) {
	benchCmds(b, []string{"persist", "key:123"}, []string{"pexpire", "key:123", "100000"})
}

func BenchmarkCycle(b *testing.B) {
	ks := newKeyspace()
	fill(ks.DBs[0], "key:", 100000, now+100000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		expire.Cycle(ks, expire.Params{Effort: 1, Hz: 10, Now: now})
	}
}
