package bit

import (
	lua "github.com/yuin/gopher-lua"
)

// Loader pushes a new bit module table and returns 1: the function
// luaopen_bit is in Redis.
func Loader(L *lua.LState) int {
	t := L.CreateTable(0, 12)
	for _, f := range [...]struct {
		name string
		fn   lua.LGFunction
	}{
		{"tobit", tobit},
		{"bnot", bnot},
		{"band", band},
		{"bor", bor},
		{"bxor", bxor},
		{"lshift", lshift},
		{"rshift", rshift},
		{"arshift", arshift},
		{"rol", rol},
		{"ror", ror},
		{"bswap", bswap},
		{"tohex", tohex},
	} {
		t.RawSetString(f.name, L.NewFunction(f.fn))
	}
	L.Push(t)
	return 1
}

// ret pushes a result: the 32 bits as a signed integer.
func ret(L *lua.LState, b uint32) int {
	L.Push(lua.LNumber(int32(b)))
	return 1
}

func tobit(L *lua.LState) int { return ret(L, arg(L, 1)) }

func bnot(L *lua.LState) int { return ret(L, ^arg(L, 1)) }

// The and, or and xor of all the arguments. The first is converted
// first, then the others from the last down, which decides which bad
// argument an error names.

func band(L *lua.LState) int {
	b := arg(L, 1)
	for i := L.GetTop(); i > 1; i-- {
		b &= arg(L, i)
	}
	return ret(L, b)
}

func bor(L *lua.LState) int {
	b := arg(L, 1)
	for i := L.GetTop(); i > 1; i-- {
		b |= arg(L, i)
	}
	return ret(L, b)
}

func bxor(L *lua.LState) int {
	b := arg(L, 1)
	for i := L.GetTop(); i > 1; i-- {
		b ^= arg(L, i)
	}
	return ret(L, b)
}

// The shifts and rotations take the count modulo 32.

func lshift(L *lua.LState) int {
	b, n := arg(L, 1), arg(L, 2)&31
	return ret(L, b<<n)
}

func rshift(L *lua.LState) int {
	b, n := arg(L, 1), arg(L, 2)&31
	return ret(L, b>>n)
}

func arshift(L *lua.LState) int {
	b, n := arg(L, 1), arg(L, 2)&31
	return ret(L, uint32(int32(b)>>n))
}

func rol(L *lua.LState) int {
	b, n := arg(L, 1), arg(L, 2)&31
	return ret(L, b<<n|b>>(32-n))
}

func ror(L *lua.LState) int {
	b, n := arg(L, 1), arg(L, 2)&31
	return ret(L, b>>n|b<<(32-n))
}

func bswap(L *lua.LState) int {
	b := arg(L, 1)
	return ret(L, b>>24|b>>8&0xff00|b&0xff00<<8|b<<24)
}

// tohex is bit.tohex(x[, n]): the low n hex digits of x, 8 by default,
// upper-case when n is negative, at most 8.
func tohex(L *lua.LState) int {
	b := arg(L, 1)
	n := int32(8)
	if L.GetTop() >= 2 {
		n = int32(arg(L, 2))
	}
	digits := "0123456789abcdef"
	if n < 0 {
		n = -n
		digits = "0123456789ABCDEF"
	}
	// -(-2^31) overflows to -2^31; Redis's build (which compares the
	// count unsigned) then gives 8 digits, upper-case.
	if uint32(n) > 8 {
		n = 8
	}
	var buf [8]byte
	for i := n - 1; i >= 0; i-- {
		buf[i] = digits[b&15]
		b >>= 4
	}
	L.Push(lua.LString(buf[:n]))
	return 1
}
