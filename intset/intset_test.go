package intset_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/redoubt-db/redoubt/intset"
)

// check fails unless is holds exactly the sorted values of model.
func check(t *testing.T, is []byte, model []int64) {
	t.Helper()
	if intset.Len(is) != len(model) {
		t.Fatalf("Len %d, model %d", intset.Len(is), len(model))
	}
	if len(is) != intset.HeaderSize+len(model)*intset.Encoding(is) {
		t.Fatalf("%d bytes for %d values of %d bytes", len(is), len(model), intset.Encoding(is))
	}
	if len(model) > 0 {
		if err := intset.Validate(is, true); err != nil {
			t.Fatalf("invalid: %v", err)
		}
	}
	for i, v := range model {
		if got := intset.Get(is, i); got != v {
			t.Fatalf("Get(%d) = %d, model %d", i, got, v)
		}
		if !intset.Find(is, v) {
			t.Fatalf("Find(%d) failed", v)
		}
	}
}

// encodingFor is the encoding a set holding these values must have.
func encodingFor(model []int64) int {
	enc := intset.Enc16
	for _, v := range model {
		switch {
		case v < math.MinInt32 || v > math.MaxInt32:
			enc = max(enc, intset.Enc64)
		case v < math.MinInt16 || v > math.MaxInt16:
			enc = max(enc, intset.Enc32)
		}
	}
	return enc
}

func TestBytes(t *testing.T) {
	is := intset.New()
	for _, v := range []int64{5, -3, 1000} {
		is, _ = intset.Add(is, v)
	}
	want := []byte{2, 0, 0, 0, 3, 0, 0, 0, 0xFD, 0xFF, 5, 0, 0xE8, 0x03}
	if !bytes.Equal(is, want) {
		t.Fatalf("got  % x\nwant % x", is, want)
	}
	is, _ = intset.Add(is, -70000)
	want = []byte{4, 0, 0, 0, 4, 0, 0, 0,
		0x90, 0xEE, 0xFE, 0xFF, 0xFD, 0xFF, 0xFF, 0xFF, 5, 0, 0, 0, 0xE8, 0x03, 0, 0}
	if !bytes.Equal(is, want) {
		t.Fatalf("after upgrade got  % x\nwant % x", is, want)
	}
}

func TestBoundaries(t *testing.T) {
	for _, c := range []struct {
		v   int64
		enc int
	}{
		{0, 2}, {math.MaxInt16, 2}, {math.MinInt16, 2},
		{math.MaxInt16 + 1, 4}, {math.MinInt16 - 1, 4}, {math.MaxInt32, 4}, {math.MinInt32, 4},
		{math.MaxInt32 + 1, 8}, {math.MinInt32 - 1, 8}, {math.MaxInt64, 8}, {math.MinInt64, 8},
	} {
		is, _ := intset.Add(intset.New(), c.v)
		if intset.Encoding(is) != c.enc || intset.Get(is, 0) != c.v {
			t.Errorf("%d: encoding %d value %d, want encoding %d", c.v, intset.Encoding(is), intset.Get(is, 0), c.enc)
		}
		if intset.SizeWith(intset.New(), c.v) != len(is) {
			t.Errorf("%d: SizeWith %d, size %d", c.v, intset.SizeWith(intset.New(), c.v), len(is))
		}
	}
}

func TestValidate(t *testing.T) {
	hdr := func(enc, n uint32, vals ...byte) []byte {
		b := binary.LittleEndian.AppendUint32(nil, enc)
		return append(binary.LittleEndian.AppendUint32(b, n), vals...)
	}
	for _, c := range []struct {
		is   []byte
		want error
	}{
		{nil, intset.ErrShort},
		{hdr(2, 0)[:7], intset.ErrShort},
		{hdr(3, 1, 0, 0, 0), intset.ErrEncoding},
		{hdr(2, 2, 1, 0), intset.ErrSize},
		{hdr(2, 0), intset.ErrEmpty},
		{hdr(2, 2, 1, 0, 1, 0), intset.ErrOrder},
		{hdr(2, 2, 2, 0, 1, 0), intset.ErrOrder},
		{hdr(8, 0x20000000, 0), intset.ErrSize},
		{hdr(2, 2, 0xFF, 0xFF, 1, 0), nil},
	} {
		if err := intset.Validate(c.is, true); err != c.want {
			t.Errorf("Validate(% x) = %v, want %v", c.is, err, c.want)
		}
	}
	if err := intset.Validate(hdr(2, 2, 1, 0, 1, 0), false); err != nil {
		t.Errorf("shallow Validate checked the order: %v", err)
	}
}

// TestRandomAgainstModel adds and removes random values, with encoding
// upgrades, against a sorted slice. Odd rounds work like an arena caller:
// Add gets a buffer of exactly SizeWith bytes and must not reallocate.
func TestRandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		arenaStyle := round%2 == 1
		is := intset.New()
		var model []int64
		for range 300 {
			var v int64
			switch rng.IntN(4) {
			case 0:
				v = rng.Int64N(200) - 100
			case 1:
				v = int64(rng.Uint64()) >> (48 + rng.IntN(16))
			case 2:
				v = int64(rng.Uint64()) >> (rng.IntN(64))
			default:
				if len(model) > 0 {
					v = model[rng.IntN(len(model))]
				}
			}
			pos, present := slices.BinarySearch(model, v)
			if rng.IntN(3) == 0 {
				old := is
				var ok bool
				is, ok = intset.Remove(is, v)
				if ok != present {
					t.Fatalf("Remove(%d) = %v, model has it: %v", v, ok, present)
				}
				if len(is) > 0 && &is[0] != &old[0] {
					t.Fatal("Remove moved the intset")
				}
				if present {
					model = slices.Delete(model, pos, pos+1)
				}
			} else {
				buf := is
				if arenaStyle && !present {
					buf = make([]byte, len(is), intset.SizeWith(is, v))
					copy(buf, is)
				}
				var ok bool
				is, ok = intset.Add(buf, v)
				if ok == present {
					t.Fatalf("Add(%d) = %v, model has it: %v", v, ok, present)
				}
				if arenaStyle && !present && (&is[0] != &buf[0] || len(is) != cap(buf)) {
					t.Fatalf("Add(%d) did not fill the buffer SizeWith predicted in place", v)
				}
				if !present {
					model = slices.Insert(model, pos, v)
				}
			}
			if want := encodingFor(model); intset.Encoding(is) < want {
				t.Fatalf("encoding %d for values needing %d", intset.Encoding(is), want)
			}
			if intset.Find(is, v) != slices.Contains(model, v) {
				t.Fatalf("Find(%d) disagrees with the model", v)
			}
			check(t, is, model)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	is := intset.New()
	for i := range 512 {
		is, _ = intset.Add(is, int64(i*i))
	}
	buf := make([]byte, len(is), len(is)+8)
	for name, fn := range map[string]func(){
		"Find":     func() { intset.Find(is, 511*511) },
		"Get":      func() { intset.Get(is, 300) },
		"Validate": func() { intset.Validate(is, true) },
		"in place": func() {
			b := buf[:copy(buf, is)]
			b, _ = intset.Add(b, -5)
			intset.Remove(b, 4)
		},
	} {
		if n := testing.AllocsPerRun(20, fn); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

func BenchmarkFind(b *testing.B) {
	is := intset.New()
	for i := range 512 {
		is, _ = intset.Add(is, int64(i*1000))
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		intset.Find(is, int64(i%600*1000))
	}
}

func BenchmarkIterate(b *testing.B) {
	is := intset.New()
	for i := range 512 {
		is, _ = intset.Add(is, int64(i*1000))
	}
	b.ReportAllocs()
	for b.Loop() {
		var sum int64
		for i := range intset.Len(is) {
			sum += intset.Get(is, i)
		}
	}
}

// FuzzValidate checks that Validate never panics and that what it accepts
// can be read and changed.
func FuzzValidate(f *testing.F) {
	f.Add([]byte{2, 0, 0, 0, 1, 0, 0, 0, 5, 0})
	f.Add([]byte{4, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0})
	f.Add([]byte{8, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{2, 0, 0, 0, 2, 0, 0, 0, 5, 0, 5, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		if intset.Validate(b, true) != nil {
			return
		}
		is := bytes.Clone(b)
		n := intset.Len(is)
		prev := intset.Get(is, 0)
		for i := 1; i < n; i++ {
			v := intset.Get(is, i)
			if v <= prev || !intset.Find(is, v) {
				t.Fatalf("value %d: %d after %d", i, v, prev)
			}
			prev = v
		}
		is, _ = intset.Add(is, math.MinInt64)
		is, _ = intset.Remove(is, intset.Get(is, intset.Len(is)/2))
		if err := intset.Validate(is, true); err != nil {
			t.Fatalf("invalid after Add and Remove: %v", err)
		}
	})
}
