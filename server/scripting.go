package server

import (
	"github.com/redoubt-db/redoubt/acl"
	"runtime/metrics"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/script"
)

// Scripting (Redis's eval.c and script.c): EVAL and its friends run Lua
// on one state (package script) as one execution unit. The script's
// commands run through a client of the server's own, the Lua client,
// whose replies the VM reads back; their effects reach the engine's sink
// like any nested call, so a script is propagated as its effects,
// wrapped in MULTI/EXEC, as Redis 7.0 does, and the EVAL itself is not.
//
// A script holds the engine lock while it runs. Once it runs past
// busy-reply-threshold it declares the lock busy: other loops then hand
// their clients' commands to it (engine.Do), and its own hook runs them,
// with those of its own loop, between two Lua instructions. Commands
// flagged allow_busy run (SCRIPT KILL, SHUTDOWN NOSAVE, ...), the others
// are answered -BUSY, so every client gets an answer promptly.

const (
	errBusyEval     = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errBusyFunction = "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	errNoScript     = "NOSCRIPT No matching script. Please use EVAL."
	errNotBusy      = "NOTBUSY No scripts in execution right now."
	// errKilledRolledBack answers a script that wrote and was killed
	// (a Redoubt guardrail: Redis cannot kill it).
	errKilledRolledBack = "Script killed by user with SCRIPT KILL after it wrote; its writes were rolled back and not propagated"
)

type scripting struct {
	// vm runs EVAL scripts, fvm function libraries (each on its own
	// Lua state, as in Redis).
	vm  *script.VM
	fvm *script.VM
	// client runs the scripts' commands (Redis's lua_client).
	client *client
	// run is the script in progress and caller its client, nil between
	// scripts.
	run    *script.Run
	caller *client
	// callerCmd and callerArgs are the command that runs the script
	// (for tracking, which follows the keys it declares).
	callerCmd  *command.Command
	callerArgs [][]byte
	// runBuf is reused for each run.
	runBuf script.Run
	// lastServe is when the busy script last served other clients.
	lastServe time.Time
	// undo is the running script's undo log, listening while undoing is
	// set (script-kill-rollback).
	undo    undoLog
	undoing bool
	// abandon is set by SHUTDOWN NOSAVE during a busy script: the script
	// is stopped and nothing of it is propagated.
	abandon bool
	// allowNoScript lets scripts run commands flagged noscript (DEBUG
	// SET-DISABLE-DENY-SCRIPTS, for tests).
	allowNoScript bool
	// oom: memory was over maxmemory and nothing could be evicted when
	// the running script started (Redis's script_oom).
	oom bool
	// heapAtStart is the Go heap at the running script's first
	// interruption (-1 before it), for script-memory-limit.
	heapAtStart int64
	// ldbClients are the clients in a SCRIPT DEBUG mode (ldb.go), and
	// ldbRollback is set during a YES session, whose writes are undone.
	ldbClients  map[*client]uint8
	ldbRollback bool
	// cmds remembers the commands scripts called lately.
	cmds cmdCache
}

// cmdCache maps the names scripts call commands by, as they spell them,
// to the commands: a script calls the same few over and over, and the
// case-folding lookup in the table of some 240 commands was 5% of an
// EVALSHA doing a GET and a SET. The table does not change once the
// server runs (renames are applied at start), so entries stay valid.
// Used under the engine lock.
type cmdCache struct {
	slots [8]struct {
		n    uint8
		name [15]byte
		cmd  *command.Command
	}
}

func (cc *cmdCache) lookup(t *command.Table, name []byte) *command.Command {
	if len(name) == 0 || len(name) > 15 {
		return t.Lookup(name)
	}
	e := &cc.slots[(int(name[0])+len(name))&7]
	if int(e.n) == len(name) && string(e.name[:e.n]) == string(name) {
		return e.cmd
	}
	cmd := t.Lookup(name)
	if cmd != nil {
		e.n = uint8(copy(e.name[:], name))
		e.cmd = cmd
	}
	return cmd
}

// heapBytes is the Go heap's live and not yet swept objects, read
// without stopping the world.
func heapBytes() int64 {
	s := [1]metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s[:])
	return int64(s[0].Value.Uint64())
}

func (s *Server) initScripting() {
	script.Version = Version
	s.scripts.vm = script.New(s)
	s.scripts.fvm = script.NewFunctions(s)
	lc := &client{s: s, id: -2, fd: -1, db: s.ks.DBs[0], resp: 2, authd: true, created: time.Now(), addr: "lua"}
	lc.flags |= flagDenyBlocking
	s.scripts.client = lc
	s.scripts.undo.s = s
}

func (s *Server) registerScriptingCommands(h func(string, srvHandler)) {
	h("eval", evalCmd)
	h("evalsha", evalCmd)
	h("eval_ro", evalCmd)
	h("evalsha_ro", evalCmd)
	h("script|load", scriptLoadCmd)
	h("script|exists", scriptExistsCmd)
	h("script|flush", scriptFlushCmd)
	h("script|kill", scriptKillCmd)
	h("script|debug", scriptDebugCmd)
	h("script|help", scriptHelpCmd)
	s.registerFunctionCommands(h)
}

// busyScript is the script that runs past busy-reply-threshold, or nil.
func (s *Server) busyScript() *script.Run {
	if r := s.scripts.run; r != nil && r.TimedOut {
		return r
	}
	return nil
}

func evalCmd(s *Server, c *client, ctx *command.Ctx) {
	if mode := s.ldbMode(c); mode != ldbOff {
		// As Redis: EVALSHA of a name that cannot be a SHA1 still
		// answers NOSCRIPT; the session starts before EVAL's own checks.
		if strings.HasPrefix(ctx.Cmd.Name, "evalsha") {
			if len(ctx.Args[1]) != 40 {
				ctx.Err(errNoScript)
			} else {
				ctx.Err("ERR Please use EVAL instead of EVALSHA for debugging")
			}
			return
		}
		s.evalDebug(c, ctx, mode)
		return
	}
	evalRun(s, c, ctx)
}

// evalRun is EVAL, EVALSHA and their _RO forms.
func evalRun(s *Server, c *client, ctx *command.Ctx) {
	name := ctx.Cmd.Name
	evalsha := strings.HasPrefix(name, "evalsha")
	ro := strings.HasSuffix(name, "_ro")
	numkeys, ok := ctx.Int(2)
	if !ok {
		return
	}
	if numkeys > int64(len(ctx.Args)-3) {
		ctx.Err("ERR Number of keys can't be greater than number of args")
		return
	}
	if numkeys < 0 {
		ctx.Err("ERR Number of keys can't be negative")
		return
	}
	vm := s.scripts.vm
	var sc *script.Script
	if evalsha {
		if sc = vm.Lookup(ctx.Args[1]); sc == nil {
			ctx.Err(errNoScript)
			return
		}
	} else {
		var msg string
		if sc, msg = vm.Create(ctx.Args[1]); sc == nil {
			ctx.Err(msg)
			return
		}
	}
	// The script's effects are propagated, not the script. MONITOR shows
	// the script before its commands (EVAL is skip_monitor for call).
	ctx.PreventPropagation()
	s.monitorScript(c, ctx)
	r := &s.scripts.runBuf
	*r = script.Run{Caller: c, Name: sc.SHA, Eval: true, Flags: sc.Flags, Resp: 2, Repl: script.ReplAll}
	if msg := s.scriptMayRun(c, r, ro); msg != "" {
		ctx.Err(msg)
		return
	}
	keys := ctx.Args[3 : 3+numkeys]
	argv := ctx.Args[3+numkeys:]
	s.runScript(c, ctx, r, func() (string, bool) { return vm.Eval(ctx.W, r, sc, keys, argv) })
}

func (s *Server) monitorScript(c *client, ctx *command.Ctx) {
	if len(s.monitors) > 0 && c.flags&flagReplayed == 0 {
		s.feedMonitors(c, ctx.Args)
	}
}

// scriptMayRun makes the checks Redis makes before a script runs
// (scriptPrepareForRun) and sets the run's read-only state; it returns
// the error reply when the script may not run.
func (s *Server) scriptMayRun(c *client, r *script.Run, ro bool) string {
	compat := r.Flags&script.FlagEvalCompat != 0
	if !compat && r.Flags&script.FlagNoWrites == 0 {
		obey := c.flags&flagReplayed != 0
		if msg := s.diskError(); msg != "" && !obey {
			if strings.HasPrefix(msg, "MISCONF Redis is configured to save RDB snapshots") {
				return "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts."
			}
			return "MISCONF Redis is configured to persist data to AOF, but it's currently unable to persist to disk. Writable scripts are blocked. Use 'no-writes' flag for read only scripts. AOF error: " + strings.TrimPrefix(msg, "MISCONF Errors writing to the AOF file: ")
		}
		if ro {
			return "ERR Can not execute a script with write flag using *_ro command."
		}
	}
	r.ReadOnly = ro || (!compat && r.Flags&script.FlagNoWrites != 0)
	return ""
}

// runScript runs a script for c: fn runs the Lua and writes the reply.
func (s *Server) runScript(c *client, ctx *command.Ctx, r *script.Run, fn func() (string, bool)) {
	lc := s.scripts.client
	lc.db = c.db
	lc.resp = 2
	lc.flags = flagDenyBlocking | c.flags&(flagReplayed|flagMulti)
	// The script starts when its command did (no clock read).
	lc.clock = c.clock
	r.Start = c.clock
	// The heap is sampled at the script's first interruption, not here:
	// reading it costs more than a short script.
	s.scripts.heapAtStart = -1
	s.scripts.run, s.scripts.caller = r, c
	s.scripts.callerCmd, s.scripts.callerArgs = ctx.Cmd, ctx.Args
	mark := s.eng.Mark()
	undo := &s.scripts.undo
	// Scripts from the AOF or a primary are never killed: no log.
	s.scripts.undoing = s.cfg.ScriptKillRollback && c.flags&flagReplayed == 0
	undoLimit := s.cfg.ScriptUndoMaxBytes
	if s.scripts.ldbRollback {
		// A SCRIPT DEBUG YES session: every write is undone at its end,
		// however big (the commands the log cannot undo are refused).
		s.scripts.undoing, undoLimit = true, 0
	}
	if s.scripts.undoing {
		undo.begin(undoLimit)
	}
	errMsg, counted := fn()
	if s.scripts.undoing {
		if s.scripts.ldbRollback {
			undo.rollback()
			s.eng.Discard(mark)
		} else if r.Killed && r.WriteDirty && !undo.broken {
			undo.rollback()
			s.eng.Discard(mark)
			s.log.Warningf("Script %s killed by SCRIPT KILL after it wrote: its writes were rolled back.", r.Name)
		} else {
			undo.commit()
		}
	}
	if s.scripts.abandon {
		// SHUTDOWN NOSAVE stopped it: as in Redis, which exits inside
		// the script, nothing of it reaches the AOF or replicas.
		s.eng.Discard(mark)
		s.scripts.abandon = false
	}
	s.scripts.undoing = false
	s.scripts.run, s.scripts.caller = nil, nil
	s.scripts.callerCmd, s.scripts.callerArgs = nil, nil
	s.eng.ReplMask = command.ToAll
	if errMsg != "" {
		ctx.Errors++
		if !counted {
			s.RecordError(errMsg)
		}
	}
	if r.TimedOut {
		s.log.Noticef("Slow script finished after %d milliseconds.", time.Since(r.Start).Milliseconds())
	}
}

// Call implements script.Host: a command called by the running script,
// with Redis's checks (scriptCall).
func (s *Server) Call(r *script.Run, args [][]byte) []byte {
	lc := s.scripts.client
	lc.reply.Buf = lc.reply.Buf[:0]
	lc.reply.Resp = r.Resp
	lc.resp = r.Resp
	cmd := s.scripts.cmds.lookup(s.cmds, args[0])
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		cmd = cmd.LookupSub(args[1])
	}
	if cmd == nil || (cmd.Handler == nil && cmd.Subs == nil) {
		return s.scriptReject(lc, nil, "ERR Unknown Redis command called from script")
	}
	if !cmd.ArityOK(len(args)) || cmd.Handler == nil {
		return s.scriptReject(lc, cmd, "ERR Wrong number of args calling Redis command from script")
	}
	if cmd.Has(command.NoScript) && !s.scripts.allowNoScript {
		return s.scriptReject(lc, cmd, "ERR This Redis command is not allowed from script")
	}
	// The caller's user must be allowed the command, its keys and
	// channels, as if it had sent it (Redis's scriptCall).
	if caller := s.scripts.caller; caller != nil && caller.user != nil {
		if v := caller.user.Check(cmd, args, s.aclKeys(caller.user, cmd, args)); !v.OK() {
			s.aclDeny(caller, v.Reason, acl.ContextLua, v.Object(cmd, args), caller.user.Name())
			return s.scriptReject(lc, cmd, "ERR "+v.ScriptError())
		}
	}
	if msg := s.ldbRefused(cmd); msg != "" {
		return s.scriptReject(lc, cmd, msg)
	}
	write := cmd.Has(command.Write)
	if r.ReadOnly && (write || cmd.Has(command.MayReplicate)) {
		return s.scriptReject(lc, cmd, "ERR Write commands are not allowed from read-only scripts.")
	}
	if write && !r.WriteDirty {
		// Once the script wrote, a failure would leave it half done:
		// these checks come before its first write only.
		if s.repl.master != nil && s.cfg.ReplicaReadOnly && s.scripts.caller != nil && s.scripts.caller.flags&flagPrimary == 0 {
			return s.scriptReject(lc, cmd, "READONLY You can't write against a read only replica.")
		}
		if msg := s.diskError(); msg != "" {
			return s.scriptReject(lc, cmd, msg)
		}
		if s.scripts.oom && s.cfg.MaxMemory > 0 && cmd.Has(command.DenyOOM) && r.Flags&script.FlagAllowOOM == 0 &&
			s.scripts.caller != nil && s.scripts.caller.flags&(flagPrimary|flagReplayed) == 0 {
			return s.scriptReject(lc, cmd, errOOM)
		}
		if s.repl.master == nil && s.cfg.MinReplicasToWrite > 0 && s.cfg.MinReplicasMaxLag > 0 &&
			int64(s.goodReplicas()) < s.cfg.MinReplicasToWrite {
			return s.scriptReject(lc, cmd, "NOREPLICAS Not enough good replicas to write.")
		}
	}
	if write {
		r.WriteDirty = true
	}
	var mask command.Target
	if r.Repl&script.ReplAOF != 0 {
		mask |= command.ToAOF
	}
	if r.Repl&script.ReplReplica != 0 {
		mask |= command.ToReplicas
	}
	s.eng.ReplMask = mask
	defer func() {
		if p := recover(); p != nil {
			// A command that may have written panicked half-way; the
			// engine wrote the crash report. gopher-lua would catch the
			// panic and let the script go on: stop the script without
			// propagating it, and the server, as Redis's assertions do.
			r.Killed = true
			s.scripts.abandon = true
			s.fatal()
			panic(p)
		}
	}()
	s.execute(lc, cmd, args, nil)
	return lc.reply.Buf
}

// scriptReject answers a command the script may not run, counting the
// error as Redis does.
func (s *Server) scriptReject(lc *client, cmd *command.Command, msg string) []byte {
	if r := s.scripts.run; r != nil {
		r.Rejected = true
	}
	if cmd != nil {
		cmd.Stats.Rejected++
	}
	s.RecordError(msg)
	lc.reply.Error(msg)
	return lc.reply.Buf
}

// Log implements script.Host (redis.log).
func (s *Server) Log(level int, msg string) { s.log.Logf(level, "%s", msg) }

// ACLCheckCommand is redis.acl_check_cmd: whether args name a command
// the server has, with a valid arity, and whether the script's caller
// may run it on those keys and channels.
func (s *Server) ACLCheckCommand(args []string) (known, allowed bool) {
	bargs := make([][]byte, len(args))
	for i, a := range args {
		bargs[i] = []byte(a)
	}
	cmd := s.cmds.Lookup(bargs[0])
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		cmd = cmd.LookupSub(bargs[1])
	}
	if cmd == nil || cmd.Handler == nil || !cmd.ArityOK(len(args)) {
		return false, false
	}
	caller := s.scripts.caller
	if caller == nil || caller.user == nil {
		return true, true
	}
	return true, caller.user.Check(cmd, bargs, s.aclKeys(caller.user, cmd, bargs)).OK()
}

// Interrupt implements script.Host: called every few thousand Lua
// instructions. Past busy-reply-threshold the script declares the engine
// lock busy and from then on serves other clients about every
// millisecond (Redis's processEventsWhileBlocked).
func (s *Server) Interrupt(r *script.Run) {
	// A script that allocates without bound (a table that keeps
	// growing) is stopped before it takes the server's memory, and
	// rolled back when it wrote; Redis's Lua grows until malloc fails
	// and the process aborts.
	limit := s.cfg.ScriptMemoryLimit
	if limit > 0 && s.scripts.heapAtStart < 0 {
		s.scripts.heapAtStart = heapBytes()
	} else if limit > 0 && heapBytes()-s.scripts.heapAtStart > limit {
		s.log.Warningf("Script %s used more than script-memory-limit (%d bytes): stopping it.", r.Name, limit)
		r.KillMsg = "Script used more than script-memory-limit bytes of memory and was stopped"
		if r.WriteDirty {
			if s.scripts.undoing && !s.scripts.undo.broken {
				r.KillMsg += "; its writes were rolled back and not propagated"
			} else {
				r.KillMsg += " after it wrote"
			}
		}
		r.Killed = true
		return
	}
	now := time.Now()
	if !r.TimedOut {
		limit := s.cfg.BusyReplyThreshold
		elapsed := now.Sub(r.Start).Milliseconds()
		if limit <= 0 || elapsed < limit {
			return
		}
		r.TimedOut = true
		what := "SCRIPT KILL"
		if !r.Eval {
			what = "FUNCTION KILL"
		}
		s.log.Warningf("Slow script detected: still in execution after %d milliseconds. You can try killing the script using the %s command. Script name is: %s.", elapsed, what, r.Name)
		s.eng.SetBusy()
	} else if now.Sub(s.scripts.lastServe) < time.Millisecond {
		return
	}
	s.scripts.lastServe = now
	s.eng.Poll()
	// The loop whose goroutine runs the script serves its other
	// clients; the one that sent the command stays on hold. (A script
	// replayed by DEBUG LOADAOF has the AOF's client as caller: the
	// loop is the one running DEBUG LOADAOF.)
	if l := s.running; l != nil {
		l.serveWhileBusy(l.current)
	}
}

func scriptLoadCmd(s *Server, c *client, ctx *command.Ctx) {
	sc, msg := s.scripts.vm.Create(ctx.Args[2])
	if sc == nil {
		ctx.Err(msg)
		return
	}
	ctx.W.BulkString(sc.SHA)
}

func scriptExistsCmd(s *Server, c *client, ctx *command.Ctx) {
	ctx.W.Array(len(ctx.Args) - 2)
	for _, sha := range ctx.Args[2:] {
		if s.scripts.vm.Lookup(sha) != nil {
			ctx.W.Int(1)
		} else {
			ctx.W.Int(0)
		}
	}
}

func scriptFlushCmd(s *Server, c *client, ctx *command.Ctx) {
	switch {
	case len(ctx.Args) == 2:
	case len(ctx.Args) == 3 && (strings.EqualFold(string(ctx.Args[2]), "sync") || strings.EqualFold(string(ctx.Args[2]), "async")):
	default:
		// Redis checks SCRIPT FLUSH's arguments with these words.
		ctx.Err("ERR SCRIPT FLUSH only support SYNC|ASYNC option")
		return
	}
	s.scripts.vm.Reset()
	ctx.W.OK()
}

func scriptKillCmd(s *Server, c *client, ctx *command.Ctx) { s.scriptKill(ctx, true) }

// scriptKill is SCRIPT KILL (eval set) and FUNCTION KILL.
func (s *Server) scriptKill(ctx *command.Ctx, eval bool) {
	r := s.scripts.run
	switch {
	case r == nil:
		ctx.Err(errNotBusy)
	case s.scripts.caller != nil && s.scripts.caller.flags&flagReplayed != 0:
		ctx.Err("UNKILLABLE The busy script was sent by a master instance in the context of replication and cannot be killed.")
	case r.WriteDirty && (!s.scripts.undoing || s.scripts.undo.broken):
		if s.scripts.undoing {
			s.log.Noticef("Script %s cannot be rolled back: it changed more than script-undo-limit bytes of values, or flushed a database.", r.Name)
		}
		ctx.Err("UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command.")
	case eval && !r.Eval:
		ctx.Err(errBusyFunction)
	case !eval && r.Eval:
		ctx.Err(errBusyEval)
	default:
		if r.WriteDirty {
			r.KillMsg = errKilledRolledBack
		}
		r.Killed = true
		ctx.W.OK()
	}
}

func scriptHelpCmd(s *Server, c *client, ctx *command.Ctx) {
	help := []string{
		"SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"DEBUG (YES|SYNC|NO)",
		"    Set the debug mode for subsequent scripts executed.",
		"EXISTS <sha1> [<sha1> ...]",
		"    Return information about the existence of the scripts in the script cache.",
		"FLUSH [ASYNC|SYNC]",
		"    Flush the Lua scripts cache. Very dangerous on replicas.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the scripts cache.",
		"    * SYNC: Synchronously flush the scripts cache.",
		"KILL",
		"    Kill the currently executing Lua script.",
		"LOAD <script>",
		"    Load a script into the scripts cache without executing it.",
		"HELP",
		"    Prints this help.",
	}
	ctx.W.Array(len(help))
	for _, l := range help {
		ctx.W.Simple(l)
	}
}
