package script

import lua "github.com/yuin/gopher-lua"

// Reading a global costs gopher-lua two map lookups behind the
// sandbox's proxy (the proxy's metatable for __index, then the real
// table), and a short script reads several: redis twice, KEYS, ARGV.
// The global table is read-only to scripts (the proxy refuses writes,
// rawset and setmetatable refuse the proxy, and getfenv and setfenv,
// which would reach the real table or change a function's environment,
// do not exist), and Go code writes it only while it builds the state:
// a global that exists when a script is compiled keeps its value as
// long as the state, which SCRIPT FLUSH replaces with the script cache.
// So when an EVAL script is compiled, each GETGLOBAL of an existing
// global becomes a LOADK of its value, added to the function's
// constants: the value GETGLOBAL would have read, the proxy of a
// protected table (redis, string, ...) or EVAL's KEYS and ARGV, which
// are the same tables for every run. A global that does not exist keeps
// its GETGLOBAL, which raises Redis's error. Error messages still name
// such a value as a global (callerr.go reads folded).

// foldGlobals rewrites p and the functions it defines.
func (vm *VM) foldGlobals(p *lua.FunctionProto) {
	var index map[lua.LValue]int
	for pc, inst := range p.Code {
		if int(inst>>26) != lua.OP_GETGLOBAL {
			continue
		}
		name, ok := p.Constants[inst&0x3ffff].(lua.LString)
		if !ok {
			continue
		}
		v := vm.globals.RawGetString(string(name))
		if v == lua.LNil {
			continue
		}
		if index == nil {
			index = map[lua.LValue]int{}
		}
		k, ok := index[v]
		if !ok {
			k = len(p.Constants)
			if k > 1<<18-1 {
				return
			}
			p.Constants = append(p.Constants, v)
			index[v] = k
			if vm.folded == nil {
				vm.folded = map[*lua.FunctionProto]map[int]string{}
			}
			if vm.folded[p] == nil {
				vm.folded[p] = map[int]string{}
			}
			vm.folded[p][k] = string(name)
		}
		a := inst >> 18 & 0xff
		p.Code[pc] = uint32(lua.OP_LOADK)<<26 | a<<18 | uint32(k)
	}
	for _, sub := range p.FunctionPrototypes {
		vm.foldGlobals(sub)
	}
}
