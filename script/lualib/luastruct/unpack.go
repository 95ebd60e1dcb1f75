package luastruct

import (
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// unpack is struct.unpack(fmt, s [, pos]): the values, then the position
// after them.
func unpack(L *lua.LState) int {
	f := newFormat(lua51.CheckLString(L, 1))
	data := lua51.CheckLString(L, 2)
	// pos is a size_t in C: a negative start wraps to a huge offset (and
	// is only refused if an option then needs data), and only 0 is
	// refused here.
	pos := uint64(lua51.OptInteger(L, 3, 1))
	if pos == 0 {
		lua51.ArgError(L, 3, "offset must be 1 or greater")
	}
	pos--
	ld := uint64(len(data))
	nargs := L.GetTop()
	n := 0 // results pushed
	for f.more() {
		opt := f.opt()
		size := f.size(L, opt)
		pos += f.padding(pos, opt, size)
		if size > ld || pos > ld-size {
			lua51.ArgError(L, 2, "data string too short")
		}
		// Room for this result and the final position.
		lua51.CheckStack(L, nargs+n, 2, "too many results")
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			L.Push(lua.LNumber(getInt(data[pos:pos+size], f.little, opt >= 'a')))
			n++
		case 'x':
		case 'f':
			L.Push(lua.LNumber(math.Float32frombits(uint32(word(data[pos:pos+4], f.little)))))
			n++
		case 'd':
			L.Push(lua.LNumber(math.Float64frombits(word(data[pos:pos+8], f.little))))
			n++
		case 'c':
			if size == 0 {
				// 'c0': the length is the previous result, which must be
				// a number (or a string holding one), and is replaced.
				prev, ok := lua.LValue(lua.LNil), false
				if n > 0 {
					prev = L.Get(-1)
					_, ok = lua51.ToNumber(prev)
				}
				if !ok {
					lua51.Raise(L, "format 'c0' needs a previous size")
				}
				v, _ := lua51.ToNumber(prev)
				size = lua51.ToUnsigned(v)
				L.Pop(1)
				n--
				if size > ld || pos > ld-size {
					lua51.ArgError(L, 2, "data string too short")
				}
			}
			L.Push(lua.LString(data[pos : pos+size]))
			n++
		case 's':
			end := strings.IndexByte(data[pos:], 0)
			if end < 0 {
				lua51.Raise(L, "unfinished string in data")
			}
			L.Push(lua.LString(data[pos : pos+uint64(end)]))
			n++
			size = uint64(end) + 1
		default:
			f.control(L, opt)
		}
		pos += size
	}
	L.Push(lua.LNumber(int64(pos + 1)))
	return n + 1
}

// word reads the bytes of b as an unsigned number in the given order.
// Past 8 bytes only the last 8 read are kept, as shifting a 64-bit
// accumulator leaves them.
func word(b string, little bool) uint64 {
	var v uint64
	if little {
		for i := len(b) - 1; i >= 0; i-- {
			v = v<<8 | uint64(b[i])
		}
	} else {
		for i := 0; i < len(b); i++ {
			v = v<<8 | uint64(b[i])
		}
	}
	return v
}

// getInt reads an integer of len(b) bytes (0 to 32). A signed value is
// extended from its top bit; the C mask is ~0 shifted by size*8-1, a count
// x86-64 takes modulo 64, and so it does here (size 0 and sizes past 8).
func getInt(b string, little, signed bool) float64 {
	v := word(b, little)
	if !signed {
		return float64(v)
	}
	mask := ^uint64(0) << (uint(len(b)*8-1) & 63)
	if v&mask != 0 {
		v |= mask
	}
	return float64(int64(v))
}
