package bitops

import (
	"math/big"
	"math/bits"
	"math/rand/v2"
	"testing"
)

// Properties of the bit helpers, checked against naive or arbitrary
// precision references; the commands built on them are compared with
// Redis in diff_test.go.

func TestFieldsRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for i := 0; i < 20000; i++ {
		p := make([]byte, 12)
		for j := range p {
			p[j] = byte(rng.UintN(256))
		}
		orig := append([]byte(nil), p...)
		width := 1 + rng.IntN(64)
		off := uint64(rng.IntN(96 - width + 1))
		v := rng.Uint64()
		setUnsigned(p, off, width, v)
		mask := uint64(1)<<width - 1
		if width == 64 {
			mask = ^uint64(0)
		}
		if got := getUnsigned(p, off, width); got != v&mask {
			t.Fatalf("width %d at %d: wrote %x, read %x", width, off, v&mask, got)
		}
		// Sign extension: the signed read agrees with the unsigned one
		// modulo 2^width, and is in the signed range.
		s := getSigned(p, off, width)
		if uint64(s)&mask != v&mask || width < 64 && (s < -(1<<(width-1)) || s >= 1<<(width-1)) {
			t.Fatalf("width %d: signed read %d of %x", width, s, v&mask)
		}
		// Bits outside the field are untouched.
		for b := uint64(0); b < 96; b++ {
			if b >= off && b < off+uint64(width) {
				continue
			}
			if getUnsigned(p, b, 1) != getUnsigned(orig, b, 1) {
				t.Fatalf("width %d at %d: bit %d changed", width, off, b)
			}
		}
	}
}

// The overflow checks, for values in the field's range, must agree with
// exact arithmetic: an overflow exactly when the sum leaves the range,
// WRAP giving the sum modulo 2^bits, SAT the nearest bound.
func TestOverflowAgainstExactArithmetic(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for i := 0; i < 50000; i++ {
		signed := rng.IntN(2) == 0
		width := 1 + rng.IntN(64)
		if !signed && width == 64 {
			width = 63
		}
		incr := int64(rng.Uint64())
		if rng.IntN(2) == 0 {
			incr >>= rng.IntN(64)
		}
		var lo, hi big.Int
		if signed {
			lo.Lsh(big.NewInt(1), uint(width-1)).Neg(&lo)
			hi.Lsh(big.NewInt(1), uint(width-1)).Sub(&hi, big.NewInt(1))
		} else {
			hi.Lsh(big.NewInt(1), uint(width)).Sub(&hi, big.NewInt(1))
		}
		raw := rng.Uint64()
		var value big.Int
		if signed {
			v := int64(raw)
			if width < 64 {
				v = v << (64 - width) >> (64 - width)
			}
			value.SetInt64(v)
		} else {
			value.SetUint64(raw & (1<<width - 1))
		}
		sum := new(big.Int).Add(&value, big.NewInt(incr))
		wantOver := sum.Cmp(&lo) < 0 || sum.Cmp(&hi) > 0
		// Exact WRAP: the sum modulo 2^width, in the field's range.
		mod := new(big.Int).Lsh(big.NewInt(1), uint(width))
		wrapped := new(big.Int).Sub(sum, &lo)
		wrapped.Mod(wrapped, mod).Add(wrapped, &lo)
		sat := sum
		if sum.Cmp(&lo) < 0 {
			sat = &lo
		} else if sum.Cmp(&hi) > 0 {
			sat = &hi
		}
		for _, behaviour := range []uint8{overflowWrap, overflowSat} {
			want := wrapped
			if behaviour == overflowSat {
				want = sat
			}
			var over bool
			var got big.Int
			if signed {
				var r int64
				over, r = signedOverflow(value.Int64(), incr, width, behaviour)
				if !over {
					r = value.Int64() + incr
				}
				got.SetInt64(r)
			} else {
				var r uint64
				over, r = unsignedOverflow(value.Uint64(), incr, width, behaviour)
				if !over {
					r = value.Uint64() + uint64(incr)
				}
				got.SetUint64(r)
			}
			if over != wantOver || got.Cmp(want) != 0 {
				t.Fatalf("signed=%v width=%d value=%s incr=%d behaviour=%d: got %v %s, want %v %s",
					signed, width, &value, incr, behaviour, over, &got, wantOver, want)
			}
		}
	}
}

func TestPopcountAndFirstBit(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for i := 0; i < 5000; i++ {
		b := make([]byte, rng.IntN(40))
		for j := range b {
			switch rng.IntN(3) {
			case 0:
				b[j] = 0
			case 1:
				b[j] = 0xff
			default:
				b[j] = byte(rng.UintN(256))
			}
		}
		var want int64
		for _, x := range b {
			want += int64(bits.OnesCount8(x))
		}
		if got := popcount(b); got != want {
			t.Fatalf("popcount(%x) = %d, want %d", b, got, want)
		}
		for bit := int64(0); bit <= 1; bit++ {
			want := int64(-1)
			for pos := 0; pos < len(b)*8; pos++ {
				if int64(b[pos/8]>>(7-pos%8)&1) == bit {
					want = int64(pos)
					break
				}
			}
			if want == -1 && bit == 0 {
				want = int64(len(b)) * 8 // the zero padding past the end
			}
			if got := firstBit(b, bit); got != want {
				t.Fatalf("firstBit(%x, %d) = %d, want %d", b, bit, got, want)
			}
		}
	}
}
