package cmsgpack

import (
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// Decoding errors, reported once the top-level value is abandoned.
const (
	errNone   = iota
	errEOF    // "Missing bytes in input."
	errBadFmt // "Bad data format in input."
)

// decoder reads MessagePack values from s, starting at pos. Lengths read
// from the input are checked against what is left of it before anything
// is sized from them.
type decoder struct {
	L   *lua.LState
	s   string
	pos int
	err int
	// room is how many table slots may still be reserved from headers'
	// counts. It starts at the input's length: every element takes a
	// byte at least, so honest inputs get their tables sized once, and
	// crafted ones (thousands of nested headers announcing big counts)
	// cannot reserve more than that in all.
	room int
}

// reserve returns the room to give a table announced with n entries of at
// least size bytes each.
func (d *decoder) reserve(n, size int) int {
	n = min(n, d.left()/size, d.room)
	d.room -= n
	return n
}

func (d *decoder) left() int { return len(d.s) - d.pos }

// need reports whether n more bytes are there, setting errEOF when not.
func (d *decoder) need(n int) bool {
	if d.left() < n {
		d.err = errEOF
		return false
	}
	return true
}

// smallInts holds the Lua numbers -32 .. 255 as interface values made once:
// boxing a number allocates, and fixints and bytes are the most common
// numbers in MessagePack.
var smallInts = func() (t [256 + 32]lua.LValue) {
	for i := range t {
		t[i] = lua.LNumber(i - 32)
	}
	return t
}()

// integer boxes n, without allocating when it is small.
func integer(n int64) lua.LValue {
	if n >= -32 && n < 256 {
		return smallInts[n+32]
	}
	return lua.LNumber(n)
}

// Big-endian reads straight from the string, without a []byte copy.
func (d *decoder) u16(at int) int { return int(d.s[at])<<8 | int(d.s[at+1]) }
func (d *decoder) u32(at int) uint32 {
	s := d.s[at : at+4]
	return uint32(s[0])<<24 | uint32(s[1])<<16 | uint32(s[2])<<8 | uint32(s[3])
}
func (d *decoder) u64(at int) uint64 { return uint64(d.u32(at))<<32 | uint64(d.u32(at+4)) }

// value decodes one value. top is the number of Lua stack slots the C
// library would have in use before pushing it: it refuses to go past
// LUAI_MAXCSTACK, which bounds both the number of top-level values one
// call returns and the nesting depth. On a format error it sets d.err and
// returns nil.
func (d *decoder) value(top int) lua.LValue {
	if !d.need(1) {
		return nil
	}
	lua51.CheckStack(d.L, top, 1, "too many return values at once; use unpack_one or unpack_limit instead.")
	p := d.pos
	c := d.s[p]
	switch {
	case c <= 0x7f: // positive fixint
		d.pos++
		return integer(int64(c))
	case c >= 0xe0: // negative fixint
		d.pos++
		return integer(int64(int8(c)))
	case c&0xe0 == 0xa0: // fixstr
		n := int(c & 0x1f)
		if !d.need(1 + n) {
			return nil
		}
		d.pos += 1 + n
		return lua.LString(d.s[p+1 : p+1+n])
	case c&0xf0 == 0x90: // fixarray
		d.pos++
		return d.array(int(c&0x0f), top)
	case c&0xf0 == 0x80: // fixmap
		d.pos++
		return d.hash(int(c&0x0f), top)
	}
	switch c {
	case 0xc0:
		d.pos++
		return lua.LNil
	case 0xc2:
		d.pos++
		return lua.LFalse
	case 0xc3:
		d.pos++
		return lua.LTrue
	case 0xcc: // uint 8
		if !d.need(2) {
			return nil
		}
		d.pos += 2
		return integer(int64(d.s[p+1]))
	case 0xcd: // uint 16
		if !d.need(3) {
			return nil
		}
		d.pos += 3
		return integer(int64(d.u16(p + 1)))
	case 0xce: // uint 32
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return integer(int64(d.u32(p + 1)))
	case 0xcf: // uint 64: pushed as a lua_Integer, so 2^63 and up wrap
		if !d.need(9) {
			return nil
		}
		d.pos += 9
		return integer(int64(d.u64(p + 1)))
	case 0xd0: // int 8
		if !d.need(2) {
			return nil
		}
		d.pos += 2
		return integer(int64(int8(d.s[p+1])))
	case 0xd1: // int 16
		if !d.need(3) {
			return nil
		}
		d.pos += 3
		return integer(int64(int16(d.u16(p + 1))))
	case 0xd2: // int 32
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return integer(int64(int32(d.u32(p + 1))))
	case 0xd3: // int 64
		if !d.need(9) {
			return nil
		}
		d.pos += 9
		return integer(int64(d.u64(p + 1)))
	case 0xca: // float 32
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return lua.LNumber(math.Float32frombits(d.u32(p + 1)))
	case 0xcb: // float 64
		if !d.need(9) {
			return nil
		}
		d.pos += 9
		return lua.LNumber(math.Float64frombits(d.u64(p + 1)))
	case 0xd9: // str 8
		if !d.need(2) {
			return nil
		}
		return d.bytes(2, int(d.s[p+1]))
	case 0xda: // str 16
		if !d.need(3) {
			return nil
		}
		return d.bytes(3, d.u16(p+1))
	case 0xdb: // str 32
		if !d.need(5) {
			return nil
		}
		return d.bytes(5, int(d.u32(p+1)))
	case 0xdc: // array 16
		if !d.need(3) {
			return nil
		}
		d.pos += 3
		return d.array(d.u16(p+1), top)
	case 0xdd: // array 32
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return d.array(int(d.u32(p+1)), top)
	case 0xde: // map 16
		if !d.need(3) {
			return nil
		}
		d.pos += 3
		return d.hash(d.u16(p+1), top)
	case 0xdf: // map 32
		if !d.need(5) {
			return nil
		}
		d.pos += 5
		return d.hash(int(d.u32(p+1)), top)
	}
	// 0xc1, bin 8/16/32, ext and fixext: lua-cmsgpack 0.4.0 predates them.
	d.err = errBadFmt
	return nil
}

// bytes decodes a string of n bytes after an hdr-byte header. The result
// shares the input's memory: Go strings are immutable.
func (d *decoder) bytes(hdr, n int) lua.LValue {
	if !d.need(hdr + n) {
		return nil
	}
	start := d.pos + hdr
	d.pos = start + n
	return lua.LString(d.s[start:d.pos])
}

// array decodes n elements into a table keyed 1..n. Nil elements leave
// holes, as lua_settable does.
func (d *decoder) array(n int, top int) lua.LValue {
	t := d.L.CreateTable(d.reserve(n, 1), 0)
	// Stack: the table, then an index and the element being decoded.
	lua51.CheckStack(d.L, top+1, 1, "in function mp_decode_to_lua_array")
	for i := 1; i <= n; i++ {
		v := d.value(top + 2)
		if d.err != errNone {
			return nil
		}
		if v != lua.LNil {
			t.RawSetInt(i, v)
		}
	}
	return t
}

// hash decodes n key/value pairs into a table.
func (d *decoder) hash(n int, top int) lua.LValue {
	t := d.L.CreateTable(0, d.reserve(n, 2))
	for ; n > 0; n-- {
		k := d.value(top + 1)
		if d.err != errNone {
			return nil
		}
		v := d.value(top + 2)
		if d.err != errNone {
			return nil
		}
		// lua_settable refuses these keys, with a message that carries no
		// position (the running function is a C one).
		if k == lua.LNil {
			d.L.Error(lua.LString("table index is nil"), 0)
		} else if f, ok := k.(lua.LNumber); ok && f != f {
			d.L.Error(lua.LString("table index is NaN"), 0)
		}
		t.RawSet(k, v)
	}
	return t
}

// unpackFull decodes at most limit values of the string argument from
// offset on (everything, with no next offset, when both are 0). top is
// the number of Lua stack slots the C function holds when it starts.
func unpackFull(L *lua.LState, limit, offset int64, top int) int {
	s := lua51.CheckLString(L, 1)
	if offset < 0 || limit < 0 {
		// Redis's build prints the input length where it means the limit.
		lua51.Raise(L, "Invalid request to unpack with offset of "+itoa32(offset)+
			" and limit of "+itoa32(int64(len(s)))+".")
	} else if uint64(offset) > uint64(len(s)) {
		lua51.Raise(L, "Start offset "+itoa32(offset)+" greater than input length "+itoa32(int64(len(s)))+".")
	}
	all := limit == 0 && offset == 0
	if all {
		limit = math.MaxInt32
	}
	slot := 0
	if !all {
		// The next offset comes first among the results: keep its place.
		slot = L.GetTop() + 1
		L.Push(lua.LNil)
	}
	d := decoder{L: L, s: s, pos: int(offset), room: len(s) - int(offset)}
	cnt := 0
	for ; d.left() > 0 && int64(cnt) < limit; cnt++ {
		v := d.value(top + cnt)
		switch d.err {
		case errEOF:
			lua51.Raise(L, "Missing bytes in input.")
		case errBadFmt:
			lua51.Raise(L, "Bad data format in input.")
		}
		L.Push(v)
	}
	if all {
		return cnt
	}
	lua51.CheckStack(L, top+cnt, 1, "in function mp_unpack_full")
	next := lua.LNumber(-1)
	if d.left() > 0 {
		next = lua.LNumber(d.pos)
	}
	L.Replace(slot, next)
	return cnt + 1
}

// itoa32 prints n as C's "%d" of (int)n does.
func itoa32(n int64) string { return strconv.Itoa(int(int32(n))) }
