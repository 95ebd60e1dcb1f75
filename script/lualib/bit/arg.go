package bit

import (
	"math"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
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
		if f, ok = lua51.Str2Number(string(v)); !ok {
			lua51.TypeError(L, n, "number")
		}
	default:
		lua51.TypeError(L, n, "number")
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
