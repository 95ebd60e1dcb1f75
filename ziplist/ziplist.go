// Package ziplist reads the ziplists that Redis versions before 7.0 wrote
// in RDB files and DUMP payloads for small lists, hashes and sorted sets,
// and for the nodes of quicklists. Redis 7.0 no longer keeps ziplists: it converts
// each one to a listpack as it loads it, and so does Redoubt, through
// Load, ToListpack or ForEach. Nothing here trusts its input: every entry is
// checked before it is read, as Redis's ziplistValidateIntegrity does in
// its deep mode, so that a corrupt ziplist is refused, never half-read.
//
// # Format
//
// A ziplist is a 10-byte header, the entries, and a 0xFF terminator:
//
//	zlbytes uint32 LE | zltail uint32 LE | zllen uint16 LE | entry ... | 0xFF
//
// zlbytes is the ziplist's size, zltail the offset of the last entry (10
// when there is none), zllen the number of entries, or 65535 when there
// may be at least that many (the entries must then be counted).
//
// An entry is the size of the previous entry, an encoding, and its data:
//
//	prevlen: 1 byte 0..253, or 0xFE and 4 bytes LE (any value)
//	00LLLLLL data                     string of up to 63 bytes
//	01LLLLLL LLLLLLLL data            string, 14-bit big-endian length
//	10xxxxxx LLLLLLLL*4 data          string, 32-bit big-endian length
//	11000000 / 11010000 / 11100000    int16, int32, int64, little-endian
//	11110000 x x x                    int24, little-endian, signed
//	11111110 x                        int8
//	1111xxxx (xxxx 0001..1101)        the integer xxxx-1, 0 to 12
//
// Redis writes the shortest forms, but a 5-byte prevlen may hold a small
// size (ziplist.c keeps a wide prevlen rather than shrink it) and a
// string may look like an integer; both read as Redis reads them.
package ziplist

import (
	"encoding/binary"
	"errors"
	"math"

	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
)

// HeaderSize is the size of the header before the first entry.
const HeaderSize = 10

// UnknownCount in the header's zllen means "count the entries".
const UnknownCount = math.MaxUint16

const (
	end        = 0xFF
	bigPrevLen = 0xFE

	encInt16 = 0xC0
	encInt32 = 0xD0
	encInt64 = 0xE0
	encInt24 = 0xF0
	encInt8  = 0xFE
	immMin   = 0xF1
	immMax   = 0xFD
)

// Why a ziplist is refused. Each is a rule of ziplistValidateIntegrity.
var (
	ErrShort     = errors.New("ziplist: shorter than a header and terminator")
	ErrTotal     = errors.New("ziplist: zlbytes is not the size")
	ErrNoEnd     = errors.New("ziplist: the last byte is not the terminator")
	ErrTail      = errors.New("ziplist: zltail does not point at the last entry")
	ErrEncoding  = errors.New("ziplist: bad entry encoding")
	ErrTruncated = errors.New("ziplist: entry runs past the terminator")
	ErrPrevLen   = errors.New("ziplist: prevlen is not the previous entry's size")
	ErrEarlyEnd  = errors.New("ziplist: a terminator before the end")
	ErrCount     = errors.New("ziplist: zllen is not the number of entries")
	// ErrTooBig: the entries would not fit in a listpack.
	ErrTooBig = errors.New("ziplist: too big for a listpack")
)

// entry is the decoded header of the entry at off.
type entry struct {
	prevLen uint64 // the previous entry's size, as recorded
	header  int    // prevlen field and encoding bytes
	size    uint64 // data bytes
	enc     byte   // the first encoding byte, masked to 0xC0 for strings
}

// decode reads the header of the entry at off, off <= last, where last is
// the terminator's offset. It checks that the header and the data end at
// or before the terminator (the 32-bit lengths cannot wrap in 64 bits).
func decode(zl []byte, off, last int) (entry, error) {
	var e entry
	pls := 1
	if zl[off] >= bigPrevLen {
		pls = 5
	}
	if off+pls > last {
		return e, ErrTruncated
	}
	if pls == 1 {
		e.prevLen = uint64(zl[off])
	} else {
		e.prevLen = uint64(binary.LittleEndian.Uint32(zl[off+1:]))
	}
	p := off + pls
	e.enc = zl[p]
	lensize := 1
	switch {
	case e.enc < 0x40:
		e.size = uint64(e.enc & 0x3F)
		e.enc = 0
	case e.enc < 0x80:
		lensize = 2
	case e.enc < 0xC0:
		lensize = 5
	case e.enc == encInt8:
		e.size = 1
	case e.enc == encInt16:
		e.size = 2
	case e.enc == encInt24:
		e.size = 3
	case e.enc == encInt32:
		e.size = 4
	case e.enc == encInt64:
		e.size = 8
	case e.enc >= immMin && e.enc <= immMax: // the value is in the encoding
	default:
		return e, ErrEncoding
	}
	if p+lensize > last {
		return e, ErrTruncated
	}
	switch lensize {
	case 2:
		e.size = uint64(e.enc&0x3F)<<8 | uint64(zl[p+1])
		e.enc = 0x40
	case 5:
		// The low 6 bits of the first byte are ignored, as Redis does.
		e.size = uint64(binary.BigEndian.Uint32(zl[p+1:]))
		e.enc = 0x80
	}
	e.header = pls + lensize
	if uint64(off)+uint64(e.header)+e.size > uint64(last) {
		return e, ErrTruncated
	}
	return e, nil
}

func (e entry) isString() bool { return e.enc < 0xC0 }

// value returns the entry's string, or its integer.
func (e entry) value(zl []byte, off int) (s []byte, n int64, isInt bool) {
	d := off + e.header
	if e.isString() {
		return zl[d : d+int(e.size) : d+int(e.size)], 0, false
	}
	switch e.enc {
	case encInt8:
		n = int64(int8(zl[d]))
	case encInt16:
		n = int64(int16(binary.LittleEndian.Uint16(zl[d:])))
	case encInt24:
		n = int64(int32(uint32(zl[d])<<8|uint32(zl[d+1])<<16|uint32(zl[d+2])<<24) >> 8)
	case encInt32:
		n = int64(int32(binary.LittleEndian.Uint32(zl[d:])))
	case encInt64:
		n = int64(binary.LittleEndian.Uint64(zl[d:]))
	default:
		n = int64(e.enc&0x0F) - 1
	}
	return nil, n, true
}

// Validate checks that zl is a well-formed ziplist, accepting exactly what
// Redis's ziplistValidateIntegrity accepts in deep mode: the header
// agrees with the size, every entry's encoding is known and its data ends
// before the terminator, every prevlen is the size of the entry before,
// zltail points at the last entry, and zllen is the count (or 65535).
func Validate(zl []byte) error {
	_, err := walk(zl, nil)
	return err
}

// ForEach validates zl, then calls fn with each entry in order, a string
// or an integer, until fn returns false. Strings alias zl. Nothing is
// passed to fn unless the whole ziplist is valid.
func ForEach(zl []byte, fn func(s []byte, n int64, isInt bool) bool) error {
	if err := Validate(zl); err != nil {
		return err
	}
	_, err := walk(zl, fn)
	return err
}

// walk checks zl, calling fn (when not nil) with each entry as it goes,
// and returns the number of entries it walked.
func walk(zl []byte, fn func(s []byte, n int64, isInt bool) bool) (int, error) {
	size := len(zl)
	if size < HeaderSize+1 {
		return 0, ErrShort
	}
	if uint64(binary.LittleEndian.Uint32(zl)) != uint64(size) {
		return 0, ErrTotal
	}
	last := size - 1
	if zl[last] != end {
		return 0, ErrNoEnd
	}
	tail := uint64(binary.LittleEndian.Uint32(zl[4:]))
	if tail > uint64(last) {
		return 0, ErrTail
	}
	count, prevOff := 0, -1
	var prevSize uint64
	off := HeaderSize
	for zl[off] != end {
		e, err := decode(zl, off, last)
		if err != nil {
			return count, err
		}
		if e.prevLen != prevSize {
			return count, ErrPrevLen
		}
		if fn != nil && !fn(e.value(zl, off)) {
			return count, nil
		}
		prevSize = uint64(e.header) + e.size
		prevOff = off
		off += int(prevSize)
		count++
	}
	if off != last {
		return count, ErrEarlyEnd
	}
	// An empty ziplist's zltail is not checked beyond its range: Redis
	// does not either.
	if prevOff >= 0 && uint64(prevOff) != tail {
		return count, ErrTail
	}
	if n := int(binary.LittleEndian.Uint16(zl[8:])); n != UnknownCount && n != count {
		return count, ErrCount
	}
	return count, nil
}

// Load reads a ziplist from d (an RDB string) and returns the listpack
// ToListpack makes of it, or nil once it has recorded the failure in d.
func Load(d *rdb.Decoder) []byte {
	s := d.String()
	if d.Err() != nil {
		return nil
	}
	lp, err := ToListpack(s)
	if err != nil {
		d.Fail()
		return nil
	}
	return lp
}

// ToListpack validates zl and returns a listpack holding its entries, as
// Redis 7.0 converts a ziplist on load: strings that read as integers
// become integers, as lpAppend makes them. It refuses a ziplist whose
// listpack would outgrow a listpack's 32-bit size.
func ToListpack(zl []byte) ([]byte, error) {
	lp := listpack.New()
	tooBig := false
	err := ForEach(zl, func(s []byte, n int64, isInt bool) bool {
		add := listpack.IntEntrySize(n)
		if !isInt {
			add = listpack.EntrySize(s)
		}
		if uint64(len(lp))+uint64(add) > math.MaxUint32 {
			tooBig = true
			return false
		}
		if isInt {
			lp = listpack.AppendInt(lp, n)
		} else {
			lp = listpack.Append(lp, s)
		}
		return true
	})
	if err == nil && tooBig {
		err = ErrTooBig
	}
	if err != nil {
		return nil, err
	}
	return lp, nil
}
