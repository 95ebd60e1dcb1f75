// Package listpack reads and writes Redis 7.0 listpacks byte for byte, so
// that small hashes, sorted sets and list nodes take as little memory as in
// Redis and travel unchanged through DUMP/RESTORE and RDB files, which
// store listpacks as raw blobs.
//
// # Format
//
// A listpack is a 6-byte header, the elements, and a 0xFF terminator:
//
//	total-bytes uint32 LE | count uint16 LE | element ... | 0xFF
//
// count is the number of elements, or 65535 when there are at least that
// many: the true count is then found by walking the elements, and written
// back once it is below 65535 again (see Len).
//
// An element is an encoding, its data, and a backlen:
//
//	0xxxxxxx                        7-bit unsigned integer
//	10LLLLLL data                   string of up to 63 bytes
//	110xxxxx xxxxxxxx               13-bit signed integer
//	1110LLLL LLLLLLLL data          string of up to 4095 bytes
//	11110000 L L L L data           string, 32-bit LE length
//	11110001..11110100 x...         16, 24, 32 or 64-bit signed LE integer
//
// A string that reads as an integer the way Redis's string2ll reads it
// (no sign but '-', no leading zero, no spaces, fits in int64) is always
// stored as the smallest integer encoding that holds it; other strings use
// the smallest string encoding. The backlen is the size of encoding+data
// written as 1 to 5 bytes of 7 bits, most significant first, every byte
// but the first with its top bit set, so that the previous element can be
// found by reading backwards from an element's first byte.
//
// # Design
//
// A listpack is a []byte whose length is its total size, usually an arena
// blob. Elements are addressed by their byte offset in it; iteration
// functions return -1 for "no element". Read functions never allocate:
// strings are returned as sub-slices of the listpack.
//
// Functions that change a listpack work in place when cap(lp) allows and
// return the new slice, like append: to keep a listpack in an arena blob,
// grow the blob first (the new size is len(lp) plus EntrySize, minus the
// EntryLen of a replaced element) and pass the blob resliced to the old
// length; after a shrinking change, shrink the blob to the returned length.
// A value inserted must not alias the listpack it goes into.
//
// Read and write functions trust the listpack and panic on corrupt data,
// as Redis asserts; bytes from outside (DUMP, RDB) must pass Validate with
// deep set first.
package listpack

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"slices"
	"strconv"

	"github.com/redoubt-db/redoubt/protocol"
)

const (
	// HeaderSize is the size of the header: total bytes and count.
	HeaderSize = 6
	// UnknownCount in the header count field means "count the elements".
	UnknownCount = math.MaxUint16
	// MaxSafetySize is the size Redis keeps listpacks under (lpSafeToAdd),
	// far from the 4 GiB the header can describe.
	MaxSafetySize = 1 << 30

	eof = 0xFF

	enc32BitStr = 0xF0
	enc16BitInt = 0xF1
	enc24BitInt = 0xF2
	enc32BitInt = 0xF3
	enc64BitInt = 0xF4
)

// Where says how Insert places an element relative to an offset.
type Where uint8

const (
	// Before inserts in front of the element at the offset, which may be
	// the terminator to append.
	Before Where = iota
	// After inserts behind the element at the offset.
	After
	// Replace overwrites the element at the offset.
	Replace
)

// New returns an empty listpack.
func New() []byte {
	return []byte{HeaderSize + 1, 0, 0, 0, 0, 0, eof}
}

// Bytes returns the total size recorded in the header.
func Bytes(lp []byte) int {
	return int(binary.LittleEndian.Uint32(lp))
}

func headerCount(lp []byte) int {
	return int(binary.LittleEndian.Uint16(lp[4:]))
}

func setHeaderCount(lp []byte, n int) {
	binary.LittleEndian.PutUint16(lp[4:], uint16(n))
}

// addCount adjusts a known header count; an unknown one stays unknown,
// even when the change brings it back in range, as in Redis.
func addCount(lp []byte, delta int) {
	if n := headerCount(lp); n != UnknownCount {
		setHeaderCount(lp, min(n+delta, UnknownCount))
	}
}

func setTotal(lp []byte) {
	binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
}

// Len returns the number of elements. When the header says the count is
// unknown it walks the listpack, and records the count in the header if
// it fits (below 65535): Redis does the same, and the header is part of
// the bytes DUMP carries, so callers should call Len where Redis calls
// lpLength.
func Len(lp []byte) int {
	if n := headerCount(lp); n != UnknownCount {
		return n
	}
	n := 0
	for off := First(lp); off >= 0; off = Next(lp, off) {
		n++
	}
	if n < UnknownCount {
		setHeaderCount(lp, n)
	}
	return n
}

// Sample calls fn with the offsets of count distinct, uniformly chosen
// groups of step elements (a field and its value are a group of 2), in
// listpack order, by selection sampling. count must be below the number
// of groups.
func Sample(lp []byte, step, count int, rnd func(n uint32) uint32, fn func(off int)) {
	left := Len(lp) / step
	for off := First(lp); off >= 0 && count > 0; left-- {
		if int(rnd(uint32(left))) < count {
			fn(off)
			count--
		}
		for i := 0; i < step; i++ {
			off = Next(lp, off)
		}
	}
}

// SafeToAdd reports whether adding add bytes keeps lp within
// MaxSafetySize.
// lp may be nil.
func SafeToAdd(lp []byte, add int) bool {
	return len(lp)+add <= MaxSafetySize
}

// First returns the offset of the first element, or -1 if there is none.
func First(lp []byte) int {
	if lp[HeaderSize] == eof {
		return -1
	}
	return HeaderSize
}

// Last returns the offset of the last element, or -1 if there is none.
func Last(lp []byte) int {
	return Prev(lp, len(lp)-1)
}

// Next returns the offset of the element after the one at off, or -1 if
// it was the last.
func Next(lp []byte, off int) int {
	off = entryEnd(lp, off)
	if lp[off] == eof {
		return -1
	}
	return off
}

// Prev returns the offset of the element before the one at off (which may
// be the terminator), or -1 if it was the first.
func Prev(lp []byte, off int) int {
	if off == HeaderSize {
		return -1
	}
	size, ok := decodeBacklen(lp, off-1)
	if !ok {
		panic("listpack: corrupt backlen")
	}
	return off - size - backlenSize(size)
}

// Seek returns the offset of the element at index, counting from the end
// when index is negative (-1 is the last), or -1 when out of range.
func Seek(lp []byte, index int) int {
	forward := true
	if n := headerCount(lp); n != UnknownCount {
		if index < 0 {
			index += n
		}
		if index < 0 || index >= n {
			return -1
		}
		// Walk from the nearer end.
		if index > n/2 {
			forward = false
			index -= n
		}
	} else if index < 0 {
		forward = false
	}
	if forward {
		off := First(lp)
		for ; index > 0 && off >= 0; index-- {
			off = Next(lp, off)
		}
		return off
	}
	off := Last(lp)
	for ; index < -1 && off >= 0; index++ {
		off = Prev(lp, off)
	}
	return off
}

// Get returns the element at off: a string as a sub-slice of lp (capacity
// clipped, so appending to it copies), or an integer with isInt set.
func Get(lp []byte, off int) (str []byte, n int64, isInt bool) {
	b := lp[off]
	switch {
	case b < 0x80:
		return nil, int64(b), true
	case b < 0xC0:
		end := off + 1 + int(b&0x3F)
		return lp[off+1 : end : end], 0, false
	case b < 0xE0:
		v := int64(b&0x1F)<<8 | int64(lp[off+1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		return nil, v, true
	case b < 0xF0:
		end := off + 2 + (int(b&0x0F)<<8 | int(lp[off+1]))
		return lp[off+2 : end : end], 0, false
	}
	p := lp[off+1:]
	switch b {
	case enc32BitStr:
		end := off + 5 + int(binary.LittleEndian.Uint32(p))
		return lp[off+5 : end : end], 0, false
	case enc16BitInt:
		return nil, int64(int16(binary.LittleEndian.Uint16(p))), true
	case enc24BitInt:
		u := uint32(p[0]) | uint32(p[1])<<8 | uint32(p[2])<<16
		return nil, int64(int32(u<<8) >> 8), true
	case enc32BitInt:
		return nil, int64(int32(binary.LittleEndian.Uint32(p))), true
	case enc64BitInt:
		return nil, int64(binary.LittleEndian.Uint64(p)), true
	}
	panic("listpack: corrupt element encoding")
}

// Compare reports whether the element at off (which may be the
// terminator) equals v, an integer element matching v's string2ll value.
func Compare(lp []byte, off int, v []byte) bool {
	if lp[off] == eof {
		return false
	}
	str, n, isInt := Get(lp, off)
	if !isInt {
		return bytes.Equal(str, v)
	}
	m, ok := protocol.ParseInt(v)
	return ok && m == n
}

// Find returns the offset of the first element equal to v (as Compare
// defines it) from the one at off, comparing one element and skipping
// skip after each: skip 1 visits the fields of a field-value listpack.
// It returns -1 when there is no match or off is -1.
func Find(lp []byte, off int, v []byte, skip int) int {
	// v is parsed as an integer only once an integer element shows up.
	const (
		unparsed = iota
		isInt
		notInt
	)
	vState := unparsed
	var vInt int64
	for skipped := 0; off >= 0; off = Next(lp, off) {
		if skipped > 0 {
			skipped--
			continue
		}
		str, n, elemInt := Get(lp, off)
		if !elemInt {
			if bytes.Equal(str, v) {
				return off
			}
		} else {
			if vState == unparsed {
				vState = notInt
				if m, ok := protocol.ParseInt(v); ok {
					vState, vInt = isInt, m
				}
			}
			if vState == isInt && n == vInt {
				return off
			}
		}
		skipped = skip
	}
	return -1
}

// EntryLen returns the bytes the element at off takes, backlen included:
// what deleting it frees.
func EntryLen(lp []byte, off int) int {
	return entryEnd(lp, off) - off
}

// EntrySize returns the bytes an element holding v takes, backlen
// included: the growth of a listpack inserting it.
func EntrySize(v []byte) int {
	if n, ok := protocol.ParseInt(v); ok {
		return IntEntrySize(n)
	}
	size := strHeaderLen(len(v)) + len(v)
	return size + backlenSize(size)
}

// IntEntrySize returns the bytes an element holding n takes, backlen
// included.
func IntEntrySize(n int64) int {
	return intEncodedLen(n) + 1
}

// Append adds v as the last element.
func Append(lp, v []byte) []byte {
	lp, _ = Insert(lp, len(lp)-1, Before, v)
	return lp
}

// AppendInt adds n as the last element.
func AppendInt(lp []byte, n int64) []byte {
	lp, _ = InsertInt(lp, len(lp)-1, Before, n)
	return lp
}

// Prepend adds v as the first element.
func Prepend(lp, v []byte) []byte {
	lp, _ = Insert(lp, HeaderSize, Before, v)
	return lp
}

// PrependInt adds n as the first element.
func PrependInt(lp []byte, n int64) []byte {
	lp, _ = InsertInt(lp, HeaderSize, Before, n)
	return lp
}

// Insert stores v before, after or in place of the element at off, and
// returns the listpack and the offset of the new element. v is stored as
// an integer when string2ll accepts it, as Redis does.
func Insert(lp []byte, off int, where Where, v []byte) ([]byte, int) {
	if n, ok := protocol.ParseInt(v); ok {
		return InsertInt(lp, off, where, n)
	}
	size := strHeaderLen(len(v)) + len(v)
	lp, off = makeRoom(lp, off, where, size)
	putString(lp[off:], v)
	return lp, off
}

// InsertInt is Insert for an integer.
func InsertInt(lp []byte, off int, where Where, n int64) ([]byte, int) {
	var enc [9]byte
	size := putInt(enc[:], n)
	lp, off = makeRoom(lp, off, where, size)
	copy(lp[off:], enc[:size])
	return lp, off
}

// makeRoom makes space at off for an element whose encoding and data take
// size bytes, writes its backlen and updates the header. The caller writes
// the element at the returned offset.
func makeRoom(lp []byte, off int, where Where, size int) ([]byte, int) {
	if where == After {
		off = entryEnd(lp, off)
	}
	old := 0
	if where == Replace {
		old = EntryLen(lp, off)
	}
	bl := backlenSize(size)
	lp = move(lp, off+old, size+bl-old)
	putBacklen(lp[off+size:off+size+bl], size)
	if where != Replace {
		addCount(lp, 1)
	}
	setTotal(lp)
	return lp, off
}

// move shifts lp[from:] by delta bytes, growing lp (in place if its
// capacity allows) or shrinking it.
func move(lp []byte, from, delta int) []byte {
	n := len(lp)
	if delta == 0 {
		return lp
	}
	if delta > 0 {
		if n+delta > math.MaxUint32 {
			panic("listpack: over 4 GiB")
		}
		lp = slices.Grow(lp, delta)[:n+delta]
	}
	copy(lp[from+delta:], lp[from:n])
	return lp[:n+delta]
}

// Delete removes the element at off, returning the listpack and the offset
// of the element that followed it, or -1 if it was the last.
func Delete(lp []byte, off int) ([]byte, int) {
	return DeleteN(lp, off, 1)
}

// DeleteN removes up to n elements from the one at off (a field and its
// value with n=2), returning the listpack and the offset of the element
// that followed them, or -1 if none did.
func DeleteN(lp []byte, off, n int) ([]byte, int) {
	end, deleted := off, 0
	for ; deleted < n && lp[end] != eof; deleted++ {
		end = entryEnd(lp, end)
	}
	lp = move(lp, end, off-end)
	addCount(lp, -deleted)
	setTotal(lp)
	if lp[off] == eof {
		return lp, -1
	}
	return lp, off
}

// DeleteRange removes up to n elements from index (negative counts from
// the end, as in Seek).
func DeleteRange(lp []byte, index, n int) []byte {
	if n <= 0 {
		return lp
	}
	off := Seek(lp, index)
	if off < 0 {
		return lp
	}
	// When the range reaches the end, cutting there spares the walk.
	if count := headerCount(lp); count != UnknownCount {
		if index < 0 {
			index += count
		}
		if count-index <= n {
			lp[off] = eof
			lp = lp[:off+1]
			setHeaderCount(lp, index)
			setTotal(lp)
			return lp
		}
	}
	lp, _ = DeleteN(lp, off, n)
	return lp
}

// Merge appends the elements of second to first and returns the result,
// built in first's memory when its capacity allows (like append). The
// count is capped at UnknownCount, as Redis does when merging list nodes.
func Merge(first, second []byte) []byte {
	count := min(Len(first)+Len(second), UnknownCount)
	if len(first)+len(second)-HeaderSize-1 > math.MaxUint32 {
		panic("listpack: over 4 GiB")
	}
	first = append(first[:len(first)-1], second[HeaderSize:]...)
	setHeaderCount(first, count)
	setTotal(first)
	return first
}

// entryEnd returns the offset just past the element at off.
func entryEnd(lp []byte, off int) int {
	size := encodedLen(lp, off)
	return off + size + backlenSize(size)
}

// encodedLen returns the size of the encoding and data of the element at
// off, without its backlen.
func encodedLen(lp []byte, off int) int {
	b := lp[off]
	switch {
	case b < 0x80:
		return 1
	case b < 0xC0:
		return 1 + int(b&0x3F)
	case b < 0xE0:
		return 2
	case b < 0xF0:
		return 2 + (int(b&0x0F)<<8 | int(lp[off+1]))
	}
	switch b {
	case enc32BitStr:
		return 5 + int(binary.LittleEndian.Uint32(lp[off+1:]))
	case enc16BitInt:
		return 3
	case enc24BitInt:
		return 4
	case enc32BitInt:
		return 5
	case enc64BitInt:
		return 9
	}
	panic("listpack: corrupt element encoding")
}

// headerLen returns the size of the encoding (type and string length) of
// an element whose first byte is b, or 0 if b starts no element.
func headerLen(b byte) int {
	switch {
	case b < 0xE0:
		return 1
	case b < 0xF0:
		return 2
	case b == enc32BitStr:
		return 5
	case b <= enc64BitInt:
		return 1
	}
	return 0
}

func strHeaderLen(n int) int {
	switch {
	case n < 64:
		return 1
	case n < 4096:
		return 2
	}
	return 5
}

func putString(dst, s []byte) {
	n := len(s)
	switch {
	case n < 64:
		dst[0] = 0x80 | byte(n)
		copy(dst[1:], s)
	case n < 4096:
		dst[0] = 0xE0 | byte(n>>8)
		dst[1] = byte(n)
		copy(dst[2:], s)
	default:
		dst[0] = enc32BitStr
		binary.LittleEndian.PutUint32(dst[1:], uint32(n))
		copy(dst[5:], s)
	}
}

func intEncodedLen(v int64) int {
	switch {
	case v >= 0 && v <= 127:
		return 1
	case v >= -4096 && v <= 4095:
		return 2
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return 3
	case v >= -1<<23 && v <= 1<<23-1:
		return 4
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 5
	}
	return 9
}

// putInt writes the smallest encoding of v into dst (at least 9 bytes)
// and returns its size.
func putInt(dst []byte, v int64) int {
	u := uint64(v)
	n := intEncodedLen(v)
	switch n {
	case 1:
		dst[0] = byte(v)
	case 2:
		dst[0] = 0xC0 | byte(u>>8)&0x1F
		dst[1] = byte(u)
	case 3:
		dst[0] = enc16BitInt
		binary.LittleEndian.PutUint16(dst[1:], uint16(u))
	case 4:
		dst[0] = enc24BitInt
		dst[1], dst[2], dst[3] = byte(u), byte(u>>8), byte(u>>16)
	case 5:
		dst[0] = enc32BitInt
		binary.LittleEndian.PutUint32(dst[1:], uint32(u))
	default:
		dst[0] = enc64BitInt
		binary.LittleEndian.PutUint64(dst[1:], u)
	}
	return n
}

// backlenSize returns how many bytes the backlen of an element of size
// bytes takes. The bounds are Redis's, off by one from the 7-bit limits
// (16383 takes three bytes), and must stay so for byte identity.
func backlenSize(size int) int {
	switch {
	case size <= 127:
		return 1
	case size < 16383:
		return 2
	case size < 2097151:
		return 3
	case size < 268435455:
		return 4
	}
	return 5
}

// putBacklen writes size into dst, whose length is backlenSize(size).
func putBacklen(dst []byte, size int) {
	last := len(dst) - 1
	dst[0] = byte(size >> (7 * last))
	for i := 1; i <= last; i++ {
		dst[i] = byte(size>>(7*(last-i)))&0x7F | 0x80
	}
}

// decodeBacklen reads the backlen whose last byte is at end, backwards.
// It fails if it runs past five bytes or the start of lp.
func decodeBacklen(lp []byte, end int) (int, bool) {
	v := 0
	for shift := 0; shift <= 28; shift += 7 {
		if end < 0 {
			return 0, false
		}
		b := lp[end]
		v |= int(b&0x7F) << shift
		if b&0x80 == 0 {
			return v, true
		}
		end--
	}
	return 0, false
}

// Errors returned by Validate.
var (
	ErrShort     = errors.New("listpack: shorter than a header and terminator")
	ErrTotal     = errors.New("listpack: header total bytes differ from the blob size")
	ErrNoEOF     = errors.New("listpack: does not end with the terminator")
	ErrElement   = errors.New("listpack: corrupt element")
	ErrEarlyEOF  = errors.New("listpack: terminator before the end")
	ErrCount     = errors.New("listpack: header count differs from the elements")
	ErrTruncated = errors.New("listpack: element runs past the end")
)

// Validate checks that lp is a listpack the other functions can read
// without panicking, accepting exactly what Redis's lpValidateIntegrity
// accepts. Without deep only the header and terminator are checked (what
// Redis does when sanitize-dump-payload is off).
func Validate(lp []byte, deep bool) error {
	if len(lp) < HeaderSize+1 {
		return ErrShort
	}
	if uint64(binary.LittleEndian.Uint32(lp)) != uint64(len(lp)) {
		return ErrTotal
	}
	last := len(lp) - 1
	if lp[last] != eof {
		return ErrNoEOF
	}
	if !deep {
		return nil
	}
	count := 0
	off := HeaderSize
	for lp[off] != eof {
		h := headerLen(lp[off])
		if h == 0 {
			return ErrElement
		}
		if off+h > last {
			return ErrTruncated
		}
		// In 64 bits, a 32-bit string length cannot wrap the sum around.
		size := uint64(encodedLen(lp, off))
		end := uint64(off) + size + uint64(backlenSize(int(size)))
		if end > uint64(last) {
			return ErrTruncated
		}
		off = int(end)
		if back, ok := decodeBacklen(lp, off-1); !ok || uint64(back) != size {
			return ErrElement
		}
		count++
	}
	if off != last {
		return ErrEarlyEOF
	}
	if n := headerCount(lp); n != UnknownCount && n != count {
		return ErrCount
	}
	return nil
}

// ErrPairs reports a listpack that should hold pairs (a hash's fields and
// values, a sorted set's members and scores) but is empty, odd, or has a
// first-of-pair element twice.
var ErrPairs = errors.New("listpack: not unique pairs")

// ValidatePairs is Validate with deep checks, plus the rules of a listpack
// of pairs: not empty, an even count, no first-of-pair element twice.
func ValidatePairs(lp []byte) error {
	if err := Validate(lp, true); err != nil {
		return err
	}
	n := Len(lp)
	if n == 0 || n%2 != 0 {
		return ErrPairs
	}
	seen := make(map[string]struct{}, n/2)
	var buf [20]byte
	for off := First(lp); off >= 0; off = Next(lp, Next(lp, off)) {
		s, v, isInt := Get(lp, off)
		if isInt {
			s = strconv.AppendInt(buf[:0], v, 10)
		}
		if _, dup := seen[string(s)]; dup {
			return ErrPairs
		}
		seen[string(s)] = struct{}{}
	}
	return nil
}
