package cjson

import (
	"math"
	"strconv"
	"unicode/utf8"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

type tokenType uint8

const (
	tObjBegin tokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tError
)

// tokenNames are the names errors give the tokens found ("Expected value
// but found T_OBJ_END ...").
var tokenNames = [...]string{
	tObjBegin: "T_OBJ_BEGIN",
	tObjEnd:   "T_OBJ_END",
	tArrBegin: "T_ARR_BEGIN",
	tArrEnd:   "T_ARR_END",
	tString:   "T_STRING",
	tNumber:   "T_NUMBER",
	tBoolean:  "T_BOOLEAN",
	tNull:     "T_NULL",
	tColon:    "T_COLON",
	tComma:    "T_COMMA",
	tEnd:      "T_END",
	tError:    "T_ERROR",
}

type token struct {
	typ   tokenType
	index int     // where it starts (for tError: where the error is)
	str   string  // tString's value; tError's description
	num   float64 // tNumber's value; tBoolean's is num != 0
}

// decoder reads one JSON text. Like the C parser it reads the input as a
// NUL-terminated string: a NUL byte ends it wherever it is.
type decoder struct {
	L     *lua.LState
	cfg   *config
	s     string
	pos   int
	depth int32
	vals  []lua.LValue // elements of the arrays and objects being read
	keys  []string     // keys of the objects being read
}

// decode is cjson.decode(json).
func decode(L *lua.LState, cfg *config) int {
	if L.GetTop() != 1 {
		lua51.ArgError(L, 1, "expected 1 argument")
	}
	d := decoder{L: L, cfg: cfg, s: lua51.CheckLString(L, 1)}
	// A NUL among the first two bytes means UTF-16 or UTF-32 to it.
	if len(d.s) >= 2 && (d.s[0] == 0 || d.s[1] == 0) {
		lua51.Raise(L, "JSON parser does not support UTF-16 or UTF-32")
	}
	var tok token
	d.next(&tok)
	// The argument takes one slot of the C function's stack.
	v := d.value(&tok, 1)
	d.next(&tok)
	if tok.typ != tEnd {
		d.fail("the end", &tok)
	}
	L.Push(v)
	return 1
}

// smallInts holds small integers already in interfaces, which decoding
// hands out instead of boxing each one anew.
var smallInts = func() (t [256]lua.LValue) {
	for i := range t {
		t[i] = lua.LNumber(i)
	}
	return
}()

// fail raises the error of a token other than the one expected.
func (d *decoder) fail(expected string, tok *token) {
	found := tokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.str
	}
	lua51.Raise(d.L, "Expected "+expected+" but found "+found+" at character "+strconv.Itoa(tok.index+1))
}

// descend enters an array or object, which the C parser refuses beyond
// the depth limit or when need more stack slots are not free (slots are
// in use).
func (d *decoder) descend(slots, need int) {
	d.depth++
	if d.depth > d.cfg.decodeMaxDepth || slots+need > luaMaxCStack {
		lua51.Raise(d.L, "Found too many nested data structures ("+strconv.Itoa(int(d.depth))+") at character "+strconv.Itoa(d.pos))
	}
}

// value turns tok, and what follows it for an array or object, into a
// Lua value.
func (d *decoder) value(tok *token, slots int) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		// (Not -0, whose sign matters.)
		if n := tok.num; math.Float64bits(n)>>63 == 0 && n < float64(len(smallInts)) && n == float64(int(n)) {
			return smallInts[int(n)]
		}
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.num != 0)
	case tNull:
		return d.cfg.null
	case tObjBegin:
		return d.object(slots)
	case tArrBegin:
		return d.array(slots)
	}
	d.fail("value", tok)
	return nil
}

// array and object gather their elements on the decoder's stacks and
// make the table at the end, at its final size: gopher-lua's tables
// grow by copying, and start with room for 32 elements otherwise.

func (d *decoder) array(slots int) lua.LValue {
	// C needs the table and an element: two slots.
	d.descend(slots, 2)
	base := len(d.vals)
	var tok token
	d.next(&tok)
	if tok.typ != tArrEnd {
		for {
			v := d.value(&tok, slots+1)
			d.vals = append(d.vals, v)
			d.next(&tok)
			if tok.typ == tArrEnd {
				break
			}
			if tok.typ != tComma {
				d.fail("comma or array end", &tok)
			}
			d.next(&tok)
		}
	}
	d.depth--
	elems := d.vals[base:]
	t := d.L.CreateTable(len(elems), 0)
	for i, v := range elems {
		t.RawSetInt(i+1, v)
	}
	clear(elems)
	d.vals = d.vals[:base]
	return t
}

func (d *decoder) object(slots int) lua.LValue {
	// C needs the table, a key and a value: three slots.
	d.descend(slots, 3)
	base := len(d.vals)
	var tok token
	d.next(&tok)
	if tok.typ != tObjEnd {
		for {
			if tok.typ != tString {
				d.fail("object key string", &tok)
			}
			d.keys = append(d.keys, tok.str)
			d.next(&tok)
			if tok.typ != tColon {
				d.fail("colon", &tok)
			}
			d.next(&tok)
			v := d.value(&tok, slots+2)
			d.vals = append(d.vals, v)
			d.next(&tok)
			if tok.typ == tObjEnd {
				break
			}
			if tok.typ != tComma {
				d.fail("comma or object end", &tok)
			}
			d.next(&tok)
		}
	}
	d.depth--
	vals := d.vals[base:]
	keys := d.keys[len(d.keys)-len(vals):]
	t := d.L.CreateTable(0, len(vals))
	// In order, so that the last of equal keys wins, as in C.
	for i, v := range vals {
		t.RawSetString(keys[i], v)
	}
	clear(vals)
	clear(keys)
	d.vals = d.vals[:base]
	d.keys = d.keys[:len(d.keys)-len(vals)]
	return t
}

// setError makes tok an error at the current position.
func (d *decoder) setError(tok *token, what string) {
	tok.typ, tok.index, tok.str = tError, d.pos, what
}

// next reads the next token into tok.
func (d *decoder) next(tok *token) {
	s := d.s
	for {
		if c := at(s, d.pos); c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			break
		}
		d.pos++
	}
	tok.index = d.pos
	c := at(s, d.pos)
	switch c {
	case '{':
		tok.typ = tObjBegin
	case '}':
		tok.typ = tObjEnd
	case '[':
		tok.typ = tArrBegin
	case ']':
		tok.typ = tArrEnd
	case ',':
		tok.typ = tComma
	case ':':
		tok.typ = tColon
	case 0:
		tok.typ = tEnd
		return
	case '"':
		d.string(tok)
		return
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		if !d.cfg.decodeInvalid && d.invalidNumber() {
			d.setError(tok, "invalid number")
			return
		}
		d.number(tok)
		return
	case 't', 'f', 'n', 'i', 'I', 'N', '+':
		switch {
		case hasPrefix(s, d.pos, "true"):
			tok.typ, tok.num = tBoolean, 1
			d.pos += 4
		case hasPrefix(s, d.pos, "false"):
			tok.typ, tok.num = tBoolean, 0
			d.pos += 5
		case hasPrefix(s, d.pos, "null"):
			tok.typ = tNull
			d.pos += 4
		case d.cfg.decodeInvalid && d.invalidNumber():
			// Inf, NaN or "+": strtod may read them.
			d.number(tok)
		default:
			d.setError(tok, "invalid token")
		}
		return
	default:
		d.setError(tok, "invalid token")
		return
	}
	d.pos++
}

func hasPrefix(s string, i int, p string) bool {
	return len(s)-i >= len(p) && s[i:i+len(p)] == p
}

// invalidNumber reports whether the number at d.pos is one strtod reads
// but JSON does not have: a leading "+", hex, leading zeros, Inf, NaN.
func (d *decoder) invalidNumber() bool {
	s, p := d.s, d.pos
	c := at(s, p)
	if c == '+' {
		return true
	}
	if c == '-' {
		p++
		c = at(s, p)
	}
	if c == '0' {
		c2 := at(s, p+1)
		return c2|0x20 == 'x' || isDigit(c2)
	}
	// C compares a signed char: bytes from 0x80 count as below '9'.
	if int8(c) <= '9' {
		return false
	}
	return hasPrefixFold(s, p, "inf") || hasPrefixFold(s, p, "nan")
}

func (d *decoder) number(tok *token) {
	v, end := lua51.Strtod(d.s, d.pos)
	if end == d.pos {
		d.setError(tok, "invalid number")
		return
	}
	tok.typ, tok.num = tNumber, v
	d.pos = end
}

// string reads a string token; d.pos is at its opening quote. A string
// without escapes is a substring of the input: no copy.
func (d *decoder) string(tok *token) {
	s := d.s
	d.pos++
	start := d.pos
	for {
		switch at(s, d.pos) {
		case '"':
			tok.typ, tok.str = tString, s[start:d.pos]
			d.pos++
			return
		case '\\':
			d.escapedString(tok, start)
			return
		case 0:
			d.setError(tok, "unexpected end of string")
			return
		}
		d.pos++
	}
}

// escapeChars maps the byte after a backslash to what it stands for; 0
// marks an invalid escape, 'u' a \uXXXX one.
var escapeChars = [256]byte{
	'"': '"', '\\': '\\', '/': '/', 'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', 'u': 'u',
}

// escapedString finishes a string token whose first backslash is at
// d.pos, building its value in the decoder's scratch buffer.
func (d *decoder) escapedString(tok *token, start int) {
	s := d.s
	buf := append(d.cfg.tmp[:0], s[start:d.pos]...)
	for {
		c := at(s, d.pos)
		switch c {
		case '"':
			tok.typ, tok.str = tString, string(buf)
			d.pos++
			d.keep(buf)
			return
		case 0:
			d.setError(tok, "unexpected end of string")
			d.keep(buf)
			return
		case '\\':
			e := escapeChars[at(s, d.pos+1)]
			switch e {
			case 0:
				d.setError(tok, "invalid escape code")
				d.keep(buf)
				return
			case 'u':
				r, n := unicodeEscape(s, d.pos)
				if n == 0 {
					d.setError(tok, "invalid unicode escape code")
					d.keep(buf)
					return
				}
				buf = utf8.AppendRune(buf, r)
				d.pos += n
			default:
				buf = append(buf, e)
				d.pos += 2
			}
		default:
			buf = append(buf, c)
			d.pos++
		}
	}
}

// keep keeps the scratch buffer for the next string, unless it grew
// large.
func (d *decoder) keep(buf []byte) {
	if cap(buf) <= keptBufferMax {
		d.cfg.tmp = buf[:0]
	} else {
		d.cfg.tmp = nil
	}
}

// hex4 reads the 4 hex digits at s[i:], -1 if they are not.
func hex4(s string, i int) rune {
	var r rune
	for j := i; j < i+4; j++ {
		c := at(s, j)
		var v byte
		switch {
		case isDigit(c):
			v = c - '0'
		case 'a' <= c|0x20 && c|0x20 <= 'f':
			v = (c | 0x20) - 'a' + 10
		default:
			return -1
		}
		r = r<<4 | rune(v)
	}
	return r
}

// unicodeEscape reads the \uXXXX escape at s[i:] (a UTF-16 code unit),
// or the surrogate pair \uXXXX\uXXXX, and returns the code point and the
// escape's length, 0 if it is invalid: bad hex, a low surrogate first, a
// high one not followed by an escaped low one.
func unicodeEscape(s string, i int) (rune, int) {
	r := hex4(s, i+2)
	if r < 0 {
		return 0, 0
	}
	if r&0xF800 != 0xD800 {
		return r, 6
	}
	if r&0x400 != 0 || at(s, i+6) != '\\' || at(s, i+7) != 'u' {
		return 0, 0
	}
	lo := hex4(s, i+8)
	if lo < 0 || lo&0xFC00 != 0xDC00 {
		return 0, 0
	}
	return ((r&0x3FF)<<10 | lo&0x3FF) + 0x10000, 12
}
