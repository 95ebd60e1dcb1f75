package cjson

import (
	"math"
	"strconv"
)

// This file holds printf's "%.<p>g", which Redis's cjson writes numbers
// with (and Lua 5.1 turns numbers into strings with, at %.14g), and the
// byte helpers the decoder reads numbers with; glibc's strtod itself is
// lua51.Strtod. Go's strconv is correctly rounded, as glibc is, so only
// the spelling of the special values needs care here.

// pow10 holds 10^0 .. 10^14: an integer below 10^p prints under %.<p>g
// as its plain decimal digits.
var pow10 = [...]float64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14}

// appendG appends f as C's printf("%.<prec>g") does, 1 <= prec <= 14.
func appendG(dst []byte, f float64, prec int) []byte {
	// Integers are most of what scripts encode; strconv's integer path
	// is several times faster than its float one.
	if a := math.Abs(f); a < pow10[prec] && f == math.Trunc(f) {
		if f == 0 && math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return strconv.AppendInt(dst, int64(f), 10)
	}
	switch {
	case math.IsNaN(f):
		// glibc prints the sign of a NaN.
		if math.Signbit(f) {
			return append(dst, "-nan"...)
		}
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	}
	// With an explicit precision, strconv's 'g' follows C's rules: the
	// same switch to exponent form (exponent < -4 or >= precision), no
	// trailing zeros, an exponent of at least two digits.
	return strconv.AppendFloat(dst, f, 'g', prec, 64)
}

// at returns s[i], or 0 past the end: the C code reads NUL-terminated
// strings, so a NUL byte and the end of the input are the same to it.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// hasPrefixFold reports whether s[i:] starts with lower, ignoring ASCII
// case (lower is lower-case letters).
func hasPrefixFold(s string, i int, lower string) bool {
	for j := 0; j < len(lower); j++ {
		if at(s, i+j)|0x20 != lower[j] {
			return false
		}
	}
	return true
}
