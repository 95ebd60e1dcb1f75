// Package rdb reads and writes the building blocks of Redis 7.0's RDB
// format (version 10): the encodings of lengths, strings, integers and
// doubles, LZF compression, and the CRC-64 that seals DUMP payloads and
// RDB files. The data types write their values with an Encoder and read
// them with a Decoder; DUMP/RESTORE (and, later, RDB files) frame them.
//
// # Format
//
// A length is 1, 2, 5 or 9 bytes, told by the top two bits of the first:
//
//	00xxxxxx                  6-bit length
//	01xxxxxx xxxxxxxx         14-bit length, big-endian
//	10000000 + 4 bytes        32-bit length, big-endian
//	10000001 + 8 bytes        64-bit length, big-endian
//	11xxxxxx                  a special string encoding (below)
//
// A string is a length and its bytes, or a special encoding: an integer of
// 8, 16 or 32 bits (little-endian) whose decimal form is the string, or
// LZF-compressed bytes (compressed length, original length, data). Strings
// of up to 11 bytes that are canonical integers fitting 32 bits are written
// as integers; strings over 20 bytes are compressed when rdbcompression is
// on and compression saves at least 4 bytes — as Redis writes them, so that
// a DUMP of the same value is the same bytes.
//
// A DUMP payload is an object type byte, the value, the RDB version (2
// bytes LE) and the CRC-64 (8 bytes LE) of everything before it.
//
// # Robustness
//
// A Decoder never panics and never allocates more than its input can
// hold: a length that points past the end of the input is an error, not
// an allocation, so a hostile payload costs no more memory than its size.
package rdb

import (
	"encoding/binary"
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/protocol"
)

// Version is the RDB format version Redis 7.0 writes.
const Version = 10

// Object types, the first byte of a value.
const (
	TypeString          = 0
	TypeList            = 1
	TypeSet             = 2
	TypeZSet            = 3
	TypeHash            = 4
	TypeZSet2           = 5
	TypeModule          = 6
	TypeModule2         = 7
	TypeHashZipmap      = 9
	TypeListZiplist     = 10
	TypeSetIntset       = 11
	TypeZSetZiplist     = 12
	TypeHashZiplist     = 13
	TypeListQuicklist   = 14
	TypeStreamListpacks = 15
	TypeHashListpack    = 16
	TypeZSetListpack    = 17
	TypeListQuicklist2  = 18
	TypeStreams2        = 19
)

// Quicklist node containers in TypeListQuicklist2.
const (
	ContainerPlain  = 1
	ContainerPacked = 2
)

const (
	len6     = 0
	len14    = 1
	len32    = 0x80
	len64    = 0x81
	encValue = 3 // top two bits of a special string encoding

	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// An Encoder appends RDB-encoded data to B.
type Encoder struct {
	B []byte
	// Compress turns LZF compression of long strings on (rdbcompression).
	Compress bool
	scratch  []byte
}

// Byte appends one byte, an object type for instance.
func (e *Encoder) Byte(b byte) { e.B = append(e.B, b) }

// Raw appends bytes as they are.
func (e *Encoder) Raw(b []byte) { e.B = append(e.B, b...) }

// Len appends a length.
func (e *Encoder) Len(n uint64) {
	switch {
	case n < 1<<6:
		e.B = append(e.B, byte(n))
	case n < 1<<14:
		e.B = append(e.B, byte(n>>8)|len14<<6, byte(n))
	case n <= math.MaxUint32:
		e.B = append(e.B, len32)
		e.B = binary.BigEndian.AppendUint32(e.B, uint32(n))
	default:
		e.B = append(e.B, len64)
		e.B = binary.BigEndian.AppendUint64(e.B, n)
	}
}

// Millis appends a millisecond time: 8 bytes, little-endian.
func (e *Encoder) Millis(ms int64) { e.B = binary.LittleEndian.AppendUint64(e.B, uint64(ms)) }

// Double appends a double in binary: 8 bytes, little-endian IEEE 754.
func (e *Encoder) Double(f float64) { e.B = binary.LittleEndian.AppendUint64(e.B, math.Float64bits(f)) }

// Int appends an integer string value: as an integer encoding when it fits
// 32 bits, else as its decimal digits.
func (e *Encoder) Int(n int64) {
	if e.intEncoding(n) {
		return
	}
	var tmp [20]byte
	d := strconv.AppendInt(tmp[:0], n, 10)
	e.Len(uint64(len(d)))
	e.B = append(e.B, d...)
}

func (e *Encoder) intEncoding(n int64) bool {
	const special = encValue << 6
	switch {
	case n >= math.MinInt8 && n <= math.MaxInt8:
		e.B = append(e.B, special|encInt8, byte(n))
	case n >= math.MinInt16 && n <= math.MaxInt16:
		e.B = append(e.B, special|encInt16)
		e.B = binary.LittleEndian.AppendUint16(e.B, uint16(n))
	case n >= math.MinInt32 && n <= math.MaxInt32:
		e.B = append(e.B, special|encInt32)
		e.B = binary.LittleEndian.AppendUint32(e.B, uint32(n))
	default:
		return false
	}
	return true
}

// String appends a string, as an integer or compressed where Redis would.
func (e *Encoder) String(s []byte) {
	if len(s) <= 11 {
		if n, ok := protocol.ParseInt(s); ok && e.intEncoding(n) {
			return
		}
	}
	if e.Compress && len(s) > 20 {
		e.scratch = Compress(e.scratch[:0], s, len(s)-4)
		if len(e.scratch) > 0 {
			e.B = append(e.B, encValue<<6|encLZF)
			e.Len(uint64(len(e.scratch)))
			e.Len(uint64(len(s)))
			e.B = append(e.B, e.scratch...)
			return
		}
	}
	e.Len(uint64(len(s)))
	e.B = append(e.B, s...)
}
