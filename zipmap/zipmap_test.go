package zipmap_test

import (
	"bytes"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/zipmap"
)

// Hand-made zipmaps, each checking one rule of the format: the valid ones
// in the forms Redis 2.4 wrote and the odd forms Redis 7.0 reads all the
// same, the invalid ones each breaking one rule. redis_test.go checks
// them against redis-server.

type zmCase struct {
	name string
	zm   []byte
	err  error    // nil when valid
	want []string // field, value, ... when valid
	// wide: a length written wide, which Redis's validation accepts and
	// its iteration then misreads; Redoubt refuses it.
	wide bool
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func pairs(kv ...string) []byte {
	zm := zipmap.New()
	for i := 0; i < len(kv); i += 2 {
		zm = zipmap.Append(zm, []byte(kv[i]), []byte(kv[i+1]), 0)
	}
	return zm
}

func numbered(n int) []string {
	var kv []string
	for i := range n {
		kv = append(kv, "f"+strconv.Itoa(i), strconv.Itoa(i*i))
	}
	return kv
}

func zmCases() []zmCase {
	long := string(bytes.Repeat([]byte("L"), 300))
	wideValueLen := []byte{1, 1, 'f', 0xFF, 0, 1, 0, 0, 0} // 256, with 0xFF for 0xFE
	wideValueLen = append(append(wideValueLen, bytes.Repeat([]byte("v"), 256)...), 0xFF)
	h255 := pairs(numbered(255)...)
	h255[0] = 255
	return []zmCase{
		{name: "zipmap.c's example", zm: []byte("\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff"), want: []string{"foo", "bar", "hello", "world"}},
		{name: "free bytes after values", zm: []byte("\x02\x01a\x01\x03bxyz\x01c\x00\x02de\xff"), want: []string{"a", "b", "c", ""}},
		{name: "empty field and value", zm: pairs("", ""), want: []string{"", ""}},
		{name: "integers", zm: pairs("1", "-70000", "12", "x"), want: []string{"1", "-70000", "12", "x"}},
		{name: "zmlen 254 for three pairs", zm: cat([]byte{254}, pairs("a", "1", "b", "2", "c", "3")[1:]), want: []string{"a", "1", "b", "2", "c", "3"}},
		{name: "300 pairs", zm: pairs(numbered(300)...), want: numbered(300)},
		{name: "zmlen 255 for 255 pairs", zm: h255, want: numbered(255)},
		{name: "5-byte lengths", zm: pairs(long, long), want: []string{long, long}},
		{name: "a value length of 0xFF", zm: wideValueLen, want: []string{"f", string(bytes.Repeat([]byte("v"), 256))}},
		{name: "bytes after the terminator", zm: []byte("\x01\x01a\x01\x00b\xff\x00\xff"), want: []string{"a", "b"}},
		{name: "a field twice", zm: pairs("a", "1", "a", "2"), want: []string{"a", "1", "a", "2"}},

		{name: "one byte", zm: []byte{0xFF}, err: zipmap.ErrShort},
		{name: "no terminator", zm: []byte("\x01\x01a\x01\x00b"), err: zipmap.ErrNoEnd},
		{name: "empty", zm: zipmap.New(), err: zipmap.ErrEmpty},
		{name: "empty with junk", zm: []byte("\x00\xff\x01\xff"), err: zipmap.ErrEmpty},
		{name: "zmlen 2 for one pair", zm: []byte("\x02\x01a\x01\x00b\xff"), err: zipmap.ErrCount},
		{name: "zmlen 0 for one pair", zm: []byte("\x00\x01a\x01\x00b\xff"), err: zipmap.ErrCount},
		{name: "a field past the end", zm: []byte("\x01\x05a\x01\x00b\xff"), err: zipmap.ErrTruncated},
		{name: "a value past the end", zm: []byte("\x01\x01a\x05\x00b\xff"), err: zipmap.ErrTruncated},
		{name: "free bytes past the end", zm: []byte("\x01\x01a\x01\x04b\xff"), err: zipmap.ErrTruncated},
		{name: "a field length cut", zm: []byte("\x01\xfe\x00\x01\xff"), err: zipmap.ErrTruncated},
		{name: "a value length cut", zm: []byte("\x01\x01a\xfe\x00\xff"), err: zipmap.ErrTruncated},
		{name: "a value with no free byte", zm: []byte("\x01\x01a\x00\xff"), err: zipmap.ErrTruncated},
		{name: "a huge value length", zm: []byte("\x01\x01a\xfe\xff\xff\xff\xff\x00\xff"), err: zipmap.ErrTruncated},
		{name: "a short field length written wide", zm: []byte("\x01\xfe\x01\x00\x00\x00a\x01\x00b\xff"), err: zipmap.ErrLength, wide: true},
		{name: "a short value length written wide", zm: []byte("\x01\x01a\xfe\x01\x00\x00\x00\x00b\xff"), err: zipmap.ErrLength, wide: true},
	}
}

// pairsOf returns a zipmap's fields and values.
func pairsOf(t testing.TB, zm []byte) []string {
	t.Helper()
	out := []string{}
	if err := zipmap.ForEach(zm, func(f, v []byte) bool {
		out = append(out, string(f), string(v))
		return true
	}); err != nil {
		t.Fatalf("ForEach: %v", err)
	}
	return out
}

func TestCases(t *testing.T) {
	for _, c := range zmCases() {
		err := zipmap.Validate(c.zm)
		if !errors.Is(err, c.err) {
			t.Errorf("%s: Validate: %v, want %v", c.name, err, c.err)
			continue
		}
		if c.err != nil {
			called := false
			zipmap.ForEach(c.zm, func(_, _ []byte) bool { called = true; return true })
			if called {
				t.Errorf("%s: an invalid zipmap was read", c.name)
			}
			continue
		}
		if got := pairsOf(t, c.zm); !slices.Equal(got, c.want) {
			t.Errorf("%s: pairs %q, want %q", c.name, got, c.want)
		}
	}
}

// TestAppendLayout: the encoder writes zipmap.c's example byte for byte.
func TestAppendLayout(t *testing.T) {
	if got, want := pairs("foo", "bar", "hello", "world"), []byte("\x02\x03foo\x03\x00bar\x05hello\x05\x00world\xff"); !bytes.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := pairs(numbered(300)...)[0]; got != 254 {
		t.Errorf("zmlen of 300 pairs: %d, want 254", got)
	}
}

func TestForEachStops(t *testing.T) {
	calls := 0
	err := zipmap.ForEach(pairs("a", "1", "b", "2", "c", "3"), func(_, _ []byte) bool {
		calls++
		return calls < 2
	})
	if err != nil || calls != 2 {
		t.Errorf("ForEach stopped after %d calls (%v), want 2", calls, err)
	}
}
