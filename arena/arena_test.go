package arena

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

func TestClassOfIsSmallestFit(t *testing.T) {
	for n := 1; n <= MaxSlot; n++ {
		c := classOf(n)
		if classSizes[c] < n || (c > 0 && classSizes[c-1] >= n) {
			t.Fatalf("classOf(%d) = %d (size %d)", n, c, classSizes[c])
		}
	}
}

// TestRandomOps checks every blob against a shadow copy through a long
// random sequence of allocations, resizes and frees, then that freeing
// everything returns the accounting to zero and the pages to the OS.
func TestRandomOps(t *testing.T) {
	a := New()
	rng := rand.New(rand.NewPCG(1, 2))
	shadow := map[Ref][]byte{}
	var refs []Ref
	size := func() int {
		switch rng.IntN(10) {
		case 0:
			return rng.IntN(200_000)
		case 1, 2:
			return rng.IntN(5000)
		default:
			return rng.IntN(100)
		}
	}
	fill := func(b []byte) {
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
	}
	for i := 0; i < 50_000; i++ {
		switch op := rng.IntN(10); {
		case op < 5 || len(refs) == 0:
			r, b := a.Alloc(size())
			fill(b)
			shadow[r] = append([]byte(nil), b...)
			refs = append(refs, r)
		case op < 8:
			j := rng.IntN(len(refs))
			r := refs[j]
			n := size()
			old := shadow[r]
			nr, b := a.Resize(r, n)
			keep := min(len(old), n)
			if !bytes.Equal(b[:keep], old[:keep]) {
				t.Fatalf("resize %d->%d lost content", len(old), n)
			}
			fill(b[keep:])
			delete(shadow, r)
			shadow[nr] = append([]byte(nil), b...)
			refs[j] = nr
		default:
			j := rng.IntN(len(refs))
			a.Free(refs[j])
			delete(shadow, refs[j])
			refs[j] = refs[len(refs)-1]
			refs = refs[:len(refs)-1]
		}
	}
	var want int64
	for r, b := range shadow {
		if got := a.Get(r); !bytes.Equal(got, b) {
			t.Fatalf("blob %x: got %d bytes, want %d", r, len(got), len(b))
		}
		if a.Cap(r) < len(b) {
			t.Fatalf("cap %d < len %d", a.Cap(r), len(b))
		}
		want += int64(a.Size(r))
	}
	if a.Allocated() != want {
		t.Fatalf("allocated %d, sum of sizes %d", a.Allocated(), want)
	}
	for _, r := range refs {
		a.Free(r)
	}
	if a.Allocated() != 0 {
		t.Fatalf("allocated %d after freeing everything", a.Allocated())
	}
	// At most one empty page per class stays mapped.
	if limit := int64(len(classSizes)) * MaxSlot * 16; a.Mapped() > limit {
		t.Fatalf("mapped %d after freeing everything (limit %d)", a.Mapped(), limit)
	}
}

func TestSlackIsBounded(t *testing.T) {
	a := New()
	for n := 0; n < 100_000; n += 7 {
		r := a.New(make([]byte, n))
		if n > 128 && float64(a.Size(r)) > float64(n)*1.3+16 {
			t.Fatalf("blob of %d bytes takes %d", n, a.Size(r))
		}
		a.Free(r)
	}
}

func BenchmarkAllocFree(b *testing.B) {
	a := New()
	data := make([]byte, 16)
	refs := make([]Ref, 1024)
	for i := range refs {
		refs[i] = a.New(data)
	}
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		j := i & 1023
		a.Free(refs[j])
		refs[j] = a.New(data)
	}
}

func TestReleaseUnmapsEverything(t *testing.T) {
	a := New()
	for i := range 1000 {
		a.New(make([]byte, i*37%(2*MaxSlot)))
	}
	if a.Mapped() == 0 {
		t.Fatal("nothing mapped")
	}
	a.Release()
	if a.Mapped() != 0 || a.Allocated() != 0 {
		t.Fatalf("after Release: mapped %d, allocated %d", a.Mapped(), a.Allocated())
	}
	// The arena works again from empty.
	if got := a.Get(a.New([]byte("again"))); string(got) != "again" {
		t.Fatalf("after Release: %q", got)
	}
}
