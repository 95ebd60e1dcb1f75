package ziplist_test

import (
	"bytes"
	"encoding/binary"
	"strconv"

	"github.com/redoubt-db/redoubt/ziplist"
)

// Hand-made ziplists, each checking one rule of the format: the valid
// ones in the forms Redis writes and in the odd forms it reads all the
// same, the invalid ones each breaking one rule. ziplist_test.go checks
// them against the package, redis_test.go against redis-server.

type zlCase struct {
	name string
	zl   []byte
	err  error    // nil when valid
	want []string // the entries, integers in decimal, when valid
}

// layout puts entries (each its prevlen, encoding and data, as given)
// between a header that agrees with them and the terminator.
func layout(entries ...[]byte) []byte {
	zl := make([]byte, ziplist.HeaderSize)
	tail := ziplist.HeaderSize
	for _, e := range entries {
		tail = len(zl)
		zl = append(zl, e...)
	}
	zl = append(zl, 0xFF)
	binary.LittleEndian.PutUint32(zl, uint32(len(zl)))
	binary.LittleEndian.PutUint32(zl[4:], uint32(tail))
	binary.LittleEndian.PutUint16(zl[8:], uint16(len(entries)))
	return zl
}

// with returns a copy of zl with b written at off.
func with(zl []byte, off int, b ...byte) []byte {
	zl = bytes.Clone(zl)
	copy(zl[off:], b)
	return zl
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func repeat(c byte, n int) []byte { return bytes.Repeat([]byte{c}, n) }

// boundaryInts are the edges of every integer encoding.
var boundaryInts = []int64{
	0, 1, 12, 13, -1, 127, 128, -128, -129, 255, 32767, 32768, -32768, -32769,
	1<<23 - 1, 1 << 23, -1 << 23, -1<<23 - 1, 1<<31 - 1, 1 << 31, -1 << 31, -1<<31 - 1,
	1<<63 - 1, -1 << 63,
}

func appended(vals ...string) []byte {
	zl := ziplist.New()
	for _, v := range vals {
		zl = ziplist.Append(zl, []byte(v))
	}
	return zl
}

func zlCases() []zlCase {
	var ints []string
	for _, n := range boundaryInts {
		ints = append(ints, strconv.FormatInt(n, 10))
	}
	strs := []string{"", "a", string(repeat('s', 63)), string(repeat('m', 64)), string(repeat('l', 16383)),
		string(repeat('L', 16384)), "007", "-0", "+1", " 1", "1 ", string(repeat('9', 32)), "9223372036854775808"}
	two := layout([]byte{0, 0xF3}, []byte{2, 0xF6}) // 2, 5
	return []zlCase{
		// Valid.
		{name: "empty", zl: ziplist.New(), want: []string{}},
		{name: "ziplist.c's example", zl: []byte{0x0f, 0, 0, 0, 0x0c, 0, 0, 0, 2, 0, 0, 0xf3, 2, 0xf6, 0xff}, want: []string{"2", "5"}},
		{name: "every integer encoding", zl: appended(ints...), want: ints},
		{name: "every string length form", zl: appended(strs...), want: strs},
		{name: "a wide prevlen holding a small size", zl: layout([]byte{0, 0xF3}, []byte{0xFE, 2, 0, 0, 0, 0xF6}), want: []string{"2", "5"}},
		{name: "a short string in the 14-bit form", zl: layout([]byte{0, 0x40, 3, 'a', 'b', 'c'}), want: []string{"abc"}},
		{name: "a short string in the 32-bit form, low bits set", zl: layout([]byte{0, 0xBF, 0, 0, 0, 3, 'a', 'b', 'c'}), want: []string{"abc"}},
		{name: "integers stored as strings", zl: ziplist.AppendString(ziplist.AppendString(ziplist.New(), []byte("12")), []byte("-70000")), want: []string{"12", "-70000"}},
		{name: "a small integer in the int64 form", zl: layout([]byte{0, 0xE0, 5, 0, 0, 0, 0, 0, 0, 0}), want: []string{"5"}},
		{name: "a negative int24", zl: layout([]byte{0, 0xF0, 0xFE, 0xFF, 0xFF}), want: []string{"-2"}},
		{name: "unknown count", zl: with(two, 8, 0xFF, 0xFF), want: []string{"2", "5"}},
		{name: "empty, zltail anywhere in range", zl: with(ziplist.New(), 4, 3), want: []string{}},
		{name: "a 5-byte prevlen after a long entry", zl: appended(string(repeat('x', 300)), "y"), want: []string{string(repeat('x', 300)), "y"}},

		// Invalid.
		{name: "shorter than a header", zl: ziplist.New()[:10], err: ziplist.ErrShort},
		{name: "zlbytes too big", zl: with(two, 0, 16), err: ziplist.ErrTotal},
		{name: "zlbytes too small", zl: with(two, 0, 14), err: ziplist.ErrTotal},
		{name: "no terminator", zl: with(two, 14, 0xFE), err: ziplist.ErrNoEnd},
		{name: "zltail past the terminator", zl: with(two, 4, 15), err: ziplist.ErrTail},
		{name: "zltail at the first of two entries", zl: with(two, 4, 10), err: ziplist.ErrTail},
		{name: "zltail inside the last entry", zl: with(two, 4, 13), err: ziplist.ErrTail},
		{name: "encoding 0xC1", zl: layout([]byte{0, 0xC1, 0}), err: ziplist.ErrEncoding},
		{name: "encoding 0xD8", zl: layout([]byte{0, 0xD8, 0, 0, 0, 0}), err: ziplist.ErrEncoding},
		{name: "encoding 0xEF", zl: layout([]byte{0, 0xEF, 0, 0, 0, 0, 0, 0, 0, 0}), err: ziplist.ErrEncoding},
		{name: "encoding 0xFF", zl: layout([]byte{0, 0xFF}), err: ziplist.ErrEncoding},
		{name: "a string past the terminator", zl: with(layout([]byte{0, 2, 'a', 'b'}), 11, 3), err: ziplist.ErrTruncated},
		{name: "a 32-bit string length past everything", zl: layout([]byte{0, 0x80, 0xFF, 0xFF, 0xFF, 0xFF, 'a'}), err: ziplist.ErrTruncated},
		{name: "an int64 cut by the terminator", zl: layout([]byte{0, 0xE0, 1, 2, 3}), err: ziplist.ErrTruncated},
		{name: "a 14-bit length cut by the terminator", zl: layout([]byte{0, 0x40}), err: ziplist.ErrTruncated},
		{name: "a wide prevlen cut by the terminator", zl: layout([]byte{0xFE, 0, 0}), err: ziplist.ErrTruncated},
		{name: "the first prevlen not 0", zl: with(two, 10, 1), err: ziplist.ErrPrevLen},
		{name: "a prevlen one short", zl: with(two, 12, 1), err: ziplist.ErrPrevLen},
		{name: "a wide prevlen one long", zl: layout([]byte{0, 0xF3}, []byte{0xFE, 3, 0, 0, 0, 0xF6}), err: ziplist.ErrPrevLen},
		{name: "a wide prevlen of 2^32-1", zl: layout([]byte{0, 0xF3}, []byte{0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xF6}), err: ziplist.ErrPrevLen},
		{name: "a terminator before the end", zl: layout([]byte{0, 0xF3}, []byte{0xFF, 0xF6}), err: ziplist.ErrEarlyEnd},
		{name: "zllen one more", zl: with(two, 8, 3), err: ziplist.ErrCount},
		{name: "zllen zero for two", zl: with(two, 8, 0), err: ziplist.ErrCount},
		{name: "zllen 65534 for two", zl: with(two, 8, 0xFE, 0xFF), err: ziplist.ErrCount},
		{name: "empty, zltail past the terminator", zl: with(ziplist.New(), 4, 11), err: ziplist.ErrTail},
		{name: "empty, zllen one", zl: with(ziplist.New(), 8, 1), err: ziplist.ErrCount},
		{name: "junk after the terminator of the entries", zl: cat(with(two, 0, 17)[:14], []byte{0xFF, 0, 0xFF}), err: ziplist.ErrEarlyEnd},
	}
}
