package rdb

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// ErrBadFormat is what every decoding failure reports: RESTORE answers it
// as Redis does, "Bad data format".
var ErrBadFormat = errors.New("Bad data format")

// ErrEmptyKey is recorded by a loader that read a well-formed collection
// with no element (older Redis versions could write one). A file loader
// skips the key, as Redis 7.0 does ("rdbLoadObject skipping empty key");
// a RESTORE payload holding one is refused like any bad payload.
var ErrEmptyKey = errors.New("empty key")

// A Decoder reads RDB-encoded data from a byte slice. The first failure
// sticks: later reads return zero values, and Err reports it, so a value
// loader can read a whole structure and check once.
type Decoder struct {
	b   []byte
	off int
	err error
	buf []byte // decompressed strings
}

// NewDecoder returns a Decoder reading b.
func NewDecoder(b []byte) *Decoder { return &Decoder{b: b} }

// Err is the first failure, or nil.
func (d *Decoder) Err() error { return d.err }

// Fail records a failure found by the caller (a value that breaks its
// type's rules) unless one is already recorded.
func (d *Decoder) Fail() {
	if d.err == nil {
		d.err = ErrBadFormat
	}
}

// Empty records that the value just read, whole and well-formed, has no
// element (see ErrEmptyKey), unless a failure is already recorded.
func (d *Decoder) Empty() {
	if d.err == nil {
		d.err = ErrEmptyKey
	}
}

// SkipEmpty reports whether the last value was an empty collection, and
// clears that so that reading goes on with the next record.
func (d *Decoder) SkipEmpty() bool {
	if d.err != ErrEmptyKey {
		return false
	}
	d.err = nil
	return true
}

// Remaining is the number of unread bytes.
func (d *Decoder) Remaining() int { return len(d.b) - d.off }

func (d *Decoder) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b)-d.off {
		d.Fail()
		return nil
	}
	p := d.b[d.off : d.off+n : d.off+n]
	d.off += n
	return p
}

// Byte reads one byte.
func (d *Decoder) Byte() byte {
	p := d.take(1)
	if p == nil {
		return 0
	}
	return p[0]
}

// Raw reads n bytes as they are. The result aliases the input.
func (d *Decoder) Raw(n int) []byte { return d.take(n) }

// lenOrSpecial reads a length, or reports the special string encoding the
// byte names.
func (d *Decoder) lenOrSpecial() (n uint64, special int) {
	first := d.Byte()
	switch first >> 6 {
	case len6:
		return uint64(first & 0x3f), -1
	case len14:
		return uint64(first&0x3f)<<8 | uint64(d.Byte()), -1
	case encValue:
		return 0, int(first & 0x3f)
	}
	switch first {
	case len32:
		if p := d.take(4); p != nil {
			return uint64(binary.BigEndian.Uint32(p)), -1
		}
	case len64:
		if p := d.take(8); p != nil {
			return binary.BigEndian.Uint64(p), -1
		}
	default:
		d.Fail()
	}
	return 0, -1
}

// Len reads a length.
func (d *Decoder) Len() uint64 {
	n, special := d.lenOrSpecial()
	if special >= 0 {
		d.Fail()
	}
	return n
}

// Count reads a length that counts items of at least minSize bytes each
// still to be read: a count the rest of the input cannot hold fails, so
// that no caller sizes an allocation from a hostile number.
func (d *Decoder) Count(minSize int) int {
	n := d.Len()
	if n > uint64(d.Remaining()/max(minSize, 1)) {
		d.Fail()
		return 0
	}
	return int(n)
}

// Millis reads a millisecond time.
func (d *Decoder) Millis() int64 {
	if p := d.take(8); p != nil {
		return int64(binary.LittleEndian.Uint64(p))
	}
	return 0
}

// Double reads a binary double.
func (d *Decoder) Double() float64 {
	if p := d.take(8); p != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(p))
	}
	return 0
}

// String reads a string. The result aliases the input or a buffer the next
// String call reuses: copy it to keep it.
func (d *Decoder) String() []byte {
	n, special := d.lenOrSpecial()
	if special < 0 {
		if n > uint64(d.Remaining()) {
			d.Fail()
			return nil
		}
		return d.take(int(n))
	}
	switch special {
	case encInt8, encInt16, encInt32:
		size := 1 << special
		p := d.take(size)
		if p == nil {
			return nil
		}
		var v int64
		switch size {
		case 1:
			v = int64(int8(p[0]))
		case 2:
			v = int64(int16(binary.LittleEndian.Uint16(p)))
		default:
			v = int64(int32(binary.LittleEndian.Uint32(p)))
		}
		d.buf = strconv.AppendInt(d.buf[:0], v, 10)
		return d.buf
	case encLZF:
		clen, ulen := d.Len(), d.Len()
		// No LZF token yields more than 88 bytes per byte (a 3-byte
		// back-reference copies 264): a larger claim is a lie.
		if d.err != nil || clen > uint64(d.Remaining()) || ulen == 0 || ulen > clen*88 {
			d.Fail()
			return nil
		}
		out, ok := Decompress(d.buf[:0], d.take(int(clen)), int(ulen))
		if !ok {
			d.Fail()
			return nil
		}
		d.buf = out
		return out
	}
	d.Fail()
	return nil
}
