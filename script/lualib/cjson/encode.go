package cjson

import (
	"math"
	"strconv"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// escapes maps each byte to what lua-cjson writes for it inside a JSON
// string; "" means the byte itself. Besides what JSON requires it
// escapes "/" and DEL; bytes from 0x80 up pass through, whatever their
// UTF-8 validity.
var escapes = func() (t [256]string) {
	const hex = "0123456789abcdef"
	for c := 0; c < 0x20; c++ {
		t[c] = `\u00` + string(hex[c>>4]) + string(hex[c&15])
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['\\'], t['/'], t[0x7f] = `\"`, `\\`, `\/`, `\u007f`
	return
}()

type encoder struct {
	L   *lua.LState
	cfg *config
	buf []byte
}

// encode is cjson.encode(value).
func encode(L *lua.LState, cfg *config) int {
	if L.GetTop() != 1 {
		lua51.ArgError(L, 1, "expected 1 argument")
	}
	e := encoder{L: L, cfg: cfg}
	if cfg.keepBuffer {
		e.buf = cfg.buf[:0]
	}
	// One slot of the C function's stack holds the argument.
	e.value(L.Get(1), 0, 1)
	L.Push(lua.LString(e.buf))
	if cfg.keepBuffer && cap(e.buf) <= keptBufferMax {
		cfg.buf = e.buf
	}
	return 1
}

// fail raises "Cannot serialise <type of v>: <reason>".
func (e *encoder) fail(v lua.LValue, reason string) {
	lua51.Raise(e.L, "Cannot serialise "+v.Type().String()+": "+reason)
}

// value appends v. depth is the number of tables v is inside; slots is
// how many stack slots the C encoder would hold at this point.
func (e *encoder) value(v lua.LValue, depth int32, slots int) {
	switch x := v.(type) {
	case lua.LString:
		e.string(string(x))
	case lua.LNumber:
		e.number(x)
	case lua.LBool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case *lua.LNilType:
		e.buf = append(e.buf, "null"...)
	case *lua.LTable:
		depth++
		// C checks the depth and that 3 more stack slots are free.
		if depth > e.cfg.encodeMaxDepth || slots+3 > luaMaxCStack {
			lua51.Raise(e.L, "Cannot serialise, excessive nesting ("+strconv.Itoa(int(depth))+")")
		}
		if n := e.arrayLength(x); n > 0 {
			e.array(x, n, depth, slots)
		} else {
			e.object(x, depth, slots)
		}
	case *lua.LUserData:
		if x != e.cfg.null {
			e.fail(v, "type not supported")
		}
		e.buf = append(e.buf, "null"...)
	default:
		e.fail(v, "type not supported")
	}
}

func (e *encoder) string(s string) {
	e.buf = append(e.buf, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		if esc := escapes[s[i]]; esc != "" {
			e.buf = append(e.buf, s[start:i]...)
			e.buf = append(e.buf, esc...)
			start = i + 1
		}
	}
	e.buf = append(e.buf, s[start:]...)
	e.buf = append(e.buf, '"')
}

func (e *encoder) number(n lua.LNumber) {
	f := float64(n)
	if math.IsInf(f, 0) || f != f {
		switch e.cfg.encodeInvalid {
		case invalidOff:
			e.fail(n, "must not be NaN or Inf")
		case invalidNull:
			e.buf = append(e.buf, "null"...)
			return
		default:
			// lua-cjson spells every NaN "nan", where printf would
			// print a negative one "-nan"; Inf goes through printf.
			if f != f {
				e.buf = append(e.buf, "nan"...)
				return
			}
		}
	}
	e.buf = appendG(e.buf, f, e.cfg.precision)
}

// arrayLength decides how t encodes: as an array of n elements (n > 0),
// or as an object (n <= 0). A table is an array when all its keys are
// integers from 1 up and it is not excessively sparse (too large a
// largest key for its number of keys); an excessively sparse one is an
// error unless conversion to an object is on. The arithmetic is that of
// the C code's 32-bit ints: a key from 2^31 up reads as -2^31 there
// (x86's conversion of an out-of-range double), so such a key, last
// seen, makes the table an object.
func (e *encoder) arrayLength(t *lua.LTable) int32 {
	// The array part first, read by index: t.Next would box each key.
	// Len is where its last element is; past it come the other keys.
	n := t.Len()
	var max, items int32
	for i := 1; i <= n; i++ {
		if t.RawGetInt(i) != lua.LNil {
			items++
		}
	}
	max = int32(n)
	if int64(n) >= 1<<31 {
		// Only if gopher-lua's MaxArrayIndex was raised that far.
		max = math.MinInt32
	}
	var k lua.LValue = lua.LNil
	if n > 0 {
		k = lua.LNumber(n)
	}
	for k, _ = t.Next(k); k != lua.LNil; k, _ = t.Next(k) {
		num, ok := k.(lua.LNumber)
		if !ok {
			return -1
		}
		f := float64(num)
		if f < 1 || f != math.Floor(f) {
			return -1
		}
		if f > float64(max) {
			if f >= 1<<31 {
				max = math.MinInt32
			} else {
				max = int32(f)
			}
		}
		items++
	}
	cfg := e.cfg
	// items*ratio wraps as C's int product does.
	if cfg.sparseRatio > 0 && max > items*cfg.sparseRatio && max > cfg.sparseSafe {
		if !cfg.sparseConvert {
			e.fail(t, "excessively sparse array")
		}
		return -1
	}
	return max
}

func (e *encoder) array(t *lua.LTable, n int32, depth int32, slots int) {
	e.buf = append(e.buf, '[')
	for i := 1; i <= int(n); i++ {
		if i > 1 {
			e.buf = append(e.buf, ',')
		}
		var v lua.LValue
		if i < lua.MaxArrayIndex {
			v = t.RawGetInt(i)
		} else {
			// gopher-lua keeps such keys in the hash part, which
			// RawGetInt does not look at.
			v = t.RawGet(lua.LNumber(i))
		}
		// C pushes the element: one slot.
		e.value(v, depth, slots+1)
	}
	e.buf = append(e.buf, ']')
}

// object appends t as an object, its keys in gopher-lua's iteration
// order (the array part, then insertion order) where Redis follows its
// hash order: both orders are unspecified.
func (e *encoder) object(t *lua.LTable, depth int32, slots int) {
	e.buf = append(e.buf, '{')
	first := true
	for k, v := t.Next(lua.LNil); k != lua.LNil; k, v = t.Next(k) {
		if !first {
			e.buf = append(e.buf, ',')
		}
		first = false
		switch key := k.(type) {
		case lua.LNumber:
			e.buf = append(e.buf, '"')
			e.number(key)
			e.buf = append(e.buf, '"', ':')
		case lua.LString:
			e.string(string(key))
			e.buf = append(e.buf, ':')
		default:
			e.fail(k, "table key must be a number or string")
		}
		// C holds the key and the value: two slots.
		e.value(v, depth, slots+2)
	}
	e.buf = append(e.buf, '}')
}
