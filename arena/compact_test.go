package arena

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// A compaction pass empties the sparse pages: blobs moved out of
// draining pages keep their bytes, the pages are released, and what is
// mapped comes back near what is held.
func TestCompactionReleasesSparsePages(t *testing.T) {
	a := New()
	defer a.Release()
	refs := map[int]Ref{}
	for i := range 20000 {
		refs[i] = a.New([]byte("blob-" + strconv.Itoa(i) + "-padding-to-48-bytes....."))
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 20000 {
		if rng.IntN(4) != 0 { // free three in four, scattered
			a.Free(refs[i])
			delete(refs, i)
		}
	}
	before := a.Mapped()
	if n := a.BeginCompaction(); n == 0 {
		t.Fatalf("no page to drain with %d bytes mapped for %d held", a.Mapped(), a.Allocated())
	}
	moved := 0
	for i, r := range refs {
		if a.Draining(r) {
			refs[i] = a.Move(r)
			moved++
		}
	}
	a.EndCompaction()
	for i, r := range refs {
		if want := "blob-" + strconv.Itoa(i) + "-padding-to-48-bytes....."; !bytes.Equal(a.Get(r), []byte(want)) {
			t.Fatalf("blob %d reads %q after the pass", i, a.Get(r))
		}
	}
	if after := a.Mapped(); after*2 > before || after > 2*a.Allocated()+2*pageSize {
		t.Fatalf("mapped %d before the pass, %d after, for %d held (%d blobs moved)", before, after, a.Allocated(), moved)
	}
	// The arena serves as before: new blobs, frees, no draining left.
	r := a.New([]byte("after"))
	if a.Draining(r) || string(a.Get(r)) != "after" {
		t.Fatal("a blob allocated after the pass")
	}
}

// A blob freed while its page drains is freed; the page goes when its
// last blob does, whether moved or freed.
func TestCompactionFreeDuringPass(t *testing.T) {
	a := New()
	defer a.Release()
	var refs []Ref
	for i := range 5000 {
		refs = append(refs, a.New([]byte("x"+strconv.Itoa(i))))
	}
	for i, r := range refs {
		if i%3 != 0 {
			a.Free(r)
			refs[i] = 0
		}
	}
	a.BeginCompaction()
	for i, r := range refs {
		if r == 0 {
			continue
		}
		if i%2 == 0 {
			a.Free(r)
		} else if a.Draining(r) {
			refs[i] = a.Move(r)
		}
	}
	a.EndCompaction()
	if a.draining != 0 {
		t.Fatalf("%d pages still draining after the pass", a.draining)
	}
	for i, r := range refs {
		if i%3 == 0 && i%2 == 1 && string(a.Get(r)) != "x"+strconv.Itoa(i) {
			t.Fatalf("blob %d reads %q", i, a.Get(r))
		}
	}
}
