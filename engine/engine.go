package engine

import (
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Host is what the engine hands a unit's effects to: the server.
type Host interface {
	// KeyChanged flags WATCHers of key and invalidates client-side
	// caches of it (Redis's signalModifiedKey).
	KeyChanged(db *keyspace.DB, key []byte)
	// Publish sends a keyspace notification to its subscribers.
	Publish(class command.Event, event string, key []byte, db int)
	// Waited reports whether a client is blocked on key in db.
	Waited(db int, key []byte) bool
	// ServeReady serves the clients blocked on key in db, which became
	// ready; each served command is a unit of its own.
	ServeReady(db int, key []byte)
	// Block suspends the calling client on keys (command.Ctx.Block).
	Block(c *command.Ctx, keys [][]byte, deadline int64) bool
	// RecordError counts an error reply in INFO errorstats.
	RecordError(msg string)
	// Bug logs a panic in command cmd. When fatal the command may have
	// changed the dataset half-way, and the engine stops the process
	// once Bug returns.
	Bug(cmd string, what any, stack []byte, fatal bool)
}

// Feed receives the propagated stream: the AOF, the replicas.
type Feed interface {
	// Feed appends a command of database db. args is valid during the
	// call only.
	Feed(db int, args [][]byte)
}

// Engine runs commands; see the package comment.
type Engine struct {
	lock *lock
	ks   *keyspace.Keyspace
	host Host

	// The running unit.
	now     int64
	noTouch bool
	client  any
	depth   int
	// noMulti: the unit's propagated commands are not wrapped in
	// MULTI/EXEC (a top-level SCAN or RANDOMKEY, the cron's units).
	noMulti bool
	// serving is set while Flush serves ready keys, so that the units it
	// runs leave that to it.
	serving bool
	// unitStart is when the running unit began, for a watchdog; it is
	// kept only while watched is set (see Watch).
	unitStart atomic.Int64
	// skew moves the time units see away from the wall clock (Unix ms):
	// SetSkew, for tests that travel in time.
	skew    atomic.Int64
	watched bool

	// Dirty counts the changes made since start (Redis's server.dirty).
	Dirty int64
	// NotifyMask is notify-keyspace-events as classes: other events are
	// not recorded.
	NotifyMask command.Event
	// LazyExpire propagates the deletion of expired keys as UNLINK
	// (lazyfree-lazy-expire).
	LazyExpire bool
	// Loading is set while the server loads its data: nothing is
	// propagated (the data came from where it would go).
	Loading bool
	// ReplMask limits where the running unit's commands are propagated;
	// a script narrows it with redis.set_repl. Begin of a new unit
	// resets it to ToAll.
	ReplMask command.Target

	sink      sink
	listeners []keyspace.ChangeListener
	feeds     []feed
	// targets is the union of the feeds' targets: nothing is recorded
	// for a target no feed wants (Redis's shouldPropagate).
	targets command.Target
}

type feed struct {
	f      Feed
	target command.Target
}

// New returns the engine of ks, reporting to host, and connects the
// keyspace to it.
func New(ks *keyspace.Keyspace, host Host) *Engine {
	e := &Engine{lock: newLock(), ks: ks, host: host, ReplMask: command.ToAll}
	ks.SetEnv(e)
	return e
}

// Lock takes the engine lock, waiting as long as it takes.
func (e *Engine) Lock() { e.lock.Lock() }

// Unlock releases the engine lock.
func (e *Engine) Unlock() { e.lock.Unlock() }

// LockOrBusy takes the engine lock and returns true, or returns false
// without it when the holder is busy (see SetBusy).
func (e *Engine) LockOrBusy() bool { return e.lock.LockOrBusy() }

// SetBusy declares that the lock's holder will keep it for long (a
// script past busy-reply-threshold): LockOrBusy callers stop waiting.
func (e *Engine) SetBusy() { e.lock.SetBusy() }

// Do runs fn under the engine lock: at once when the lock is free or
// held for a short while, or, when its holder is a busy script, by that
// holder between two of its instructions (Poll). The caller must not
// hold the lock.
func (e *Engine) Do(fn func()) { e.lock.Do(fn) }

// Poll runs the functions other goroutines handed over with Do; a busy
// holder of the lock calls it from time to time.
func (e *Engine) Poll() { e.lock.Poll() }

// Busy reports whether the holder of the lock has declared itself busy.
func (e *Engine) Busy() bool { return e.lock.Busy() }

// Keyspace returns the dataset the engine runs on.
func (e *Engine) Keyspace() *keyspace.Keyspace { return e.ks }

// ---- the running unit ----

// Call is the state a call saved to restore when it ends.
type Call struct {
	client  any
	noTouch bool
}

// Begin starts a call by client. At the top level it starts an
// execution unit whose time is now (Unix ms); a nested call (a command
// of an EXEC) keeps the unit's time. noTouch is CLIENT NO-TOUCH for
// this call. The caller holds the lock, then runs the handler with Run
// and ends with End.
func (e *Engine) Begin(client any, now int64, noTouch bool) Call {
	if e.depth == 0 {
		e.now = now + e.skew.Load()
		e.noMulti = false
		e.ReplMask = command.ToAll
		if e.watched {
			// The unit's own time serves the watchdog: a second
			// clock read per command would cost more than it tells.
			e.unitStart.Store(now * int64(time.Millisecond))
		}
	}
	saved := Call{client: e.client, noTouch: e.noTouch}
	e.client, e.noTouch = client, noTouch
	e.depth++
	return saved
}

// Run runs c's handler and records the call's own propagation. A
// panic in a command that may have written stops the process
// (fail-stop, as Redis's assertions do): a half-done change must not
// stay in the dataset, nor reach the AOF. A read-only command's panic
// is answered with an error.
func (e *Engine) Run(c *command.Ctx) {
	if e.depth == 1 && c.Cmd.Has(command.TouchesArbitraryKeys) {
		e.noMulti = true
	}
	e.runHandler(c)
	e.Dirty += c.Dirty
	// EXEC is never propagated itself: its commands are.
	if c.Cmd.Name == "exec" {
		return
	}
	if target, args := c.Propagation(); target&e.targets&e.ReplMask != 0 && !e.Loading {
		e.sink.propagate(c.DB.ID, target&e.targets&e.ReplMask, args)
	}
}

func (e *Engine) runHandler(c *command.Ctx) {
	defer func() {
		r := recover()
		if r == nil {
			return
		}
		fatal := c.Cmd.Has(command.Write) || c.Dirty > 0 || e.depth > 1
		e.host.Bug(c.Cmd.FullName(), r, debug.Stack(), fatal)
		if fatal {
			panic(r)
		}
		c.Err("ERR internal error while running '" + c.Cmd.FullName() + "'; the server log has the details")
	}()
	c.Cmd.Handler(c)
}

// End ends a call begun with Begin. When the unit ends with it, its
// effects are flushed.
func (e *Engine) End(saved Call) {
	e.client, e.noTouch = saved.client, saved.noTouch
	e.depth--
	if e.depth == 0 {
		e.Flush()
		if e.watched {
			e.unitStart.Store(0)
		}
	}
}

// Watch turns on or off the keeping of UnitStarted: off, a command
// pays no atomic store for a watchdog that does not run. The caller
// holds the lock.
func (e *Engine) Watch(on bool) {
	e.watched = on
	if !on {
		e.unitStart.Store(0)
	}
}

// UnitStarted is when the running execution unit started (Unix ns, to
// the millisecond), 0 when none runs or Watch is off: a watchdog may
// read it from any goroutine.
func (e *Engine) UnitStarted() int64 { return e.unitStart.Load() }

// Unit runs fn as an execution unit of the server's own (the active
// expire cycle, eviction): its time is now, and its propagated commands
// are never wrapped in MULTI/EXEC, as Redis propagates them. The caller
// holds the lock.
func (e *Engine) Unit(now int64, fn func()) {
	saved := e.Begin(nil, now, false)
	e.noMulti = true
	fn()
	e.End(saved)
}

// Depth is the nesting depth of calls: 0 outside any unit.
func (e *Engine) Depth() int { return e.depth }

// Client is the client whose command is running, nil outside one.
func (e *Engine) Client() any { return e.client }

// ---- keyspace.Env ----

// Now implements keyspace.Env.
func (e *Engine) Now() int64 { return e.now }

// SetNow sets the time seen outside commands, by maintenance work that
// reads the keyspace (the cron, loading).
func (e *Engine) SetNow(now int64) {
	if e.depth == 0 {
		e.now = now + e.skew.Load()
	}
}

// SetSkew makes every unit from now on see the wall clock moved by skew
// milliseconds: keys expire, TTLs shrink and the expire cycle runs as
// if that much time had passed. It is for tests of code that uses TTLs
// (an embedded server's FastForward); a server's own timers (timeouts,
// the cron) keep the wall clock. Any goroutine may call it.
func (e *Engine) SetSkew(skew int64) { e.skew.Store(skew) }

// Skew is the time skew set by SetSkew.
func (e *Engine) Skew() int64 { return e.skew.Load() }

// NoTouch implements keyspace.Env.
func (e *Engine) NoTouch() bool { return e.noTouch }

// BeforeChange implements keyspace.Env.
func (e *Engine) BeforeChange(db *keyspace.DB, key []byte) {
	for _, l := range e.listeners {
		l.BeforeChange(db, key)
	}
}

// BeforeFlush implements keyspace.Env.
func (e *Engine) BeforeFlush(db *keyspace.DB) {
	for _, l := range e.listeners {
		l.BeforeFlush(db)
	}
}

var (
	argDel    = []byte("DEL")
	argUnlink = []byte("UNLINK")
)

// Expired implements keyspace.Env: a key deleted because its TTL passed
// is notified, changes for WATCH, and is propagated as a deletion
// (Redis's deleteExpiredKeyAndPropagate).
func (e *Engine) Expired(db *keyspace.DB, key []byte) {
	e.Notify(command.EvExpired, "expired", key, db.ID)
	e.host.KeyChanged(db, key)
	e.PropagateDeletion(db.ID, key, e.LazyExpire)
}

// PropagateDeletion propagates the deletion of a key the server made
// itself (an expiry, an eviction): DEL, or UNLINK when lazy, as Redis's
// propagateDeletion.
func (e *Engine) PropagateDeletion(db int, key []byte, lazy bool) {
	del := argDel
	if lazy {
		del = argUnlink
	}
	e.Propagate(db, command.ToAll, del, key)
}

// Ready implements keyspace.Env.
func (e *Engine) Ready(db *keyspace.DB, key []byte) { e.SignalReady(db.ID, key) }

// Missed implements keyspace.Env.
func (e *Engine) Missed(db *keyspace.DB, key []byte) {
	e.Notify(command.EvKeyMiss, "keymiss", key, db.ID)
}

// ---- command.Engine ----

// KeyChanged implements command.Engine.
func (e *Engine) KeyChanged(db *keyspace.DB, key []byte) { e.host.KeyChanged(db, key) }

// Notify implements command.Engine: the notification is published when
// the unit ends.
func (e *Engine) Notify(class command.Event, event string, key []byte, db int) {
	if e.NotifyMask&class == 0 {
		return
	}
	e.sink.notify(class, event, key, db)
}

// SignalReady implements command.Engine.
func (e *Engine) SignalReady(db int, key []byte) {
	if e.host.Waited(db, key) {
		e.sink.ready(db, key)
	}
}

// Propagate implements command.Engine.
func (e *Engine) Propagate(db int, target command.Target, args ...[]byte) {
	if target &= e.targets & e.ReplMask; target != 0 && !e.Loading {
		e.sink.propagate(db, target, args)
	}
}

// Block implements command.Engine.
func (e *Engine) Block(c *command.Ctx, keys [][]byte, deadline int64) bool {
	return e.host.Block(c, keys, deadline)
}

// RecordError implements command.Engine.
func (e *Engine) RecordError(msg string) { e.host.RecordError(msg) }

// ---- listeners and feeds ----

// Listen adds a listener of BeforeChange and BeforeFlush; the function
// returned removes it.
func (e *Engine) Listen(l keyspace.ChangeListener) (remove func()) {
	e.listeners = append(e.listeners, l)
	return func() {
		for i, x := range e.listeners {
			if x == l {
				e.listeners = append(e.listeners[:i:i], e.listeners[i+1:]...)
				return
			}
		}
	}
}

// AddFeed adds a receiver of the propagated commands for target; the
// function returned removes it.
func (e *Engine) AddFeed(f Feed, target command.Target) (remove func()) {
	e.feeds = append(e.feeds, feed{f, target})
	e.targets |= target
	return func() {
		for i, x := range e.feeds {
			if x.f == f {
				e.feeds = append(e.feeds[:i:i], e.feeds[i+1:]...)
				break
			}
		}
		e.targets = 0
		for _, x := range e.feeds {
			e.targets |= x.target
		}
	}
}

// Propagating reports whether commands are recorded for target.
func (e *Engine) Propagating(target command.Target) bool {
	return e.targets&target != 0 && !e.Loading
}
