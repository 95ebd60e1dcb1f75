package script

import (
	"time"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
)

// Flags are a script's or a function's declared flags (the shebang's
// flags=, FUNCTION's flags).
type Flags uint32

const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
	// FlagEvalCompat marks an EVAL script without a shebang: it keeps
	// Redis 6's behaviour, where the command's own flags decide.
	FlagEvalCompat
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagNoWrites, "no-writes"},
	{FlagAllowOOM, "allow-oom"},
	{FlagAllowStale, "allow-stale"},
	{FlagNoCluster, "no-cluster"},
	{FlagAllowCrossSlot, "allow-cross-slot-keys"},
}

// Propagation targets a script chooses with redis.set_repl (Redis's
// PROPAGATE_AOF and PROPAGATE_REPL).
const (
	ReplAOF     = 1
	ReplReplica = 2
	ReplAll     = ReplAOF | ReplReplica
)

// Run is one invocation of a script or function: what the host needs to
// run its commands, and what it learns while it runs.
type Run struct {
	// Caller is the client that sent EVAL or FCALL (the host's own type).
	Caller any
	// Name is the script's SHA1 or the function's name.
	Name string
	// Eval is set for EVAL scripts, clear for functions.
	Eval bool
	// Flags are the script's declared flags.
	Flags Flags
	// ReadOnly: write commands are refused (EVAL_RO, FCALL_RO, or a
	// script declaring no-writes).
	ReadOnly bool
	// Resp is the protocol the script's commands reply in (redis.setresp).
	Resp int
	// Repl is where the script's writes are propagated (redis.set_repl).
	Repl int
	// Start is when the script started.
	Start time.Time
	// WriteDirty is set by the host once the script ran a write command.
	WriteDirty bool
	// TimedOut is set by the host once the script ran past
	// busy-reply-threshold.
	TimedOut bool
	// Killed is set by the host when SCRIPT KILL or FUNCTION KILL asks
	// the script to stop; KillMsg, when set, replaces Redis's message to
	// the script's caller.
	Killed  bool
	KillMsg string
	// Rejected is set by the host when Call refused the command before
	// running it (Redis's scriptCall errors), which a debugging session
	// logs as an error rather than as the command's reply.
	Rejected bool
	// loadDeadline bounds a library's load (FUNCTION LOAD).
	loadDeadline time.Time
}

// hookCtx is the context gopher-lua polls between instructions (see the
// package comment): its Done method is the instruction hook.
type hookCtx struct {
	vm    *VM
	count uint32
	// killed mirrors the running Run's Killed, which changes only
	// inside Host.Interrupt, so that the hook's common path reads
	// nothing else.
	killed bool
}

var closedCh = func() chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}()

func (h *hookCtx) Done() <-chan struct{} {
	h.count++
	if h.count&(interruptEvery-1) != 0 {
		if h.killed {
			return closedCh
		}
		return nil
	}
	r := h.vm.run
	if r == nil {
		return nil
	}
	if !r.Killed {
		if r.loadDeadline.IsZero() {
			h.vm.host.Interrupt(r)
		} else if time.Now().After(r.loadDeadline) {
			r.Killed = true
		}
	}
	h.killed = r.Killed
	if r.Killed {
		return closedCh
	}
	return nil
}

func (h *hookCtx) Err() error                              { return errKilled{} }
func (h *hookCtx) Deadline() (deadline time.Time, ok bool) { return time.Time{}, false }
func (h *hookCtx) Value(key any) any                       { return nil }

type errKilled struct{}

func (errKilled) Error() string { return killedMsg }

const killedMsg = "Script killed by user with SCRIPT KILL..."

// Running is the run in progress, nil between scripts.
func (vm *VM) Running() *Run { return vm.run }

// call runs fn (the compiled script, or a function with KEYS and ARGV as
// arguments) for r and writes its result, or its error, to w. It
// returns the error reply's text when the script failed ("" when it
// did not), and whether that error was already counted in errorstats
// (an error a command replied inside the script).
func (vm *VM) call(w *protocol.Writer, r *Run, fn *lua.LFunction, args ...lua.LValue) (errMsg string, counted bool) {
	L := vm.L
	vm.run = r
	vm.hook.killed = false
	defer func() { vm.run, vm.hook.killed = nil, false }()
	L.Push(fn)
	for _, a := range args {
		L.Push(a)
	}
	err := L.PCall(len(args), 1, vm.errh)
	if err != nil {
		var val lua.LValue = lua.LNil
		if ae, ok := err.(*lua.ApiError); ok {
			val = ae.Object
		}
		return vm.errorReply(w, r, val)
	}
	ret := L.Get(-1)
	L.Pop(1)
	msg, counted := vm.toRESP(w, r, ret)
	return msg, counted
}

// newErrHandler returns the message handler of a script's pcall, which
// records where the error happened as Redis's __redis__err__handler
// does: the Lua function that raised it, or that called the Go function
// that did.
func (vm *VM) newErrHandler() *lua.LFunction {
	return vm.L.NewFunction(func(L *lua.LState) int {
		e := L.Get(1)
		run := vm.run
		if run != nil && run.Killed {
			msg := killedMsg
			if run.KillMsg != "" {
				msg = run.KillMsg
			}
			e = errorTable(L, msg, false)
		} else if vm.ldb != nil && vm.ldb.abortMsg != "" {
			// The debugger ended the script (abort, a protocol error).
			e = errorTable(L, vm.ldb.abortMsg, false)
		}
		t, ok := e.(*lua.LTable)
		if !ok {
			t = L.CreateTable(0, 3)
			var s string
			switch v := e.(type) {
			case lua.LString:
				s = vm.callErrorMessage(L, string(v))
			case lua.LNumber:
				s = formatNumber(float64(v))
			default:
				s = L.ToStringMeta(e).String()
			}
			t.RawSetString("err", lua.LString("ERR "+s))
		}
		// Level 1 is this handler's caller in gopher-lua's frames: find
		// the first Lua function up the stack.
		for level := 1; level < 10; level++ {
			dbg, ok := L.GetStack(level)
			if !ok {
				break
			}
			if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil {
				break
			}
			if dbg.What == "G" {
				continue
			}
			src := dbg.Source
			if src != "" && src[0] != '=' && src[0] != '@' {
				src = "@" + src
			}
			t.RawSetString("source", lua.LString(src))
			t.RawSetString("line", lua.LNumber(dbg.CurrentLine))
			break
		}
		L.Push(t)
		return 1
	})
}

// errorReply writes the reply to a script that raised err (Redis's
// luaCallFunction error path).
func (vm *VM) errorReply(w *protocol.Writer, r *Run, e lua.LValue) (string, bool) {
	t, ok := e.(*lua.LTable)
	if !ok {
		msg := "execution failure"
		if s, isStr := e.(lua.LString); isStr {
			msg = string(s)
		}
		if len(msg) > 100 {
			msg = msg[:100]
		}
		full := "ERR Error running script " + r.Name + ", " + msg
		w.Error(full)
		return full, false
	}
	msg := lua.LVAsString(t.RawGetString("err"))
	if msg == "" {
		msg = "ERR unknown error"
	}
	src, line := t.RawGetString("source"), t.RawGetString("line")
	if src != lua.LNil && line != lua.LNil {
		msg += " script: " + r.Name + ", on " + lua.LVAsString(src) + ":" + lua.LVAsString(line) + "."
	}
	w.Error(msg)
	return msg, lua.LVAsBool(t.RawGetString("ignore_error_stats_update"))
}
