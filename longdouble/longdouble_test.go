package longdouble_test

import (
	"bytes"
	"math"
	"math/big"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/longdouble"
)

// The exact outputs of the long double helpers are checked against Redis
// by TestIncrbyfloatMatchRedis and the randomized test; these tests check
// properties of the format on many more values than those can.

// Every float64 is a long double: its exact hexadecimal form must parse
// to it exactly.
func TestParseKeepsFloat64Exact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		f := math.Float64frombits(rng.Uint64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			continue
		}
		s := strconv.FormatFloat(f, 'x', -1, 64)
		var z big.Float
		if !longdouble.Parse(&z, []byte(s)) {
			t.Fatalf("%s (%g) refused", s, f)
		}
		if got, acc := z.Float64(); got != f || acc != big.Exact {
			t.Fatalf("%s: got %v (%v), want %v", s, got, acc, f)
		}
	}
}

// Decimals of up to 19 digits with small exponents are rounded once by
// big.Float's own parser, so the two must agree exactly.
func TestParseRoundsDecimalsOnce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 20000; i++ {
		digits := strconv.FormatUint(rng.Uint64N(1e19), 10)
		pt := rng.IntN(len(digits) + 1)
		s := digits[:pt] + "." + digits[pt:] + "e" + strconv.Itoa(rng.IntN(41)-20)
		if rng.IntN(2) == 0 {
			s = "-" + s
		}
		want, _, err := big.ParseFloat(s, 10, longdouble.Prec, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		var z big.Float
		if !longdouble.Parse(&z, []byte(s)) {
			t.Fatalf("%s refused", s)
		}
		if z.Cmp(want) != 0 {
			t.Fatalf("%s: got %s, want %s", s, z.Text('p', 0), want.Text('p', 0))
		}
	}
}

// What strtold refuses, Parse refuses: the inputs of this table
// are also in TestIncrbyfloatMatchRedis.
func TestParseSyntax(t *testing.T) {
	accepted := []string{"1", "-1.5", ".5", "5.", "+2", "1e5", "1E+2", "0x10", "0X1.8P1", "0x1p-2",
		"inf", "-Infinity", "1e-4940", "0e-99999"}
	refused := []string{"", " 1", "1 ", "nan", "-nan", "abc", "1e", "1e+", "0x", "0x1p", ".", "1.2.3",
		"1_000", "0b101", "0o17", "infin", "1e4933", "1e-5000"}
	var z big.Float
	for _, s := range accepted {
		if !longdouble.Parse(&z, []byte(s)) {
			t.Errorf("%q refused", s)
		}
	}
	for _, s := range refused {
		if longdouble.Parse(&z, []byte(s)) {
			t.Errorf("%q accepted", s)
		}
	}
}

// The human-friendly form is the value rounded to 17 decimals: it parses
// back to within half a unit of the 17th decimal, and has no trailing
// zeros.
func TestAppendRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	halfUnit := new(big.Float).SetPrec(200).SetFloat64(0.5e-17)
	for i := 0; i < 5000; i++ {
		s := strconv.FormatFloat(rng.NormFloat64()*math.Pow(10, float64(rng.IntN(30)-12)), 'g', -1, 64)
		var x big.Float
		if !longdouble.Parse(&x, []byte(s)) {
			t.Fatalf("%s refused", s)
		}
		out := longdouble.Append(nil, &x)
		if n := len(out); out[n-1] == '.' || out[n-1] == '0' && bytes.IndexByte(out, '.') >= 0 {
			t.Fatalf("%s formats as %s: trailing zeros", s, out)
		}
		back, _, err := big.ParseFloat(string(out), 10, 200, big.ToNearestEven)
		if err != nil {
			t.Fatalf("%s formats as unparsable %s", s, out)
		}
		diff := new(big.Float).SetPrec(200).Sub(back, &x)
		if diff.Abs(diff).Cmp(halfUnit) > 0 {
			t.Fatalf("%s formats as %s, too far", s, out)
		}
	}
}

func TestAddRefusesInfinities(t *testing.T) {
	var one, inf, max, z big.Float
	longdouble.Parse(&one, []byte("1"))
	longdouble.Parse(&inf, []byte("inf"))
	longdouble.Parse(&max, []byte("0x1.fffffffffffffffep16383"))
	if longdouble.Add(&z, &one, &inf) || longdouble.Add(&z, &inf, &one) {
		t.Error("a sum with an infinite operand was accepted")
	}
	if longdouble.Add(&z, &max, &max) {
		t.Error("an overflowing sum was accepted")
	}
	if !longdouble.Add(&z, &max, &one) || z.Cmp(&max) != 0 {
		t.Error("max + 1 should round back to max")
	}
	var negZero big.Float
	longdouble.Parse(&negZero, []byte("-0"))
	longdouble.Add(&z, &negZero, &negZero)
	if got := string(longdouble.Append(nil, &z)); got != "0" {
		t.Errorf("-0 formats as %q", got)
	}
}
