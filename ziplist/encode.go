package ziplist

import (
	"encoding/binary"
	"math"

	"github.com/redoubt-db/redoubt/protocol"
)

// Redoubt never writes ziplists: Redis 7.0 does not either. The encoder
// is here so that tests (of this package and of the types that load
// ziplists) can build the payloads older Redis versions wrote, the way
// ziplist.c wrote them.

// New returns an empty ziplist, as ziplistNew makes it.
func New() []byte {
	zl := make([]byte, HeaderSize+1)
	binary.LittleEndian.PutUint32(zl, HeaderSize+1)
	binary.LittleEndian.PutUint32(zl[4:], HeaderSize)
	zl[HeaderSize] = end
	return zl
}

// Append adds v at the tail as ziplistPush does: as the smallest integer
// encoding when v is an integer string2ll accepts and shorter than 32
// bytes, else as a string.
func Append(zl, v []byte) []byte {
	if len(v) < 32 {
		if n, ok := protocol.ParseInt(v); ok {
			return AppendInt(zl, n)
		}
	}
	return AppendString(zl, v)
}

// AppendString adds v at the tail as a string, even when it reads as an
// integer (which Redis never writes, and reads all the same).
func AppendString(zl, v []byte) []byte {
	var h [5]byte
	switch n := len(v); {
	case n <= 0x3F:
		return push(zl, append(h[:0], byte(n)), v)
	case n <= 0x3FFF:
		return push(zl, append(h[:0], 0x40|byte(n>>8), byte(n)), v)
	default:
		return push(zl, binary.BigEndian.AppendUint32(append(h[:0], 0x80), uint32(n)), v)
	}
}

// AppendInt adds n at the tail in the smallest integer encoding.
func AppendInt(zl []byte, n int64) []byte {
	var b [9]byte
	switch {
	case n >= 0 && n <= 12:
		b[0] = immMin + byte(n)
		return push(zl, b[:1], nil)
	case n >= math.MinInt8 && n <= math.MaxInt8:
		b[0], b[1] = encInt8, byte(n)
		return push(zl, b[:2], nil)
	case n >= math.MinInt16 && n <= math.MaxInt16:
		b[0] = encInt16
		binary.LittleEndian.PutUint16(b[1:], uint16(n))
		return push(zl, b[:3], nil)
	case n >= -1<<23 && n < 1<<23:
		b[0], b[1], b[2], b[3] = encInt24, byte(n), byte(n>>8), byte(n>>16)
		return push(zl, b[:4], nil)
	case n >= math.MinInt32 && n <= math.MaxInt32:
		b[0] = encInt32
		binary.LittleEndian.PutUint32(b[1:], uint32(n))
		return push(zl, b[:5], nil)
	default:
		b[0] = encInt64
		binary.LittleEndian.PutUint64(b[1:], uint64(n))
		return push(zl, b[:9], nil)
	}
}

// push appends an entry of encoding enc and data v before the terminator
// and updates the header; like append, it may reuse zl's array, so zl
// must not be used afterwards. Appending at the tail never changes
// another entry's prevlen, so there is no cascade to make.
func push(zl, enc, v []byte) []byte {
	last := len(zl) - 1
	prev := uint32(0)
	if tail := int(binary.LittleEndian.Uint32(zl[4:])); tail < last {
		e, _ := decode(zl, tail, last)
		prev = uint32(e.header) + uint32(e.size)
	}
	out := zl[:last]
	if prev < bigPrevLen {
		out = append(out, byte(prev))
	} else {
		out = binary.LittleEndian.AppendUint32(append(out, bigPrevLen), prev)
	}
	out = append(append(append(out, enc...), v...), end)
	binary.LittleEndian.PutUint32(out, uint32(len(out)))
	binary.LittleEndian.PutUint32(out[4:], uint32(last))
	if n := binary.LittleEndian.Uint16(out[8:]); n < UnknownCount {
		binary.LittleEndian.PutUint16(out[8:], n+1)
	}
	return out
}
