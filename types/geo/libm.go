package geo

import "math"

// Distances go through sin, cos and asin, and STOREDIST and WITHDIST show
// them. Redis gets them from glibc, whose results are correctly rounded
// in all but about one case in a thousand; Go's math package is off by an
// ulp in a fifth to a third of cases. So the three functions are computed
// here in double-double arithmetic (about 106 bits) and rounded once,
// which gives the correctly rounded result.

// dd is the unevaluated sum hi+lo, with |lo| at most half an ulp of hi.
type dd struct{ hi, lo float64 }

// twoSum is a+b exactly.
func twoSum(a, b float64) dd {
	s := a + b
	v := s - a
	return dd{s, (a - (s - v)) + (b - v)}
}

// fastTwoSum is a+b exactly, for |a| >= |b|.
func fastTwoSum(a, b float64) dd {
	s := a + b
	return dd{s, b - (s - a)}
}

// twoProd is a*b exactly.
func twoProd(a, b float64) dd {
	p := a * b
	return dd{p, math.FMA(a, b, -p)}
}

func (x dd) add(y dd) dd {
	s, t := twoSum(x.hi, y.hi), twoSum(x.lo, y.lo)
	s = fastTwoSum(s.hi, s.lo+t.hi)
	return fastTwoSum(s.hi, s.lo+t.lo)
}

func (x dd) neg() dd { return dd{-x.hi, -x.lo} }

func (x dd) mul(y dd) dd {
	p := twoProd(x.hi, y.hi)
	return fastTwoSum(p.hi, p.lo+(x.hi*y.lo+x.lo*y.hi))
}

func (x dd) div(y dd) dd {
	q1 := x.hi / y.hi
	r := x.add(y.mul(dd{-q1, 0}))
	q2 := r.hi / y.hi
	r = r.add(y.mul(dd{-q2, 0}))
	return fastTwoSum(q1, q2).add(dd{r.hi / y.hi, 0})
}

// halfPi is π/2 in three parts, for argument reduction.
var halfPi = [3]float64{0x1.921fb54442d18p+0, 0x1.1a62633145c07p-54, -0x1.f1976b7ed8fbcp-110}

// invFact[n] is 1/n!.
var invFact = func() (f [32]dd) {
	f[0] = dd{1, 0}
	for n := 1; n < len(f); n++ {
		f[n] = f[n-1].div(dd{float64(n), 0})
	}
	return f
}()

// sinCos returns sin x and cos x for |x| < 2^20, whose argument
// reduction by π/2 is exact enough.
func sinCos(x float64) (s, c dd) {
	k := math.RoundToEven(x / halfPi[0])
	r := dd{x, 0}.add(twoProd(-k, halfPi[0])).add(twoProd(-k, halfPi[1])).add(dd{-k * halfPi[2], 0})
	s, c = taylorSinCos(r)
	switch int64(k) & 3 {
	case 1:
		s, c = c, s.neg()
	case 2:
		s, c = s.neg(), c.neg()
	case 3:
		s, c = c.neg(), s
	}
	return s, c
}

// taylorSinCos sums the Taylor series of sin and cos for |r| <= π/4,
// where 16 terms are enough.
func taylorSinCos(r dd) (s, c dd) {
	r2 := r.mul(r)
	s, c = invFact[31], invFact[30]
	for n := 29; n >= 1; n -= 2 {
		s = s.mul(r2).neg().add(invFact[n])
		c = c.mul(r2).neg().add(invFact[n-1])
	}
	return s.mul(r), c
}

const ddRange = 0x1p20

func sin(x float64) float64 {
	if x == 0 || !(math.Abs(x) < ddRange) {
		return math.Sin(x)
	}
	s, _ := sinCos(x)
	return s.hi
}

func cos(x float64) float64 {
	if !(math.Abs(x) < ddRange) {
		return math.Cos(x)
	}
	_, c := sinCos(x)
	return c.hi
}

// asin uses asin x = π/2 - 2 asin √((1-x)/2) above 1/2, where asin is
// steep, so that Newton's method works on small arguments.
func asin(x float64) float64 {
	switch {
	case x == 0 || !(math.Abs(x) <= 1):
		return math.Asin(x)
	case x < 0:
		return -asin(-x)
	case x <= 0.5:
		return asinDD(dd{x, 0}).hi
	}
	w := (1 - x) / 2
	t := math.Sqrt(w)
	z := asinDD(dd{t, math.FMA(-t, t, w) / (2 * t)})
	halfPiDD := dd{halfPi[0], halfPi[1]}
	return halfPiDD.add(z.add(z).neg()).hi
}

// asinDD is asin x for 0 < x <= 1/2, one Newton step from math.Asin.
func asinDD(x dd) dd {
	y := math.Asin(x.hi)
	s, c := sinCos(y)
	return dd{y, 0}.add(x.add(s.neg()).div(c))
}
