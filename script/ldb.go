package script

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unsafe"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
)

// The Lua debugger (Redis 7.0's LDB, SCRIPT DEBUG): an EVAL run under a
// session stops before lines, talks with the client over the client's
// own connection, which the session reads and writes itself while the
// script is suspended (Redis's ldbRepl reads the socket from inside
// Lua's line hook), and runs the client's debugger commands. Texts and
// behaviour follow Redis 7.0.15's eval.c and script_lua.c.
//
// Lua 5.1 calls Redis's hook on every new line (LUA_MASKLINE) and every
// 100,000 instructions (LUA_MASKCOUNT). gopher-lua has neither: it polls
// a context between every two instructions (see run.go). A session
// swaps the VM's hook for debugHook, whose Done decides per instruction
// whether Lua would fire a line event there (see ldbframe.go), so that
// ordinary scripts pay nothing for the debugger.

// DebugConn is the debugging client's connection, read and written by
// the session itself, blocking.
type DebugConn interface {
	// Read waits for what the client sends and returns it. It returns
	// an error once the client is gone, or the run was killed
	// (Run.Killed) while it waited.
	Read(b []byte) (int, error)
	// Write sends b. Redis ignores a failed write: the next read finds
	// the connection gone.
	Write(b []byte) error
}

// Debug describes a debugging session for StartDebug.
type Debug struct {
	Conn DebugConn
	// Source is EVAL's script argument, which list and the line texts
	// show.
	Source []byte
	// TimeLimit is how long the script may run without stopping before
	// the debugger stops it ("timeout reached, infinite loop?"): Redis
	// uses busy-reply-threshold, 5 seconds when that is 0.
	TimeLimit time.Duration
}

const (
	ldbMaxBreakpoints = 64
	ldbMaxLenDefault  = 256
	// ldbMaxDepth is LDB_MAX_VALUES_DEPTH (LUA_MINSTACK/2).
	ldbMaxDepth = 10
	// ldbCountEvery is the instruction count of Redis's LUA_MASKCOUNT
	// hook in a debugging session.
	ldbCountEvery = 100000
	// ldbMaxBuf is the debugger command buffer's bound (1 MB in Redis).
	ldbMaxBuf = 1 << 20
)

// ldbState is a session's state (Redis's struct ldbState).
type ldbState struct {
	vm    *VM
	conn  DebugConn
	lines [][]byte
	bp    []int
	// step stops at the next line; luabp at the next line after
	// redis.breakpoint().
	step, luabp bool
	currentLine int
	maxlen      int
	maxlenHint  bool
	logs        []string
	cbuf        []byte
	timeLimit   time.Duration
	start       time.Time
	// inHook is set while the debugger runs its commands: code they run
	// fires no events, as Lua runs no hook inside a hook.
	inHook bool
	// abortMsg, once set, is the error that ends the script (abort, a
	// protocol error); the hook raises it before every instruction.
	abortMsg string
	// thread runs the Lua of the eval command, apart from the script's
	// registers.
	thread *lua.LState
	// readErr is set once the client is gone: the script runs on
	// without stopping.
	readErr bool
}

// debugHook is the context a session sets on the Lua state (and on the
// coroutines the script creates): its Done is Redis's luaLdbLineHook.
type debugHook struct {
	vm *VM
	L  *lua.LState
	// lastFrame and lastPc are where the previous instruction ran, to
	// see a new line or a jump back as Lua 5.1's traceexec does.
	lastFrame unsafe.Pointer
	lastPc    int
	count     int
}

// Debugging reports whether a debugging session is on.
func (vm *VM) Debugging() bool { return vm.ldb != nil }

// StartDebug starts a debugging session: the next Eval runs under the
// debugger. It fails when the debugger cannot follow gopher-lua's
// frames (see ldbframe.go).
func (vm *VM) StartDebug(d Debug) error {
	if !frameAccess.ok {
		return fmt.Errorf("the Lua debugger does not support this gopher-lua version")
	}
	src := d.Source
	// Trailing line feeds go before the split, as in ldbStartSession.
	for len(src) > 0 && (src[len(src)-1] == '\n' || src[len(src)-1] == '\r') {
		src = src[:len(src)-1]
	}
	limit := d.TimeLimit
	if limit <= 0 {
		limit = 5 * time.Second
	}
	st := &ldbState{
		vm: vm, conn: d.Conn, lines: bytes.Split(src, []byte("\n")),
		step: true, maxlen: ldbMaxLenDefault, timeLimit: limit, start: time.Now(),
	}
	if len(src) == 0 {
		st.lines = nil
	}
	vm.ldb = st
	vm.L.SetContext(&debugHook{vm: vm, L: vm.L, lastPc: -1})
	return nil
}

// EndDebug ends the session: the last logs and an <endsession> mark go
// to the client, and the VM gets its ordinary hook back.
func (vm *VM) EndDebug() {
	st := vm.ldb
	if st == nil {
		return
	}
	st.log("<endsession>")
	st.sendLogs()
	vm.ldb = nil
	vm.L.SetContext(&vm.hook)
}

func (h *debugHook) Err() error                              { return errKilled{} }
func (h *debugHook) Deadline() (deadline time.Time, ok bool) { return time.Time{}, false }
func (h *debugHook) Value(key any) any                       { return nil }

// Done is called before every instruction of a debugged script.
func (h *debugHook) Done() <-chan struct{} {
	vm := h.vm
	st := vm.ldb
	if st == nil || st.inHook {
		return nil
	}
	if st.abortMsg != "" {
		return closedCh
	}
	r := vm.run
	if r == nil {
		return nil
	}
	if r.Killed {
		return closedCh
	}
	frame, fn, pc := currentFrame(h.L)
	if frame == nil || fn == nil || fn.IsG || pc < 0 || pc >= len(fn.Proto.DbgSourcePositions) {
		return nil
	}
	proto := fn.Proto
	line := lineAt(proto, pc)
	// A line event where Lua 5.1 fires one: a function's first
	// instruction, a jump back, or an instruction on another line than
	// the one that ran before it in this frame (after a call returns,
	// the call itself).
	prev := pc - 1
	if frame == h.lastFrame {
		prev = h.lastPc
	}
	lineEvent := pc == 0 || (frame == h.lastFrame && pc <= h.lastPc) ||
		prev < 0 || prev >= len(proto.DbgSourcePositions) || lineAt(proto, prev) != line
	h.lastFrame, h.lastPc = frame, pc
	h.count++
	countEvent := h.count >= ldbCountEvery
	if countEvent {
		h.count = 0
	}
	if !lineEvent && !countEvent {
		return nil
	}
	st.currentLine = line
	// Events outside the script are not interesting.
	if !strings.Contains(proto.SourceName, sourceUserScript) {
		return nil
	}
	bp := st.isBreakpoint(line) || st.luabp
	timeout := false
	// Lua runs the count hook before the line hook of the same
	// instruction: a loop's count events mostly fall on line events.
	if countEvent && !st.step && !bp {
		if time.Since(st.start) >= st.timeLimit {
			timeout = true
			st.step = true
		} else if !lineEvent {
			return nil
		}
	}
	if !st.step && !bp {
		return nil
	}
	reason := "step over"
	if bp {
		reason = "break point"
		if st.luabp {
			reason = "redis.breakpoint() called"
		}
	} else if timeout {
		reason = "timeout reached, infinite loop?"
	}
	st.step, st.luabp = false, false
	st.log(fmt.Sprintf("* Stopped at %d, stop reason = %s", line, reason))
	st.logSourceLine(line)
	st.sendLogs()
	st.inHook = true
	ok := st.repl(h.L)
	st.inHook = false
	if !ok && timeout && st.abortMsg == "" {
		// The client went away during a stop for a timeout: without
		// it the script would loop forever.
		st.abortMsg = "timeout during Lua debugging with client closing connection"
	}
	st.start = time.Now()
	if st.abortMsg != "" || r.Killed {
		return closedCh
	}
	return nil
}

// newThreadHook is the hook of a coroutine the debugged script creates.
func (vm *VM) newThreadHook(th *lua.LState) *debugHook {
	return &debugHook{vm: vm, L: th, lastPc: -1}
}

func (st *ldbState) log(s string) { st.logs = append(st.logs, s) }

// logMaxLen logs s cut at maxlen, with a hint the first time
// (ldbLogWithMaxLen).
func (st *ldbState) logMaxLen(s string) {
	trimmed := false
	if st.maxlen > 0 && len(s) > st.maxlen {
		s = s[:st.maxlen] + " ..."
		trimmed = true
	}
	st.log(s)
	if trimmed && !st.maxlenHint {
		st.maxlenHint = true
		st.log("<hint> The above reply was trimmed. Use 'maxlen 0' to disable trimming.")
	}
}

// sendLogs sends the logs as an array of status replies, line breaks
// turned into spaces (ldbSendLogs).
func (st *ldbState) sendLogs() {
	b := make([]byte, 0, 64)
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(len(st.logs)), 10)
	b = append(b, "\r\n"...)
	for _, l := range st.logs {
		b = append(b, '+')
		for i := 0; i < len(l); i++ {
			c := l[i]
			if c == '\r' || c == '\n' {
				c = ' '
			}
			b = append(b, c)
		}
		b = append(b, "\r\n"...)
	}
	st.logs = st.logs[:0]
	_ = st.conn.Write(b)
}

func (st *ldbState) sourceLine(n int) []byte {
	if n < 1 || n > len(st.lines) {
		return []byte("<out of range source code line>")
	}
	return st.lines[n-1]
}

func (st *ldbState) isBreakpoint(line int) bool {
	for _, b := range st.bp {
		if b == line {
			return true
		}
	}
	return false
}

// addBreakpoint reports false for a line out of range, a line already
// set (Redis says "Wrong line number." then too) or a full list.
func (st *ldbState) addBreakpoint(line int) bool {
	if line <= 0 || line > len(st.lines) {
		return false
	}
	if !st.isBreakpoint(line) && len(st.bp) != ldbMaxBreakpoints {
		st.bp = append(st.bp, line)
		return true
	}
	return false
}

func (st *ldbState) delBreakpoint(line int) bool {
	for i, b := range st.bp {
		if b == line {
			st.bp = append(st.bp[:i], st.bp[i+1:]...)
			return true
		}
	}
	return false
}

func (st *ldbState) logSourceLine(n int) {
	prefix := "   "
	current, bp := st.currentLine == n, st.isBreakpoint(n)
	switch {
	case current && bp:
		prefix = "->#"
	case current:
		prefix = "-> "
	case bp:
		prefix = "  #"
	}
	st.log(fmt.Sprintf("%s%-3d %s", prefix, n, st.sourceLine(n)))
}

// list lists the source around a line, or all of it when around is 0.
func (st *ldbState) list(around, ctx int) {
	for j := 1; j <= len(st.lines); j++ {
		if around != 0 && abs(around-j) > ctx {
			continue
		}
		st.logSourceLine(j)
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// atoi is C's atoi: leading spaces, a sign, digits, the rest ignored.
func atoi(s []byte) int {
	i := 0
	for i < len(s) && (s[i] == ' ' || s[i] >= '\t' && s[i] <= '\r') {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		n = n*10 + int(s[i]-'0')
		if n > 1<<31 {
			n = 1 << 31
		}
	}
	if neg {
		return -n
	}
	return n
}

// parseCommand takes one command, a RESP array of bulk strings, off
// the buffer (ldbReplParseCommand, as forgiving and as strict: no
// argument may be empty or longer than 1024 bytes). It returns nil with
// no error when more input is needed.
func (st *ldbState) parseCommand() ([][]byte, bool) {
	b := st.cbuf
	if len(b) == 0 {
		return nil, true
	}
	p := bytes.IndexByte(b, '*')
	if p < 0 {
		return nil, false
	}
	e := bytes.Index(b[p:], []byte("\r\n"))
	if e < 0 {
		return nil, true
	}
	argc := atoi(b[p+1 : p+e])
	if argc <= 0 || argc > 1024 {
		return nil, false
	}
	p += e + 2
	args := make([][]byte, 0, argc)
	for len(args) < argc {
		if p >= len(b) {
			return nil, true
		}
		if b[p] != '$' {
			return nil, false
		}
		e := bytes.Index(b[p:], []byte("\r\n"))
		if e < 0 {
			return nil, true
		}
		n := atoi(b[p+1 : p+e])
		if n <= 0 || n > 1024 {
			return nil, false
		}
		p += e + 2
		if p+n+2 > len(b) {
			return nil, true
		}
		args = append(args, bytes.Clone(b[p:p+n]))
		p += n
		if b[p] != '\r' || b[p+1] != '\n' {
			return nil, false
		}
		p += 2
	}
	return args, true
}

var ldbHelp = []string{
	"Redis Lua debugger help:",
	"[h]elp               Show this help.",
	"[s]tep               Run current line and stop again.",
	"[n]ext               Alias for step.",
	"[c]ontinue           Run till next breakpoint.",
	"[l]ist               List source code around current line.",
	"[l]ist [line]        List source code around [line].",
	"                     line = 0 means: current position.",
	"[l]ist [line] [ctx]  In this form [ctx] specifies how many lines",
	"                     to show before/after [line].",
	"[w]hole              List all source code. Alias for 'list 1 1000000'.",
	"[p]rint              Show all the local variables.",
	"[p]rint <var>        Show the value of the specified variable.",
	"                     Can also show global vars KEYS and ARGV.",
	"[b]reak              Show all breakpoints.",
	"[b]reak <line>       Add a breakpoint to the specified line.",
	"[b]reak -<line>      Remove breakpoint from the specified line.",
	"[b]reak 0            Remove all breakpoints.",
	"[t]race              Show a backtrace.",
	"[e]val <code>        Execute some Lua code (in a different callframe).",
	"[r]edis <cmd>        Execute a Redis command.",
	"[m]axlen [len]       Trim logged Redis replies and Lua var dumps to len.",
	"                     Specifying zero as <len> means unlimited.",
	"[a]bort              Stop the execution of the script. In sync",
	"                     mode dataset changes will be retained.",
	"",
	"Debugger functions you can call from Lua scripts:",
	"redis.debug()        Produce logs in the debugger console.",
	"redis.breakpoint()   Stop execution like if there was a breakpoint in the",
	"                     next line of code.",
}

// repl reads and runs debugger commands until one resumes the script
// (ldbRepl). It returns false when the client is gone.
func (st *ldbState) repl(L *lua.LState) bool {
	if st.readErr {
		return false
	}
	var buf [1024]byte
	for {
		args, ok := st.parseCommand()
		for args == nil {
			if !ok {
				st.abortMsg = "protocol error"
				return true
			}
			n, err := st.conn.Read(buf[:])
			if n <= 0 || err != nil {
				// The script runs on without the client.
				st.step = false
				st.bp = st.bp[:0]
				st.readErr = true
				return false
			}
			st.cbuf = append(st.cbuf, buf[:n]...)
			if len(st.cbuf) > ldbMaxBuf {
				st.cbuf = nil
				st.abortMsg = "max client buffer reached"
				return true
			}
			args, ok = st.parseCommand()
		}
		st.cbuf = st.cbuf[:0]
		cmd := strings.ToLower(string(args[0]))
		argc := len(args)
		switch {
		case cmd == "h" || cmd == "help":
			for _, l := range ldbHelp {
				st.log(l)
			}
		case cmd == "s" || cmd == "step" || cmd == "n" || cmd == "next":
			st.step = true
			return true
		case cmd == "c" || cmd == "continue":
			return true
		case cmd == "t" || cmd == "trace":
			st.trace(L)
		case cmd == "m" || cmd == "maxlen":
			st.maxlenCmd(args)
		case cmd == "b" || cmd == "break":
			st.breakCmd(args)
		case cmd == "e" || cmd == "eval":
			st.eval(args)
		case cmd == "a" || cmd == "abort":
			st.abortMsg = "script aborted for user request"
			return true
		case argc > 1 && (cmd == "r" || cmd == "redis"):
			st.redis(args)
		case cmd == "p" || cmd == "print":
			if argc == 2 {
				st.print(L, string(args[1]))
			} else {
				st.printAll(L)
			}
		case cmd == "l" || cmd == "list":
			around, ctx := st.currentLine, 5
			if argc > 1 {
				if n := atoi(args[1]); n > 0 {
					around = n
				}
			}
			if argc > 2 {
				ctx = atoi(args[2])
			}
			st.list(around, ctx)
		case cmd == "w" || cmd == "whole":
			st.list(1, 1000000)
		default:
			st.log("<error> Unknown Redis Lua debugger command or wrong number of arguments.")
		}
		st.sendLogs()
	}
}

func (st *ldbState) maxlenCmd(args [][]byte) {
	if len(args) == 2 {
		n := atoi(args[1])
		st.maxlenHint = true
		if n != 0 && n <= 60 {
			n = 60
		}
		st.maxlen = n
	}
	if st.maxlen != 0 {
		st.log(fmt.Sprintf("<value> replies are truncated at %d bytes.", st.maxlen))
	} else {
		st.log("<value> replies are unlimited.")
	}
}

func (st *ldbState) breakCmd(args [][]byte) {
	if len(args) == 1 {
		if len(st.bp) == 0 {
			st.log("No breakpoints set. Use 'b <line>' to add one.")
			return
		}
		st.log(fmt.Sprintf("%d breakpoints set:", len(st.bp)))
		for _, b := range st.bp {
			st.logSourceLine(b)
		}
		return
	}
	for _, a := range args[1:] {
		line, err := strconv.ParseInt(string(a), 10, 64)
		if err != nil || !strictInt(a) {
			st.log(fmt.Sprintf("Invalid argument:'%s'", a))
			continue
		}
		switch {
		case line == 0:
			st.bp = st.bp[:0]
			st.log("All breakpoints removed.")
		case line > 0:
			if len(st.bp) == ldbMaxBreakpoints {
				st.log("Too many breakpoints set.")
			} else if line <= int64(len(st.lines)) && st.addBreakpoint(int(line)) {
				st.list(int(line), 1)
			} else {
				st.log("Wrong line number.")
			}
		default:
			if st.delBreakpoint(int(-line)) {
				st.log("Breakpoint removed.")
			} else {
				st.log("No breakpoint in the specified line.")
			}
		}
	}
}

// strictInt is Redis's string2l: no spaces, no plus sign, no leading
// zeros.
func strictInt(a []byte) bool {
	s := a
	if len(s) > 0 && s[0] == '-' {
		s = s[1:]
	}
	if len(s) == 0 || (s[0] == '0' && len(a) > 1) {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// trace logs the Lua stack (ldbTrace).
func (st *ldbState) trace(L *lua.LState) {
	level := 0
	var seen unsafe.Pointer
	for ; level < callStackSize; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		// gopher-lua's GetStack answers its bottom frame for every level
		// past a tail call's: stop at a repeat.
		if f := debugFrame(dbg); f == seen {
			break
		} else {
			seen = f
		}
		if _, err := L.GetInfo("Snl", dbg, lua.LNil); err != nil {
			break
		}
		if strings.Contains(dbg.Source, sourceUserScript) {
			where := "From"
			if level == 0 {
				where = "In"
			}
			st.log(fmt.Sprintf("%s %s:", where, funcName(dbg)))
			st.logSourceLine(dbg.CurrentLine)
		}
	}
	if level == 0 {
		st.log("<error> Can't retrieve Lua stack.")
	}
}

// funcName is the name Lua 5.1's getinfo gives a function ("top level"
// when it has none): gopher-lua makes one up where Lua has none.
func funcName(dbg *lua.Debug) string {
	n := dbg.Name
	if n == "" || n == "?" || n == "main chunk" || n == "corountine" || n == "(anonymous)" || strings.HasPrefix(n, "<") {
		return "top level"
	}
	return n
}

// print logs the first local called name from the current frame down
// to the outermost, or the global KEYS or ARGV (ldbPrint).
func (st *ldbState) print(L *lua.LState, name string) {
	var seen unsafe.Pointer
	for level := 0; level < callStackSize; level++ {
		dbg, ok := L.GetStack(level)
		if !ok {
			break
		}
		if f := debugFrame(dbg); f == seen {
			break
		} else {
			seen = f
		}
		for i := 1; ; i++ {
			n, v := frameLocal(L, dbg, i)
			if n == "" {
				break
			}
			if n == name {
				st.logMaxLen("<value> " + st.vm.ldbValue(v))
				return
			}
		}
	}
	if name == "KEYS" || name == "ARGV" {
		st.logMaxLen("<value> " + st.vm.ldbValue(st.vm.globals.RawGetString(name)))
		return
	}
	st.log("No such variable.")
}

// printAll logs the current frame's locals (ldbPrintAll).
func (st *ldbState) printAll(L *lua.LState) {
	vars := 0
	if dbg, ok := L.GetStack(0); ok {
		for i := 1; ; i++ {
			n, v := frameLocal(L, dbg, i)
			if n == "" {
				break
			}
			if !strings.Contains(n, "(*temporary)") {
				st.logMaxLen("<value> " + n + " = " + st.vm.ldbValue(v))
				vars++
			}
		}
	}
	if vars == 0 {
		st.log("No local variables in the current context.")
	}
}

// evalThread is the Lua thread the eval command runs code on: it shares
// the script's globals but not its registers, which the suspended
// instruction may still need.
func (st *ldbState) evalThread() *lua.LState {
	if st.thread == nil {
		th, cancel := st.vm.L.NewThread()
		th.RemoveContext()
		if cancel != nil {
			cancel()
		}
		st.thread = th
	}
	return st.thread
}

// eval compiles the arguments as an expression, or else as a
// statement, and logs what it returns (ldbEval).
func (st *ldbState) eval(args [][]byte) {
	parts := make([]string, len(args)-1)
	for i, a := range args[1:] {
		parts[i] = string(a)
	}
	code := strings.Join(parts, " ")
	th := st.evalThread()
	fn, err := th.Load(strings.NewReader("return "+code), ldbEvalSource)
	if err != nil {
		fn, err = th.Load(strings.NewReader(code), ldbEvalSource)
		if err != nil {
			st.log("<error> " + compileErrorIn(err, []byte(code), ldbEvalSource))
			return
		}
	}
	th.SetTop(0)
	th.Push(fn)
	if err := th.PCall(0, 1, nil); err != nil {
		st.log("<error> " + st.vm.ldbErrorText(err))
		th.SetTop(0)
		return
	}
	v := th.Get(-1)
	th.SetTop(0)
	st.logMaxLen("<retval> " + st.vm.ldbValue(v))
}

const ldbEvalSource = "ldb_eval"

// ldbErrorText is the message of an error raised in the debugger's
// eval, as lua_tostring shows it.
func (vm *VM) ldbErrorText(err error) string {
	ae, ok := err.(*lua.ApiError)
	if !ok {
		return err.Error()
	}
	switch v := ae.Object.(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return formatNumber(float64(v))
	case *lua.LTable:
		// An error table ({err = ...}) shows as nothing in Redis
		// (lua_tostring of a table is NULL).
		return ""
	}
	return ae.Object.String()
}

// redis runs a command as redis.call would, logging it and its reply
// whatever the step mode (ldbRedis).
func (st *ldbState) redis(args [][]byte) {
	vm := st.vm
	th := st.evalThread()
	th.SetTop(0)
	th.Push(th.NewFunction(func(L *lua.LState) int { return vm.redisCall(L, true) }))
	for _, a := range args[1:] {
		th.Push(lua.LString(a))
	}
	step := st.step
	st.step = true
	_ = th.PCall(len(args)-1, 1, nil)
	st.step = step
	th.SetTop(0)
}

// logging reports whether commands and errors are logged: in a session,
// while stepping (ldbIsEnabled).
func (vm *VM) ldbLogging() bool { return vm.ldb != nil && vm.ldb.step }

// ldbLogError logs an error a redis.* function hands the script, as
// Redis's luaPushError does while stepping.
func (vm *VM) ldbLogError(msg string) {
	if vm.ldbLogging() {
		vm.ldb.log("<error> " + msg)
	}
}

// ldbLogCommand logs a command a script runs while stepping.
func (vm *VM) ldbLogCommand(args [][]byte) {
	var b strings.Builder
	b.WriteString("<redis>")
	for j, a := range args {
		if j == 10 {
			// Redis's count, one short of the arguments left.
			fmt.Fprintf(&b, " ... (%d more)", len(args)-j-1)
			break
		}
		b.WriteByte(' ')
		b.Write(a)
	}
	vm.ldb.log(b.String())
}

// ldbLogReply logs a command's reply in Redis's human form.
func (vm *VM) ldbLogReply(reply []byte) {
	b := []byte("<reply> ")
	b, _ = replyToHuman(b, reply)
	vm.ldb.logMaxLen(string(b))
}

// replyToHuman appends a RESP reply as the debugger shows it
// (ldbRedisProtocolToHuman) and returns the bytes after it.
func replyToHuman(o, r []byte) ([]byte, []byte) {
	if len(r) == 0 {
		return o, r
	}
	line, rest := splitLine(r[1:])
	switch r[0] {
	case ':':
		o = append(o, line...)
	case '$':
		n := atoi(line)
		if n < 0 {
			return append(o, "NULL"...), rest
		}
		if n > len(rest) {
			n = len(rest)
		}
		o = protocol.AppendRepr(o, rest[:n])
		rest = rest[n:]
		if len(rest) >= 2 {
			rest = rest[2:]
		}
	case '+', '-':
		o = protocol.AppendRepr(o, r[:len(line)+1])
	case '*', '~':
		n := atoi(line)
		if r[0] == '*' && n < 0 {
			return append(o, "NULL"...), rest
		}
		open, close := "[", "]"
		if r[0] == '~' {
			open, close = "~(", ")"
		}
		o = append(o, open...)
		for j := 0; j < n; j++ {
			o, rest = replyToHuman(o, rest)
			if j != n-1 {
				o = append(o, ',')
			}
		}
		o = append(o, close...)
	case '%':
		n := atoi(line)
		o = append(o, '{')
		for j := 0; j < n; j++ {
			o, rest = replyToHuman(o, rest)
			o = append(o, " => "...)
			o, rest = replyToHuman(o, rest)
			if j != n-1 {
				o = append(o, ',')
			}
		}
		o = append(o, '}')
	case '_':
		o = append(o, "(null)"...)
	case '#':
		if len(line) > 0 && line[0] == 't' {
			o = append(o, "#true"...)
		} else {
			o = append(o, "#false"...)
		}
	case ',':
		o = append(o, "(double) "...)
		o = append(o, line...)
	default:
		// Types Redis's debugger does not show (big numbers, verbatim
		// strings): skipped, as they are by Redis, but not mistaken
		// for what follows them.
		if r[0] == '=' {
			n := atoi(line)
			if n >= 0 && n+2 <= len(rest) {
				rest = rest[n+2:]
			}
		}
	}
	return o, rest
}

// ldbValue shows a Lua value as the debugger does (ldbCatStackValue):
// strings quoted, numbers with %g, tables as {a; b} or {[k]=v}. A
// protected table shows what it protects.
func (vm *VM) ldbValue(v lua.LValue) string {
	return string(vm.appendLdbValue(nil, v, 0))
}

func (vm *VM) appendLdbValue(s []byte, v lua.LValue, level int) []byte {
	if level == ldbMaxDepth {
		return append(s, "<max recursion level reached! Nested table?>"...)
	}
	level++
	switch x := v.(type) {
	case lua.LString:
		return protocol.AppendRepr(s, []byte(x))
	case lua.LBool:
		if x {
			return append(s, "true"...)
		}
		return append(s, "false"...)
	case lua.LNumber:
		return appendCNumber(s, float64(x))
	case *lua.LNilType:
		return append(s, "nil"...)
	case *lua.LTable:
		t := vm.real(x)
		expected := 1
		isArray := true
		var arr, full []byte
		key, val := t.Next(lua.LNil)
		for key != lua.LNil {
			if n, ok := key.(lua.LNumber); isArray && (!ok || float64(n) != float64(expected)) {
				isArray = false
			}
			arr = vm.appendLdbValue(arr, val, level)
			arr = append(arr, "; "...)
			full = append(full, '[')
			full = vm.appendLdbValue(full, key, level)
			full = append(full, "]="...)
			full = vm.appendLdbValue(full, val, level)
			full = append(full, "; "...)
			expected++
			key, val = t.Next(key)
		}
		if len(arr) > 0 {
			arr = arr[:len(arr)-2]
		}
		if len(full) > 0 {
			full = full[:len(full)-2]
		}
		s = append(s, '{')
		if isArray {
			s = append(s, arr...)
		} else {
			s = append(s, full...)
		}
		return append(s, '}')
	case *lua.LFunction:
		return fmt.Appendf(s, "\"function@%p\"", x)
	case *lua.LUserData:
		return fmt.Appendf(s, "\"userdata@%p\"", x)
	case *lua.LState:
		return fmt.Appendf(s, "\"thread@%p\"", x)
	}
	return append(s, "\"<unknown-lua-type>\""...)
}

// appendCNumber formats f as C's printf("%g").
func appendCNumber(b []byte, f float64) []byte {
	if f != f && math.Signbit(f) {
		return append(b, "-nan"...)
	} else if f != f {
		return append(b, "nan"...)
	}
	return protocol.AppendG(b, f, 6)
}

// ldbLogCallReply logs what a command the script ran answered: an error
// for a command the host refused, as Redis words it in its log (without
// the ERR code its reply gets), else the reply.
func (vm *VM) ldbLogCallReply(r *Run, reply []byte) {
	if !r.Rejected {
		if len(reply) > 0 && reply[0] == '-' {
			// Turning an error reply into its Lua table logs it, as
			// Redis's redisProtocolToLuaType_Error does, before the
			// reply itself.
			line, _ := splitLine(reply[1:])
			vm.ldb.log("<error> -" + string(line))
		}
		vm.ldbLogReply(reply)
		return
	}
	line, _ := splitLine(reply[1:])
	msg := string(line)
	if m, ok := strings.CutPrefix(msg, "ERR "); ok {
		msg = m
	} else {
		// Redis logs its shared error objects whole: "-CODE ...\r\n",
		// whose line break the log shows as two spaces.
		msg = "-" + msg + "\r\n"
	}
	vm.ldb.log("<error> " + msg)
}

// redisBreakpoint is redis.breakpoint(): in a session, stop at the next
// line.
func (vm *VM) redisBreakpoint(L *lua.LState) int {
	if vm.ldb == nil {
		L.Push(lua.LFalse)
		return 1
	}
	vm.ldb.luabp = true
	L.Push(lua.LTrue)
	return 1
}

// redisDebug is redis.debug(...): in a session, log the arguments.
func (vm *VM) redisDebug(L *lua.LState) int {
	st := vm.ldb
	if st == nil {
		return 0
	}
	b := fmt.Appendf(nil, "<debug> line %d: ", st.currentLine)
	n := L.GetTop()
	for i := 1; i <= n; i++ {
		b = vm.appendLdbValue(b, L.Get(i), 0)
		if i != n {
			b = append(b, ", "...)
		}
	}
	st.log(string(b))
	return 0
}

// lineAt is the line of a function's instruction as Lua 5.1 numbers
// it. The one place gopher-lua's compiler differs in a way stepping
// shows is a function definition: Lua 5.1 puts its CLOSURE on the line
// of the function's "end" (the last token read when it is emitted),
// gopher-lua on the line of "function".
func lineAt(p *lua.FunctionProto, pc int) int {
	inst := p.Code[pc]
	if int(inst>>26) == lua.OP_CLOSURE {
		if bx := int(inst & (1<<18 - 1)); bx < len(p.FunctionPrototypes) {
			return p.FunctionPrototypes[bx].LastLineDefined
		}
	}
	return p.DbgSourcePositions[pc]
}
