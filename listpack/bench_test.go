package listpack_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/listpack"
)

// pairs returns a listpack of n field-value pairs, as a small hash holds.
func pairs(n int) []byte {
	lp := listpack.New()
	for i := range n {
		lp = listpack.Append(lp, []byte("field:"+strconv.Itoa(i)))
		lp = listpack.Append(lp, []byte(strconv.Itoa(i*1000)))
	}
	return lp
}

// TestNoAllocs checks that reads, and changes within capacity, allocate
// nothing.
func TestNoAllocs(t *testing.T) {
	lp := pairs(128)
	field := []byte("field:127")
	buf := make([]byte, len(lp), len(lp)+64)
	for name, fn := range map[string]func(){
		"walk": func() {
			for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
				listpack.Get(lp, off)
			}
			for off := listpack.Last(lp); off >= 0; off = listpack.Prev(lp, off) {
			}
		},
		"Find":     func() { listpack.Find(lp, listpack.First(lp), field, 1) },
		"Seek":     func() { listpack.Seek(lp, 200) },
		"Compare":  func() { listpack.Compare(lp, listpack.Seek(lp, -1), []byte("127000")) },
		"Len":      func() { listpack.Len(lp) },
		"Validate": func() { listpack.Validate(lp, true) },
		"in place": func() {
			b := buf[:copy(buf, lp)]
			b = listpack.Append(b, field)
			b, _ = listpack.InsertInt(b, listpack.First(b), listpack.Replace, 5)
			b, _ = listpack.Delete(b, listpack.First(b))
			listpack.DeleteRange(b, 10, 20)
		},
	} {
		if n := testing.AllocsPerRun(20, fn); n != 0 {
			t.Errorf("%s: %v allocations", name, n)
		}
	}
}

func BenchmarkIterate(b *testing.B) {
	lp := pairs(128)
	b.ReportAllocs()
	for b.Loop() {
		var sum int64
		for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
			str, n, _ := listpack.Get(lp, off)
			sum += n + int64(len(str))
		}
	}
}

func BenchmarkIterateBackward(b *testing.B) {
	lp := pairs(128)
	b.ReportAllocs()
	for b.Loop() {
		for off := listpack.Last(lp); off >= 0; off = listpack.Prev(lp, off) {
		}
	}
}

func BenchmarkFind(b *testing.B) {
	lp := pairs(128)
	field := []byte("field:127")
	b.ReportAllocs()
	for b.Loop() {
		if listpack.Find(lp, listpack.First(lp), field, 1) < 0 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkFindInt(b *testing.B) {
	lp := listpack.New()
	for i := range 256 {
		lp = listpack.AppendInt(lp, int64(i*7))
	}
	v := []byte(strconv.Itoa(255 * 7))
	b.ReportAllocs()
	for b.Loop() {
		if listpack.Find(lp, listpack.First(lp), v, 0) < 0 {
			b.Fatal("not found")
		}
	}
}

func BenchmarkSeek(b *testing.B) {
	lp := pairs(128)
	b.ReportAllocs()
	for b.Loop() {
		listpack.Seek(lp, 100)
	}
}

func BenchmarkAppendInPlace(b *testing.B) {
	lp := pairs(64)
	v := []byte("a value of some length")
	buf := make([]byte, len(lp), len(lp)+listpack.EntrySize(v))
	b.ReportAllocs()
	for b.Loop() {
		listpack.Append(buf[:copy(buf, lp)], v)
	}
}
