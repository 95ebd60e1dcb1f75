package geo

import (
	"math"
	"math/big"
	"math/rand/v2"
	"testing"
)

const refPrec = 200

// refSinCos sums the Taylor series of sin and cos in 200-bit arithmetic,
// for |x| <= 4.
func refSinCos(x float64) (s, c *big.Float) {
	bx := new(big.Float).SetPrec(refPrec).SetFloat64(x)
	s, c = new(big.Float).SetPrec(refPrec), new(big.Float).SetPrec(refPrec)
	term := new(big.Float).SetPrec(refPrec).SetInt64(1) // x^n/n!
	for n := 0; n < 90; n++ {
		sum := c
		if n%2 == 1 {
			sum = s
		}
		if n%4 < 2 {
			sum.Add(sum, term)
		} else {
			sum.Sub(sum, term)
		}
		term.Mul(term, bx).Quo(term, new(big.Float).SetInt64(int64(n+1)))
	}
	return s, c
}

// refAsin solves sin y = x by Newton's method in 200-bit arithmetic.
func refAsin(x float64) float64 {
	bx := new(big.Float).SetPrec(refPrec).SetFloat64(x)
	y := new(big.Float).SetPrec(refPrec).SetFloat64(math.Asin(x))
	for range 4 {
		f, _ := y.Float64()
		s, c := refSinCos(f)
		// refSinCos takes a double: correct for y's low bits to first order.
		dy := new(big.Float).SetPrec(refPrec).Sub(y, new(big.Float).SetFloat64(f))
		s.Add(s, new(big.Float).Mul(c, dy))
		y.Sub(y, s.Sub(s, bx).Quo(s, c))
	}
	r, _ := y.Float64()
	return r
}

// The double-double functions must give the correctly rounded results.
func TestLibmCorrectlyRounded(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		x := (r.Float64()*2 - 1) * math.Pi
		s, c := refSinCos(x)
		if want, _ := s.Float64(); sin(x) != want {
			t.Errorf("sin(%v) = %v, want %v", x, sin(x), want)
		}
		if want, _ := c.Float64(); cos(x) != want {
			t.Errorf("cos(%v) = %v, want %v", x, cos(x), want)
		}
		a := math.Min(math.Sqrt(r.Float64()), 1-1e-12)
		if want := refAsin(a); asin(a) != want {
			t.Errorf("asin(%v) = %v, want %v", a, asin(a), want)
		}
	}
}
