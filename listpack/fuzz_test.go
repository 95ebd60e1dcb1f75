package listpack_test

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/listpack"
)

// FuzzValidate feeds arbitrary bytes to Validate. Whatever it accepts must
// be readable in full without panicking, and must stay valid through
// changes.
func FuzzValidate(f *testing.F) {
	rng := rand.New(rand.NewPCG(7, 8))
	lp := listpack.New()
	f.Add(bytes.Clone(lp))
	for _, v := range values() {
		lp = listpack.Append(lp, []byte(v))
		if len(lp) < 300 {
			f.Add(bytes.Clone(lp))
		}
	}
	for range 50 {
		f.Add(corrupt(rng, lp[:300:300]))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		lp := bytes.Clone(b)
		err := listpack.Validate(lp, true)
		if err == nil && listpack.Validate(lp, false) != nil {
			t.Fatal("valid when deep, invalid when shallow")
		}
		if err != nil {
			return
		}
		offs := offsets(t, lp)
		if n := listpack.Len(lp); n != len(offs) {
			t.Fatalf("Len %d, walked %d", n, len(offs))
		}
		for i, off := range offs {
			if s := listpack.Seek(lp, i); s != off {
				t.Fatalf("Seek(%d) = %d, want %d", i, s, off)
			}
			str, n, isInt := listpack.Get(lp, off)
			v := str
			if isInt {
				v = strconv.AppendInt(nil, n, 10)
			}
			if !listpack.Compare(lp, off, v) {
				t.Fatalf("element %d differs from itself", i)
			}
			// An equal element may come first: a string "1" and an int 1.
			if r := listpack.Find(lp, listpack.First(lp), v, 0); r < 0 || r > off || !listpack.Compare(lp, r, v) {
				t.Fatalf("Find of element %d at %d returned %d", i, off, r)
			}
		}
		mustValid := func(what string, lp []byte) {
			t.Helper()
			if err := listpack.Validate(lp, true); err != nil {
				t.Fatalf("%s made the listpack invalid: %v", what, err)
			}
		}
		work := func() []byte { return bytes.Clone(lp) }
		mustValid("Append", listpack.Append(work(), []byte("appended")))
		mustValid("Merge", listpack.Merge(work(), work()))
		if len(offs) == 0 {
			return
		}
		mid := offs[len(offs)/2]
		for _, w := range []listpack.Where{listpack.Before, listpack.After, listpack.Replace} {
			got, _ := listpack.InsertInt(work(), mid, w, -70000)
			mustValid("InsertInt", got)
		}
		got, _ := listpack.Delete(work(), mid)
		mustValid("Delete", got)
		mustValid("DeleteRange", listpack.DeleteRange(work(), -2, 1))
	})
}
