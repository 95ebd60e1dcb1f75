package engine_test

import (
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/engine"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// host records what the engine hands on, in order, in one log.
type host struct {
	log     []string
	waited  map[string]bool
	bugs    []string
	onServe func(key string)
}

func (h *host) KeyChanged(db *keyspace.DB, key []byte) { h.log = append(h.log, "changed "+string(key)) }
func (h *host) Publish(class command.Event, event string, key []byte, db int) {
	h.log = append(h.log, "notify "+event+" "+string(key))
}
func (h *host) Waited(db int, key []byte) bool { return h.waited[string(key)] }
func (h *host) ServeReady(db int, key []byte) {
	h.log = append(h.log, "serve "+string(key))
	if h.onServe != nil {
		h.onServe(string(key))
	}
}
func (h *host) Block(*command.Ctx, [][]byte, int64) bool { return false }
func (h *host) RecordError(string)                       {}
func (h *host) Bug(cmd string, what any, stack []byte, fatal bool) {
	h.bugs = append(h.bugs, cmd)
}

// feed records the propagated stream.
type feed struct{ h *host }

func (f *feed) Feed(db int, args [][]byte) {
	var b strings.Builder
	b.WriteString("feed")
	for _, a := range args {
		b.WriteString(" " + string(a))
	}
	f.h.log = append(f.h.log, b.String())
}

type fixture struct {
	t   *testing.T
	h   *host
	e   *engine.Engine
	ks  *keyspace.Keyspace
	tab *command.Table
	cfg *config.Config
	w   protocol.Writer
	ctx command.Ctx
}

// newFixture has commands that exercise the effects: "write key" changes
// a key, notifies and is propagated; "pair k1 k2" writes two keys and
// propagates one extra command; "wake key" makes a key ready; "read key"
// changes nothing; "boom" and "boomro" panic (write and read-only).
func newFixture(t *testing.T) *fixture {
	f := &fixture{t: t, h: &host{waited: map[string]bool{}}, ks: keyspace.New(2), tab: command.NewTable(), cfg: config.New()}
	f.e = engine.New(f.ks, f.h)
	write := func(c *command.Ctx, key []byte) {
		c.DB.SetString(key, []byte("v"), false)
		c.Changed(key, command.EvString, "set")
	}
	f.tab.Handle("set", func(c *command.Ctx) { write(c, c.Args[1]); c.W.OK() })
	f.tab.Handle("mset", func(c *command.Ctx) {
		write(c, c.Args[1])
		c.AlsoPropagate([]byte("EXTRA"), c.Args[1])
		write(c, c.Args[3])
		c.W.OK()
	})
	f.tab.Handle("lpush", func(c *command.Ctx) { write(c, c.Args[1]); c.SignalReady(c.Args[1]); c.W.Int(1) })
	f.tab.Handle("get", func(c *command.Ctx) { c.DB.LookupRead(c.Args[1]); c.W.Null() })
	f.tab.Handle("append", func(*command.Ctx) { panic("write bug") })
	f.tab.Handle("strlen", func(*command.Ctx) { panic("read bug") })
	f.tab.Handle("exec", func(c *command.Ctx) {
		// EXEC runs its commands as nested calls.
		f.call("set", "x")
		f.call("set", "y")
		c.W.OK()
	})
	f.e.NotifyMask = ^command.Event(0)
	return f
}

func (f *fixture) call(args ...string) {
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd := f.tab.Lookup(argv[0])
	ctx := &command.Ctx{}
	if f.e.Depth() == 0 {
		ctx = &f.ctx
	}
	ctx.Reset(command.Ctx{Args: argv, Cmd: cmd, W: &f.w, KS: f.ks, DB: f.ks.DBs[0], Cfg: &f.cfg.Values, E: f.e})
	saved := f.e.Begin(nil, time.Now().UnixMilli(), false)
	f.e.Run(ctx)
	f.e.End(saved)
}

func (f *fixture) expect(want ...string) {
	f.t.Helper()
	if strings.Join(f.h.log, "\n") != strings.Join(want, "\n") {
		f.t.Fatalf("got:\n%s\nwant:\n%s", strings.Join(f.h.log, "\n"), strings.Join(want, "\n"))
	}
	f.h.log = nil
}

func TestEffectsFlushInOrder(t *testing.T) {
	f := newFixture(t)
	f.e.AddFeed(&feed{f.h}, command.ToAll)
	// Keys changed go at once; propagation, then notifications, when the
	// unit ends.
	f.call("set", "k")
	f.expect("changed k", "feed set k", "notify set k")
	// Several propagated commands are wrapped in MULTI/EXEC, the extra
	// command ahead of the call's own.
	f.call("mset", "a", "-", "b")
	f.expect("changed a", "changed b", "feed MULTI", "feed EXTRA a", "feed mset a - b", "feed EXEC",
		"notify set a", "notify set b")
	// EXEC's nested calls make one unit; EXEC itself is not propagated.
	f.call("exec")
	f.expect("changed x", "changed y", "feed MULTI", "feed set x", "feed set y", "feed EXEC",
		"notify set x", "notify set y")
	// A read changes nothing and propagates nothing.
	f.call("get", "k")
	f.expect()
}

func TestReadyKeysServedAfterTheUnit(t *testing.T) {
	f := newFixture(t)
	f.e.AddFeed(&feed{f.h}, command.ToAll)
	f.h.waited["q"] = true
	f.h.waited["q2"] = true
	// Serving q runs a unit that makes q2 ready: it is served after.
	f.h.onServe = func(key string) {
		if key == "q" {
			f.call("lpush", "q2")
		}
	}
	f.call("lpush", "q")
	f.expect("changed q", "feed lpush q", "notify set q", "serve q",
		"changed q2", "feed lpush q2", "notify set q2", "serve q2")
	// A key nobody waits for is not recorded.
	f.h.onServe = nil
	f.call("lpush", "nobody")
	f.expect("changed nobody", "feed lpush nobody", "notify set nobody")
}

func TestNothingRecordedWithoutFeeds(t *testing.T) {
	f := newFixture(t)
	f.call("mset", "a", "-", "b")
	f.expect("changed a", "changed b", "notify set a", "notify set b")
	remove := f.e.AddFeed(&feed{f.h}, command.ToReplicas)
	f.call("set", "c")
	f.expect("changed c", "feed set c", "notify set c")
	remove()
	f.call("set", "d")
	f.expect("changed d", "notify set d")
	if f.e.Propagating(command.ToAll) {
		t.Fatal("still propagating after the feed was removed")
	}
}

func TestExpiredKeysPropagateAsDeletions(t *testing.T) {
	f := newFixture(t)
	f.e.AddFeed(&feed{f.h}, command.ToAll)
	db := f.ks.DBs[0]
	id := db.SetString([]byte("old"), []byte("v"), false)
	db.SetExpire(id, 1)
	id = db.SetString([]byte("old2"), []byte("v"), false)
	db.SetExpire(id, 1)
	// Lazy expiry inside a command: the DEL goes first, in the unit.
	f.call("set", "old")
	f.expect("changed old", "changed old", "feed MULTI", "feed DEL old", "feed set old", "feed EXEC",
		"notify expired old", "notify set old")
	// The cron's units are never wrapped, and UNLINK follows
	// lazyfree-lazy-expire.
	f.e.LazyExpire = true
	f.e.Unit(time.Now().UnixMilli(), func() {
		db.Lookup([]byte("old2"), keyspace.Write)
		db.Lookup([]byte("absent"), 0)
	})
	f.expect("changed old2", "feed UNLINK old2", "notify expired old2", "notify keymiss absent")
}

type listener struct {
	name string
	log  *[]string
}

func (l *listener) BeforeChange(db *keyspace.DB, key []byte) {
	*l.log = append(*l.log, l.name+" change "+string(key))
}
func (l *listener) BeforeFlush(db *keyspace.DB) { *l.log = append(*l.log, l.name+" flush") }

func TestSeveralChangeListeners(t *testing.T) {
	f := newFixture(t)
	var log []string
	removeA := f.e.Listen(&listener{"a", &log})
	f.e.Listen(&listener{"b", &log})
	f.call("set", "k")
	f.ks.DBs[0].Flush(false)
	removeA()
	f.call("set", "j")
	want := "a change k|b change k|a flush|b flush|b change j"
	if got := strings.Join(log, "|"); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

func TestPanicInAWriteStopsTheServer(t *testing.T) {
	f := newFixture(t)
	// A read-only command's panic is answered with an error.
	f.call("strlen", "k")
	if !strings.HasPrefix(string(f.w.Buf), "-ERR internal error while running 'strlen'") {
		t.Fatalf("read-only panic replied %q", f.w.Buf)
	}
	// A write's panic is not recovered.
	defer func() {
		if r := recover(); r == nil {
			t.Fatal("a write command's panic was recovered")
		}
		if strings.Join(f.h.bugs, ",") != "strlen,append" {
			t.Fatalf("bugs logged: %v", f.h.bugs)
		}
	}()
	f.call("append", "k")
}

func TestLockOrBusy(t *testing.T) {
	f := newFixture(t)
	if !f.e.LockOrBusy() {
		t.Fatal("a free lock was refused")
	}
	got := make(chan bool)
	go func() { got <- f.e.LockOrBusy() }()
	select {
	case <-got:
		t.Fatal("LockOrBusy returned while the holder was not busy")
	case <-time.After(20 * time.Millisecond):
	}
	f.e.SetBusy()
	if <-got {
		t.Fatal("LockOrBusy took a lock whose holder is busy")
	}
	if f.e.LockOrBusy() {
		t.Fatal("LockOrBusy took a lock whose holder is busy")
	}
	f.e.Unlock()
	// Released, it is free for the next caller, busy no more.
	if !f.e.LockOrBusy() || f.e.Busy() {
		t.Fatal("the lock stayed busy after its holder released it")
	}
	f.e.Unlock()
}
