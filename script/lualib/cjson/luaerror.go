package cjson

import (
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// Errors are raised with the texts Lua 5.1's auxiliary library builds,
// not with gopher-lua's RaiseError/ArgError: those skip Go frames when
// they look for the position to prefix (so a pcall(cjson.decode, s)
// error would gain one) and leave the quotes out of "bad argument ... to
// 'name'".

// raise throws msg as luaL_error does: prefixed with "source:line: " of
// the caller when the caller is a Lua function, bare when it is a Go
// function such as pcall.
func raise(L *lua.LState, msg string) {
	L.Error(lua.LString(where(L)+msg), 0)
}

// where is luaL_where(L, 1).
func where(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
		return ""
	}
	return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// funcName is the name luaL_argerror gives the running function: the
// name the calling Lua code used for it, "?" when it has none or the
// caller is a Go function.
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	switch name := dbg.Name; {
	case name == "", name == "(anonymous)", name == "main chunk", name == "corountine", strings.HasPrefix(name, "<"):
		// gopher-lua's spellings of "no name".
		return "?"
	default:
		return name
	}
}

// argError is luaL_argerror.
func argError(L *lua.LState, n int, msg string) {
	raise(L, "bad argument #"+strconv.Itoa(n)+" to '"+funcName(L)+"' ("+msg+")")
}

// typeError is luaL_typerror.
func typeError(L *lua.LState, n int, want string) {
	argError(L, n, want+" expected, got "+typeName(L, n))
}

// typeName is luaL_typename: "no value" past the last argument.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return L.Get(n).Type().String()
}

// toNumber is lua_tonumber: numbers, and strings that read as numbers.
func toNumber(v lua.LValue) (float64, bool) {
	switch x := v.(type) {
	case lua.LNumber:
		return float64(x), true
	case lua.LString:
		return str2number(string(x))
	}
	return 0, false
}

// toInteger is Lua 5.1's lua_Integer conversion of a double on x86-64: a
// truncation, with NaN and out-of-range values giving the "integer
// indefinite" value.
func toInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return -1 << 63
	}
	return int64(f)
}

// checkInteger is luaL_checkinteger.
func checkInteger(L *lua.LState, n int) int64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return toInteger(f)
}

// checkString is luaL_checklstring: strings, and numbers as %.14g.
func checkString(L *lua.LState, n int) string {
	switch x := L.Get(n).(type) {
	case lua.LString:
		return string(x)
	case lua.LNumber:
		return string(appendG(nil, float64(x), 14))
	}
	typeError(L, n, "string")
	return ""
}
