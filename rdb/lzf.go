package rdb

import (
	"math"
	"slices"
	"sync"
)

// LZF, the compression of RDB strings. A compressed stream is a sequence
// of tokens:
//
//	000LLLLL + L+1 bytes          literal run of 1..32 bytes
//	LLLooooo oooooooo             copy L+2 bytes (L 1..6) from o+1 back
//	111ooooo LLLLLLLL oooooooo    copy L+9 bytes from o+1 back
//
// Compress makes the same choices as the liblzf 3.6 that Redis builds
// (a 2^16-slot table hashing every 3-byte sequence, greedy matching, the
// two positions before a match's end rehashed), so that DUMP output is the
// bytes Redis would write; Redis leaves its table uninitialised, so its
// output can differ from run to run where a stale slot happens to match.

const (
	hashLog = 16
	maxLit  = 1 << 5
	maxOff  = 1 << 13
	maxRef  = 1<<8 + 1<<3
)

// lzfTable maps the hash of 3 bytes to the last position seen with it.
// Positions are stored plus base, which moves past every input, so that a
// slot from an earlier input reads as empty without clearing the table.
type lzfTable struct {
	slot [1 << hashLog]uint32
	base uint32
}

var lzfTables = sync.Pool{New: func() any { return new(lzfTable) }}

func lzfHash(h uint32) uint32 { return (h>>(3*8-hashLog) - h*5) & (1<<hashLog - 1) }

// Compress appends the LZF compression of src to dst if it takes at most
// maxOut bytes; otherwise it returns dst unchanged.
func Compress(dst, src []byte, maxOut int) []byte {
	n := len(src)
	if n < 3 || maxOut <= 0 || uint64(n) >= math.MaxUint32/2 {
		return dst
	}
	t := lzfTables.Get().(*lzfTable)
	defer lzfTables.Put(t)
	if uint64(t.base)+uint64(n)+1 >= math.MaxUint32 {
		clear(t.slot[:])
		t.base = 0
	}
	base := t.base
	t.base += uint32(n) + 1

	start := len(dst)
	buf := slices.Grow(dst, maxOut+1)[:start+maxOut+1]
	o := buf[start:]
	op, lit, ip := 1, 0, 0 // op 0 holds the first run's control byte
	runEnd := func() {
		o[op-lit-1] = byte(lit - 1)
		if lit == 0 {
			op--
		}
	}
	hval := uint32(src[0])<<8 | uint32(src[1])
	for ip < n-2 {
		hval = hval<<8 | uint32(src[ip+2])
		h := lzfHash(hval)
		stored := t.slot[h]
		t.slot[h] = base + uint32(ip)
		ref := int(stored - base)
		off := ip - ref - 1
		if stored > base && off < maxOff &&
			src[ref+2] == src[ip+2] && src[ref] == src[ip] && src[ref+1] == src[ip+1] {
			length := 2
			maxLen := min(n-ip-length, maxRef)
			if op+3+1 >= maxOut {
				undo := 0
				if lit == 0 {
					undo = 1
				}
				if op-undo+3+1 >= maxOut {
					return dst
				}
			}
			runEnd()
			length = matchLen(src, ref, ip, maxLen)
			length -= 2
			ip++
			if length < 7 {
				o[op] = byte(off>>8 + length<<5)
				op++
			} else {
				o[op] = byte(off>>8 + 7<<5)
				o[op+1] = byte(length - 7)
				op += 2
			}
			o[op] = byte(off)
			op += 2 // and start a run
			lit = 0
			ip += length + 1
			if ip >= n-2 {
				break
			}
			// Hash the two positions before the match's end.
			ip -= 2
			hval = uint32(src[ip])<<8 | uint32(src[ip+1])
			for range 2 {
				hval = hval<<8 | uint32(src[ip+2])
				t.slot[lzfHash(hval)] = base + uint32(ip)
				ip++
			}
			continue
		}
		if op >= maxOut {
			return dst
		}
		o[op] = src[ip]
		op, ip, lit = op+1, ip+1, lit+1
		if lit == maxLit {
			runEnd()
			lit = 0
			op++
		}
	}
	if op+3 > maxOut {
		return dst
	}
	for ; ip < n; ip++ {
		o[op] = src[ip]
		op, lit = op+1, lit+1
		if lit == maxLit {
			runEnd()
			lit = 0
			op++
		}
	}
	runEnd()
	return buf[:start+op]
}

// matchLen extends a 3-byte match at ref and ip, as liblzf does: past a
// limit of 16 its first 16 steps do not check the limit, so a match can
// run up to two bytes beyond maxLen (never beyond the input).
func matchLen(src []byte, ref, ip, maxLen int) int {
	length := 2
	if maxLen > 16 {
		for range 16 {
			length++
			if src[ref+length] != src[ip+length] {
				return length
			}
		}
	}
	for {
		length++
		if length >= maxLen || src[ref+length] != src[ip+length] {
			return length
		}
	}
}

// Decompress appends the decompression of src to dst. It fails unless the
// output is exactly size bytes.
func Decompress(dst, src []byte, size int) ([]byte, bool) {
	start := len(dst)
	out := dst
	for i := 0; i < len(src); {
		ctrl := int(src[i])
		i++
		if ctrl < 1<<5 {
			run := ctrl + 1
			if i+run > len(src) || len(out)-start+run > size {
				return dst, false
			}
			out = append(out, src[i:i+run]...)
			i += run
			continue
		}
		length := ctrl >> 5
		if length == 7 {
			if i >= len(src) {
				return dst, false
			}
			length += int(src[i])
			i++
		}
		if i >= len(src) {
			return dst, false
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(src[i]) - 1
		i++
		length += 2
		if ref < start || len(out)-start+length > size {
			return dst, false
		}
		for k := range length {
			out = append(out, out[ref+k])
		}
	}
	return out, len(out)-start == size
}
