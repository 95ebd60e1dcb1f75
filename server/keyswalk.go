package server

import (
	"runtime"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/keys"
)

// KEYS over a big database runs in steps (incident 7): the client that
// sent it waits, as a blocked client does, while a goroutine lists the
// keys a step at a time under the engine lock (keys.Walk, a
// point-in-time view like BGSAVE's), and every other client's commands
// run between the steps. The reply is the one KEYS gives at the moment
// it started; the sender's next commands wait for it, so the client sees
// nothing different from Redis but the time. Inside MULTI, a script, or
// over a small database, KEYS runs at once as before: a unit must not
// give up the lock halfway, and a small walk costs less than a step.

// keysStepKeys bounds one step: the keys looked at while the lock is
// held (about a millisecond's work), and the size under which KEYS is
// not worth splitting. Tests make it small to see writes land between
// steps.
var keysStepKeys atomic.Int64

func init() { keysStepKeys.Store(4 << 10) }

// keysStepPause is a pause between steps, for tests that change the
// database while a walk is surely in progress (zero otherwise).
var keysStepPause atomic.Int64

// keysWalk is a client's KEYS in progress.
type keysWalk struct {
	w        *keys.Walk
	unlisten func()
	// held is the time the steps held the lock: with the time the
	// command took to start (blockState.ran), its execution time for the
	// slow log and the statistics.
	held time.Duration
}

func keysCmd(s *Server, c *client, ctx *command.Ctx) {
	// The clients without a loop to wake (the primary's link, the AOF
	// loader) run their commands to the end at once.
	if c.flags&(flagDenyBlocking|flagMulti|flagPrimary) != 0 || c.loop == nil || int64(ctx.DB.Len()) <= keysStepKeys.Load() {
		keys.KeysCmd(ctx)
		return
	}
	kw := &keysWalk{w: keys.StartWalk(ctx.DB, ctx.Args[1], s.eng.Now())}
	kw.unlisten = s.eng.Listen(kw.w)
	// The client is blocked, but not counted in blocked_clients, nor
	// one CLIENT UNBLOCK can end: KEYS does not block in Redis.
	b := &blockState{cmd: ctx.Cmd, args: copyArgs(ctx.Args), walk: kw}
	c.blocked = b
	go s.runKeysWalk(c, b)
}

// runKeysWalk lists the keys a step at a time and hands the client its
// reply. A client that goes away meanwhile ends the walk.
func (s *Server) runKeysWalk(c *client, b *blockState) {
	kw := b.walk
	for {
		s.eng.Lock()
		if c.blocked != b { // the client left (detachClient unblocked it)
			kw.release()
			s.eng.Unlock()
			return
		}
		start := time.Now()
		over := kw.w.Step(int(keysStepKeys.Load()))
		kw.held += time.Since(start)
		if over {
			kw.release()
			kw.w.Reply(&c.reply)
			s.endBlock(c, kw.held)
			s.eng.Unlock()
			return
		}
		s.eng.Unlock()
		// Let the clients that queued for the lock during the step have
		// it before the next one.
		runtime.Gosched()
		if p := keysStepPause.Load(); p > 0 {
			time.Sleep(time.Duration(p))
		}
	}
}

// release stops the walk and its listening. The caller holds the engine
// lock.
func (kw *keysWalk) release() {
	if kw.unlisten != nil {
		kw.unlisten()
		kw.unlisten = nil
	}
	kw.w.Release()
}
