package luastruct

import (
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// The sizes of the C types on the LP64 x86-64 build Redis ships.
const (
	sizeInt    = 4  // int: 'i' and 'I' without a size
	sizeLong   = 8  // long: 'l', 'L'; also the integer type values go through
	sizeSizeT  = 8  // size_t: 'T'
	maxIntSize = 32 // the largest 'i'/'I' size accepted
	maxAlign   = 8  // '!' without a number: the alignment of a double
)

// format walks a format string. Like the C library it sees the string up
// to its first NUL only.
type format struct {
	s      string
	i      int
	little bool // byte order: '<' and '>'; x86-64 (little endian) at first
	align  int  // largest alignment: '!'; 1 at first (none)
}

func newFormat(s string) format {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	return format{s: s, little: true, align: 1}
}

func (f *format) more() bool { return f.i < len(f.s) }

func (f *format) opt() byte {
	c := f.s[f.i]
	f.i++
	return c
}

// num reads the decimal number that may follow an option, or returns def
// when there is none. It refuses numbers past INT_MAX.
func (f *format) num(L *lua.LState, def int) int {
	if !f.more() || !isDigit(f.s[f.i]) {
		return def
	}
	a := 0
	for f.more() && isDigit(f.s[f.i]) {
		d := int(f.s[f.i] - '0')
		if a > math.MaxInt32/10 || a*10 > math.MaxInt32-d {
			lua51.Raise(L, "integral size overflow")
		}
		a = a*10 + d
		f.i++
	}
	return a
}

// size is the number of bytes option opt stands for, reading its number
// if it takes one. Options that are not data (and 's') have size 0.
func (f *format) size(L *lua.LState, opt byte) uint64 {
	switch opt {
	case 'b', 'B', 'x':
		return 1
	case 'h', 'H':
		return 2
	case 'l', 'L':
		return sizeLong
	case 'T':
		return sizeSizeT
	case 'f':
		return 4
	case 'd':
		return 8
	case 'c':
		return uint64(f.num(L, 1))
	case 'i', 'I':
		n := f.num(L, sizeInt)
		if n > maxIntSize {
			lua51.Raise(L, "integral size "+strconv.Itoa(n)+" is larger than limit of "+strconv.Itoa(maxIntSize))
		}
		return uint64(n)
	}
	return 0
}

// padding is the number of bytes that align an item of size bytes at
// offset at: to its size, at most the format's alignment. Characters are
// never aligned. The arithmetic is size_t's, and sizes that are not powers
// of 2 ('i3' under '!4') give what the C bit trick gives.
func (f *format) padding(at uint64, opt byte, size uint64) uint64 {
	if size == 0 || opt == 'c' {
		return 0
	}
	if size > uint64(f.align) {
		size = uint64(f.align)
	}
	return (size - (at & (size - 1))) & (size - 1)
}

// control applies an option that is not data: white space, byte order or
// alignment. Anything else is an error on the format argument.
func (f *format) control(L *lua.LState, opt byte) {
	switch opt {
	case ' ':
	case '>':
		f.little = false
	case '<':
		f.little = true
	case '!':
		a := f.num(L, maxAlign)
		if a <= 0 || a&(a-1) != 0 {
			lua51.Raise(L, "alignment "+strconv.Itoa(a)+" is not a power of 2")
		}
		f.align = a
	default:
		lua51.ArgError(L, 1, "invalid format option '"+string([]byte{opt})+"'")
	}
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z') }
