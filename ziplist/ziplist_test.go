package ziplist_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/ziplist"
)

// entries returns a ziplist's entries as strings, integers in decimal.
func entries(t testing.TB, zl []byte) []string {
	t.Helper()
	out := []string{}
	err := ziplist.ForEach(zl, func(s []byte, n int64, isInt bool) bool {
		if isInt {
			s = strconv.AppendInt(nil, n, 10)
		}
		out = append(out, string(s))
		return true
	})
	if err != nil {
		t.Fatalf("ForEach: %v", err)
	}
	return out
}

// lpEntries returns a listpack's elements as strings.
func lpEntries(lp []byte) []string {
	out := []string{}
	for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
		s, n, isInt := listpack.Get(lp, off)
		if isInt {
			s = strconv.AppendInt(nil, n, 10)
		}
		out = append(out, string(s))
	}
	return out
}

func TestCases(t *testing.T) {
	for _, c := range zlCases() {
		err := ziplist.Validate(c.zl)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: Validate: %v, want %v", c.name, err, c.err)
			continue
		}
		lp, lerr := ziplist.ToListpack(c.zl)
		if c.err != nil {
			called := false
			ziplist.ForEach(c.zl, func([]byte, int64, bool) bool { called = true; return true })
			if called || lerr == nil || lp != nil {
				t.Errorf("%s: an invalid ziplist was read (ForEach called: %v, ToListpack: %v)", c.name, called, lerr)
			}
			continue
		}
		if got := entries(t, c.zl); !slices.Equal(got, c.want) {
			t.Errorf("%s: entries %q, want %q", c.name, got, c.want)
		}
		// The listpack is what lpAppend makes of each entry: integer
		// strings become integers.
		if lerr != nil || listpack.Validate(lp, true) != nil {
			t.Fatalf("%s: ToListpack: %v", c.name, lerr)
		}
		want := listpack.New()
		for _, v := range c.want {
			want = listpack.Append(want, []byte(v))
		}
		if !bytes.Equal(lp, want) {
			t.Errorf("%s: ToListpack gave %q, want %q", c.name, lpEntries(lp), c.want)
		}
	}
}

// TestAppendLayout: the encoder writes ziplist.c's example byte for byte,
// and the integer encodings at their edges.
func TestAppendLayout(t *testing.T) {
	if got, want := appended("2", "5"), []byte{0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 2, 0, 0, 0xf3, 2, 0xf6, 0xff}; !bytes.Equal(got, want) {
		t.Errorf("2, 5: % x, want % x", got, want)
	}
	for _, c := range []struct {
		n   int64
		enc []byte
	}{
		{0, []byte{0xF1}}, {12, []byte{0xFD}}, {13, []byte{0xFE, 13}}, {-1, []byte{0xFE, 0xFF}},
		{128, []byte{0xC0, 0x80, 0}}, {-32769, []byte{0xF0, 0xFF, 0x7F, 0xFF}},
		{1 << 23, []byte{0xD0, 0, 0, 0x80, 0}}, {1 << 31, []byte{0xE0, 0, 0, 0, 0x80, 0, 0, 0, 0}},
	} {
		zl := ziplist.AppendInt(ziplist.New(), c.n)
		if got := zl[ziplist.HeaderSize+1 : len(zl)-1]; !bytes.Equal(got, c.enc) {
			t.Errorf("%d: encoded % x, want % x", c.n, got, c.enc)
		}
	}
}

// TestEveryEncodingByte: of the integer encoding bytes (0xC0 up), those
// ziplist.c defines are read, with the data size it gives them, and the
// others refused.
func TestEveryEncodingByte(t *testing.T) {
	sizes := map[byte]int{0xC0: 2, 0xD0: 4, 0xE0: 8, 0xF0: 3, 0xFE: 1}
	for b := 0xF1; b <= 0xFD; b++ {
		sizes[byte(b)] = 0
	}
	for b := 0xC0; b <= 0xFF; b++ {
		size, known := sizes[byte(b)]
		if !known {
			size = 8
		}
		zl := layout(append([]byte{0, byte(b)}, make([]byte, size)...))
		err := ziplist.Validate(zl)
		switch {
		case known && err != nil:
			t.Errorf("encoding %#x refused: %v", b, err)
		case !known && !errors.Is(err, ziplist.ErrEncoding):
			t.Errorf("encoding %#x: %v, want ErrEncoding", b, err)
		case known && size == 0:
			if got, want := entries(t, zl), []string{strconv.Itoa(b&0xF - 1)}; !slices.Equal(got, want) {
				t.Errorf("immediate %#x reads %q, want %q", b, got, want)
			}
		}
	}
}

func TestForEachStops(t *testing.T) {
	calls := 0
	err := ziplist.ForEach(appended("a", "b", "c"), func([]byte, int64, bool) bool {
		calls++
		return calls < 2
	})
	if err != nil || calls != 2 {
		t.Errorf("ForEach stopped after %d calls (%v), want 2", calls, err)
	}
}

// TestManyEntries: past 65534 entries zllen stays 65535, and every entry
// is still read.
func TestManyEntries(t *testing.T) {
	zl := ziplist.New()
	var want []string
	for i := range 70000 {
		v := strconv.Itoa(i%300 - 150)
		zl = ziplist.Append(zl, []byte(v))
		want = append(want, v)
	}
	if zl[8] != 0xFF || zl[9] != 0xFF {
		t.Errorf("zllen % x, want ff ff", zl[8:10])
	}
	if got := entries(t, zl); !slices.Equal(got, want) {
		t.Error("entries differ")
	}
	lp, err := ziplist.ToListpack(zl)
	if err != nil || listpack.Len(lp) != len(want) {
		t.Errorf("ToListpack: %v, %d elements", err, listpack.Len(lp))
	}
}
