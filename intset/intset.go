// Package intset reads and writes Redis 7.0 intsets byte for byte: the
// encoding of small sets of integers, which DUMP/RESTORE and RDB files
// carry as raw blobs.
//
// # Format
//
//	encoding uint32 LE | length uint32 LE | length values, sorted ascending
//
// encoding is the size of every value: 2, 4 or 8 bytes, little-endian two's
// complement. It is the smallest size holding every value ever added: a
// value that needs more upgrades the whole set, and removals never
// downgrade it. Values are unique and strictly increasing.
//
// # Design
//
// An intset is a []byte whose length is its size, usually an arena blob.
// Reads never allocate. Add and Remove work in place when cap(is) allows
// and return the new slice, like append: to keep an intset in an arena
// blob, grow the blob to SizeWith first and pass it resliced to the old
// length; after Remove, shrink the blob to the returned length.
//
// Functions other than Validate trust the intset; bytes from outside
// (DUMP, RDB) must pass Validate with deep set first.
package intset

import (
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// HeaderSize is the size of the encoding and length fields.
const HeaderSize = 8

// Value sizes, the values of the encoding field.
const (
	Enc16 = 2
	Enc32 = 4
	Enc64 = 8
)

// New returns an empty intset, with 16-bit encoding.
func New() []byte {
	return []byte{Enc16, 0, 0, 0, 0, 0, 0, 0}
}

// Encoding returns the size of the values: Enc16, Enc32 or Enc64.
func Encoding(is []byte) int {
	return int(binary.LittleEndian.Uint32(is))
}

// Len returns the number of values.
func Len(is []byte) int {
	return int(binary.LittleEndian.Uint32(is[4:]))
}

// Get returns the value at index i, 0 being the smallest; i must be in
// [0, Len).
func Get(is []byte, i int) int64 {
	return get(is, i, Encoding(is))
}

func get(is []byte, i, enc int) int64 {
	p := is[HeaderSize+i*enc:]
	switch enc {
	case Enc16:
		return int64(int16(binary.LittleEndian.Uint16(p)))
	case Enc32:
		return int64(int32(binary.LittleEndian.Uint32(p)))
	}
	return int64(binary.LittleEndian.Uint64(p))
}

func set(is []byte, i, enc int, v int64) {
	p := is[HeaderSize+i*enc:]
	switch enc {
	case Enc16:
		binary.LittleEndian.PutUint16(p, uint16(v))
	case Enc32:
		binary.LittleEndian.PutUint32(p, uint32(v))
	default:
		binary.LittleEndian.PutUint64(p, uint64(v))
	}
}

// valueEncoding returns the smallest encoding that holds v.
func valueEncoding(v int64) int {
	switch {
	case v < math.MinInt32 || v > math.MaxInt32:
		return Enc64
	case v < math.MinInt16 || v > math.MaxInt16:
		return Enc32
	}
	return Enc16
}

// search returns the index of v and true, or the index where v would be
// inserted and false.
func search(is []byte, v int64) (int, bool) {
	enc, n := Encoding(is), Len(is)
	// Values past either end are common when adding in order.
	if n == 0 || v < get(is, 0, enc) {
		return 0, false
	}
	if v > get(is, n-1, enc) {
		return n, false
	}
	lo, hi := 0, n-1
	for lo <= hi {
		mid := int(uint(lo+hi) >> 1)
		switch cur := get(is, mid, enc); {
		case v > cur:
			lo = mid + 1
		case v < cur:
			hi = mid - 1
		default:
			return mid, true
		}
	}
	return lo, false
}

// Find reports whether v is in the set.
func Find(is []byte, v int64) bool {
	if valueEncoding(v) > Encoding(is) {
		return false
	}
	_, ok := search(is, v)
	return ok
}

// SizeWith returns the size of is after adding v, which must be absent.
func SizeWith(is []byte, v int64) int {
	enc := max(Encoding(is), valueEncoding(v))
	return HeaderSize + (Len(is)+1)*enc
}

// Add inserts v and returns the intset and whether v was absent.
func Add(is []byte, v int64) ([]byte, bool) {
	enc, n := Encoding(is), Len(is)
	if venc := valueEncoding(v); venc > enc {
		return upgradeAndAdd(is, v, venc), true
	}
	pos, found := search(is, v)
	if found {
		return is, false
	}
	is = slices.Grow(is, enc)[:len(is)+enc]
	at := HeaderSize + pos*enc
	copy(is[at+enc:], is[at:])
	set(is, pos, enc, v)
	setLen(is, n+1)
	return is, true
}

// upgradeAndAdd widens every value to enc and adds v, which needed the
// wider encoding and so is below or above every other value.
func upgradeAndAdd(is []byte, v int64, enc int) []byte {
	old, n := Encoding(is), Len(is)
	size := HeaderSize + (n+1)*enc
	is = slices.Grow(is, size-len(is))[:size]
	// A negative v goes first, so values move up one slot.
	shift := 0
	if v < 0 {
		shift = 1
	}
	// Back to front: a widened value never lands on one not yet read.
	for i := n - 1; i >= 0; i-- {
		set(is, i+shift, enc, get(is, i, old))
	}
	if shift == 1 {
		set(is, 0, enc, v)
	} else {
		set(is, n, enc, v)
	}
	binary.LittleEndian.PutUint32(is, uint32(enc))
	setLen(is, n+1)
	return is
}

// Remove deletes v and returns the intset, shrunk in place, and whether v
// was present. The encoding stays as it is.
func Remove(is []byte, v int64) ([]byte, bool) {
	enc := Encoding(is)
	if valueEncoding(v) > enc {
		return is, false
	}
	pos, found := search(is, v)
	if !found {
		return is, false
	}
	at := HeaderSize + pos*enc
	copy(is[at:], is[at+enc:])
	is = is[:len(is)-enc]
	setLen(is, Len(is)-1)
	return is, true
}

func setLen(is []byte, n int) {
	binary.LittleEndian.PutUint32(is[4:], uint32(n))
}

// Errors returned by Validate.
var (
	ErrShort    = errors.New("intset: shorter than its header")
	ErrEncoding = errors.New("intset: invalid encoding")
	ErrSize     = errors.New("intset: size does not match the length")
	ErrEmpty    = errors.New("intset: empty")
	ErrOrder    = errors.New("intset: values not strictly increasing")
)

// Validate checks untrusted bytes, accepting exactly what Redis's
// intsetValidateIntegrity accepts: a known encoding, a size matching the
// length, at least one value and, when deep, strictly increasing values.
func Validate(is []byte, deep bool) error {
	if len(is) < HeaderSize {
		return ErrShort
	}
	enc := binary.LittleEndian.Uint32(is)
	if enc != Enc16 && enc != Enc32 && enc != Enc64 {
		return ErrEncoding
	}
	n := binary.LittleEndian.Uint32(is[4:])
	if HeaderSize+uint64(n)*uint64(enc) != uint64(len(is)) {
		return ErrSize
	}
	if n == 0 {
		return ErrEmpty
	}
	if !deep {
		return nil
	}
	prev := get(is, 0, int(enc))
	for i := 1; i < int(n); i++ {
		cur := get(is, i, int(enc))
		if cur <= prev {
			return ErrOrder
		}
		prev = cur
	}
	return nil
}
