package luastruct

// This file reproduces the few pieces of Lua 5.1's C API (lauxlib and the
// number conversions of x86-64 builds) whose observable behaviour the
// library depends on: how arguments are coerced, how errors are worded and
// located, and how deep a C function may use the Lua stack. gopher-lua's
// own helpers word errors differently (no quotes around the function name,
// a position even under pcall), so they are not used. cmsgpack carries
// the same file: the two packages share no code on purpose.

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// maxCStack is LUAI_MAXCSTACK: a C function may not have more than this
// many stack slots in use; lua_checkstack refuses beyond it. unpack counts
// the slots the C library would hold so that it fails at the very same
// input with the very same message.
const maxCStack = 8000

// checkStack is luaL_checkstack for a function that has top slots in use
// and asks for n more.
func checkStack(L *lua.LState, top, n int, what string) {
	if n > maxCStack || top+n > maxCStack {
		raise(L, "stack overflow ("+what+")")
	}
}

// where is luaL_where(L, 1): the position of the function that called the
// library function, when that is Lua code. Called straight from pcall (a
// Go function) there is no position, as with a C caller in Lua 5.1.
func where(L *lua.LState) string {
	dbg, ok := L.GetStack(1)
	if !ok {
		return ""
	}
	if _, err := L.GetInfo("Sl", dbg, lua.LNil); err != nil || dbg.CurrentLine <= 0 {
		return ""
	}
	return dbg.Source + ":" + strconv.Itoa(dbg.CurrentLine) + ": "
}

// raise is luaL_error: the message, prefixed with the caller's position.
func raise(L *lua.LState, msg string) {
	L.Error(lua.LString(where(L)+msg), 0)
}

// funcName is the name Lua 5.1 would give the running library function in
// an argument error: the name it was called by from Lua code, "?" when its
// caller is not Lua code.
func funcName(L *lua.LState) string {
	dbg, ok := L.GetStack(0)
	if !ok {
		return "?"
	}
	if _, err := L.GetInfo("n", dbg, lua.LNil); err != nil {
		return "?"
	}
	switch dbg.Name {
	case "", "(anonymous)", "main chunk", "corountine":
		return "?"
	}
	return dbg.Name
}

// argError is luaL_argerror.
func argError(L *lua.LState, narg int, msg string) {
	raise(L, "bad argument #"+strconv.Itoa(narg)+" to '"+funcName(L)+"' ("+msg+")")
}

// typeName is luaL_typename: "no value" past the last argument.
func typeName(L *lua.LState, n int) string {
	if n > L.GetTop() {
		return "no value"
	}
	switch L.Get(n).Type() {
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

// typeError is luaL_typerror.
func typeError(L *lua.LState, narg int, want string) {
	argError(L, narg, want+" expected, got "+typeName(L, narg))
}

// checkLString is luaL_checklstring: strings as they are, numbers in
// their "%.14g" spelling.
func checkLString(L *lua.LState, n int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return number2str(float64(v))
	}
	typeError(L, n, "string")
	return ""
}

// toNumber is lua_tonumber's conversion: numbers, and strings holding one.
func toNumber(v lua.LValue) (float64, bool) {
	switch v := v.(type) {
	case lua.LNumber:
		return float64(v), true
	case lua.LString:
		return str2number(string(v))
	}
	return 0, false
}

// checkInteger is luaL_checkinteger: a number (or numeric string)
// truncated as the C cast does.
func checkInteger(L *lua.LState, n int) int64 {
	f, ok := toNumber(L.Get(n))
	if !ok {
		typeError(L, n, "number")
	}
	return toInteger(f)
}

// optInteger is luaL_optinteger.
func optInteger(L *lua.LState, n int, def int64) int64 {
	if L.Get(n) == lua.LNil { // nil or absent
		return def
	}
	return checkInteger(L, n)
}

// toInteger is the C cast (int64)f on x86-64 (cvttsd2si): truncation, and
// the "integer indefinite" value for NaN and anything out of range. Go's
// own conversion leaves those cases to the platform.
func toInteger(f float64) int64 {
	if f != f || f >= 1<<63 || f < -(1<<63) {
		return math.MinInt64
	}
	return int64(f)
}

// number2str is lua_Number to string: "%.14g" as glibc prints it. Go's 'g'
// formatting with a precision agrees with C's for finite numbers.
func number2str(f float64) string {
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

// str2number is Lua 5.1's luaO_str2d on glibc: strtod reads the longest
// number at the start (after white space: decimal, hexadecimal with an
// optional binary exponent, inf, infinity, nan, nan(...)), and only white
// space may follow it. The string ends at its first NUL, as a C string.
func str2number(s string) (float64, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	v, n := scanUnsigned(s[i:])
	if n == 0 {
		return 0, false
	}
	if neg {
		v = math.Copysign(v, -1) // also for NaN: strtod("-nan") sets the sign
	}
	for i += n; i < len(s); i++ {
		if !isSpace(s[i]) {
			return 0, false
		}
	}
	return v, true
}

// scanUnsigned reads an unsigned strtod number at the start of s and
// returns it with the count of bytes it used (0: none).
func scanUnsigned(s string) (float64, int) {
	switch {
	case hasPrefixFold(s, "infinity"):
		return math.Inf(1), 8
	case hasPrefixFold(s, "inf"):
		return math.Inf(1), 3
	case hasPrefixFold(s, "nan"):
		return scanNaN(s)
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		if v, n := scanDigits(s[2:], true); n > 0 {
			return v, n + 2
		}
		return 0, 1 // just the "0"; the 'x' is left over
	}
	return scanDigits(s, false)
}

// scanDigits reads a decimal (or, with hex, hexadecimal) significand and
// its optional exponent.
func scanDigits(s string, hex bool) (float64, int) {
	digit := isDigit
	if hex {
		digit = isHexDigit
	}
	i, nd := 0, 0
	for i < len(s) && digit(s[i]) {
		i++
		nd++
	}
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && digit(s[i]) {
			i++
			nd++
		}
	}
	if nd == 0 {
		return 0, 0
	}
	mant := i
	expc := byte('e')
	if hex {
		expc = 'p'
	}
	if i < len(s) && (s[i]|0x20) == expc {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		if j < len(s) && isDigit(s[j]) {
			for j < len(s) && isDigit(s[j]) {
				j++
			}
			i = j
		}
	}
	text := s[:i]
	if hex {
		text = "0x" + text
		if i == mant {
			text += "p0" // Go wants the exponent that C makes optional
		}
	}
	// Out of range values come back as ±Inf or 0 with ErrRange, which is
	// what strtod returns too (Lua ignores errno).
	v, _ := strconv.ParseFloat(text, 64)
	return v, i
}

// scanNaN reads "nan" and an optional "(n-char-sequence)"; glibc puts the
// sequence's value, when it is a whole number, in the mantissa.
func scanNaN(s string) (float64, int) {
	bits := uint64(0x7ff8000000000000)
	n := 3
	if n < len(s) && s[n] == '(' {
		j := n + 1
		for j < len(s) && (isAlnum(s[j]) || s[j] == '_') {
			j++
		}
		if j < len(s) && s[j] == ')' {
			if m, ok := parseULL(s[n+1 : j]); ok && m&(1<<51-1) != 0 {
				bits |= m & (1<<51 - 1)
			}
			n = j + 1
		}
	}
	return math.Float64frombits(bits), n
}

// parseULL is strtoull(s, &end, 0) used whole; overflow saturates.
func parseULL(s string) (uint64, bool) {
	base := uint64(10)
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1]|0x20) == 'x' && isHexDigit(s[2]):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base = 8
	}
	if s == "" {
		return 0, false
	}
	var v uint64
	over := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case c|0x20 >= 'a' && c|0x20 <= 'z':
			d = uint64(c|0x20-'a') + 10
		default:
			return 0, false
		}
		if d >= base {
			return 0, false
		}
		if v > (math.MaxUint64-d)/base {
			over = true
		}
		v = v*base + d
	}
	if over {
		v = math.MaxUint64
	}
	return v, true
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isSpace(c byte) bool    { return c == ' ' || (c >= '\t' && c <= '\r') }
func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isHexDigit(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'f') }
func isAlnum(c byte) bool    { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }

// toUnsigned is the C cast (uint64_t)f as gcc compiles it for x86-64
// without AVX-512: below 2^63 (NaN included) the signed conversion, else
// the signed conversion of f-2^63 with the top bit flipped; so 2^64 and
// above, and +Inf, come out as 0.
func toUnsigned(f float64) uint64 {
	if !(f >= 1<<63) {
		return uint64(toInteger(f))
	}
	return uint64(toInteger(f-(1<<63))) ^ 1<<63
}
