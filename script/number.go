package script

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

var mathInf = math.Inf(1)

// appendG17 formats a number as redis.call passes it to a command:
// C's %.17g, which keeps every bit of a double.
func appendG17(b []byte, f float64) []byte {
	// Integers of up to 17 digits print as themselves.
	if f == math.Trunc(f) && f != 0 && f > -1e17 && f < 1e17 {
		return strconv.AppendInt(b, int64(f), 10)
	}
	return protocol.AppendG(b, f, 17)
}

// parseNumber reads a number as Lua's tonumber does for decimal strings.
func parseNumber(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

// luaToNumber is Lua 5.1's tonumber (luaB_tonumber). gopher-lua's parses
// decimal strings with Go's integer or float parsers, chosen by whether
// a point appears: "1e3", "inf", "-0x10", "\n12\r" and integers past
// 2^63 were nil where Lua, through strtod, reads numbers; it also
// trimmed a string twice to find out. In base 10 (the default) a
// string converts as anywhere a number is expected (lua_tonumber), in
// another base as C's strtoul reads it.
func luaToNumber(L *lua.LState) int {
	base := 10
	if L.Get(2) != lua.LNil {
		base = int(lua51.CheckInteger(L, 2))
	}
	if base == 10 {
		L.CheckAny(1)
		if f, ok := lua51.ToNumber(L.Get(1)); ok {
			L.Push(lua.LNumber(f))
		} else {
			L.Push(lua.LNil)
		}
		return 1
	}
	s := lua51.CheckLString(L, 1)
	if base < 2 || base > 36 {
		lua51.ArgError(L, 2, "base out of range")
	}
	if n, ok := strtoul(s, base); ok {
		L.Push(lua.LNumber(float64(n)))
	} else {
		L.Push(lua.LNil)
	}
	return 1
}

// strtoul reads s as luaB_tonumber reads it with C's strtoul: the C
// string ends at a NUL; white space, an optional sign (a minus negates
// the unsigned value), "0x" in base 16, at least one digit, then only
// white space. Values past 64 bits saturate.
func strtoul(s string, base int) (uint64, bool) {
	if k := strings.IndexByte(s, 0); k >= 0 {
		s = s[:k]
	}
	i := 0
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitVal(s[i+2]) < 16 {
		i += 2
	}
	start := i
	var n uint64
	over := false
	for ; i < len(s); i++ {
		d := digitVal(s[i])
		if d >= base {
			break
		}
		if n > (math.MaxUint64-uint64(d))/uint64(base) {
			over = true
		}
		n = n*uint64(base) + uint64(d)
	}
	if i == start {
		return 0, false
	}
	for i < len(s) && cSpace(s[i]) {
		i++
	}
	if i != len(s) {
		return 0, false
	}
	if over {
		n = math.MaxUint64
	} else if neg {
		n = -n
	}
	return n, true
}

// digitVal is a character's value as a digit of base up to 36 (36 and
// above for anything else).
func digitVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'Z':
		return int(c-'A') + 10
	}
	return 36
}

// cSpace is C's isspace in the "C" locale.
func cSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
