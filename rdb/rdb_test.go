package rdb

import (
	"bytes"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"
)

func TestCRC64MatchesRedisCheckValue(t *testing.T) {
	// The check value of CRC-64/Jones as Redis's crc64 self-test states it.
	if got := CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64(123456789) = %#x", got)
	}
	// Continuing a CRC over two halves equals one pass.
	a, b := []byte("hello "), []byte("world")
	if CRC64(CRC64(0, a), b) != CRC64(0, []byte("hello world")) {
		t.Fatal("CRC64 does not chain")
	}
}

func TestLenRoundTrip(t *testing.T) {
	for _, n := range []uint64{0, 1, 63, 64, 16383, 16384, math.MaxUint32, math.MaxUint32 + 1, math.MaxUint64} {
		var e Encoder
		e.Len(n)
		d := NewDecoder(e.B)
		if got := d.Len(); got != n || d.Err() != nil || d.Remaining() != 0 {
			t.Errorf("Len %d: decoded %d err %v remaining %d", n, got, d.Err(), d.Remaining())
		}
	}
}

func TestStringEncodings(t *testing.T) {
	long := bytes.Repeat([]byte("abcabcabc"), 10)
	cases := []struct {
		s     string
		first byte // the first byte written
	}{
		{"0", 0xC0}, {"-128", 0xC0}, {"127", 0xC0}, {"128", 0xC1}, {"-32768", 0xC1},
		{"32768", 0xC2}, {"2147483647", 0xC2}, {"-2147483648", 0xC2},
		{"2147483648", 10},  // too big for 32 bits: digits
		{"012", 3},          // not canonical: a plain string
		{"+1", 2},           // not canonical
		{"12345678901", 11}, // over 32 bits
		{"abc", 3},
		{string(long), 0xC3},
	}
	for _, c := range cases {
		e := Encoder{Compress: true}
		e.String([]byte(c.s))
		if e.B[0] != c.first {
			t.Errorf("%q: first byte %#x, want %#x", c.s, e.B[0], c.first)
		}
		d := NewDecoder(e.B)
		if got := d.String(); string(got) != c.s || d.Err() != nil || d.Remaining() != 0 {
			t.Errorf("%q: decoded %q err %v", c.s, got, d.Err())
		}
	}
}

func TestIntAndDouble(t *testing.T) {
	var e Encoder
	ints := []int64{0, -1, 1 << 40, math.MinInt64, math.MaxInt64}
	for _, n := range ints {
		e.Int(n)
	}
	e.Double(math.Inf(-1))
	e.Millis(-5)
	d := NewDecoder(e.B)
	for _, n := range ints {
		if got := string(d.String()); got != strconv.FormatInt(n, 10) {
			t.Errorf("Int %d decoded as %q", n, got)
		}
	}
	if f := d.Double(); !math.IsInf(f, -1) {
		t.Errorf("Double: %v", f)
	}
	if ms := d.Millis(); ms != -5 || d.Err() != nil {
		t.Errorf("Millis: %d %v", ms, d.Err())
	}
}

func TestLZFRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		n := r.IntN(3000)
		src := make([]byte, n)
		alphabet := 1 + r.IntN(255)
		for j := range src {
			if j > 10 && r.IntN(4) == 0 { // repeat an earlier stretch
				src[j] = src[j-1-r.IntN(min(j, 9000))]
			} else {
				src[j] = byte(r.IntN(alphabet))
			}
		}
		c := Compress(nil, src, n+n/31+8)
		if n >= 3 && len(c) == 0 {
			t.Fatalf("case %d: no output with room to spare", i)
		}
		if len(c) == 0 {
			continue
		}
		out, ok := Decompress([]byte("prefix"), c, n)
		if !ok || !bytes.Equal(out[6:], src) || string(out[:6]) != "prefix" {
			t.Fatalf("case %d: round trip failed (len %d)", i, n)
		}
		if _, ok := Decompress(nil, c, n+1); ok {
			t.Fatalf("case %d: a wrong size was accepted", i)
		}
	}
}

func TestLZFRespectsOutputLimit(t *testing.T) {
	src := []byte(strconv.Quote("the quick brown fox jumps over the lazy dog"))
	for limit := 0; limit < len(src)+10; limit++ {
		c := Compress(nil, src, limit)
		if len(c) > limit {
			t.Fatalf("limit %d: wrote %d bytes", limit, len(c))
		}
	}
}

func TestDumpFooter(t *testing.T) {
	p := AppendDumpFooter([]byte{TypeString, 3, 'f', 'o', 'o'})
	body, ok := CheckDumpFooter(p)
	if !ok || !bytes.Equal(body, []byte{TypeString, 3, 'f', 'o', 'o'}) {
		t.Fatalf("footer check failed: %v %q", ok, body)
	}
	for i := range p {
		bad := bytes.Clone(p)
		bad[i] ^= 1
		if _, ok := CheckDumpFooter(bad); ok {
			t.Fatalf("flipping byte %d went unnoticed", i)
		}
	}
}

func TestDecoderRejectsHostileLengths(t *testing.T) {
	for _, in := range [][]byte{
		{0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, // 2^64-1 bytes
		{0x80, 0x7f, 0xff, 0xff, 0xff, 'a'},
		{0xC3, 0x05, 0x80, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3, 4, 5}, // LZF claiming 2 GiB
		{0xC4},
		{0xC1, 0x01},
	} {
		d := NewDecoder(in)
		if s := d.String(); s != nil || d.Err() == nil {
			t.Errorf("%x: read %q without error", in, s)
		}
	}
	d := NewDecoder([]byte{0x80, 0x7f, 0xff, 0xff, 0xff})
	if n := d.Count(1); n != 0 || d.Err() == nil {
		t.Errorf("Count accepted %d items from no bytes", n)
	}
}

func FuzzDecoder(f *testing.F) {
	var e Encoder
	e.Compress = true
	e.String(bytes.Repeat([]byte("xyz"), 30))
	e.Int(-7)
	f.Add(e.B)
	f.Fuzz(func(t *testing.T, b []byte) {
		d := NewDecoder(b)
		for d.Err() == nil && d.Remaining() > 0 {
			s := d.String()
			if len(s) > 88*len(b) {
				t.Fatalf("%d bytes out of %d in", len(s), len(b))
			}
		}
	})
}

func FuzzLZF(f *testing.F) {
	f.Add([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
	f.Fuzz(func(t *testing.T, src []byte) {
		c := Compress(nil, src, len(src)+len(src)/31+8)
		if len(src) >= 3 && len(c) == 0 {
			t.Fatal("no output")
		}
		if len(c) > 0 {
			out, ok := Decompress(nil, c, len(src))
			if !ok || !bytes.Equal(out, src) {
				t.Fatal("round trip failed")
			}
		}
		Decompress(nil, src, 1000) // must not panic on arbitrary input
	})
}
