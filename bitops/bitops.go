// Package bitops implements the bit commands over string values (Redis's
// bitops.c and the BITFIELD family).
//
// A string is a bitmap whose bit 0 is the most significant bit of its
// first byte. Reads work on the value as stored, an int-encoded value
// being formatted into scratch space first; writes go through
// DB.MutableString, which makes the value "raw" and zero-pads it to the
// bit written, as Redis's lookupStringForBitCommand does (even when the
// bit does not change). BITOP stores its result as a new "raw" string,
// computed directly into the arena blob that will hold it.
//
// Offsets are limited as Redis limits them: a bit offset whose byte lies
// beyond proto-max-bulk-len (2^32 bits by default) is refused.
package bitops

import (
	"math/bits"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Register adds the bit commands to t.
func Register(t *command.Table) {
	t.Handle("setbit", setbit)
	t.Handle("getbit", getbit)
	t.Handle("bitcount", bitcount)
	t.Handle("bitpos", bitpos)
	t.Handle("bitop", bitop)
	t.Handle("bitfield", func(c *command.Ctx) { bitfield(c, false) })
	t.Handle("bitfield_ro", func(c *command.Ctx) { bitfield(c, true) })
}

const errBitOffset = "ERR bit offset is not an integer or out of range"

// bitOffset parses a bit offset argument. With hash (BITFIELD), "#n"
// means n times the field width bits.
func bitOffset(c *command.Ctx, arg []byte, hash bool, width int) (uint64, bool) {
	usehash := hash && width > 0 && len(arg) > 0 && arg[0] == '#'
	if usehash {
		arg = arg[1:]
	}
	n, ok := protocol.ParseInt(arg)
	if !ok {
		c.Err(errBitOffset)
		return 0, false
	}
	if usehash {
		n *= int64(width) // wraps like Redis's, and is then refused
	}
	if n < 0 || n>>3 >= c.Cfg.ProtoMaxBulkLen {
		c.Err(errBitOffset)
		return 0, false
	}
	return uint64(n), true
}

// writableBits looks the key up for writing and returns its bytes, grown
// with zeros so that bit maxbit exists; a missing key is created. changed
// reports whether the key was created or grown. ok is false if the key
// holds another type (WRONGTYPE was written).
func writableBits(c *command.Ctx, maxbit uint64) (b []byte, changed, ok bool) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindString)
	if !ok {
		return nil, false, false
	}
	n := int(maxbit>>3) + 1
	if id == dict.None {
		var ref arena.Ref
		ref, b = c.KS.Arena.Alloc(n)
		clear(b)
		c.DB.Add(key, keyspace.KindString, keyspace.EncRaw, uint64(ref))
		c.Notify(command.EvNew, "new", key)
		return b, true, true
	}
	old := c.DB.StringLen(id)
	b = c.DB.MutableString(id, max(old, n))
	return b, len(b) != old, true
}

// readBits looks the key up for reading: its bytes (nil if missing, an
// int-encoded value formatted into the scratch buffer), whether it exists,
// and ok false if it holds another type.
func readBits(c *command.Ctx) (b []byte, found, ok bool) {
	id, ok := c.Read(c.Args[1], keyspace.KindString)
	if !ok || id == dict.None {
		return nil, false, ok
	}
	return c.DB.String(id, c.Buf[:]), true, true
}

func setbit(c *command.Ctx) {
	const errBit = "ERR bit is not an integer or out of range"
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	on, ok := c.IntMsg(3, errBit)
	if !ok {
		return
	}
	if on&^1 != 0 {
		c.Err(errBit)
		return
	}
	b, changed, ok := writableBits(c, off)
	if !ok {
		return
	}
	byteIdx, shift := off>>3, 7-off&7
	old := int64(b[byteIdx]>>shift) & 1
	if changed || old != on {
		b[byteIdx] = b[byteIdx]&^(1<<shift) | byte(on)<<shift
		c.Changed(c.Args[1], command.EvString, "setbit")
	}
	c.W.Int(old)
}

func getbit(c *command.Ctx) {
	off, ok := bitOffset(c, c.Args[2], false, 0)
	if !ok {
		return
	}
	b, _, ok := readBits(c)
	if !ok {
		return
	}
	var v int64
	if i := off >> 3; i < uint64(len(b)) {
		v = int64(b[i]>>(7-off&7)) & 1
	}
	c.W.Int(v)
}

// rangeArgs converts BITCOUNT/BITPOS start and end (bytes, or bits with
// isbit) to inclusive byte indexes into a string of n bytes, with masks of
// the bits of the first and last bytes that lie outside a bit range.
// empty reports a range with nothing in it.
func rangeArgs(start, end int64, n int64, isbit bool) (s, e int64, firstMask, lastMask byte, empty bool) {
	total := n
	if isbit {
		total <<= 3
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start, end = max(start, 0), max(end, 0)
	if end >= total {
		end = total - 1
	}
	if isbit && start <= end {
		firstMask = ^byte(0xff >> (start & 7))
		lastMask = byte(1<<(7-end&7)) - 1
		start >>= 3
		end >>= 3
	}
	return start, end, firstMask, lastMask, start > end
}

// bitcount is BITCOUNT key [start end [BYTE|BIT]].
func bitcount(c *command.Ctx) {
	b, found, ok := readBits(c)
	if !ok {
		return
	}
	if !found {
		c.W.Int(0)
		return
	}
	n := int64(len(b))
	var start, end int64
	var firstMask, lastMask byte
	switch len(c.Args) {
	case 4, 5:
		if start, ok = c.Int(2); !ok {
			return
		}
		if end, ok = c.Int(3); !ok {
			return
		}
		if start < 0 && end < 0 && start > end {
			c.W.Int(0)
			return
		}
		isbit := false
		if len(c.Args) == 5 {
			switch {
			case c.Is(4, "bit"):
				isbit = true
			case c.Is(4, "byte"):
			default:
				c.Err(command.ErrSyntax)
				return
			}
		}
		start, end, firstMask, lastMask, _ = rangeArgs(start, end, n, isbit)
	case 2:
		start, end = 0, n-1
	default:
		c.Err(command.ErrSyntax)
		return
	}
	if start > end {
		c.W.Int(0)
		return
	}
	count := popcount(b[start : end+1])
	count -= int64(bits.OnesCount8(b[start]&firstMask) + bits.OnesCount8(b[end]&lastMask))
	c.W.Int(count)
}

// popcount counts the set bits of b, eight bytes at a time.
func popcount(b []byte) int64 {
	var n int
	for len(b) >= 8 {
		n += bits.OnesCount64(uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
			uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56)
		b = b[8:]
	}
	for _, x := range b {
		n += bits.OnesCount8(x)
	}
	return int64(n)
}

// firstBit is Redis's redisBitpos: the position of the first bit equal to
// bit in b. Past the end the string counts as zero-padded, so a clear bit
// is always found (at len(b)*8 at worst); a set bit may not be (-1).
func firstBit(b []byte, bit int64) int64 {
	skip := byte(0)
	if bit == 0 {
		skip = 0xff
	}
	for i, x := range b {
		if x != skip {
			if bit == 0 {
				x = ^x
			}
			return int64(i)*8 + int64(bits.LeadingZeros8(x))
		}
	}
	if bit == 1 {
		return -1
	}
	return int64(len(b)) * 8
}

// bitpos is BITPOS key bit [start [end [BYTE|BIT]]].
func bitpos(c *command.Ctx) {
	bit, ok := c.Int(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Err("ERR The bit argument must be 1 or 0.")
		return
	}
	b, found, ok := readBits(c)
	if !ok {
		return
	}
	if !found {
		if bit == 1 {
			c.W.Int(-1)
		} else {
			c.W.Int(0)
		}
		return
	}
	n := int64(len(b))
	var start, end int64
	var firstMask, lastMask byte
	endGiven := false
	switch len(c.Args) {
	case 4, 5, 6:
		if start, ok = c.Int(3); !ok {
			return
		}
		isbit := false
		if len(c.Args) == 6 {
			switch {
			case c.Is(5, "bit"):
				isbit = true
			case c.Is(5, "byte"):
			default:
				c.Err(command.ErrSyntax)
				return
			}
		}
		if len(c.Args) >= 5 {
			if end, ok = c.Int(4); !ok {
				return
			}
			endGiven = true
		} else if isbit {
			end = n<<3 + 7
		} else {
			end = n - 1
		}
		start, end, firstMask, lastMask, _ = rangeArgs(start, end, n, isbit)
	case 3:
		start, end = 0, n-1
	default:
		c.Err(command.ErrSyntax)
		return
	}
	if start > end {
		c.W.Int(-1)
		return
	}
	pos, nbytes, base := searchRange(b, start, end, firstMask, lastMask, bit)
	// With an explicit end, the bits after the range are not zero padding:
	// a clear bit found there is no answer.
	if endGiven && bit == 0 && pos == nbytes<<3 {
		c.W.Int(-1)
		return
	}
	if pos != -1 {
		pos += base << 3
	}
	c.W.Int(pos)
}

// searchRange looks for bit in the bytes b[start..end], ignoring the bits
// of the first and last bytes that the masks mark as outside the range,
// as Redis does: in up to three steps (the first byte, the whole bytes,
// the last byte), stopping at the first step that finds the bit. It
// returns the position relative to byte base, where the last step began,
// and the number of bytes left from there, for the caller's end check.
func searchRange(b []byte, start, end int64, firstMask, lastMask byte, bit int64) (pos, nbytes, base int64) {
	nbytes = end - start + 1
	// masked sets the out-of-range bits of x to the value not searched for.
	masked := func(x, mask byte) []byte {
		if bit == 1 {
			return []byte{x &^ mask}
		}
		return []byte{x | mask}
	}
	if firstMask != 0 {
		x := masked(b[start], firstMask)
		if lastMask != 0 && nbytes == 1 {
			x = masked(x[0], lastMask)
		}
		pos = firstBit(x, bit)
		if nbytes == 1 || pos != -1 && pos != 8 {
			return pos, nbytes, start
		}
		start++
		nbytes--
	}
	cur := nbytes
	if lastMask != 0 {
		cur--
	}
	if cur > 0 {
		pos = firstBit(b[start:start+cur], bit)
		if nbytes == cur || pos != -1 && pos != cur<<3 {
			return pos, nbytes, start
		}
		start += cur
		nbytes -= cur
	}
	return firstBit(masked(b[end], lastMask), bit), nbytes, start
}
