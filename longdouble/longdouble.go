// Package longdouble reproduces C's x87 long double, in which Redis
// computes INCRBYFLOAT, HINCRBYFLOAT and blocking timeouts.
package longdouble

import (
	"bytes"
	"math/big"
)

// Redis's INCRBYFLOAT and HINCRBYFLOAT compute in C's long double, which
// on x86-64 is the x87 80-bit extended format: a 64-bit mantissa and a
// 15-bit exponent, with subnormals. Their replies show it: SET k 10.5 then
// INCRBYFLOAT k 0.1 answers 10.6 where float64 arithmetic would give
// 10.59999999999999964. The helpers below reproduce the format exactly
// with big.Float values of 64-bit precision: parsing rounds the exact
// decimal value once, as glibc's strtold does, and applies the format's
// range (overflow, subnormals, underflow to zero); sums are rounded to
// nearest-even, as the x87 unit does; formatting is exact, as glibc's
// printf is.
//
// An increment parses the stored value (or sets an integer one with
// z.SetPrec(Prec).SetInt64(n)), parses the increment, Adds, then Appends.

// Prec is the mantissa precision of the x87 extended format.
const Prec = 64

const (
	// ldMaxExp and ldMinExp bound big.Float exponents (mantissa in
	// [0.5, 1)) of finite normal long doubles.
	ldMaxExp = 16384
	ldMinExp = -16381
	// ldTinyExp is the exponent of the smallest subnormal, 2^-16445.
	ldTinyExp = -16444
	// maxLongDoubleChars is Redis's MAX_LONG_DOUBLE_CHARS: longer inputs
	// are refused.
	maxLongDoubleChars = 5 * 1024
)

// Parse parses b as Redis's string2ld does (strtold on the whole
// string, no leading space): decimal or hexadecimal ("0x1.8p3") notation,
// "inf" and "infinity" in any case. NaN, and values that overflow or
// underflow to zero, are refused. z gets precision Prec.
func Parse(z *big.Float, b []byte) bool {
	z.SetPrec(Prec).SetMode(big.ToNearestEven)
	if len(b) == 0 || len(b) >= maxLongDoubleChars {
		return false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if bytes.EqualFold(b, []byte("inf")) || bytes.EqualFold(b, []byte("infinity")) {
		z.SetInf(neg)
		return true
	}
	base, expChar := 10, byte('e')
	if len(b) > 2 && b[0] == '0' && b[1]|0x20 == 'x' {
		base, expChar = 16, 'p'
		b = b[2:]
	}
	// Mantissa: digits with at most one point, at least one digit.
	var digits []byte
	ndigits, frac, seenPoint := 0, 0, false
	i := 0
	for ; i < len(b); i++ {
		ch := b[i]
		if ch == '.' && !seenPoint {
			seenPoint = true
			continue
		}
		if digitValue(ch, base) < 0 {
			break
		}
		ndigits++
		if seenPoint {
			frac++
		}
		if ch != '0' || len(digits) > 0 {
			digits = append(digits, ch)
		}
	}
	if ndigits == 0 {
		return false
	}
	// Exponent: decimal, in powers of 10 (base 10) or 2 (base 16). Its
	// magnitude is clamped: anything that large over- or underflows.
	var exp int64
	if i < len(b) {
		if b[i]|0x20 != expChar {
			return false
		}
		i++
		eneg := false
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			eneg = b[i] == '-'
			i++
		}
		if i == len(b) {
			return false
		}
		for ; i < len(b); i++ {
			if b[i] < '0' || b[i] > '9' {
				return false
			}
			if exp < 1<<40 {
				exp = exp*10 + int64(b[i]-'0')
			}
		}
		if eneg {
			exp = -exp
		}
	}
	if len(digits) == 0 {
		z.SetInt64(0)
		if neg {
			z.Neg(z)
		}
		return true
	}
	var mant big.Int
	mant.SetString(string(digits), base)
	var r big.Rat
	if base == 10 {
		exp -= int64(frac)
		// The value is in [10^mag, 10^(mag+1)): decide the far cases
		// without building huge powers. The largest long double is about
		// 1.19e4932, the smallest subnormal about 3.65e-4951.
		mag := int64(len(digits)) - 1 + exp
		if mag > 4932 {
			return false
		}
		if mag < -4952 {
			return false
		}
		pow := new(big.Int).Exp(big.NewInt(10), big.NewInt(abs64(exp)), nil)
		if exp >= 0 {
			r.SetInt(mant.Mul(&mant, pow))
		} else {
			r.SetFrac(&mant, pow)
		}
	} else {
		exp -= 4 * int64(frac)
		mag := int64(mant.BitLen()) + exp // the value is below 2^mag
		if mag > ldMaxExp+1 {
			return false
		}
		if mag < ldTinyExp-2 {
			return false
		}
		pow := new(big.Int).Lsh(big.NewInt(1), uint(abs64(exp)))
		if exp >= 0 {
			r.SetInt(mant.Lsh(&mant, uint(exp)))
		} else {
			r.SetFrac(&mant, pow)
		}
	}
	if !round(z, &r) {
		return false
	}
	if neg {
		z.Neg(z)
	}
	return true
}

// round sets z to the positive rational r rounded to the long
// double format. It fails on overflow and on underflow to zero (strtold's
// ERANGE cases that Redis refuses).
func round(z *big.Float, r *big.Rat) bool {
	z.SetRat(r)
	e := z.MantExp(nil)
	if e > ldMaxExp {
		return false
	}
	if e >= ldMinExp {
		return true
	}
	// Subnormal: fewer mantissa bits are left, down to one at 2^-16445.
	if p := e - ldTinyExp + 1; p >= 1 {
		z.SetPrec(uint(p)).SetRat(r)
		z.SetPrec(Prec)
		return true
	}
	// Below the smallest subnormal: it rounds up to it when above half of
	// it, otherwise (a tie goes to the even zero) to zero.
	half := new(big.Rat).SetFrac(big.NewInt(1), new(big.Int).Lsh(big.NewInt(1), -ldTinyExp+2))
	if r.Cmp(half) <= 0 {
		return false
	}
	z.SetMantExp(big.NewFloat(0.5), ldTinyExp)
	return true
}

// Add sets z to x+y rounded to the long double format. It fails,
// as Redis's "increment would produce NaN or Infinity" check does, when an
// operand is infinite or the sum overflows.
func Add(z, x, y *big.Float) bool {
	if x.IsInf() || y.IsInf() {
		return false
	}
	z.SetPrec(Prec).SetMode(big.ToNearestEven).Add(x, y)
	return z.MantExp(nil) <= ldMaxExp
}

// Append formats x as Redis's ld2string in LD_STR_HUMAN mode:
// printf's "%.17Lf" with trailing zeros (and a bare point) removed, and
// "-0" shown as "0".
func Append(dst []byte, x *big.Float) []byte {
	start := len(dst)
	dst = x.Append(dst, 'f', 17)
	end := len(dst)
	for dst[end-1] == '0' {
		end--
	}
	if dst[end-1] == '.' {
		end--
	}
	dst = dst[:end]
	if string(dst[start:]) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// digitValue is ch's value as a digit of base 10 or 16, or -1.
func digitValue(ch byte, base int) int {
	switch {
	case '0' <= ch && ch <= '9':
		return int(ch - '0')
	case base == 16 && 'a' <= ch|0x20 && ch|0x20 <= 'f':
		return int(ch|0x20-'a') + 10
	}
	return -1
}

func abs64(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}
