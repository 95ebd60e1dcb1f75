package listpack_test

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/listpack"
)

// elem returns the element at off in its string form.
func elem(lp []byte, off int) string {
	str, n, isInt := listpack.Get(lp, off)
	if isInt {
		return strconv.FormatInt(n, 10)
	}
	return string(str)
}

// offsets walks lp forward and checks that walking backward agrees.
func offsets(t *testing.T, lp []byte) []int {
	t.Helper()
	var offs []int
	for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
		offs = append(offs, off)
	}
	i := len(offs) - 1
	for off := listpack.Last(lp); off >= 0; off = listpack.Prev(lp, off) {
		if i < 0 || offs[i] != off {
			t.Fatalf("backward walk reached offset %d, forward walk had %v", off, offs)
		}
		i--
	}
	if i != -1 {
		t.Fatalf("backward walk stopped early: %d elements left", i+1)
	}
	return offs
}

// checkModel fails unless lp is valid and holds exactly model.
func checkModel(t *testing.T, lp []byte, model []string) {
	t.Helper()
	if err := listpack.Validate(lp, true); err != nil {
		t.Fatalf("invalid listpack: %v\n%x", err, lp)
	}
	if listpack.Bytes(lp) != len(lp) {
		t.Fatalf("Bytes %d, len %d", listpack.Bytes(lp), len(lp))
	}
	if n := listpack.Len(lp); n != len(model) {
		t.Fatalf("Len %d, model %d", n, len(model))
	}
	offs := offsets(t, lp)
	if len(offs) != len(model) {
		t.Fatalf("%d elements, model %d", len(offs), len(model))
	}
	for i, off := range offs {
		if got := elem(lp, off); got != model[i] {
			t.Fatalf("element %d: %q, model %q", i, got, model[i])
		}
		if s := listpack.Seek(lp, i); s != off {
			t.Fatalf("Seek(%d) = %d, want %d", i, s, off)
		}
		if s := listpack.Seek(lp, i-len(model)); s != off {
			t.Fatalf("Seek(%d) = %d, want %d", i-len(model), s, off)
		}
	}
	if listpack.Seek(lp, len(model)) != -1 || listpack.Seek(lp, -len(model)-1) != -1 {
		t.Fatal("Seek out of range found an element")
	}
}

// values yields the test values: integers and strings at every encoding
// boundary and strings that look like integers but are not canonical.
func values() []string {
	var v []string
	for _, n := range []int64{0, 1, 127, 128, -1, 4095, 4096, -4096, -4097,
		math.MaxInt16, math.MaxInt16 + 1, math.MinInt16, math.MinInt16 - 1,
		1<<23 - 1, 1 << 23, -1 << 23, -1<<23 - 1,
		math.MaxInt32, math.MaxInt32 + 1, math.MinInt32, math.MinInt32 - 1,
		math.MaxInt64, math.MinInt64, math.MinInt64 + 1} {
		v = append(v, strconv.FormatInt(n, 10))
	}
	v = append(v, "", "-0", "01", "+5", " 1", "1 ", "-", "00", "1.5", "0x10",
		"9223372036854775808", "-9223372036854775809", "18446744073709551616",
		"123456789012345678901234567890")
	for _, n := range []int{1, 62, 63, 64, 65, 125, 126, 127, 4094, 4095, 4096, 4097} {
		v = append(v, str(n, n))
	}
	return v
}

// str returns n bytes of varied content, never an integer.
func str(n, seed int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*31 + seed)
	}
	if n > 0 {
		b[0] = 'x'
	}
	return string(b)
}

func TestEncodingSizes(t *testing.T) {
	cases := []struct {
		v    string
		size int // encoding + data + backlen
	}{
		{"0", 2}, {"127", 2}, {"128", 3}, {"-1", 3}, {"4095", 3}, {"-4096", 3},
		{"4096", 4}, {"-4097", 4}, {"32767", 4}, {"-32768", 4},
		{"32768", 5}, {"-32769", 5}, {"8388607", 5}, {"-8388608", 5},
		{"8388608", 6}, {"-8388609", 6}, {"2147483647", 6}, {"-2147483648", 6},
		{"2147483648", 10}, {"-2147483649", 10}, {"9223372036854775807", 10},
		{"-9223372036854775808", 10},
		{"", 2}, {"-0", 4}, {"01", 4}, {"9223372036854775808", 21},
		{str(63, 0), 65}, {str(64, 0), 67}, {str(125, 0), 128}, {str(126, 0), 130},
		{str(4095, 0), 4099}, {str(4096, 0), 4103},
		{str(16377, 0), 16384}, {str(16378, 0), 16386},
	}
	for _, c := range cases {
		lp := listpack.Append(listpack.New(), []byte(c.v))
		if got := len(lp) - listpack.HeaderSize - 1; got != c.size {
			t.Errorf("%.20q takes %d bytes, want %d", c.v, got, c.size)
		}
		if got := listpack.EntrySize([]byte(c.v)); got != c.size {
			t.Errorf("EntrySize(%.20q) = %d, want %d", c.v, got, c.size)
		}
		if got := listpack.EntryLen(lp, listpack.First(lp)); got != c.size {
			t.Errorf("EntryLen(%.20q) = %d, want %d", c.v, got, c.size)
		}
		_, n, isInt := listpack.Get(lp, listpack.First(lp))
		want, wantInt := strconv.ParseInt(c.v, 10, 64)
		if isInt != (wantInt == nil && strconv.FormatInt(want, 10) == c.v) || isInt && n != want {
			t.Errorf("%.20q read back as int=%v %d", c.v, isInt, n)
		}
		checkModel(t, lp, []string{c.v})
	}
}

// TestBytes checks exact bytes worked out by hand from the format.
func TestBytes(t *testing.T) {
	lp := listpack.New()
	for _, v := range []string{"1", "-1", "300", "ab"} {
		lp = listpack.Append(lp, []byte(v))
	}
	lp = listpack.AppendInt(lp, -40000)
	want := []byte{
		24, 0, 0, 0, 5, 0,
		0x01, 1,
		0xDF, 0xFF, 2,
		0xC1, 0x2C, 2,
		0x82, 'a', 'b', 3,
		0xF2, 0xC0, 0x63, 0xFF, 4,
		0xFF,
	}
	if !bytes.Equal(lp, want) {
		t.Fatalf("got  %x\nwant %x", lp, want)
	}
}

func TestCountOverflow(t *testing.T) {
	lp := listpack.New()
	for i := 0; i < listpack.UnknownCount+1; i++ {
		lp = listpack.AppendInt(lp, int64(i%100))
	}
	count := func() int { return int(lp[4]) | int(lp[5])<<8 }
	if count() != listpack.UnknownCount {
		t.Fatalf("header count %d, want unknown", count())
	}
	if n := listpack.Len(lp); n != listpack.UnknownCount+1 {
		t.Fatalf("Len %d", n)
	}
	if off := listpack.Seek(lp, -1); elem(lp, off) != strconv.Itoa(listpack.UnknownCount%100) {
		t.Fatalf("Seek(-1) found %q", elem(lp, off))
	}
	lp = listpack.DeleteRange(lp, 0, 2)
	if count() != listpack.UnknownCount {
		t.Fatalf("header count %d after delete, want still unknown", count())
	}
	if n := listpack.Len(lp); n != listpack.UnknownCount-1 {
		t.Fatalf("Len %d", n)
	}
	if count() != listpack.UnknownCount-1 {
		t.Fatalf("Len did not record the count: header %d", count())
	}
	if err := listpack.Validate(lp, true); err != nil {
		t.Fatal(err)
	}
}

func TestMerge(t *testing.T) {
	a, b := listpack.New(), listpack.New()
	var model []string
	for i, v := range values() {
		if i%2 == 0 {
			a = listpack.Append(a, []byte(v))
		} else {
			b = listpack.Append(b, []byte(v))
		}
	}
	for off := listpack.First(a); off >= 0; off = listpack.Next(a, off) {
		model = append(model, elem(a, off))
	}
	for off := listpack.First(b); off >= 0; off = listpack.Next(b, off) {
		model = append(model, elem(b, off))
	}
	checkModel(t, listpack.Merge(a, b), model)
	checkModel(t, listpack.Merge(listpack.New(), listpack.New()), nil)
}

func TestFind(t *testing.T) {
	lp := listpack.New()
	for _, v := range []string{"a", "1", "b", "12", "1", "c", "x", "12"} {
		lp = listpack.Append(lp, []byte(v))
	}
	first := listpack.First(lp)
	for _, c := range []struct {
		v     string
		skip  int
		index int
	}{
		{"a", 1, 0}, {"b", 1, 2}, {"1", 1, 4}, {"1", 0, 1}, {"12", 0, 3},
		{"12", 1, -1}, {"c", 1, -1}, {"c", 0, 5}, {"01", 0, -1}, {"x", 2, 6},
		{"zz", 0, -1},
	} {
		want := -1
		if c.index >= 0 {
			want = listpack.Seek(lp, c.index)
		}
		if got := listpack.Find(lp, first, []byte(c.v), c.skip); got != want {
			t.Errorf("Find(%q, skip %d) = %d, want %d", c.v, c.skip, got, want)
		}
	}
	if listpack.Find(lp, -1, []byte("a"), 0) != -1 {
		t.Error("Find from -1 found something")
	}
	if listpack.Compare(lp, len(lp)-1, []byte("a")) {
		t.Error("Compare matched the terminator")
	}
}

// randValue returns a value to insert, mostly near encoding boundaries.
func randValue(rng *rand.Rand) string {
	switch rng.IntN(6) {
	case 0:
		return strconv.FormatInt(rng.Int64N(300)-150, 10)
	case 1:
		return strconv.FormatInt(int64(rng.Uint64())>>rng.IntN(64), 10)
	case 2:
		return str(rng.IntN(70), rng.IntN(256))
	case 3:
		if rng.IntN(10) == 0 {
			return str(4090+rng.IntN(12), rng.IntN(256))
		}
		return str(120+rng.IntN(20), rng.IntN(256))
	}
	vs := values()
	return vs[rng.IntN(len(vs))]
}

// TestRandomAgainstModel runs random operations against a slice of
// strings. Odd rounds work like an arena caller: every growing change gets
// a buffer of exactly the predicted size and must happen in place.
func TestRandomAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 150 {
		arenaStyle := round%2 == 1
		lp := listpack.New()
		var model []string
		for range 250 {
			n := len(model)
			v := randValue(rng)
			// room returns lp with capacity for grow more bytes.
			room := func(grow int) []byte {
				if !arenaStyle || grow <= 0 {
					return lp
				}
				buf := make([]byte, len(lp), len(lp)+grow)
				copy(buf, lp)
				return buf
			}
			inPlace := func(before, after []byte, grow int) {
				t.Helper()
				if arenaStyle && grow > 0 && (len(after) != len(before)+grow || &after[0] != &before[0]) {
					t.Fatalf("grew by %d to %d bytes, not in place as predicted by %d", len(after)-len(before)+grow, len(after), grow)
				}
			}
			switch op := rng.IntN(10); {
			case op == 0 || n == 0:
				grow := listpack.EntrySize([]byte(v))
				buf := room(grow)
				lp = listpack.Append(buf, []byte(v))
				inPlace(buf, lp, grow)
				model = append(model, v)
			case op == 1:
				buf := room(listpack.EntrySize([]byte(v)))
				lp = listpack.Prepend(buf, []byte(v))
				inPlace(buf, lp, listpack.EntrySize([]byte(v)))
				model = append([]string{v}, model...)
			case op == 2:
				x := int64(rng.Uint64()) >> rng.IntN(64)
				if rng.IntN(2) == 0 {
					lp = listpack.AppendInt(lp, x)
					model = append(model, strconv.FormatInt(x, 10))
				} else {
					lp = listpack.PrependInt(lp, x)
					model = append([]string{strconv.FormatInt(x, 10)}, model...)
				}
			case op <= 5:
				i := rng.IntN(n)
				off := listpack.Seek(lp, i)
				where := listpack.Where(rng.IntN(3))
				grow := listpack.EntrySize([]byte(v))
				if where == listpack.Replace {
					grow -= listpack.EntryLen(lp, off)
				}
				buf := room(grow)
				var at int
				if rng.IntN(4) == 0 {
					x, _ := strconv.ParseInt(v, 10, 64)
					v = strconv.FormatInt(x, 10)
					grow = listpack.IntEntrySize(x)
					if where == listpack.Replace {
						grow -= listpack.EntryLen(lp, off)
					}
					buf = room(grow)
					lp, at = listpack.InsertInt(buf, off, where, x)
				} else {
					lp, at = listpack.Insert(buf, off, where, []byte(v))
				}
				inPlace(buf, lp, grow)
				if where == listpack.After {
					i++
				}
				if where == listpack.Replace {
					model[i] = v
				} else {
					model = append(model[:i], append([]string{v}, model[i:]...)...)
				}
				if elem(lp, at) != v || listpack.Seek(lp, i) != at {
					t.Fatalf("Insert returned offset %d, element %d is at %d", at, i, listpack.Seek(lp, i))
				}
			case op <= 7:
				i, k := rng.IntN(n), 1+rng.IntN(3)
				old := lp
				var next int
				if k == 1 {
					lp, next = listpack.Delete(lp, listpack.Seek(lp, i))
				} else {
					lp, next = listpack.DeleteN(lp, listpack.Seek(lp, i), k)
				}
				if &lp[0] != &old[0] {
					t.Fatal("Delete moved the listpack")
				}
				model = append(model[:i], model[min(i+k, n):]...)
				if want := listpack.Seek(lp, i); next != want {
					t.Fatalf("Delete returned %d, next element at %d", next, want)
				}
			case op == 8:
				index, k := rng.IntN(2*n+2)-n-1, rng.IntN(n+2)
				lp = listpack.DeleteRange(lp, index, k)
				if index < 0 {
					index += n
				}
				if index >= 0 && index < n && k > 0 {
					model = append(model[:index], model[min(index+k, n):]...)
				}
			default:
				other := listpack.New()
				var add []string
				for range rng.IntN(4) {
					w := randValue(rng)
					other = listpack.Append(other, []byte(w))
					add = append(add, w)
				}
				lp = listpack.Merge(lp, other)
				model = append(model, add...)
			}
			checkModel(t, lp, model)
			if len(model) > 0 {
				i := rng.IntN(len(model))
				want := slicesIndex(model, model[i], 1)
				if got := listpack.Find(lp, listpack.First(lp), []byte(model[i]), 0); got != listpack.Seek(lp, want) {
					t.Fatalf("Find(%q) = %d, want element %d", model[i], got, want)
				}
				pair := slicesIndex(model, model[i], 2)
				wantOff := -1
				if pair >= 0 {
					wantOff = listpack.Seek(lp, pair)
				}
				if got := listpack.Find(lp, listpack.First(lp), []byte(model[i]), 1); got != wantOff {
					t.Fatalf("Find(%q, skip 1) = %d, want element %d", model[i], got, pair)
				}
			}
		}
	}
}

// slicesIndex returns the first index, a multiple of step, holding v.
func slicesIndex(s []string, v string, step int) int {
	for i := 0; i < len(s); i += step {
		if s[i] == v {
			return i
		}
	}
	return -1
}
