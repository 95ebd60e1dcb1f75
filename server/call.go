package server

import (
	"fmt"

	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
)

const errLoading = "LOADING Redis is loading the dataset in memory"

// processCommand runs one parsed command for a client, with Redis's checks
// in Redis's order: lookup, arity, authentication, transaction queueing,
// client pause; then call. The caller holds the engine lock and has put
// the arguments in c.args. It returns false if the command must wait for
// a CLIENT PAUSE to end: it was not run and will be given again.
func (s *Server) processCommand(c *client) bool {
	args := c.args
	cmd := s.cmds.Lookup(args[0])
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		sub := cmd.LookupSub(args[1])
		if sub == nil {
			s.reject(c, "ERR unknown subcommand '"+clip(args[1], 128)+"'. Try "+strings.ToUpper(string(args[0]))+" HELP.")
			return true
		}
		cmd = sub
	}
	// A container command alone (OBJECT, CONFIG) fails its arity check.
	if cmd == nil || (cmd.Handler == nil && cmd.Subs == nil) {
		var b strings.Builder
		for _, a := range args[1:] {
			if b.Len() >= 128 {
				break
			}
			b.WriteString("'" + clip(a, 128-b.Len()) + "' ")
		}
		s.reject(c, "ERR unknown command '"+clip(args[0], 128)+"', with args beginning with: "+b.String())
		return true
	}
	c.curCmd = cmd
	if !cmd.ArityOK(len(args)) {
		s.reject(c, "ERR wrong number of arguments for '"+cmd.FullName()+"' command")
		return true
	}
	if !c.authd && !cmd.Has(command.NoAuth) {
		s.reject(c, "NOAUTH Authentication required.")
		return true
	}
	if msg := s.aclCheck(c, cmd, args); msg != "" {
		s.reject(c, msg)
		return true
	}
	if (s.loading.active && !cmd.Has(command.Loading)) || (s.loading.async && cmd.Has(command.NoAsyncLoading)) {
		s.reject(c, errLoading)
		return true
	}
	// The clients' memory first, as Redis does: this command's own
	// arguments count, and a client evicted for them does not run it.
	if s.cfg.MaxMemoryClients != 0 && s.scripts.caller == nil {
		c.syncLocked()
		s.evictClients(c)
		if c.closing.Load() == closeASAP {
			return true
		}
	}
	if s.cfg.MaxMemory > 0 && c.flags&flagPrimary == 0 && s.scripts.caller == nil {
		if msg := s.oomRefusal(c, cmd); msg != "" {
			s.reject(c, msg)
			return true
		}
	}
	if cmd.Has(command.Write) || cmd.Name == "ping" || (cmd.Name == "exec" && c.queuedWrite()) {
		if msg := s.diskError(); msg != "" {
			s.reject(c, msg)
			return true
		}
	}
	if r := &s.repl; c.flags&flagPrimary == 0 && (r.master != nil || s.cfg.MinReplicasToWrite > 0) {
		if msg := s.replicationRefusal(c, cmd); msg != "" {
			s.reject(c, msg)
			return true
		}
	}
	if c.flags&flagPubSub != 0 && c.resp == 2 && !pubsubAllowed(cmd) {
		s.reject(c, "ERR Can't execute '"+cmd.FullName()+"': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
		return true
	}
	if s.tracking.clients > 0 {
		s.trackingLimit()
	}
	if r := s.busyScript(); r != nil && c != s.scripts.caller && !cmd.Has(command.AllowBusy) {
		if r.Eval {
			s.reject(c, errBusyEval)
		} else {
			s.reject(c, errBusyFunction)
		}
		return true
	}
	if c.flags&flagMulti != 0 && !isTransactionControl(cmd) {
		if cmd.Has(command.NoMulti) {
			s.reject(c, "ERR Command not allowed inside a transaction")
			return true
		}
		c.queue(cmd, args)
		c.reply.Simple("QUEUED")
		return true
	}
	if c.flags&flagPrimary == 0 && s.mustPause(c, cmd) {
		c.paused = true
		s.pause.clients = append(s.pause.clients, c)
		return false
	}
	c.lastCmd = cmd
	s.call(c, cmd, args)
	// CONFIG SET maxmemory (or EXEC of one) under what is used evicts at
	// once, as Redis's does, not at the next write.
	if s.evictState.now && s.eng.Depth() == 0 {
		s.evictState.now = false
		s.performEvictions(time.Now())
	}
	// CLIENT CACHING applies to the next command (or transaction) only.
	if c.flags&flagMulti == 0 && !strings.HasPrefix(cmd.FullName(), "client|") {
		c.flags &^= flagTrackingCaching
	}
	return true
}

// clip cuts an argument for an error message, like %.Ns.
func clip(b []byte, n int) string {
	if n < 0 {
		n = 0
	}
	if len(b) > n {
		b = b[:n]
	}
	return string(b)
}

func isTransactionControl(cmd *command.Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return true
	}
	return false
}

// reject answers a command refused before it ran; inside MULTI it also
// dooms the transaction (EXECABORT).
func (s *Server) reject(c *client, msg string) {
	if c.curCmd != nil {
		c.curCmd.Stats.Rejected++
	}
	s.stats.rejectedCalls++
	if c.flags&flagMulti != 0 {
		c.flags |= flagDirtyExec
		// An EXEC refused (busy script, OOM, ...) ends the transaction,
		// with the refusal as its reason (Redis's execCommandAbort): the
		// client does not stay in MULTI waiting for an EXEC that would
		// come again.
		if c.curCmd != nil && c.curCmd.Name == "exec" {
			c.discardTransaction()
			msg = "EXECABORT Transaction discarded because of: " + msg
		}
	}
	c.reply.Error(msg)
	s.RecordError(msg)
	c.curCmd = nil
}

// call executes a command and does the bookkeeping around it: command
// time, statistics, the slow log, MONITOR.
func (s *Server) call(c *client, cmd *command.Command, args [][]byte) {
	s.execute(c, cmd, args, nil)
}

// execute is call, or with woken set the run of a blocked command whose
// key woken became ready. It returns the time the command ran. The
// engine runs the command; around it the server keeps its own books
// (statistics, the slow log, MONITOR, the keys a tracking client read),
// before the engine ends the unit and hands its effects on.
func (s *Server) execute(c *client, cmd *command.Command, args [][]byte, woken []byte) time.Duration {
	retry := woken != nil
	// The clock is read once per command: this command starts when the
	// previous one of the batch ended (clock reads are not free).
	start := c.clock
	ctx := c.ctxAt(s.eng.Depth())
	ctx.Reset(command.Ctx{Args: args, Cmd: cmd, W: &c.reply, KS: s.ks, DB: c.db, Cfg: &s.cfg.Values, E: s.eng, Client: c, Retry: retry, Woken: woken, Replayed: c.flags&flagReplayed != 0, InScript: c == s.scripts.client})
	saved := s.eng.Begin(c, start.UnixMilli(), c.flags&flagNoTouch != 0 && cmd.Name != "touch")
	s.eng.Run(ctx)
	if cmd.Has(command.ReadOnly) && !isReadOnlyScript(cmd) {
		// A script's read-only command makes its caller track the keys
		// the script declared (Redis's trackingRememberKeys of the
		// caller); the _RO script commands themselves track nothing.
		tc, tcmd, targs := c, cmd, args
		if c == s.scripts.client && s.scripts.caller != nil {
			tc, tcmd, targs = s.scripts.caller, s.scripts.callerCmd, s.scripts.callerArgs
		}
		if tc.flags&(flagTracking|flagTrackingBcast) == flagTracking {
			s.trackingRememberKeys(tc, tcmd, targs)
		}
	}
	// One monotonic read, not time.Now's two (wall and monotonic): the
	// wall time moves on by the same duration from the batch's start,
	// which read both. A script's commands pay it three times per
	// EVALSHA of two commands (8% of its time in time.Now).
	var d time.Duration
	if start.IsZero() {
		c.clock = time.Now()
	} else {
		d = time.Since(start)
		c.clock = start.Add(d)
	}

	if ctx.Errors > 0 {
		cmd.Stats.Failed++
	}
	s.stats.dirty += ctx.Dirty
	if !retry && len(s.monitors) > 0 && !cmd.Has(command.SkipMonitor) && !cmd.Has(command.Admin) {
		s.feedMonitors(c, ctx.Redacted())
	}
	// A command that blocks is counted and slow-logged once, when it is
	// served, times out or is unblocked (Redis's updateStatsOnUnblock).
	if c.blocked != nil {
		if !retry {
			c.blocked.ran = d
		}
	} else {
		s.recordCall(c, cmd, ctx.Redacted(), d)
	}
	s.eng.End(saved)
	return d
}

func isReadOnlyScript(cmd *command.Command) bool {
	switch cmd.Name {
	case "eval_ro", "evalsha_ro", "fcall_ro":
		return true
	}
	return false
}

// recordCall does a finished command's bookkeeping: command statistics,
// latency histogram and the slow log.
func (s *Server) recordCall(c *client, cmd *command.Command, args [][]byte, d time.Duration) {
	if !cmd.Has(command.SkipSlowlog) {
		s.slowlogAdd(c, args, d)
	}
	cmd.Stats.Calls++
	cmd.Stats.Usec += d.Microseconds()
	if cmd.Name == "keys" && d >= slowKeysThreshold {
		s.noteSlowKeys(c, args, d)
	}
	if s.cfg.LatencyMonitorThresh > 0 {
		event := "command"
		if cmd.Has(command.Fast) {
			event = "fast-command"
		}
		s.latencyAdd(event, d)
	}
	if s.cfg.LatencyTracking {
		cmd.Stats.Latency.Record(d)
	}
	s.stats.commands++
}

// Bug implements engine.Host: a command panicked. When fatal, it may
// have changed the dataset half-way, and the engine stops the process
// once this returns, as a failed assertion stops Redis.
func (s *Server) Bug(cmd string, what any, stack []byte, fatal bool) {
	if fatal {
		s.crashReport(fmt.Sprintf("stopped: command '%s' panicked while it may have changed the dataset: %v", cmd, what))
		return
	}
	s.log.Warningf("BUG: command '%s' panicked: %v\n%s", cmd, what, stack)
}

func (s *Server) slowlogAdd(c *client, args [][]byte, d time.Duration) {
	limit := s.cfg.SlowlogLogSlowerThan
	if limit < 0 || d.Microseconds() < limit {
		return
	}
	s.slowlog.Add(c.clock.Unix(), d.Microseconds(), args, c.addr, c.name)
}

// RecordError counts an error reply in errorstats, by its code.
func (s *Server) RecordError(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	s.stats.totalErrorReplies++
	// Like Redis, stop tracking new codes past 128 distinct ones, so that
	// errors with random text cannot grow the table forever.
	if _, ok := s.errStats[code]; ok || len(s.errStats) < 128 {
		s.errStats[code]++
	} else {
		s.stats.errStatsOverflow = true
	}
}

// feedMonitors sends a command to every MONITOR client, formatted as
// redis-cli shows it: +<time> [<db> <addr>] "arg" ...
func (s *Server) feedMonitors(c *client, args [][]byte) {
	t := time.Now()
	var b []byte
	b = append(b, '+')
	b = strconv.AppendInt(b, t.Unix(), 10)
	b = append(b, '.')
	us := strconv.Itoa(t.Nanosecond() / 1000)
	b = append(b, strings.Repeat("0", 6-len(us))...)
	b = append(b, us...)
	b = append(b, " ["...)
	b = strconv.AppendInt(b, int64(c.db.ID), 10)
	b = append(b, ' ')
	b = append(b, c.addr...)
	b = append(b, ']')
	for _, a := range args {
		b = append(b, ' ')
		b = protocol.AppendRepr(b, a)
	}
	b = append(b, '\r', '\n')
	for _, m := range s.monitors {
		m.push(b)
	}
}

func (s *Server) removeMonitor(c *client) {
	for i, m := range s.monitors {
		if m == c {
			s.monitors = append(s.monitors[:i], s.monitors[i+1:]...)
			return
		}
	}
}

// currentClient is the client whose command is running, nil outside one.
// A script's commands count as its caller's (Redis's
// server.current_client stays the caller while a script runs).
func (s *Server) currentClient() *client {
	c, _ := s.eng.Client().(*client)
	if c != nil && c == s.scripts.client {
		return s.scripts.caller
	}
	return c
}
