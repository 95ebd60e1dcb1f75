package luastruct

import (
	"encoding/binary"
	"math"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// bufPool recycles pack buffers, so that a pack allocates its result and
// nothing else.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64); return &b }}

// maxPooled keeps a huge pack from pinning its buffer for ever.
const maxPooled = 64 << 10

// pack is struct.pack(fmt, ...).
func pack(L *lua.LState) int {
	f := newFormat(lua51.CheckLString(L, 1))
	nargs := L.GetTop()
	arg := 2
	bp := bufPool.Get().(*[]byte)
	b := (*bp)[:0]
	var total uint64 // bytes so far, as the C size_t counts them
	for f.more() {
		opt := f.opt()
		size := f.size(L, opt)
		pad := f.padding(total, opt, size)
		total += pad
		for ; pad > 0; pad-- {
			b = append(b, 0)
		}
		switch opt {
		case 'b', 'B', 'h', 'H', 'l', 'L', 'T', 'i', 'I':
			b = appendInt(b, packNumber(L, arg, nargs), f.little, int(size))
			arg++
		case 'x':
			b = append(b, 0)
		case 'f':
			bits := math.Float32bits(float32(packNumber(L, arg, nargs)))
			arg++
			if f.little {
				b = binary.LittleEndian.AppendUint32(b, bits)
			} else {
				b = binary.BigEndian.AppendUint32(b, bits)
			}
		case 'd':
			bits := math.Float64bits(packNumber(L, arg, nargs))
			arg++
			if f.little {
				b = binary.LittleEndian.AppendUint64(b, bits)
			} else {
				b = binary.BigEndian.AppendUint64(b, bits)
			}
		case 'c', 's':
			s := packString(L, arg, nargs)
			arg++
			l := uint64(len(s))
			if size == 0 { // 'c0' and 's': the whole string
				size = l
			}
			if l < size {
				// The C code has moved on to the next argument already,
				// and names that one.
				lua51.ArgError(L, arg, "string too short")
			}
			b = append(b, s[:size]...)
			if opt == 's' {
				b = append(b, 0)
				size++
			}
		default:
			f.control(L, opt)
		}
		total += size
	}
	L.Push(lua.LString(b))
	if cap(b) <= maxPooled {
		*bp = b
		bufPool.Put(bp)
	}
	return 1
}

// packNumber is luaL_checknumber on argument n of pack. The C function
// keeps a nil just above its arguments, so a missing argument is reported
// as a nil one, not as "no value".
func packNumber(L *lua.LState, n, nargs int) float64 {
	if v, ok := lua51.ToNumber(L.Get(n)); ok {
		return v
	}
	packTypeError(L, n, nargs, "number")
	return 0
}

// packString is luaL_checklstring on argument n of pack.
func packString(L *lua.LState, n, nargs int) string {
	switch v := L.Get(n).(type) {
	case lua.LString:
		return string(v)
	case lua.LNumber:
		return lua51.Number2Str(float64(v))
	}
	packTypeError(L, n, nargs, "string")
	return ""
}

func packTypeError(L *lua.LState, n, nargs int, want string) {
	if n > nargs {
		lua51.ArgError(L, n, want+" expected, got nil")
	}
	lua51.TypeError(L, n, want)
}

// appendInt appends the low size bytes of the integer n converts to, in
// the given order. Negative numbers go through the signed conversion, the
// others through the unsigned one; sizes past 8 bytes are filled with
// zeros, as shifting the 64-bit value right leaves them.
func appendInt(b []byte, n float64, little bool, size int) []byte {
	var v uint64
	if n < 0 {
		v = uint64(lua51.ToInteger(n))
	} else {
		v = lua51.ToUnsigned(n)
	}
	start := len(b)
	for i := 0; i < size; i++ {
		b = append(b, 0)
	}
	out := b[start:]
	for i := 0; i < size; i++ {
		if little {
			out[i] = byte(v)
		} else {
			out[size-1-i] = byte(v)
		}
		v >>= 8
	}
	return b
}
