package zset_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/intset"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/zset"
)

// harness runs the sorted set handlers in process, so that tests can
// plant sets, which no package of this tree creates yet, built as the set
// package will build them.
type harness struct {
	t      *testing.T
	ks     *keyspace.Keyspace
	table  *command.Table
	cfg    *config.Config
	w      protocol.Writer
	ctx    command.Ctx
	events []string
	// quiet drops notifications, so that allocation tests see the
	// handlers' allocations alone.
	quiet bool
}

func newHarness(t *testing.T) *harness {
	h := &harness{t: t, ks: keyspace.New(16), table: command.NewTable(), cfg: config.New()}
	zset.Register(h.table)
	return h
}

func (h *harness) Notify(class command.Event, event string, key []byte, db int) {
	if !h.quiet {
		h.events = append(h.events, event+" "+string(key))
	}
}
func (h *harness) RecordError(string)                       {}
func (h *harness) Block(*command.Ctx, [][]byte, int64) bool { return false }
func (h *harness) SignalReady(int, []byte)                  {}

func (h *harness) do(args ...string) []byte {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	return bytes.Clone(h.doArgs(argv))
}

// doArgs runs a command and returns its reply, valid until the next call.
func (h *harness) doArgs(argv [][]byte) []byte {
	h.w.Buf = h.w.Buf[:0]
	cmd := h.table.Lookup(argv[0])
	h.ctx = command.Ctx{Args: argv, Cmd: cmd, W: &h.w, KS: h.ks, DB: h.ks.DBs[0], Cfg: &h.cfg.Values, Srv: h}
	cmd.Handler(&h.ctx)
	return h.w.Buf
}

// plantIntset stores an intset-encoded set.
func (h *harness) plantIntset(key string, members ...int64) {
	is := intset.New()
	for _, m := range members {
		is, _ = intset.Add(is, m)
	}
	h.ks.DBs[0].Add([]byte(key), keyspace.KindSet, keyspace.EncIntset, uint64(h.ks.Arena.New(is)))
}

// plantTable stores a hashtable-encoded set.
func (h *harness) plantTable(key string, members ...string) {
	d := dict.New(h.ks.Arena)
	for _, m := range members {
		d.Insert([]byte(m))
	}
	h.ks.DBs[0].Add([]byte(key), keyspace.KindSet, keyspace.EncHashtable, h.ks.NewObject(d))
}

// TestSetInputsMatchRedis builds the same sets in Redis (with SADD) and
// in process, and compares the set operations' replies.
func TestSetInputsMatchRedis(t *testing.T) {
	redis := difftest.Dial(t, difftest.StartRedis(t))
	h := newHarness(t)
	redis.Do("sadd", "iset", "1", "2", "3", "-5", "100000")
	h.plantIntset("iset", 1, 2, 3, -5, 100000)
	redis.Do("sadd", "hset", "a", "b", "2", "c")
	h.plantTable("hset", "a", "b", "2", "c")
	script := `
zadd z 5 a 7 2 9 x
zunion 3 iset hset z withscores
zunion 2 iset hset weights 2 3 aggregate max withscores
zinter 2 hset z withscores
zinter 2 iset z withscores
zinter 2 iset iset weights 1 2 withscores
zinter 2 iset hset withscores
zintercard 2 iset hset
zintercard 2 hset z limit 1
zdiff 2 iset z withscores
zdiff 2 hset iset withscores
zdiff 2 z hset withscores
zdiff 2 z iset withscores
zdiff 2 iset iset
zunionstore d 2 iset hset
zrange d 0 -1 withscores
zinterstore d 2 z hset weights 1 10
zrange d 0 -1 withscores
zdiffstore d 2 hset z
zrange d 0 -1 withscores
zrange iset 0 -1
zscore hset a
`
	for _, line := range strings.Split(script, "\n") {
		if line == "" {
			continue
		}
		args := strings.Fields(line)
		want := redis.Do(args...)
		if got := h.do(args...); !bytes.Equal(got, want) {
			t.Errorf("%s\n redis:   %q\n redoubt: %q", line, want, got)
		}
	}
	h.events = nil
	h.do("zunionstore", "new", "1", "iset")
	if got := strings.Join(h.events, ","); got != "new new,zunionstore new" {
		t.Errorf("ZUNIONSTORE into a new key fired %q", got)
	}
}
