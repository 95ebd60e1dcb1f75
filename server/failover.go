package server

import (
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
)

// FAILOVER: a primary hands its role to one of its replicas without
// losing a write (Redis 7.0's coordinated failover). The primary holds
// writes, waits until the replica acknowledged the whole stream, then
// becomes that replica's replica, asking it with PSYNC <replid>
// <offset> FAILOVER; the replica sees its own history, becomes a
// primary (REPLICAOF NO ONE) and answers +CONTINUE. Writes are released
// when the PSYNC is answered, or the failover is aborted: by FAILOVER
// ABORT, by the timeout (unless FORCE), or by a refused PSYNC, in which
// case the old primary becomes a primary again.

type failoverState int

const (
	noFailover failoverState = iota
	failoverWaitSync
	failoverInProgress
)

func (f failoverState) String() string {
	switch f {
	case failoverWaitSync:
		return "waiting-for-sync"
	case failoverInProgress:
		return "failover-in-progress"
	}
	return "no-failover"
}

// failover is a FAILOVER in progress.
type failover struct {
	state failoverState
	// host and port are the target, empty until one is chosen.
	host  string
	port  int
	end   time.Time // zero: no timeout
	force bool
}

func failoverCmd(s *Server, c *client, ctx *command.Ctx) {
	f := &s.repl.failover
	args := ctx.Args
	if len(args) == 2 && ctx.Is(1, "abort") {
		if f.state == noFailover {
			ctx.Err("ERR No failover in progress.")
			return
		}
		s.abortFailover("Failover manually aborted")
		ctx.W.OK()
		return
	}
	var (
		timeout int64
		force   bool
		host    string
		port    int64
		hasHost bool
	)
	for j := 1; j < len(args); j++ {
		switch {
		case ctx.Is(j, "timeout") && j+1 < len(args) && timeout == 0:
			n, ok := ctx.Int(j + 1)
			if !ok {
				return
			}
			if n <= 0 {
				ctx.Err("ERR FAILOVER timeout must be greater than 0")
				return
			}
			timeout = n
			j++
		case ctx.Is(j, "to") && j+2 < len(args) && !hasHost:
			n, ok := ctx.Int(j + 2)
			if !ok {
				return
			}
			host, port, hasHost = string(args[j+1]), n, true
			j += 2
		case ctx.Is(j, "force") && !force:
			force = true
		default:
			ctx.Err(command.ErrSyntax)
			return
		}
	}
	switch {
	case f.state != noFailover:
		ctx.Err("ERR FAILOVER already in progress.")
		return
	case s.repl.master != nil:
		ctx.Err("ERR FAILOVER is not valid when server is a replica.")
		return
	case len(s.repl.replicas) == 0:
		ctx.Err("ERR FAILOVER requires connected replicas.")
		return
	case force && (timeout == 0 || !hasHost):
		ctx.Err("ERR FAILOVER with force option requires both a timeout and target HOST and IP.")
		return
	}
	*f = failover{state: failoverWaitSync, force: force}
	if hasHost {
		r := s.findReplica(host, int(port))
		if r == nil {
			*f = failover{}
			ctx.Err("ERR FAILOVER target HOST and PORT is not a replica.")
			return
		}
		if r.rs.state != replOnline {
			*f = failover{}
			ctx.Err("ERR FAILOVER target replica is not online.")
			return
		}
		f.host, f.port = host, int(port)
		s.log.Noticef("FAILOVER requested to %s:%d.", host, port)
	} else {
		s.log.Noticef("FAILOVER requested to any replica.")
	}
	if timeout > 0 {
		f.end = time.Now().Add(time.Duration(timeout) * time.Millisecond)
	}
	s.pauseForFailover()
	ctx.W.OK()
}

// findReplica finds an attached replica by its announced address.
func (s *Server) findReplica(host string, port int) *client {
	for _, c := range s.repl.replicas {
		if strings.EqualFold(c.replicaIP(), host) && c.rs.listenPort == port {
			return c
		}
	}
	return nil
}

// updateFailover moves a waiting FAILOVER on once its replica caught up
// (Redis's updateFailoverStatus). The caller holds the engine lock.
func (s *Server) updateFailover(t time.Time) {
	f := &s.repl.failover
	if f.state != failoverWaitSync {
		return
	}
	if !f.end.IsZero() && !t.Before(f.end) {
		if f.force {
			s.log.Noticef("FAILOVER to %s:%d time out exceeded, failing over.", f.host, f.port)
			f.state = failoverInProgress
			s.setPrimary(f.host, f.port)
			return
		}
		s.abortFailover("Replica never caught up before timeout")
		return
	}
	var target *client
	if f.host != "" {
		target = s.findReplica(f.host, f.port)
	} else {
		for _, c := range s.repl.replicas {
			if c.rs.state == replOnline && c.rs.ackOff == s.repl.offset {
				target = c
				f.host, f.port = c.replicaIP(), c.rs.listenPort
				break
			}
		}
	}
	if target != nil && target.rs.ackOff == s.repl.offset {
		f.state = failoverInProgress
		s.log.Noticef("Failover target %s:%d is synced, failing over.", f.host, f.port)
		s.setPrimary(f.host, f.port)
	}
}

// abortFailover ends a FAILOVER that did not complete; a primary that
// had started to follow its replica becomes a primary again.
func (s *Server) abortFailover(why string) {
	f := &s.repl.failover
	if f.state == noFailover {
		return
	}
	if f.host != "" {
		s.log.Noticef("FAILOVER to %s:%d aborted: %s", f.host, f.port, why)
	} else {
		s.log.Noticef("FAILOVER to any replica aborted: %s", why)
	}
	if f.state == failoverInProgress && s.repl.master != nil {
		s.unsetPrimary()
	}
	s.clearFailover()
}

// clearFailover forgets the FAILOVER and releases writes.
func (s *Server) clearFailover() {
	s.repl.failover = failover{}
	s.endFailoverPause()
}

// psyncFailover handles PSYNC <replid> <offset> FAILOVER on the
// replica side: the primary asks us to take its place. It returns false
// after replying with an error.
func (s *Server) psyncFailover(c *client, ctx *command.Ctx) bool {
	s.log.Warningf("Failover request received for replid %s.", ctx.Args[1])
	if s.repl.master == nil {
		ctx.Err("ERR PSYNC FAILOVER can't be sent to a master.")
		return false
	}
	if !strings.EqualFold(string(ctx.Args[1]), s.repl.id) {
		ctx.Err("ERR PSYNC FAILOVER replid must match my replid.")
		return false
	}
	s.unsetPrimary()
	s.log.Noticef("MASTER MODE enabled (failover request from '%s')", c.info())
	return true
}
