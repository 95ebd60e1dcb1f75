package server

import (
	"errors"
	"os"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/command"
)

// Shutting down (Redis's prepareForShutdown and finishShutdown): a
// background save or rewrite stops, the AOF is written and fsynced, and
// the final snapshot is taken when save points are set (or SAVE asks),
// in Redis's order and with its log lines. A shutdown that cannot keep
// the data (the snapshot fails, or the first AOF is still being written)
// does not happen unless FORCE says so: the server keeps running and
// says why.

// shutdownFlags are SHUTDOWN's options, or shutdown-on-sigterm's.
type shutdownFlags struct {
	save, nosave, now, force bool
}

// parseShutdownFlags reads SHUTDOWN's words or a shutdown-on-sig*
// value ("default" or words); ok is false on an unknown word.
func parseShutdownFlags(words []string) (f shutdownFlags, abort, ok bool) {
	for _, w := range words {
		switch strings.ToLower(w) {
		case "default":
		case "save":
			f.save = true
		case "nosave":
			f.nosave = true
		case "now":
			f.now = true
		case "force":
			f.force = true
		case "abort":
			abort = true
		default:
			return f, false, false
		}
	}
	return f, abort, true
}

var errShutdown = errors.New("Errors trying to shut down the server. Check the logs for more information.")

// finishShutdown prepares the data for the process to end. On error the
// server goes on. The caller holds the engine lock.
func (s *Server) finishShutdown(f shutdownFlags) error {
	if n := len(s.repl.replicas); n > 0 {
		synced := 0
		for _, c := range s.repl.replicas {
			if c.rs.state == replOnline && c.rs.ackOff == s.repl.offset {
				synced++
				continue
			}
			state := "wait_bgsave"
			if c.rs.state == replOnline {
				state = "online"
			}
			s.log.Warningf("Lagging replica %s reported offset %d behind master, lag=%d, state=%s.",
				c.replicaName(), s.repl.offset-c.rs.ackOff, int64(time.Since(c.rs.ackTime).Seconds()), state)
		}
		s.log.Noticef("%d of %d replicas are in sync when shutting down.", synced, n)
	}
	if s.persist.bg != nil {
		s.log.Warningf("There is a child saving an .rdb. Killing it!")
		s.abortBackgroundSave()
	}
	if s.aof.rw != nil {
		if s.aof.state == aofWaitRewrite {
			if !f.force {
				s.log.Warningf("Writing initial AOF, can't exit.")
				s.log.Warningf("%v", errShutdown)
				return errShutdown
			}
			s.log.Warningf("Writing initial AOF. Exit anyway.")
		}
		s.log.Warningf("There is a child rewriting the AOF. Killing it!")
		s.abortRewrite()
	}
	if s.aof.w != nil {
		s.log.Noticef("Calling fsync() on the AOF file.")
		s.detachWriter()
	}
	if (len(s.cfg.Save) > 0 && !f.nosave) || f.save {
		s.log.Noticef("Saving the final RDB snapshot before exiting.")
		if err := s.saveSnapshot(); err != nil {
			if !f.force {
				s.log.Warningf("Error trying to save the DB, can't exit.")
				s.log.Warningf("%v", errShutdown)
				return errShutdown
			}
			s.log.Warningf("Error trying to save the DB. Exit anyway.")
		}
	}
	s.log.Warningf("Redoubt is now ready to exit, bye bye...")
	return nil
}

// SignalShutdown is SIGTERM (or SIGINT, when sigint) received: the cron
// carries out the shutdown shutdown-on-sigterm (-sigint) asks for, as
// Redis's serverCron does, and until then SHUTDOWN ABORT can cancel it.
// A second SIGINT while one is pending ends the process at once (the
// caller checks ShutdownPending and calls InsistExit).
func (s *Server) SignalShutdown(sigint bool) {
	v := int32(sigTerm)
	if sigint {
		v = sigInt
	}
	s.shutdownASAP.Store(v)
}

// ShutdownPending reports a signalled shutdown not yet over.
func (s *Server) ShutdownPending() bool { return s.shutdownASAP.Load() != 0 }

const (
	sigTerm = 1
	sigInt  = 2
)

// InsistExit is a second SIGINT during a shutdown: the snapshot being
// written is dropped and the process ends now, as Redis does.
func (s *Server) InsistExit() {
	s.log.Warningf("You insist... exiting now.")
	os.Remove(s.cfg.Path(aof.SnapshotTempName(s.pid)))
	os.Exit(1)
}

// shutdownFromSignal is the cron's part of a signalled shutdown. If the
// data cannot be kept the server keeps running, as Redis does.
func (s *Server) shutdownFromSignal() {
	sig := s.shutdownASAP.Load()
	conf, name := s.cfg.ShutdownOnSigterm, "SIGTERM"
	if sig == sigInt {
		conf, name = s.cfg.ShutdownOnSigint, "SIGINT"
	}
	f, _, _ := parseShutdownFlags(strings.Fields(conf))
	s.eng.Lock()
	if s.shutdownASAP.Load() == 0 { // aborted meanwhile
		s.eng.Unlock()
		return
	}
	s.log.Warningf("User requested shutdown...")
	if s.waitReplicasBeforeShutdown(f, nil) {
		s.shutdownASAP.Store(0)
		s.eng.Unlock()
		return
	}
	err := s.finishShutdown(f)
	s.shutdownASAP.Store(0)
	s.eng.Unlock()
	if err != nil {
		s.log.Warningf("%s received but errors trying to shut down the server, check the logs for more information", name)
		return
	}
	s.shutdown(0)
}

// shutdownCmd is SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT].
func shutdownCmd(s *Server, c *client, ctx *command.Ctx) {
	words := make([]string, 0, len(ctx.Args)-1)
	for _, a := range ctx.Args[1:] {
		words = append(words, string(a))
	}
	f, abort, ok := parseShutdownFlags(words)
	if !ok || (f.save && f.nosave) || (abort && len(ctx.Args) > 2) {
		ctx.Err(command.ErrSyntax)
		return
	}
	if abort {
		if s.shutdownWait.active {
			s.abortShutdownWait()
			s.log.Noticef("Shutdown manually aborted.")
			ctx.W.OK()
			return
		}
		// A signalled shutdown waits for the cron: it can be cancelled.
		if s.shutdownASAP.Swap(0) == 0 {
			ctx.Err("ERR No shutdown in progress.")
			return
		}
		s.log.Noticef("Shutdown manually aborted.")
		ctx.W.OK()
		return
	}
	if r := s.busyScript(); r != nil {
		// Only SHUTDOWN NOSAVE ends a busy script, as in Redis; the
		// script stops and nothing of it is propagated.
		if !f.nosave {
			if r.Eval {
				ctx.Err(errBusyEval)
			} else {
				ctx.Err(errBusyFunction)
			}
			return
		}
		r.Killed = true
		s.scripts.abandon = true
	}
	if s.shutdownWait.active {
		// Already waiting for the replicas: this one waits too.
		s.blockForShutdown(c, ctx)
		return
	}
	s.log.Warningf("User requested shutdown...")
	if s.waitReplicasBeforeShutdown(f, c) {
		s.blockForShutdown(c, ctx)
		return
	}
	if err := s.finishShutdown(f); err != nil {
		ctx.Err("ERR Errors trying to SHUTDOWN. Check logs.")
		return
	}
	// The connection closes without a reply, as with Redis, and nobody
	// can connect any more.
	c.closing.Store(closeASAP)
	s.closeListeners()
	go s.shutdown(0)
}

// shutdownWaitState is a SHUTDOWN waiting for the replicas to catch up
// (shutdown-timeout), writes held meanwhile, as Redis 7.0 waits before
// it saves and exits, so that the replicas have every write.
type shutdownWaitState struct {
	active   bool
	deadline time.Time
	flags    shutdownFlags
	// clients are the SHUTDOWN callers blocked until it ends.
	clients []*client
}

// replicasInSync reports whether every replica acknowledged the whole
// stream (Redis's isReadyToShutdown).
func (s *Server) replicasInSync() bool {
	for _, c := range s.repl.replicas {
		if c.rs.ackOff != s.repl.offset {
			return false
		}
	}
	return true
}

// waitReplicasBeforeShutdown starts waiting for lagging replicas, unless
// NOW, a zero shutdown-timeout or replicas in sync say not to; it
// reports whether the shutdown now waits. The caller holds the engine
// lock.
func (s *Server) waitReplicasBeforeShutdown(f shutdownFlags, c *client) bool {
	if f.now || s.cfg.ShutdownTimeout == 0 || s.replicasInSync() {
		return false
	}
	s.shutdownWait = shutdownWaitState{active: true, flags: f,
		deadline: time.Now().Add(time.Duration(s.cfg.ShutdownTimeout) * time.Second)}
	if !s.pause.active(now()) {
		s.repl.getAck = true
		s.replBeforeSleep()
	}
	s.pause.shutdown = true
	s.ks.ExpiryPaused = true
	s.log.Noticef("Waiting for replicas before shutting down.")
	return true
}

// blockForShutdown blocks a SHUTDOWN caller until the wait ends.
func (s *Server) blockForShutdown(c *client, ctx *command.Ctx) {
	c.blocked = &blockState{cmd: ctx.Cmd, args: copyArgs(ctx.Args)}
	s.blockedClients++
	s.shutdownWait.clients = append(s.shutdownWait.clients, c)
}

// shutdownWaitCron ends the wait when the replicas caught up or the
// time is up: the server shuts down, or, if the data cannot be kept,
// goes on and tells the callers. The caller holds the engine lock.
func (s *Server) shutdownWaitCron(t time.Time) {
	w := &s.shutdownWait
	if !w.active || (t.Before(w.deadline) && !s.replicasInSync()) {
		return
	}
	if err := s.finishShutdown(w.flags); err != nil {
		s.abortShutdownWait()
		return
	}
	for _, c := range w.clients {
		s.unblock(c)
		c.closing.Store(closeASAP)
	}
	s.closeListeners()
	go s.shutdown(0)
}

// abortShutdownWait ends the wait without shutting down: the callers
// get Redis's error, and writes are released.
func (s *Server) abortShutdownWait() {
	w := &s.shutdownWait
	for _, c := range w.clients {
		if c.blocked != nil {
			c.reply.Error("ERR Errors trying to SHUTDOWN. Check logs.")
			s.RecordError("ERR")
			s.endBlock(c, 0)
		}
	}
	*w = shutdownWaitState{}
	s.pause.shutdown = false
	s.releaseHeld()
}
