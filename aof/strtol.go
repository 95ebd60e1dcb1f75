package aof

import "math"

// strtol reads a decimal number at the start of b as C's strtol(b, &end,
// 10) does, which is how Redis reads the numbers of an AOF and its
// manifest: optional white space, an optional sign, digits. It returns
// the value, saturated at the int64 limits as glibc saturates (overflow
// then true, C's ERANGE), and the index where the number ends: 0 when
// there are no digits, as C's end pointer is then b itself.
func strtol(b []byte) (v int64, end int, overflow bool) {
	i := 0
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	start := i
	var u uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if u > (limit-d)/10 {
			overflow = true
		}
		if !overflow {
			u = u*10 + d
		}
	}
	if i == start {
		return 0, 0, false
	}
	if overflow {
		u = limit
	}
	if neg {
		return int64(-u), i, overflow
	}
	return int64(u), i, overflow
}
