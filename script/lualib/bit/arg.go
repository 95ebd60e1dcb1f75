package bit

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// arg converts argument n to 32 bits as LuaBitOp does on Lua 5.1: the
// number (or numeric string, read as Lua 5.1 reads it) plus 2^52+2^51,
// whose double has the number rounded to an integer (ties to even) in
// its low 32 bits. Numbers beyond ±2^51 lose bits to that addition's
// rounding in the same way, and ±Inf gives 0. Anything else is a
// "number expected" error.
func arg(L *lua.LState, n int) uint32 {
	var f float64
	switch v := L.Get(n).(type) {
	case lua.LNumber:
		f = float64(v)
	case lua.LString:
		var ok bool
		if f, ok = str2number(string(v)); !ok {
			typeError(L, n, "number")
		}
	default:
		typeError(L, n, "number")
	}
	if f != f {
		// x86 adds to a NaN by keeping its bits, so the result is the
		// NaN's own low bits: 0 for the NaNs C arithmetic makes. Go's
		// math.NaN() carries a 1 there; it stands for those here.
		bits := math.Float64bits(f)
		if bits&^(1<<63) == 0x7FF8000000000001 {
			return 0
		}
		return uint32(bits)
	}
	return uint32(math.Float64bits(f + 6755399441055744.0))
}

// Errors are raised with the texts Lua 5.1's auxiliary library builds,
// not with gopher-lua's ArgError: that one skips Go frames when it looks
// for the position to prefix (so a pcall(bit.band, nil) error would gain
// one) and leaves the quotes out of "bad argument ... to 'name'".

// typeError is luaL_typerror.
func typeError(L *lua.LState, n int, want string) {
	got := "no value"
	if n <= L.GetTop() {
		got = L.Get(n).Type().String()
	}
	msg := "bad argument #" + strconv.Itoa(n) + " to '" + funcName(L) + "' (" + want + " expected, got " + got + ")"
	L.Error(lua.LString(where(L)+msg), 0)
}

// where is luaL_where(L, 1): "source:line: " of the caller when the
// caller is a Lua function, nothing when it is a Go function (pcall).
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
