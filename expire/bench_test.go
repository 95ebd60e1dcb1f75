package expire_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/protocol"
)

// Benchmarks of the handlers alone, in process, over 10000 keys. The
// zero-allocation check of these commands is in package keys's
// TestNoAllocs, whose harness runs every generic key command.

type nopServer struct{}

func (nopServer) Notify(command.Event, string, []byte, int) {}
func (nopServer) RecordError(string)                        {}
func (nopServer) Block(*command.Ctx, [][]byte, int64) bool  { return false }
func (nopServer) SignalReady(int, []byte)                   {}

func benchCmds(b *testing.B, cmds ...[]string) {
	ks := newKeyspace()
	fill(ks.DBs[0], "key:", 10000, now+100000)
	t := command.NewTable()
	expire.Register(t)
	cfg := config.New()
	var w protocol.Writer
	var ctx command.Ctx
	type call struct {
		cmd  *command.Command
		args [][]byte
	}
	var calls []call
	for _, c := range cmds {
		var args [][]byte
		for _, a := range c {
			args = append(args, []byte(a))
		}
		calls = append(calls, call{t.Lookup(args[0]), args})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		for _, c := range calls {
			w.Buf = w.Buf[:0]
			ctx = command.Ctx{Args: c.args, Cmd: c.cmd, W: &w, KS: ks, DB: ks.DBs[0], Cfg: &cfg.Values, Srv: nopServer{}}
			c.cmd.Handler(&ctx)
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
