package server

import (
	"time"

	"github.com/redoubt-db/redoubt/command"
)

// CLIENT PAUSE: while a pause is active, commands of the paused kind
// (writes, or all) wait; the client's goroutine sleeps outside the engine
// lock, so everyone else keeps running. Expiry and eviction stop too, so
// the dataset is stable for a failover.
type pauseState struct {
	end  int64 // Unix ms; 0 when not paused
	all  bool  // ALL rather than WRITE
	wake chan struct{}
}

func (p *pauseState) active(nowMs int64) bool { return p.end != 0 && nowMs < p.end }

// mustPause reports whether cmd must wait for the pause to end.
func (s *Server) mustPause(cmd *command.Command) bool {
	if s.pause.end == 0 || !s.pause.active(now()) {
		return false
	}
	return s.pause.all || cmd.Has(command.Write) || cmd.Has(command.MayReplicate)
}

// waitUnpause blocks the client until the pause is over. It releases the
// engine lock while waiting.
func (s *Server) waitUnpause(c *client, cmd *command.Command) {
	for s.mustPause(cmd) {
		wake := s.pause.wake
		d := time.Until(time.UnixMilli(s.pause.end))
		s.mu.Unlock()
		select {
		case <-wake:
		case <-time.After(d):
		case <-s.quit:
		}
		s.mu.Lock()
	}
	c.clock = time.Now()
}

func (s *Server) pauseClients(until int64, all bool) {
	// A new pause never shortens a longer one, as in Redis.
	if s.pause.active(now()) && until < s.pause.end {
		until = s.pause.end
	}
	if s.pause.wake == nil {
		s.pause.wake = make(chan struct{})
	}
	s.pause.end = until
	s.pause.all = all || s.pause.all && s.pause.active(now())
}

func (s *Server) unpauseClients() {
	s.pause.end = 0
	s.pause.all = false
	if s.pause.wake != nil {
		close(s.pause.wake)
		s.pause.wake = nil
	}
}

// expirePause ends a pause whose time is up.
func (s *Server) expirePause() {
	if s.pause.end != 0 && !s.pause.active(now()) {
		s.unpauseClients()
	}
}
