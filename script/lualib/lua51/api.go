// Package lua51 reproduces the few pieces of Lua 5.1's C API (lauxlib,
// and the number conversions of x86-64 builds with glibc) whose
// observable behaviour Redis's Lua libraries depend on: how arguments are
// coerced, how errors are worded and located, how deep a C function may
// use the Lua stack, and how strtod reads a number. The libraries of
// package lualib (cjson, cmsgpack, luastruct, bit) share it. gopher-lua's
// own helpers word errors differently (no quotes around the function
// name, a position even under pcall), so they are not used.
package lua51

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// MaxCStack is LUAI_MAXCSTACK: a C function may not have more than this
// many stack slots in use; lua_checkstack refuses beyond it. The decoder
// and encoder count the slots the C library would hold so that they fail
// at the very same input with the very same message.
const MaxCStack = 8000

// CheckStack is luaL_checkstack for a function that has top slots in use
// and asks for n more.
func CheckStack(L *lua.LState, top, n int, what string) {
	if n > MaxCStack || top+n > MaxCStack {
		Raise(L, "stack overflow ("+what+")")
	}
}

// Where is luaL_where(L, 1): the position of the function that called the
// library function, when that is Lua code. Called straight from pcall (a
// Go function) there is no position, as with a C caller in Lua 5.1.
func Where(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.What == "G" || dbg.CurrentLine <= 0 {
		return ""
	}
	return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// Raise is luaL_error: the message, prefixed with the caller's position.
func Raise(L *lua.LState, msg string) {
	L.Error(lua.LString(Where(L)+msg), 0)
}

// FuncName is the name Lua 5.1 would give the running library function in
// an argument error: the name it was called by from Lua code, "?" when its
// caller is not Lua code.
func FuncName(L *lua.LState) string {
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

// ArgError is luaL_argerror.
func ArgError(L *lua.LState, narg int, msg string) {
	Raise(L, "bad argument #"+strconv.Itoa(narg)+" to '"+FuncName(L)+"' ("+msg+")")
}

// TypeName is luaL_typename: "no value" past the last argument.
func TypeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	return ValueTypeName(L.Get(n))
}

// ValueTypeName is Lua 5.1's name of a value's type (lua_typename).
func ValueTypeName(v lua.LValue) string {
	switch v.Type() {
	case lua.LTNil:
		return "nil"
	case lua.LTBool:
		return "boolean"
	case lua.LTNumber:
		return "number"
	case lua.LTString:
		return "string"
	case lua.LTTable:
		return "table"
	case lua.LTFunction:
		return "function"
	case lua.LTThread:
		return "thread"
	}
	return "userdata" // userdata, and gopher-lua's channels
}

// TypeError is luaL_typerror.
func TypeError(L *lua.LState, narg int, want string) {
	ArgError(L, narg, want+" expected, got "+TypeName(L, narg))
}

// CheckLString is luaL_checklstring: strings as they are, numbers in
// their "%.14g" spelling.
func CheckLString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return Number2Str(float64(v))
	}
	TypeError(L, n, "string")
	return ""
}

// ToNumber is lua_tonumber's conversion: numbers, and strings holding one.
func ToNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return Str2Number(string(v))
	}
	return 0, false
}

// CheckInteger is luaL_checkinteger: a number (or numeric string)
// truncated as the C cast does.
func CheckInteger(L *lua.LState, n int) int64 {
	f, ok := ToNumber(L.Get(n))
	if !ok {
		TypeError(L, n, "number")
	}
	return ToInteger(f)
}

// OptInteger is luaL_optinteger.
func OptInteger(L *lua.LState, n int, def int64) int64 {
	if L.Get(n) == lua.LNil { // nil or absent
		return def
	}
	return CheckInteger(L, n)
}

// ToInteger is the C cast (int64)f on x86-64 (cvttsd2si): truncation, and
// the "integer indefinite" value for NaN and anything out of range. Go's
// own conversion leaves those cases to the platform.
func ToInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// Number2Str is lua_Number to string: "%.14g" as glibc prints it. Go's 'g'
// formatting with a precision agrees with C's for finite numbers.
func Number2Str(f float64) string {
	switch {
	case f != f:
		if math.Signbit(f) {
			return "-nan"
		}
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 14, 64)
}

// ToUnsigned is the C cast (uint64_t)f as gcc compiles it for x86-64
// without AVX-512: below 2^63 (NaN included) the signed conversion, else
// the signed conversion of f-2^63 with the top bit flipped; so 2^64 and
// above, and +Inf, come out as 0.
func ToUnsigned(f float64) uint64 {
	if !(f >= 1<<63) {
		return uint64(ToInteger(f))
	}
	return uint64(ToInteger(f-(1<<63))) ^ 1<<63
}
