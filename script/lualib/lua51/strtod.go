package lua51

import (
	"math"
	"strconv"
	"strings"
)

// Lua 5.1 reads a numeric string with glibc's strtod (luaO_str2d), and
// so does LuaBitOp's argument conversion: hex ("0x10", "0x1p4"),
// "inf", "nan(...)" and white space around the number included. cjson's
// decoder reads JSON numbers with it too.

// at returns s[i], or 0 past the end: the C code reads NUL-terminated
// strings, so a NUL byte and the end of the input are the same to it.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

func isHex(c byte) bool {
	return isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'f')
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || ('\t' <= c && c <= '\r')
}

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

// Strtod parses the longest prefix of s[start:] that glibc's strtod (in
// the "C" locale) accepts, leading white space excepted (callers skip
// it), and returns its value and where it ends; end == start when there
// is no number. The grammar: an optional sign, then a decimal number
// (digits with an optional point, at least one digit, an optional
// exponent that counts only with its digits), a hexadecimal one ("0x",
// hex digits with an optional point, an optional binary "p" exponent),
// "inf" or "infinity", or "nan" with an optional "(chars)". Out-of-range
// values become ±Inf or 0 as in C (errno is not looked at by the callers).
func Strtod(s string, start int) (float64, int) {
	i := start
	neg := false
	if c := at(s, i); c == '+' || c == '-' {
		neg = c == '-'
		i++
	}
	c := at(s, i)
	switch {
	case isDigit(c) || c == '.':
		if c == '0' && at(s, i+1)|0x20 == 'x' {
			if v, end := strtodHex(s, i+2, neg); end > 0 {
				return v, end
			}
			// "0x" without hex digits: the number is the "0".
		}
		return strtodDec(s, start, i)
	case c|0x20 == 'i':
		if !hasPrefixFold(s, i, "inf") {
			return 0, start
		}
		i += 3
		if hasPrefixFold(s, i, "inity") {
			i += 5
		}
		if neg {
			return math.Inf(-1), i
		}
		return math.Inf(1), i
	case c|0x20 == 'n':
		if !hasPrefixFold(s, i, "nan") {
			return 0, start
		}
		return strtodNaN(s, i+3, neg)
	}
	return 0, start
}

// strtodDec parses a decimal number whose digits start at i (its sign,
// if any, is at start).
func strtodDec(s string, start, i int) (float64, int) {
	digits := 0
	for isDigit(at(s, i)) {
		i++
		digits++
	}
	if at(s, i) == '.' {
		i++
		for isDigit(at(s, i)) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, start
	}
	if at(s, i)|0x20 == 'e' {
		j := i + 1
		if c := at(s, j); c == '+' || c == '-' {
			j++
		}
		if isDigit(at(s, j)) {
			for isDigit(at(s, j)) {
				j++
			}
			i = j
		}
	}
	// The text is plain decimal (no underscores, no "inf"), which
	// ParseFloat reads as strtod does; an out-of-range error comes with
	// strtod's ±Inf or 0, which is what C returns too.
	v, _ := strconv.ParseFloat(s[start:i], 64)
	return v, i
}

// strtodHex parses the part of a hexadecimal number after "0x"; end is 0
// when there is no hex digit.
func strtodHex(s string, i int, neg bool) (float64, int) {
	m0 := i
	digits := 0
	for isHex(at(s, i)) {
		i++
		digits++
	}
	if at(s, i) == '.' {
		i++
		for isHex(at(s, i)) {
			i++
			digits++
		}
	}
	if digits == 0 {
		return 0, 0
	}
	mant := s[m0:i]
	exp := "0"
	if at(s, i)|0x20 == 'p' {
		j := i + 1
		if c := at(s, j); c == '+' || c == '-' {
			j++
		}
		if isDigit(at(s, j)) {
			for isDigit(at(s, j)) {
				j++
			}
			exp = s[i+1 : j]
			i = j
		}
	}
	// ParseFloat wants the binary exponent that C lets one leave out.
	var b strings.Builder
	b.Grow(len(mant) + len(exp) + 4)
	if neg {
		b.WriteByte('-')
	}
	b.WriteString("0x")
	b.WriteString(mant)
	b.WriteByte('p')
	b.WriteString(exp)
	v, _ := strconv.ParseFloat(b.String(), 64)
	return v, i
}

// strtodNaN finishes a "nan" whose letters end at i. glibc takes a
// following "(chars)" as part of the number, and when chars is a whole
// unsigned number (or nothing) puts its low 51 bits into the NaN's
// mantissa.
func strtodNaN(s string, i int, neg bool) (float64, int) {
	bits := uint64(0x7FF8000000000000)
	if at(s, i) == '(' {
		j := i + 1
		for c := at(s, j); isDigit(c) || ('a' <= c|0x20 && c|0x20 <= 'z') || c == '_'; c = at(s, j) {
			j++
		}
		if at(s, j) == ')' {
			if p, ok := nanPayload(s[i+1 : j]); ok {
				bits |= p & (1<<51 - 1)
			}
			i = j + 1
		}
	}
	if neg {
		bits |= 1 << 63
	}
	return math.Float64frombits(bits), i
}

// nanPayload is strtoull(seq, &end, 0) when it takes the whole of seq:
// "0x" hex, "0" octal or decimal, saturating on overflow.
func nanPayload(seq string) (uint64, bool) {
	if seq == "" {
		return 0, true
	}
	base := uint64(10)
	digits := seq
	switch {
	case len(seq) > 2 && seq[0] == '0' && seq[1]|0x20 == 'x' && isHex(seq[2]):
		base, digits = 16, seq[2:]
	case seq[0] == '0':
		base = 8
	}
	var v uint64
	over := false
	for k := 0; k < len(digits); k++ {
		c := digits[k]
		var d uint64
		switch {
		case isDigit(c):
			d = uint64(c - '0')
		case 'a' <= c|0x20 && c|0x20 <= 'f':
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

// Str2Number converts a string as Lua 5.1 does when a number is expected
// (lua_tonumber): the C string ends at its first NUL, and strtod's number
// may have white space around it but nothing else.
func Str2Number(s string) (float64, bool) {
	if f, ok := smallInteger(s); ok {
		return f, true
	}
	if k := strings.IndexByte(s, 0); k >= 0 {
		s = s[:k]
	}
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	v, end := Strtod(s, i)
	if end == i {
		return 0, false
	}
	for end < len(s) && isSpace(s[end]) {
		end++
	}
	return v, end == len(s)
}

// smallInteger reads the common case without strtod: an optional minus
// and 1 to 15 decimal digits, which a double holds exactly (counters,
// timestamps, a rate limiter's settings). Anything else is left to the
// caller.
func smallInteger(s string) (float64, bool) {
	i := 0
	if len(s) > 0 && s[0] == '-' {
		i = 1
	}
	if len(s) == i || len(s)-i > 15 {
		return 0, false
	}
	var v int64
	for _, c := range []byte(s[i:]) {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	f := float64(v)
	if i == 1 {
		f = -f
	}
	return f, true
}
