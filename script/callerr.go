package script

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// Calling a value that is not a function. Lua 5.1 says what was called
// and its type ("attempt to call field 'register_function' (a nil
// value)", "attempt to call a nil value"); gopher-lua says "attempt to
// call a non-function object" whatever it was, and Redis's tests match
// Lua's words. gopher-lua looks for a __call metamethod before it gives
// up, and keeps one metatable per type for the values without their
// own (nil, booleans, numbers, strings, threads): those get a __call
// that raises Lua's message, naming the value as Lua's getobjname does
// from the calling function's bytecode. Tables and userdata carry their
// own metatables, so a call of one still reaches gopher-lua's message;
// the script's error handler and pcall reword it (callErrorMessage).

// gopherCallErr is gopher-lua's message for a call of a value with
// neither a function nor a __call metamethod.
const gopherCallErr = "attempt to call a non-function object"

// installCallErrors gives nil, booleans, numbers, strings and threads a
// metatable whose __call raises Lua's error. getmetatable shows what
// the script would see without it (shownMeta).
func (vm *VM) installCallErrors() {
	L := vm.L
	callErr := L.NewFunction(vm.luaCallError)
	vm.shownMeta = map[*lua.LTable]lua.LValue{}
	for _, v := range []lua.LValue{lua.LNil, lua.LFalse, lua.LNumber(0), lua.LString(""), L} {
		mt := L.CreateTable(0, 2)
		old := L.GetMetatable(v)
		if t, ok := old.(*lua.LTable); ok {
			// Strings keep their methods (s:upper()).
			mt.RawSetString("__index", t.RawGetString("__index"))
		}
		mt.RawSetString("__call", callErr)
		vm.shownMeta[mt] = old
		vm.guarded[mt] = true
		L.SetMetatable(v, mt)
	}
}

// luaCallError is the __call of the values installCallErrors covers: it
// gets the called value first.
func (vm *VM) luaCallError(L *lua.LState) int {
	v := L.Get(1)
	fn, pc := callerFrame(L)
	msg := "attempt to call a " + lua51.ValueTypeName(v) + " value"
	if fn != nil && !fn.IsG && pc >= 0 && pc < len(fn.Proto.Code) {
		p := fn.Proto
		if kind, name := objName(p, vm.folded[p], pc, callReg(p.Code[pc])); kind != "" {
			msg = "attempt to call " + kind + " '" + name + "' (a " + lua51.ValueTypeName(v) + " value)"
		}
		// Lua adds the position of the Lua function that made the
		// call; a call made by a Go function (pcall(nil)) has none.
		msg = position(p, pc) + " " + msg
	}
	L.Error(lua.LString(msg), 0)
	return 0
}

// callErrorMessage rewords gopher-lua's message for a call of a table or
// userdata raised by the Lua function at level 1 of L's stack (the
// caller of a message handler): as Lua's, with the name of the value
// and its type when the bytecode and the function's state show them,
// "table" otherwise (userdata with no __call is all but absent from
// scripts: cjson.null). Other messages are returned as they are.
func (vm *VM) callErrorMessage(L *lua.LState, msg string) string {
	if !strings.HasSuffix(msg, gopherCallErr) {
		return msg
	}
	prefix := msg[:len(msg)-len(gopherCallErr)]
	fn, pc := callerFrame(L)
	if fn == nil || fn.IsG || pc < 0 || pc >= len(fn.Proto.Code) {
		return prefix + "attempt to call a table value"
	}
	p := fn.Proto
	reg := callReg(p.Code[pc])
	if reg < 0 {
		return msg
	}
	kind, name := objName(p, vm.folded[p], pc, reg)
	typ := "table"
	switch kind {
	case "local":
		if dbg, ok := L.GetStack(1); ok {
			if _, v := frameLocal(L, dbg, reg+1); v != lua.LNil {
				typ = lua51.ValueTypeName(v)
			}
		}
	case "global":
		if fn.Env != nil {
			typ = lua51.ValueTypeName(vm.real(fn.Env).RawGetString(name))
		}
	case "upvalue":
		for i, n := range p.DbgUpvalues {
			if n == name && i < len(fn.Upvalues) {
				typ = lua51.ValueTypeName(fn.Upvalues[i].Value())
				break
			}
		}
	}
	if kind != "" {
		return prefix + "attempt to call " + kind + " '" + name + "' (a " + typ + " value)"
	}
	return prefix + "attempt to call a " + typ + " value"
}

// callReg is the register a CALL or TAILCALL instruction calls, -1 for
// another instruction.
func callReg(inst uint32) int {
	switch int(inst >> 26) {
	case lua.OP_CALL, lua.OP_TAILCALL:
		return int(inst>>18) & 0xff
	}
	return -1
}

// position is Lua's "source:line:" of the instruction at pc.
func position(p *lua.FunctionProto, pc int) string {
	line := 0
	if pc < len(p.DbgSourcePositions) {
		line = p.DbgSourcePositions[pc]
	}
	return p.SourceName + ":" + strconv.Itoa(line) + ":"
}

// objName names what register reg holds at instruction pc, as Lua 5.1's
// getobjname: an active local, else from the instruction that last set
// the register (symbExec): a global, a field, an upvalue, a method.
// kind is "" when none applies. folded names the constants that stand
// for globals (foldGlobals).
func objName(p *lua.FunctionProto, folded map[int]string, pc, reg int) (kind, name string) {
	if name := activeLocal(p, reg+1, pc); name != "" {
		return "local", name
	}
	inst := symbExec(p, pc, reg)
	a, b, c := int(inst>>18)&0xff, int(inst&0x1ff), int(inst>>9)&0x1ff
	switch int(inst >> 26) {
	case lua.OP_GETGLOBAL:
		if s, ok := constant(p, int(inst&0x3ffff)).(lua.LString); ok {
			return "global", string(s)
		}
	case lua.OP_MOVE, lua.OP_MOVEN:
		if b < a {
			return objName(p, folded, pc, b)
		}
	case lua.OP_GETTABLE, lua.OP_GETTABLEKS:
		return "field", constName(p, c)
	case lua.OP_LOADK:
		if name, ok := folded[int(inst&0x3ffff)]; ok {
			return "global", name
		}
	case lua.OP_GETUPVAL:
		if b < len(p.DbgUpvalues) {
			return "upvalue", p.DbgUpvalues[b]
		}
		return "upvalue", "?"
	case lua.OP_SELF:
		return "method", constName(p, c)
	}
	return "", ""
}

// rkConst marks an RK operand that names a constant.
const rkConst = 1 << 8

// constName is Lua's kname: an RK operand's constant when it is a
// string, "?" otherwise.
func constName(p *lua.FunctionProto, rk int) string {
	if rk&rkConst != 0 {
		if s, ok := constant(p, rk&^rkConst).(lua.LString); ok {
			return string(s)
		}
	}
	return "?"
}

func constant(p *lua.FunctionProto, i int) lua.LValue {
	if i >= 0 && i < len(p.Constants) {
		return p.Constants[i]
	}
	return lua.LNil
}

// activeLocal is the name of the n-th local active at pc (Lua's
// luaF_getlocalname), with the scopes the debugger uses (debugLocals),
// except that gopher-lua's own end of a scope is its last instruction
// where Lua's is the one after: a call that ends a block (local f = ...
// f() end) is inside the scope of f.
func activeLocal(p *lua.FunctionProto, n, pc int) string {
	for i, l := range debugLocals(p) {
		if l.StartPc > pc {
			break
		}
		end := l.EndPc
		if raw := p.DbgLocals[i]; raw.EndPc == end && raw.EndPc >= raw.StartPc {
			end++
		}
		if pc < end {
			n--
			if n == 0 {
				return l.Name
			}
		}
	}
	return ""
}

// symbExec finds the instruction before lastpc that last set register
// reg, walking the code as Lua 5.1's symbexec does: forward jumps that
// land before lastpc are taken, the pseudo-instructions after CLOSURE
// and SETLIST are skipped. Without one, it returns the function's final
// RETURN, which names nothing.
func symbExec(p *lua.FunctionProto, lastpc, reg int) uint32 {
	code := p.Code
	last := len(code) - 1
	for pc := 0; pc < lastpc && pc < len(code); pc++ {
		inst := code[pc]
		op := int(inst >> 26)
		a, b, c := int(inst>>18)&0xff, int(inst&0x1ff), int(inst>>9)&0x1ff
		sbx := int(inst&0x3ffff) - (1<<18-1)>>1
		switch op {
		case lua.OP_MOVE, lua.OP_MOVEN, lua.OP_LOADK, lua.OP_LOADBOOL, lua.OP_GETUPVAL,
			lua.OP_GETGLOBAL, lua.OP_GETTABLE, lua.OP_GETTABLEKS, lua.OP_NEWTABLE,
			lua.OP_ADD, lua.OP_SUB, lua.OP_MUL, lua.OP_DIV, lua.OP_MOD, lua.OP_POW,
			lua.OP_UNM, lua.OP_NOT, lua.OP_LEN, lua.OP_CONCAT, lua.OP_TEST, lua.OP_TESTSET,
			lua.OP_VARARG:
			if a == reg {
				last = pc
			}
		case lua.OP_LOADNIL:
			if a <= reg && reg <= b {
				last = pc
			}
		case lua.OP_SELF:
			if reg == a || reg == a+1 {
				last = pc
			}
		case lua.OP_CALL, lua.OP_TAILCALL, lua.OP_TFORLOOP:
			if reg >= a {
				last = pc
			}
		case lua.OP_JMP, lua.OP_FORLOOP, lua.OP_FORPREP:
			if op != lua.OP_JMP && a == reg {
				last = pc
			}
			if dest := pc + 1 + sbx; pc < dest && dest <= lastpc {
				pc += sbx
			}
		case lua.OP_CLOSURE:
			if a == reg {
				last = pc
			}
			if bx := int(inst & 0x3ffff); bx < len(p.FunctionPrototypes) {
				pc += int(p.FunctionPrototypes[bx].NumUpvalues)
			}
		case lua.OP_SETLIST:
			if c == 0 {
				pc++
			}
		}
	}
	if last < 0 {
		return 0
	}
	return code[last]
}

// newPcallHandler returns the message handler of the pcalls scripts
// make: it rewords a call error as the script's own handler does.
func (vm *VM) newPcallHandler() *lua.LFunction {
	return vm.L.NewFunction(func(L *lua.LState) int {
		v := L.Get(1)
		if s, ok := v.(lua.LString); ok {
			v = lua.LString(vm.callErrorMessage(L, string(s)))
		}
		L.Push(v)
		return 1
	})
}

// luaStringDump stands for string.dump, which Redis's Lua has: gopher-lua
// has no bytecode format of Lua's, so the dump is Lua 5.1's header
// alone (signature, version 5.1, format, little-endian, the sizes of
// int, size_t, an instruction and a number, floating-point numbers).
// Nothing can load it: Redis's loadstring refuses binary chunks too.
func luaStringDump(L *lua.LState) int {
	if L.CheckFunction(1).IsG {
		// Positioned as luaL_error positions it: at the caller when
		// that is a Lua function (not pcall(string.dump, f)).
		msg := "unable to dump given function"
		if fn, pc := callerFrame(L); fn != nil && !fn.IsG && pc >= 0 {
			msg = position(fn.Proto, pc) + " " + msg
		}
		L.Error(lua.LString(msg), 0)
	}
	L.Push(lua.LString("\x1bLuaQ\x00\x01\x04\x08\x04\x08\x00"))
	return 1
}

// luaLoadString is loadstring refusing binary chunks as Redis's does
// (its Lua parses every chunk as text, so the escape byte is an
// unexpected symbol); text goes to gopher-lua's loadstring, base.
func luaLoadString(L *lua.LState, base *lua.LFunction) int {
	s := L.CheckString(1)
	if strings.HasPrefix(s, "\x1b") {
		L.Push(lua.LNil)
		L.Push(lua.LString(chunkID(L.OptString(2, s)) + ":1: unexpected symbol near 'char(27)'"))
		return 2
	}
	top := L.GetTop()
	L.Push(base)
	for i := 1; i <= top; i++ {
		L.Push(L.Get(i))
	}
	L.Call(top, lua.MultRet)
	return L.GetTop() - top
}

// chunkID is Lua 5.1's luaO_chunkid for a chunk name: "=name" is shown
// as name, "@file" as file, and code as [string "its first line"],
// cut at a line feed, a NUL or 43 bytes (LUA_IDSIZE).
func chunkID(name string) string {
	switch {
	case strings.HasPrefix(name, "="):
		return name[1:]
	case strings.HasPrefix(name, "@"):
		return name[1:]
	}
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	const max = 60 - len(` [string "..."] `) - 1
	cut := len(name)
	if cut > max {
		cut = max
	}
	if i := strings.IndexByte(name, '\n'); i >= 0 && i < cut {
		cut = i
	}
	if cut < len(name) {
		return `[string "` + name[:cut] + `..."]`
	}
	return `[string "` + name + `"]`
}
