package script

import (
	"reflect"
	"sync"
	"unsafe"

	lua "github.com/yuin/gopher-lua"
)

// The debugger's line hook needs what Lua 5.1's hook gets for free: the
// running call frame and the index of the instruction about to run, so
// that it stops where Lua's LUA_MASKLINE hook fires (a new line, a jump
// back, a function's first instruction). gopher-lua exports neither: its
// Debug records (GetStack) carry the frame unexported, and building one
// per instruction allocates. The frame is read here from LState's
// unexported currentFrame, at offsets that reflection finds once, and
// checked for the types this code expects: with another gopher-lua
// whose fields differ, frameAccess stays off and SCRIPT DEBUG refuses to
// start rather than read the wrong memory. go.mod pins gopher-lua.
var frameAccess struct {
	ok bool
	// current is LState.currentFrame's offset; fn, pc, parent are
	// callFrame's Fn, Pc and Parent; dbgFrame is Debug.frame's.
	current, fn, pc, parent, dbgFrame uintptr
}

func init() {
	st := reflect.TypeOf((*lua.LState)(nil)).Elem()
	cur, ok := st.FieldByName("currentFrame")
	if !ok || cur.Type.Kind() != reflect.Pointer || cur.Type.Elem().Kind() != reflect.Struct {
		return
	}
	cf := cur.Type.Elem()
	fn, ok1 := cf.FieldByName("Fn")
	pc, ok2 := cf.FieldByName("Pc")
	parent, ok3 := cf.FieldByName("Parent")
	dt := reflect.TypeOf((*lua.Debug)(nil)).Elem()
	df, ok4 := dt.FieldByName("frame")
	if !ok1 || !ok2 || !ok3 || !ok4 ||
		fn.Type != reflect.TypeOf((*lua.LFunction)(nil)) ||
		pc.Type.Kind() != reflect.Int ||
		parent.Type != cur.Type || df.Type != cur.Type {
		return
	}
	frameAccess.current, frameAccess.fn, frameAccess.pc = cur.Offset, fn.Offset, pc.Offset
	frameAccess.parent, frameAccess.dbgFrame = parent.Offset, df.Offset
	frameAccess.ok = true
}

// DebugAvailable reports whether the debugger can follow gopher-lua's
// frames (see frameAccess).
func DebugAvailable() bool { return frameAccess.ok }

// currentFrame returns L's running call frame (nil between calls), its
// function and the index of the instruction about to run: gopher-lua's
// loop advances Pc before it polls the context.
func currentFrame(L *lua.LState) (frame unsafe.Pointer, fn *lua.LFunction, pc int) {
	frame = *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(L), frameAccess.current))
	if frame == nil {
		return nil, nil, 0
	}
	fn = *(**lua.LFunction)(unsafe.Add(frame, frameAccess.fn))
	pc = *(*int)(unsafe.Add(frame, frameAccess.pc)) - 1
	return frame, fn, pc
}

// debugFrame is the frame a Debug record of GetStack stands for.
func debugFrame(d *lua.Debug) unsafe.Pointer {
	return *(*unsafe.Pointer)(unsafe.Add(unsafe.Pointer(d), frameAccess.dbgFrame))
}

// frameLocal is the no-th active local of a frame, named as Lua 5.1's
// lua_getlocal names it: a local is active from its startpc on
// (luaF_getlocalname's startpc <= pc), where gopher-lua's GetLocal
// wants the instruction after, so that it misses a local declared by
// the line just above the one a debugger stops at. The value is
// gopher-lua's (GetLocal reads the register).
func frameLocal(L *lua.LState, dbg *lua.Debug, no int) (string, lua.LValue) {
	frame := debugFrame(dbg)
	if frame == nil {
		return "", lua.LNil
	}
	fn := *(**lua.LFunction)(unsafe.Add(frame, frameAccess.fn))
	if fn == nil || fn.IsG {
		return "", lua.LNil
	}
	pc := *(*int)(unsafe.Add(frame, frameAccess.pc)) - 1
	locals := debugLocals(fn.Proto)
	n := no
	for i := 0; i < len(locals) && locals[i].StartPc <= pc; i++ {
		if pc < locals[i].EndPc {
			n--
			if n == 0 {
				_, v := L.GetLocal(dbg, no)
				return locals[i].Name, v
			}
		}
	}
	return "", lua.LNil
}

// debugLocals returns a function's locals with the scopes Lua 5.1 gives
// them where gopher-lua's compiler records others: a numeric for's
// hidden locals ("(for index)", ...) live from its FORPREP to past its
// FORLOOP and its variable within the loop (gopher-lua starts them
// before the loop's initial values and ends them anywhere), and a local
// whose scope gopher-lua leaves unclosed lives to the function's end.
// The corrected table is computed once per function.
func debugLocals(p *lua.FunctionProto) []lua.DbgLocalInfo {
	if l, ok := localsCache.Load(p); ok {
		return l.([]lua.DbgLocalInfo)
	}
	locals := make([]lua.DbgLocalInfo, len(p.DbgLocals))
	for i, l := range p.DbgLocals {
		locals[i] = *l
		if locals[i].EndPc < locals[i].StartPc {
			locals[i].EndPc = len(p.Code)
		}
	}
	const bxMask = 1<<18 - 1
	k := 0
	for pc, inst := range p.Code {
		if int(inst>>26) != lua.OP_FORPREP {
			continue
		}
		loop := pc + 1 + int(inst&bxMask) - bxMask>>1
		for k < len(locals) && locals[k].Name != "(for index)" {
			k++
		}
		if k+3 >= len(locals) || loop < pc || loop >= len(p.Code) {
			break
		}
		for j := k; j < k+3; j++ {
			locals[j].StartPc, locals[j].EndPc = pc, loop+1
		}
		locals[k+3].StartPc, locals[k+3].EndPc = pc+1, loop
		k += 4
	}
	localsCache.Store(p, locals)
	return locals
}

// localsCache maps a function prototype to its corrected locals; the
// prototypes live as long as the script cache, and the entries are
// only made in debugging sessions.
var localsCache sync.Map

// callerFrame returns the function and the index of the running
// instruction of the frame that called L's running one (a Go function's
// caller, in the middle of its CALL), or nil and -1 when frames cannot
// be read.
func callerFrame(L *lua.LState) (*lua.LFunction, int) {
	if !frameAccess.ok {
		return nil, -1
	}
	frame, _, _ := currentFrame(L)
	if frame == nil {
		return nil, -1
	}
	parent := *(*unsafe.Pointer)(unsafe.Add(frame, frameAccess.parent))
	if parent == nil {
		return nil, -1
	}
	fn := *(**lua.LFunction)(unsafe.Add(parent, frameAccess.fn))
	pc := *(*int)(unsafe.Add(parent, frameAccess.pc)) - 1
	return fn, pc
}
