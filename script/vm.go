package script

import (
	"math"
	"runtime"
	"strconv"
	"strings"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// Host is the server as scripts see it.
type Host interface {
	// Call runs a command for the running script r, with Redis's checks
	// for commands called from scripts, and returns its reply in RESP
	// (of r.Resp), an error reply when the command failed or was refused.
	// The bytes are valid until the next call.
	Call(r *Run, args [][]byte) []byte
	// Interrupt is called every few thousand Lua instructions while a
	// script runs: the host notices a script past busy-reply-threshold,
	// serves other clients, and sets r.Killed on SCRIPT KILL.
	Interrupt(r *Run)
	// Log writes a line to the server log at a Redis log level
	// (0 debug ... 3 warning).
	Log(level int, msg string)
}

// VM is the Lua state shared by every script of a server, with the
// EVAL script cache. It is used under the engine lock only.
type VM struct {
	L    *lua.LState
	host Host

	// globals is the real global table; scripts see it through the
	// read-only proxy env.
	globals *lua.LTable
	env     *lua.LTable
	// proxies maps a protected table to the proxy scripts see, and
	// guarded holds the proxies and their metatables: the tables
	// setmetatable and rawset refuse to touch.
	proxies map[*lua.LTable]*lua.LTable
	guarded map[*lua.LTable]bool

	hook hookCtx
	run  *Run
	// ldb is the debugging session, nil outside SCRIPT DEBUG's.
	ldb *ldbState
	// errh is the message handler of a script's pcall, pcallh that of
	// the pcalls a script makes.
	errh, pcallh *lua.LFunction
	// shownMeta maps the metatables installCallErrors gave nil,
	// booleans, numbers, strings and threads to what getmetatable
	// shows for them.
	shownMeta map[*lua.LTable]lua.LValue

	// Scratch for redis.call's arguments, reused across calls.
	argBuf []byte
	args   [][]byte
	numBuf []byte

	rand48 uint64

	eval evalCache
	// fn is the function libraries' state, on a VM made by NewFunctions.
	fn *funcState
	// keysT and argvT are EVAL's KEYS and ARGV, reused.
	keysT, argvT *lua.LTable
	// strs shares the Lua strings of recent short replies and
	// arguments.
	strs strCache
	// folded names, for each compiled function, the constants that
	// stand for globals (fold.go).
	folded map[*lua.FunctionProto]map[int]string
}

// stateMem is the heap a Lua state with Redis's environment holds,
// measured once, on a state made for the purpose, as the live heap
// after a collection with it and before it: every state is built the
// same way, and two collections are worth paying once, not at each
// SCRIPT FLUSH (runtime/metrics' counters without them lag by the spans
// each processor holds, tens of kilobytes here).
var stateMem = sync.OnceValue(func() int64 {
	var before, after runtime.MemStats
	// A first state pays for what the packages initialise once.
	newState := func() *VM {
		vm := &VM{proxies: map[*lua.LTable]*lua.LTable{}, guarded: map[*lua.LTable]bool{}}
		vm.init()
		return vm
	}
	newState().L.Close()
	// Two collections each time: a closed state's call stack goes back
	// to gopher-lua's sync.Pool, which keeps it (and through its frames
	// the whole state) until the second.
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&before)
	vm := newState()
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(vm)
	vm.L.Close()
	return max(int64(after.HeapAlloc)-int64(before.HeapAlloc), 0)
})

// Memory estimates the Lua state's memory: what a fresh one holds,
// and its compiled scripts or libraries at four times their source
// size. gopher-lua's state lives on the Go heap, where nothing counts
// one state's share exactly.
func (vm *VM) Memory() int64 {
	code := vm.eval.mem
	if vm.fn != nil {
		code += vm.LibrariesMemory()
	}
	return stateMem() + 4*code
}

// Lua's limits. Redis's Lua allows 200 nested C calls and about 16,000
// Lua frames; gopher-lua counts frames only.
//
// Both stacks start small and grow, as C Lua's do: preallocated at
// their limits (2,000 frames of 80 bytes, 20,480 registers of 16) they
// made a fresh state 560 KB where Redis's is 32 KB (ours is now about
// 70 KB, gopher-lua's tables being bigger than Lua's), above the 100 KB
// that Redis's test "EVAL does not leak in the Lua stack" allows
// used_memory_lua. The registry grows by registryGrowStep registers at
// a time (gopher-lua grows it linearly), the call stack by segments of
// 8 frames from a pool, which the usual script's depth (its body, a
// redis.call, a pcall) never leaves.
const (
	callStackSize      = 2000
	registrySize       = 256
	registryGrowStep   = 1024
	registryMaxSize    = 1024 * 1024 * 8
	interruptEvery     = 1 << 12
	sourceUserScript   = "user_script"
	sourceUserFunction = "user_function"
)

func init() {
	// Lua 5.1's compatibility "arg" table of vararg functions: gopher-lua
	// builds it on every call of a script's body (which is vararg and
	// never uses "..."), a table and two maps per EVAL. Scripts do not
	// read it; Redis's Lua has it (see the package comment).
	lua.CompatVarArg = false
}

// New returns a VM with Redis's environment.
func New(host Host) *VM {
	// The state's size is measured with the first VM (at start-up),
	// not at the first INFO: its collections are cheap on a young heap.
	stateMem()
	vm := &VM{host: host, proxies: map[*lua.LTable]*lua.LTable{}, guarded: map[*lua.LTable]bool{}}
	vm.rand48 = rand48Init
	vm.init()
	vm.eval.scripts = map[string]*Script{}
	return vm
}

// Reset discards the Lua state and the script cache and starts afresh
// (SCRIPT FLUSH).
func (vm *VM) Reset() {
	vm.L.Close()
	vm.proxies = map[*lua.LTable]*lua.LTable{}
	vm.guarded = map[*lua.LTable]bool{}
	vm.folded = nil
	vm.init()
	vm.eval = evalCache{scripts: map[string]*Script{}}
}

func (vm *VM) init() {
	L := lua.NewState(lua.Options{
		SkipOpenLibs:        true,
		CallStackSize:       callStackSize,
		RegistrySize:        registrySize,
		RegistryGrowStep:    registryGrowStep,
		RegistryMaxSize:     registryMaxSize,
		MinimizeStackMemory: true,
	})
	vm.L = L
	vm.hook = hookCtx{vm: vm}
	L.SetContext(&vm.hook)
	vm.errh = vm.newErrHandler()

	for _, lib := range []struct {
		name string
		open lua.LGFunction
	}{
		{"", lua.OpenBase},
		{lua.TabLibName, lua.OpenTable},
		{lua.StringLibName, lua.OpenString},
		{lua.MathLibName, lua.OpenMath},
		{lua.CoroutineLibName, lua.OpenCoroutine},
	} {
		L.Push(L.NewFunction(lib.open))
		L.Push(lua.LString(lib.name))
		L.Call(1, 0)
	}
	g := L.G.Global
	vm.globals = g
	// getfenv and setfenv are absent from Redis's Lua: gopher-lua's
	// getfenv of a Go function answers the real global table, past the
	// sandbox's proxy, where a script could write globals for every
	// later script. newproxy is absent too.
	for _, name := range []string{"dofile", "loadfile", "print", "require", "module", "_printregs", "_GOPHER_LUA_VERSION", "getfenv", "setfenv", "newproxy"} {
		g.RawSetString(name, lua.LNil)
	}
	for _, lib := range libraries {
		L.Push(L.NewFunction(lib.loader))
		L.Call(0, 1)
		g.RawSetString(lib.name, L.Get(-1))
		L.Pop(1)
	}
	g.RawSetString("_VERSION", lua.LString("Lua 5.1"))
	g.RawSetString("tostring", L.NewFunction(luaToString))
	g.RawSetString("tonumber", L.NewFunction(luaToNumber))
	g.RawSetString("gcinfo", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LNumber(0))
		return 1
	}))
	g.RawSetString("setmetatable", L.NewFunction(vm.luaSetMetatable))
	g.RawSetString("getmetatable", L.NewFunction(vm.luaGetMetatable))
	g.RawSetString("rawset", L.NewFunction(vm.luaRawSet))
	g.RawSetString("pcall", L.NewFunction(vm.luaPcall))
	g.RawSetString("error", L.NewFunction(luaErrorFn))
	co := g.RawGetString("coroutine").(*lua.LTable)
	co.RawSetString("create", L.NewFunction(vm.coCreate(co.RawGetString("create"))))
	co.RawSetString("wrap", L.NewFunction(vm.coCreate(co.RawGetString("wrap"))))
	str := g.RawGetString("string").(*lua.LTable)
	str.RawSetString("rep", L.NewFunction(luaStringRep))
	str.RawSetString("dump", L.NewFunction(luaStringDump))
	base := g.RawGetString("loadstring").(*lua.LFunction)
	g.RawSetString("loadstring", L.NewFunction(func(L *lua.LState) int { return luaLoadString(L, base) }))
	tbl := g.RawGetString("table").(*lua.LTable)
	tbl.RawSetString("foreach", L.NewFunction(luaTableForeach))
	tbl.RawSetString("foreachi", L.NewFunction(luaTableForeachi))
	tbl.RawSetString("setn", L.NewFunction(func(L *lua.LState) int {
		if _, ok := L.Get(1).(*lua.LTable); !ok {
			lua51.TypeError(L, 1, "table")
		}
		lua51.Raise(L, "'setn' is obsolete")
		return 0
	}))
	math := g.RawGetString("math").(*lua.LTable)
	// gopher-lua's math.huge is the largest finite double; Lua's is
	// infinity.
	math.RawSetString("huge", lua.LNumber(mathInf))
	math.RawSetString("random", L.NewFunction(vm.mathRandom))
	math.RawSetString("randomseed", L.NewFunction(vm.mathRandomSeed))

	g.RawSetString("redis", vm.redisAPI())
	vm.installCallErrors()
	vm.pcallh = vm.newPcallHandler()

	// Lock everything: scripts see the globals through a proxy.
	vm.env = vm.protect(g)
	// The string library's own __index field (gopher-lua makes the
	// library its strings' metatable) is what getmetatable('').__index
	// shows: the library as scripts see it, as in Redis, where it is
	// the global string. Strings find their methods through the
	// metatable installCallErrors made, which holds the real library.
	if p, ok := vm.proxies[str]; ok {
		str.RawSetString("__index", p)
	}
	// EVAL's KEYS and ARGV exist from the start (so that scripts
	// compiled before the first EVAL read them as constants too), and
	// are not protected: scripts may change them, as Redis's, whose
	// are new for each run (fill empties them).
	vm.keysT, vm.argvT = L.CreateTable(8, 0), L.CreateTable(8, 0)
	g.RawSetString("KEYS", vm.keysT)
	g.RawSetString("ARGV", vm.argvT)
	g.RawSetString("_G", vm.env)
	mt := L.CreateTable(0, 1)
	mt.RawSetString("__index", L.NewFunction(func(L *lua.LState) int {
		L.RaiseError("Script attempted to access nonexistent global variable '%s'", L.CheckString(2))
		return 0
	}))
	L.SetMetatable(g, mt)
	vm.guarded[mt] = true
	// Functions run with the proxy as their environment: the compiled
	// body of a script, and everything it defines or loads.
	L.Env = vm.env
}

// protect returns the read-only proxy of t, protecting every table
// reachable from t first (fields and metatables), as Redis's
// luaSetTableProtectionRecursively does.
func (vm *VM) protect(t *lua.LTable) *lua.LTable {
	if p, ok := vm.proxies[t]; ok {
		return p
	}
	L := vm.L
	// A proxy holds nothing and its metatable two fields: small tables
	// (NewTable's default room for 32 elements of each kind made the
	// proxies of the sandbox most of a fresh state's memory).
	p := L.CreateTable(0, 0)
	vm.proxies[t] = p
	var fields []lua.LValue
	t.ForEach(func(k, v lua.LValue) {
		if sub, ok := v.(*lua.LTable); ok && sub != t {
			fields = append(fields, k, sub)
		}
	})
	for i := 0; i < len(fields); i += 2 {
		sub := fields[i+1].(*lua.LTable)
		if sub == vm.globals || vm.guarded[sub] {
			continue
		}
		t.RawSet(fields[i], vm.protect(sub))
	}
	mt := L.CreateTable(0, 2)
	mt.RawSetString("__index", t)
	mt.RawSetString("__newindex", L.NewFunction(readonlyError))
	L.SetMetatable(p, mt)
	vm.guarded[p] = true
	vm.guarded[mt] = true
	return p
}

func readonlyError(L *lua.LState) int {
	L.RaiseError("Attempt to modify a readonly table")
	return 0
}

// real returns the table a proxy stands for, or t itself.
func (vm *VM) real(t *lua.LTable) *lua.LTable {
	if vm.guarded[t] {
		if mt, ok := vm.L.GetMetatable(t).(*lua.LTable); ok {
			if r, ok := mt.RawGetString("__index").(*lua.LTable); ok {
				return r
			}
		}
	}
	return t
}

func (vm *VM) readonly(t *lua.LTable) bool {
	if vm.guarded[t] || t == vm.globals {
		return true
	}
	_, ok := vm.proxies[t]
	return ok
}

// errReadonly is raised without a position, as Redis's Lua raises it
// from inside its C API.
func errReadonly(L *lua.LState) {
	L.Error(lua.LString("Attempt to modify a readonly table"), 0)
}

func (vm *VM) luaSetMetatable(L *lua.LState) int {
	if t, ok := L.Get(1).(*lua.LTable); ok && vm.readonly(t) {
		errReadonly(L)
	}
	// Lua's setmetatable takes tables only: gopher-lua's would replace
	// the metatable every string (or number, nil...) shares, for every
	// later script too.
	L.CheckTable(1)
	L.CheckTypes(2, lua.LTNil, lua.LTTable)
	obj := L.Get(1)
	if obj == lua.LNil {
		L.RaiseError("cannot set metatable to a nil object.")
	}
	if m, ok := L.GetMetatable(obj).(*lua.LTable); ok && m.RawGetString("__metatable") != lua.LNil {
		L.RaiseError("cannot change a protected metatable")
	}
	L.SetMetatable(obj, L.Get(2))
	L.SetTop(1)
	return 1
}

func (vm *VM) luaGetMetatable(L *lua.LState) int {
	mt := L.GetMetatable(L.CheckAny(1))
	if t, ok := mt.(*lua.LTable); ok {
		if shown, ok := vm.shownMeta[t]; ok {
			mt = shown
		}
	}
	if t, ok := mt.(*lua.LTable); ok {
		if v := t.RawGetString("__metatable"); v != lua.LNil {
			L.Push(v)
			return 1
		}
		if vm.guarded[t] {
			// A proxy's own metatable is shown read-only too.
			L.Push(vm.protect(t))
			return 1
		}
		if p, ok := vm.proxies[t]; ok {
			L.Push(p)
			return 1
		}
	}
	L.Push(mt)
	return 1
}

func (vm *VM) luaRawSet(L *lua.LState) int {
	t := L.CheckTable(1)
	if vm.readonly(t) {
		errReadonly(L)
	}
	L.RawSet(t, L.CheckAny(2), L.CheckAny(3))
	L.SetTop(1)
	return 1
}

// coCreate wraps coroutine.create or wrap so that a coroutine polls the
// VM's hook like the main thread (see the package comment).
func (vm *VM) coCreate(orig lua.LValue) lua.LGFunction {
	fn := orig.(*lua.LFunction)
	return func(L *lua.LState) int {
		top := L.GetTop()
		L.Push(fn)
		for i := 1; i <= top; i++ {
			L.Push(L.Get(i))
		}
		L.Call(top, 1)
		v := L.Get(-1)
		th, ok := v.(*lua.LState)
		if f, isFn := v.(*lua.LFunction); isFn && f.IsG && len(f.Upvalues) > 0 {
			th, ok = f.Upvalues[0].Value().(*lua.LState)
		}
		if ok {
			if vm.ldb != nil {
				// A debugged script's coroutines stop at lines too, as
				// Lua threads inherit the hook of their creator.
				th.SetContext(vm.newThreadHook(th))
			} else {
				th.SetContext(&vm.hook)
			}
		}
		return 1
	}
}

// luaStringRep is string.rep with a bound on the result: Lua's own
// grows its buffer until allocation fails, which in Redis ends the
// process.
func luaStringRep(L *lua.LState) int {
	s := L.CheckString(1)
	n := L.CheckInt(2)
	if n <= 0 || len(s) == 0 {
		L.Push(lua.LString(""))
		return 1
	}
	if int64(len(s))*int64(n) > maxStringLen {
		L.RaiseError("resulting string too large")
	}
	L.Push(lua.LString(strings.Repeat(s, n)))
	return 1
}

// maxStringLen bounds strings a script builds with string.rep: Redis's
// largest bulk string (proto-max-bulk-len's ceiling).
const maxStringLen = 512 << 20

// luaErrorFn is Lua 5.1's error: a number message gets a position like
// a string, and error() raises nil.
func luaErrorFn(L *lua.LState) int {
	v := L.Get(1)
	level := L.OptInt(2, 1)
	if n, ok := v.(lua.LNumber); ok {
		v = lua.LString(formatNumber(float64(n)))
	}
	L.Error(v, level)
	return 0
}

// luaToString is tostring with Lua 5.1's number format (%.14g).
func luaToString(L *lua.LState) int {
	v := L.CheckAny(1)
	if n, ok := v.(lua.LNumber); ok {
		L.Push(lua.LString(formatNumber(float64(n))))
		return 1
	}
	L.Push(L.ToStringMeta(v))
	return 1
}

// formatNumber formats a number as Lua 5.1 does (LUAI_NUMFFORMAT "%.14g").
func formatNumber(f float64) string {
	var b [32]byte
	return string(appendNumber(b[:0], f))
}

func appendNumber(b []byte, f float64) []byte {
	if f != f {
		// glibc prints a NaN's sign: 0/0 gives a negative one on x86
		// ("-nan"), strtod's "nan" (tonumber) a positive one.
		if math.Signbit(f) {
			return append(b, "-nan"...)
		}
		return append(b, "nan"...)
	}
	// Integers of up to 14 digits print as themselves in %.14g: the
	// common case (counters, timestamps) without a float formatting.
	if f == math.Trunc(f) && f != 0 && f > -1e14 && f < 1e14 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return protocol.AppendG(b, f, 14)
}

// luaTableForeach is Lua 5.1's deprecated table.foreach, which Redis's
// Lua keeps (gopher-lua has not): f(k, v) for each pair, stopping at
// the first non-nil result, which it returns.
func luaTableForeach(L *lua.LState) int {
	t, f := tableAndFunction(L)
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		L.Push(f)
		L.Push(k)
		L.Push(v)
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// luaTableForeachi is table.foreachi: f(i, t[i]) for i from 1 to #t.
func luaTableForeachi(L *lua.LState) int {
	t, f := tableAndFunction(L)
	n := t.Len()
	for i := 1; i <= n; i++ {
		L.Push(f)
		L.Push(lua.LNumber(i))
		L.Push(t.RawGetInt(i))
		L.Call(2, 1)
		if r := L.Get(-1); r != lua.LNil {
			return 1
		}
		L.Pop(1)
	}
	return 0
}

// tableAndFunction checks foreach's arguments with Lua's messages.
func tableAndFunction(L *lua.LState) (*lua.LTable, *lua.LFunction) {
	t, ok := L.Get(1).(*lua.LTable)
	if !ok {
		lua51.TypeError(L, 1, "table")
	}
	f, ok := L.Get(2).(*lua.LFunction)
	if !ok {
		lua51.TypeError(L, 2, "function")
	}
	return t, f
}
