package server

import (
	"errors"
	"io"
	"strings"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/script"
)

// SCRIPT DEBUG: Redis 7.0's Lua debugger (LDB). The Lua side, the
// session's protocol and its commands are the script package's
// (script/ldb.go); this file switches a client into debugging mode, runs
// its next EVAL as a session over its own connection, and ends it.
//
// Redis reads and writes the debugging client's socket itself, blocking,
// from inside Lua's line hook (ldbRepl). So does a session here: the
// EVAL runs on the goroutine of the client's loop, under the engine
// lock, and the session reads and writes the client's connection
// through its loop's poller, waiting for the descriptor with poll(2)
// (the portable poller: for its reader goroutine), whatever the poller:
// plain TCP, Unix sockets and TLS alike. The loop is not reading the
// connection meanwhile: it is the loop running the EVAL.
//
// SYNC runs the session in the server itself: the data set keeps what
// the script did. YES is Redis's forked session, whose changes vanish
// with the child: Redoubt has no fork, so the session runs the same way
// and its writes are rolled back at its end by the undo log SCRIPT KILL
// uses (scriptundo.go), nothing of them propagated. Either way the
// server is the session's while it lasts (see docs/ARCHITECTURE.md):
// other clients wait, and get -BUSY once the session is older than
// busy-reply-threshold, as for a slow script, where Redis's YES keeps
// serving them from the parent (and its SYNC serves nobody).

// Debugging modes of a client (Redis's CLIENT_LUA_DEBUG and
// CLIENT_LUA_DEBUG_SYNC), kept apart from the client's flags.
const (
	ldbOff uint8 = iota
	ldbFork
	ldbSync
)

// ldbSendTimeout bounds a write to the debugging client (Redis's
// connSendTimeout of 5 seconds).
const ldbSendTimeout = 5 * time.Second

// ldbServeEvery is how often a session waiting for its client lets the
// server notice a busy script (and serve -BUSY, take SCRIPT KILL).
const ldbServeEvery = 100 * time.Millisecond

func scriptDebugCmd(s *Server, c *client, ctx *command.Ctx) {
	// Redis refuses with replies pending (clientHasPendingReplies): a
	// session's output goes straight to the socket and would overtake
	// them. Inside EXEC, EXEC's own reply is pending.
	if c.pending.Load() > 0 || len(ctx.W.Buf) > 0 {
		ctx.Err("ERR SCRIPT DEBUG must be called outside a pipeline")
		return
	}
	mode := ldbOff
	switch strings.ToLower(string(ctx.Args[2])) {
	case "no":
	case "yes":
		mode = ldbFork
	case "sync":
		mode = ldbSync
	default:
		ctx.Err("ERR Use SCRIPT DEBUG YES/SYNC/NO")
		return
	}
	if mode != ldbOff && !script.DebugAvailable() {
		ctx.Err("ERR SCRIPT DEBUG is not available: the Lua debugger does not support this build's gopher-lua")
		return
	}
	s.setLdbMode(c, mode)
	ctx.W.OK()
}

// setLdbMode records a client's debugging mode; clients that never
// debug cost nothing (the map is made on first use).
func (s *Server) setLdbMode(c *client, mode uint8) {
	if mode == ldbOff {
		delete(s.scripts.ldbClients, c)
		return
	}
	if s.scripts.ldbClients == nil {
		s.scripts.ldbClients = map[*client]uint8{}
	}
	s.scripts.ldbClients[c] = mode
}

// ldbMode is a client's debugging mode.
func (s *Server) ldbMode(c *client) uint8 {
	if len(s.scripts.ldbClients) == 0 {
		return ldbOff
	}
	return s.scripts.ldbClients[c]
}

// ldbForget drops a closed client's debugging mode.
func (s *Server) ldbForget(c *client) {
	if len(s.scripts.ldbClients) > 0 {
		delete(s.scripts.ldbClients, c)
	}
}

// evalDebug runs an EVAL of a client in debugging mode as a session
// (Redis's evalGenericCommandWithDebugging), then closes the client
// after the reply, as Redis does to end a session.
func (s *Server) evalDebug(c *client, ctx *command.Ctx, mode uint8) {
	s.setLdbMode(c, ldbOff)
	if c.loop == nil {
		ctx.Err("ERR SCRIPT DEBUG needs a client connection")
		return
	}
	conn := &ldbConn{s: s, c: c}
	conn.flushPending()
	limit := time.Duration(s.cfg.BusyReplyThreshold) * time.Millisecond
	if err := s.scripts.vm.StartDebug(script.Debug{Conn: conn, Source: ctx.Args[1], TimeLimit: limit}); err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	if mode == ldbFork {
		s.log.Warningf("Lua debugging session started: the script's changes will be rolled back at its end (SCRIPT DEBUG YES)")
		s.scripts.ldbRollback = true
	} else {
		s.log.Warningf("Redis synchronous debugging eval session started")
	}
	evalRun(s, c, ctx)
	s.scripts.vm.EndDebug()
	s.scripts.ldbRollback = false
	if mode == ldbFork {
		s.log.Warningf("Lua debugging session ended: its changes were rolled back")
	} else {
		s.log.Warningf("Redis synchronous debugging eval session ended")
	}
	c.closing.Store(closeAfterReply)
}

// ldbRefused answers the commands a YES session may not run: the undo
// log cannot take back a flushed or swapped database.
func (s *Server) ldbRefused(cmd *command.Command) string {
	if !s.scripts.ldbRollback {
		return ""
	}
	switch cmd.Name {
	case "flushall", "flushdb", "swapdb":
		return "ERR " + strings.ToUpper(cmd.Name) + " is not allowed in a SCRIPT DEBUG YES session, whose changes are rolled back; use SCRIPT DEBUG SYNC"
	}
	return ""
}

// ldbConn is the debugging client's connection as the session uses it
// (script.DebugConn): blocking reads and writes through the loop's
// poller.
type ldbConn struct {
	s *Server
	c *client
}

var errLdbKilled = errors.New("script killed")

// flushPending writes a TLS client's pending output before the
// session's own. On a plain connection Redis's order is kept: replies
// still buffered (pipelined before the EVAL) follow the session's
// output, as in Redis, which writes the session straight to the socket.
// A TLS connection cannot have the session's records overtake records
// the poller is still sending, whose bytes it accounts for against that
// output.
func (lc *ldbConn) flushPending() {
	c := lc.c
	if c.tls == nil || c.pending.Load() == 0 {
		return
	}
	_ = c.writeOut(func(_ *client, b []byte) (int, error) {
		if err := lc.Write(b); err != nil {
			return 0, err
		}
		return len(b), nil
	})
}

// Write sends b, waiting for the socket up to ldbSendTimeout.
func (lc *ldbConn) Write(b []byte) error {
	c := lc.c
	deadline := time.Now().Add(ldbSendTimeout)
	if pc := c.port; pc != nil {
		// The portable poller: wait for its writer goroutine to finish
		// what it writes, then write, blocking.
		for pc.writing.Load() {
			if time.Now().After(deadline) {
				return syscall.ETIMEDOUT
			}
			time.Sleep(time.Millisecond)
		}
		_ = pc.conn.SetWriteDeadline(deadline)
		n, err := pc.conn.Write(b)
		_ = pc.conn.SetWriteDeadline(time.Time{})
		c.netOut.Add(int64(n))
		return err
	}
	for len(b) > 0 {
		n, err := c.loop.p.write(c, b)
		if n > 0 {
			b = b[n:]
			c.netOut.Add(int64(n))
		}
		switch {
		case err == nil || err == syscall.EINTR:
		case err == syscall.EAGAIN:
			left := time.Until(deadline)
			if left <= 0 {
				return syscall.ETIMEDOUT
			}
			waitFD(c.fd, true, min(left, ldbServeEvery))
		default:
			return err
		}
	}
	return nil
}

// Read waits for input. While it waits the server goes on as during a
// slow script: past busy-reply-threshold other clients are answered
// -BUSY, and SCRIPT KILL ends the session.
func (lc *ldbConn) Read(b []byte) (int, error) {
	c, s := lc.c, lc.s
	lastServe := time.Now()
	for {
		n, err := c.loop.p.read(c, b)
		switch {
		case n > 0:
			c.netIn.Add(int64(n))
			c.lastSeen.Store(now())
			return n, nil
		case err == nil:
			return 0, io.EOF
		case err != syscall.EAGAIN && err != syscall.EINTR:
			return 0, err
		}
		if c.port != nil {
			time.Sleep(2 * time.Millisecond)
		} else {
			waitFD(c.fd, false, ldbServeEvery)
		}
		if r := s.scripts.run; r != nil && time.Since(lastServe) >= ldbServeEvery {
			lastServe = time.Now()
			s.Interrupt(r)
			if r.Killed {
				return 0, errLdbKilled
			}
		}
	}
}
