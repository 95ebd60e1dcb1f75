package cmsgpack

import (
	"encoding/binary"
	"math"
	"sync"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// maxNesting is LUACMSGPACK_MAX_NESTING: a table met at this depth is
// packed as nil, which is also what stops cyclic tables.
const maxNesting = 16

// bufPool recycles pack buffers: a pack makes one string and nothing else
// when the pool has a buffer of the right size.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// maxPooled keeps a huge pack from pinning its buffer for ever.
const maxPooled = 64 << 10

// pack is cmsgpack.pack(...): each argument packed in turn, the results
// concatenated.
func pack(L *lua.LState) int {
	nargs := L.GetTop()
	if nargs == 0 {
		lua51.ArgError(L, 0, "MessagePack pack needs input.")
	}
	// The C library copies each argument to the top of the stack, which
	// lua_checkstack(L, nargs) guarantees room for.
	if nargs > lua51.MaxCStack || 2*nargs > lua51.MaxCStack {
		lua51.ArgError(L, 0, "Too many arguments for MessagePack pack.")
	}
	bp := bufPool.Get().(*[]byte)
	e := encoder{L: L, buf: (*bp)[:0]}
	for i := 1; i <= nargs; i++ {
		// Slots in use: the arguments and the packed strings so far.
		top := nargs + i - 1
		lua51.CheckStack(L, top, 1, "in function mp_check")
		e.value(L.Get(i), 0, top+1)
	}
	L.Push(lua.LString(e.buf))
	if cap(e.buf) <= maxPooled {
		*bp = e.buf
		bufPool.Put(bp)
	}
	return 1
}

// encoder appends MessagePack to buf.
type encoder struct {
	L   *lua.LState
	buf []byte
}

// value packs v, found at nesting level level. top is the number of Lua
// stack slots the C library would have in use, v's own included, so that
// the stack checks fail exactly where they fail in Redis.
func (e *encoder) value(v lua.LValue, level, top int) {
	switch v := v.(type) {
	case lua.LString:
		e.str(string(v))
	case lua.LBool:
		if v {
			e.buf = append(e.buf, 0xc3)
		} else {
			e.buf = append(e.buf, 0xc2)
		}
	case lua.LNumber:
		e.number(float64(v))
	case *lua.LTable:
		if level == maxNesting {
			e.buf = append(e.buf, 0xc0)
		} else {
			e.table(v, level, top)
		}
	default: // nil, functions, userdata, threads, channels
		e.buf = append(e.buf, 0xc0)
	}
}

// number packs a Lua number: as the smallest integer encoding when the
// double holds an int64 exactly, else as a float 32 when converting to
// float and back gives the same double, else as a float 64.
func (e *encoder) number(f float64) {
	if !math.IsInf(f, 0) && float64(lua51.ToInteger(f)) == f {
		e.integer(lua51.ToInteger(f))
		return
	}
	if f32 := float32(f); float64(f32) == f {
		e.buf = append(e.buf, 0xca)
		e.buf = binary.BigEndian.AppendUint32(e.buf, math.Float32bits(f32))
		return
	}
	e.buf = append(e.buf, 0xcb)
	e.buf = binary.BigEndian.AppendUint64(e.buf, math.Float64bits(f))
}

func (e *encoder) integer(n int64) {
	b := e.buf
	switch {
	case n >= 0 && n <= 127:
		b = append(b, byte(n)) // positive fixint
	case n >= 0 && n <= math.MaxUint8:
		b = append(b, 0xcc, byte(n))
	case n >= 0 && n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xcd), uint16(n))
	case n >= 0 && n <= math.MaxUint32:
		b = binary.BigEndian.AppendUint32(append(b, 0xce), uint32(n))
	case n >= 0:
		b = binary.BigEndian.AppendUint64(append(b, 0xcf), uint64(n))
	case n >= -32:
		b = append(b, byte(n)) // negative fixint
	case n >= math.MinInt8:
		b = append(b, 0xd0, byte(n))
	case n >= math.MinInt16:
		b = binary.BigEndian.AppendUint16(append(b, 0xd1), uint16(n))
	case n >= math.MinInt32:
		b = binary.BigEndian.AppendUint32(append(b, 0xd2), uint32(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, 0xd3), uint64(n))
	}
	e.buf = b
}

// str packs a string as fixstr, str 8, str 16 or str 32; never as bin.
func (e *encoder) str(s string) {
	n := len(s)
	b := e.buf
	switch {
	case n < 32:
		b = append(b, 0xa0|byte(n))
	case n <= math.MaxUint8:
		b = append(b, 0xd9, byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, 0xda), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, 0xdb), uint32(n))
	}
	e.buf = append(b, s...)
}

// header packs an array (0x90, 0xdc, 0xdd) or map (0x80, 0xde, 0xdf)
// header.
func (e *encoder) header(n int, fix, b16, b32 byte) {
	b := e.buf
	switch {
	case n <= 15:
		b = append(b, fix|byte(n))
	case n <= math.MaxUint16:
		b = binary.BigEndian.AppendUint16(append(b, b16), uint16(n))
	default:
		b = binary.BigEndian.AppendUint32(append(b, b32), uint32(n))
	}
	e.buf = b
}

// table packs t as an array when its keys are exactly 1..n (n >= 0: the
// empty table is an empty array), else as a map. Key order in maps is
// gopher-lua's next() order, as in pairs().
//
// gopher-lua keeps the keys 1..n of a table in an array part, which is
// read here with RawGetInt: next() would box every key it returns. Only
// the keys after the array part are walked with next().
func (e *encoder) table(t *lua.LTable, level, top int) {
	// The array test walks the table with two slots of its own.
	lua51.CheckStack(e.L, top, 2, "in function table_is_an_array")
	n := t.MaxN()
	count := 0
	for i := 1; i <= n; i++ {
		if t.RawGetInt(i) != lua.LNil {
			count++
		}
	}
	var first, firstV lua.LValue
	if n == 0 {
		first, firstV = t.Next(lua.LNil)
	} else {
		first, firstV = t.Next(lua.LNumber(n))
	}
	isArray, maxKey := true, n
	for k := first; k != lua.LNil; k, _ = t.Next(k) {
		count++
		if !isArray {
			continue
		}
		// A key of the array is a number that converts to a positive C
		// int exactly: 1 .. 2^31-1.
		f, ok := k.(lua.LNumber)
		if !ok || f <= 0 || f > math.MaxInt32 || float64(f) != math.Trunc(float64(f)) {
			isArray = false
			continue
		}
		maxKey = max(maxKey, int(f))
	}
	if isArray && maxKey == count {
		e.header(count, 0x90, 0xdc, 0xdd)
		lua51.CheckStack(e.L, top, 1, "in function mp_encode_lua_table_as_array")
		for j := 1; j <= count; j++ {
			var v lua.LValue
			if j < lua.MaxArrayIndex {
				v = t.RawGetInt(j)
			} else {
				v = t.RawGet(lua.LNumber(j))
			}
			e.value(v, level+1, top+1)
		}
		return
	}
	lua51.CheckStack(e.L, top, 3, "in function mp_encode_lua_table_as_map")
	e.header(count, 0x80, 0xde, 0xdf)
	// The C loop keeps key and value on the stack and packs a copy of the
	// key above them.
	for i := 1; i <= n; i++ {
		if v := t.RawGetInt(i); v != lua.LNil {
			e.integer(int64(i))
			e.value(v, level+1, top+2)
		}
	}
	for k, v := first, firstV; k != lua.LNil; k, v = t.Next(k) {
		e.value(k, level+1, top+3)
		e.value(v, level+1, top+2)
	}
}
