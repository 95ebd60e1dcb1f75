// Package cnum reads numbers as the C library Redis is built on reads
// them, where Redis's behaviour depends on it: strtoll's leading white
// space, sign, saturation and end pointer (config values, AOF and
// manifest numbers, atoi in command arguments), and isspace. It imports
// nothing, so any package may use it.
package cnum

import "math"

// IsSpace is C's isspace in the C locale.
func IsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// Strtoll is C's strtoll(s, &end, base) as glibc has it, for bases 2 to
// 10: leading white space, an optional sign, then digits in base. It
// returns the value, saturated at the int64 limits on overflow (overflow
// then true, C's ERANGE), and the index where the number ends: 0 when
// there are no digits, as C's end pointer is then s itself, so s[end:]
// is always what follows.
func Strtoll[T ~string | ~[]byte](s T, base int) (n int64, end int, overflow bool) {
	i := 0
	for i < len(s) && IsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var u uint64
	for ; i < len(s); i++ {
		d := uint64(s[i] - '0')
		if s[i] < '0' || d >= uint64(base) {
			break
		}
		if u > (math.MaxUint64-d)/uint64(base) {
			overflow = true
		} else {
			u = u*uint64(base) + d
		}
	}
	if i == start {
		return 0, 0, false
	}
	switch {
	case !neg && (overflow || u > math.MaxInt64):
		return math.MaxInt64, i, true
	case neg && (overflow || u > 1<<63):
		return math.MinInt64, i, true
	case neg:
		return int64(-u), i, false
	}
	return int64(u), i, false
}
