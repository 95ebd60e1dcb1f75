package server

import (
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/script"
)

// CLIENT PAUSE: while a pause is active, commands of the paused kind
// (writes, or all) wait; the client's goroutine sleeps outside the engine
// lock, so everyone else keeps running. Expiry and eviction stop too, so
// the dataset is stable for a failover.
type pauseState struct {
	end     int64 // Unix ms; 0 when not paused
	all     bool  // ALL rather than WRITE
	timer   *time.Timer
	clients []*client // waiting for the pause to end
	// failover holds writes while a FAILOVER waits for its replica,
	// and shutdown while a SHUTDOWN waits for the replicas to catch up,
	// independently of CLIENT PAUSE (Redis's PAUSE_DURING_FAILOVER and
	// PAUSE_DURING_SHUTDOWN).
	failover, shutdown bool
}

func (p *pauseState) clientPause(nowMs int64) bool { return p.end != 0 && nowMs < p.end }

// active reports whether writes are held, by CLIENT PAUSE or a
// FAILOVER.
func (p *pauseState) active(nowMs int64) bool { return p.held() || p.clientPause(nowMs) }

// held reports whether a FAILOVER or a SHUTDOWN holds writes.
func (p *pauseState) held() bool { return p.failover || p.shutdown }

// mustPause reports whether cmd must wait for the pause to end. EXEC
// waits if its transaction has a write.
func (s *Server) mustPause(c *client, cmd *command.Command) bool {
	if s.pause.end == 0 && !s.pause.held() {
		return false
	}
	nowMs := now()
	if !s.pause.active(nowMs) {
		return false
	}
	if s.pause.all && s.pause.clientPause(nowMs) {
		return true
	}
	if cmd.Name == "exec" {
		for _, q := range c.multi.queue {
			if s.mayWrite(q.cmd, q.args) {
				return true
			}
		}
		return false
	}
	return s.mayWrite(cmd, c.args)
}

// mayWrite reports whether a command may write or be propagated: its
// flags, or for a script with declared flags (a shebang, a function's
// flags) what the script declared, as Redis's evalGetCommandFlags.
func (s *Server) mayWrite(cmd *command.Command, args [][]byte) bool {
	if flags, declared := s.scriptFlags(cmd, args); declared {
		return flags&script.FlagNoWrites == 0
	}
	return cmd.Has(command.Write) || cmd.Has(command.MayReplicate)
}

// writes reports whether a command counts as a write for the checks
// made before it runs (read-only replica, min-replicas-to-write): its
// write flag, or for a script with declared flags, whether it declared
// no-writes (Redis's scriptFlagsToCmdFlags). A script without flags is
// checked at each write it calls.
func (s *Server) writes(cmd *command.Command, args [][]byte) bool {
	if flags, declared := s.scriptFlags(cmd, args); declared {
		return flags&script.FlagNoWrites == 0
	}
	return cmd.Has(command.Write)
}

// scriptFlags returns the flags a script about to run declared, and
// whether it declared any (EVAL with a shebang, a script loaded with
// one, a function).
func (s *Server) scriptFlags(cmd *command.Command, args [][]byte) (script.Flags, bool) {
	switch cmd.Name {
	case "eval", "evalsha":
		if len(args) < 2 {
			break
		}
		sc := s.scripts.vm.Lookup(args[1])
		if cmd.Name == "eval" {
			sc = s.scripts.vm.Lookup([]byte(script.SHA1Hex(args[1])))
		}
		var flags script.Flags
		switch {
		case sc != nil:
			flags = sc.Flags
		case cmd.Name == "eval":
			f, _, err := script.ShebangFlags(args[1])
			if err != "" {
				f = script.FlagEvalCompat
			}
			flags = f
		default:
			flags = script.FlagEvalCompat
		}
		if flags&script.FlagEvalCompat == 0 {
			return flags, true
		}
	case "fcall":
		if len(args) < 2 {
			break
		}
		if f := s.scripts.fvm.Function(args[1]); f != nil {
			return f.Flags, true
		}
	}
	return 0, false
}

func (s *Server) pauseClients(until int64, all bool) {
	// A new pause never shortens a longer one, as in Redis.
	if s.pause.clientPause(now()) && until < s.pause.end {
		until = s.pause.end
	}
	s.pause.all = all || s.pause.all && s.pause.clientPause(now())
	s.pause.end = until
	s.ks.ExpiryPaused = true
	if s.pause.timer != nil {
		s.pause.timer.Stop()
	}
	s.pause.timer = time.AfterFunc(time.Until(time.UnixMilli(until)), func() {
		s.eng.Lock()
		s.expirePause()
		s.eng.Unlock()
	})
}

// unpauseClients ends CLIENT PAUSE and lets the waiting clients run,
// unless a FAILOVER still holds writes.
func (s *Server) unpauseClients() {
	s.pause.end = 0
	s.pause.all = false
	if s.pause.timer != nil {
		s.pause.timer.Stop()
		s.pause.timer = nil
	}
	if s.pause.held() {
		return
	}
	s.ks.ExpiryPaused = false
	for _, c := range s.pause.clients {
		c.paused = false
		c.wake()
	}
	s.pause.clients = nil
}

// expirePause ends a pause whose time is up; writes stay held while a
// FAILOVER holds them.
func (s *Server) expirePause() {
	if s.pause.end != 0 && !s.pause.clientPause(now()) {
		if s.pause.held() {
			s.pause.end, s.pause.all = 0, false
			return
		}
		s.unpauseClients()
	}
}

// pauseForFailover holds writes until endFailoverPause.
func (s *Server) pauseForFailover() {
	s.pause.failover = true
	s.ks.ExpiryPaused = true
}

// endFailoverPause releases the writes a FAILOVER held, unless
// something else still holds them.
func (s *Server) endFailoverPause() {
	if !s.pause.failover {
		return
	}
	s.pause.failover = false
	s.releaseHeld()
}

// releaseHeld lets the held clients run once nothing holds writes.
func (s *Server) releaseHeld() {
	if !s.pause.held() && !s.pause.clientPause(now()) {
		s.unpauseClients()
	}
}
