// Package zipmap reads the zipmaps that Redis 2.4 and older wrote in RDB
// files for small hashes. Redis 7.0 converts them to listpacks as it
// loads them; ForEach gives the pairs for that, after checking the whole
// zipmap as Redis's zipmapValidateIntegrity does in deep mode.
//
// # Format
//
// A zipmap is a count byte, the pairs, and a 0xFF terminator:
//
//	zmlen | len field len free value [free bytes] ... | 0xFF
//
// zmlen is the number of pairs, or 254 when there may be 254 or more. A
// len is one byte 0..253, or 0xFE and a 4-byte little-endian length; a
// field length of 0xFF is the terminator. free (one byte) counts unused
// bytes after the value, left by an update that shortened it.
package zipmap

import (
	"encoding/binary"
	"errors"
)

const (
	bigLen = 254
	end    = 255
)

// Why a zipmap is refused.
var (
	ErrShort     = errors.New("zipmap: shorter than a count and terminator")
	ErrNoEnd     = errors.New("zipmap: the last byte is not the terminator")
	ErrTruncated = errors.New("zipmap: a pair runs past the terminator")
	ErrLength    = errors.New("zipmap: a 5-byte length below 254")
	ErrEmpty     = errors.New("zipmap: no pairs")
	ErrCount     = errors.New("zipmap: zmlen is not the number of pairs")
)

// length reads the length at p, which must leave its last byte before
// last. A first byte of 0xFF is read as 0xFE is: Redis reads a value's
// length that way.
func length(zm []byte, p, last int) (n uint64, size int, err error) {
	if zm[p] < bigLen {
		if p+1 > last {
			return 0, 0, ErrTruncated
		}
		return uint64(zm[p]), 1, nil
	}
	if p+5 > last {
		return 0, 0, ErrTruncated
	}
	n = uint64(binary.LittleEndian.Uint32(zm[p+1:]))
	// Redis validates with the width the first byte says but iterates
	// with the width the length needs: they disagree on a short length
	// written wide, which Redis never writes.
	if n < bigLen {
		return 0, 0, ErrLength
	}
	return n, 5, nil
}

// Validate checks zm as Redis's zipmapValidateIntegrity does in deep
// mode: every length and pair ends before the last byte, there is at
// least one pair, and zmlen is their count (or 254). Like Redis, it
// ignores bytes between the terminator ending the pairs and the last
// byte. It also refuses lengths written wide that Redis's iteration
// would misread (see length).
func Validate(zm []byte) error { return walk(zm, nil) }

// ForEach validates zm, then calls fn with each pair in order until fn
// returns false. field and value alias zm. Nothing is passed to fn
// unless the whole zipmap is valid.
func ForEach(zm []byte, fn func(field, value []byte) bool) error {
	if err := walk(zm, nil); err != nil {
		return err
	}
	return walk(zm, fn)
}

func walk(zm []byte, fn func(field, value []byte) bool) error {
	size := len(zm)
	if size < 2 {
		return ErrShort
	}
	last := size - 1
	if zm[last] != end {
		return ErrNoEnd
	}
	count := 0
	p := 1
	for zm[p] != end {
		fl, s, err := length(zm, p, last)
		if err != nil {
			return err
		}
		f := p + s
		if uint64(f)+fl > uint64(last) {
			return ErrTruncated
		}
		p = f + int(fl)
		vl, s, err := length(zm, p, last)
		if err != nil {
			return err
		}
		free := uint64(zm[p+s])
		v := p + s + 1
		if uint64(v)+vl+free > uint64(last) {
			return ErrTruncated
		}
		p = v + int(vl) + int(free)
		count++
		if fn != nil && !fn(zm[f:f+int(fl):f+int(fl)], zm[v:v+int(vl):v+int(vl)]) {
			return nil
		}
	}
	if count == 0 {
		return ErrEmpty
	}
	if zm[0] != bigLen && int(zm[0]) != count {
		return ErrCount
	}
	return nil
}
