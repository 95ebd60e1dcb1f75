package cnum

import (
	"math"
	"strconv"
	"testing"
)

func TestStrtoll(t *testing.T) {
	for _, c := range []struct {
		in       string
		base     int
		n        int64
		end      int
		overflow bool
	}{
		{"", 10, 0, 0, false},
		{"   ", 10, 0, 0, false},
		{"-", 10, 0, 0, false},
		{"x12", 10, 0, 0, false},
		{"12", 10, 12, 2, false},
		{" \t\n\v\f\r-12x", 10, -12, 9, false},
		{"+7 ", 10, 7, 2, false},
		{"9223372036854775807", 10, math.MaxInt64, 19, false},
		{"9223372036854775808", 10, math.MaxInt64, 19, true},
		{"-9223372036854775808", 10, math.MinInt64, 20, false},
		{"-9223372036854775809", 10, math.MinInt64, 20, true},
		{"99999999999999999999999", 10, math.MaxInt64, 23, true},
		{"-99999999999999999999999z", 10, math.MinInt64, 24, true},
		{"0755", 8, 0o755, 4, false},
		{"789", 8, 7, 1, false},
	} {
		n, end, overflow := Strtoll(c.in, c.base)
		if n != c.n || end != c.end || overflow != c.overflow {
			t.Errorf("Strtoll(%q, %d) = %d, %d, %v; want %d, %d, %v", c.in, c.base, n, end, overflow, c.n, c.end, c.overflow)
		}
		if bn, bend, bo := Strtoll([]byte(c.in), c.base); bn != n || bend != end || bo != overflow {
			t.Errorf("Strtoll([]byte(%q)) differs from the string form", c.in)
		}
	}
}

// Within range, a plain number reads as strconv reads it.
func FuzzStrtoll(f *testing.F) {
	f.Add(int64(0))
	f.Add(int64(math.MinInt64))
	f.Add(int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, v int64) {
		s := strconv.FormatInt(v, 10)
		if n, end, overflow := Strtoll(s, 10); n != v || end != len(s) || overflow {
			t.Fatalf("Strtoll(%q) = %d, %d, %v", s, n, end, overflow)
		}
	})
}
