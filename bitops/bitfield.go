package bitops

import (
	"bytes"
	"math"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
)

// Field operations and overflow behaviours of BITFIELD.
const (
	fieldGet = iota
	fieldSet
	fieldIncrBy
)

const (
	overflowWrap = iota
	overflowSat
	overflowFail
)

// fieldOp is one parsed BITFIELD operation.
type fieldOp struct {
	offset   uint64
	val      int64 // SET value or INCRBY increment
	op       uint8
	overflow uint8
	bits     uint8
	signed   bool
}

// bitfield is BITFIELD and (ro) BITFIELD_RO. Every operation is parsed
// and checked before any runs; a command with only GETs reads the key,
// one with writes first grows the value to the farthest bit written.
func bitfield(c *command.Ctx, ro bool) {
	var opsBuf [8]fieldOp
	ops := opsBuf[:0]
	overflow := uint8(overflowWrap)
	readonly := true
	var highest uint64
	for j := 2; j < len(c.Args); j++ {
		rem := len(c.Args) - j - 1
		var op uint8
		switch {
		case c.Is(j, "get") && rem >= 2:
			op = fieldGet
		case c.Is(j, "set") && rem >= 3:
			op = fieldSet
		case c.Is(j, "incrby") && rem >= 3:
			op = fieldIncrBy
		case c.Is(j, "overflow") && rem >= 1:
			j++
			switch {
			case c.Is(j, "wrap"):
				overflow = overflowWrap
			case c.Is(j, "sat"):
				overflow = overflowSat
			case c.Is(j, "fail"):
				overflow = overflowFail
			default:
				c.Err("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.Err(command.ErrSyntax)
			return
		}
		signed, bits, ok := fieldType(c, c.Args[j+1])
		if !ok {
			return
		}
		off, ok := bitOffset(c, c.Args[j+2], true, bits)
		if !ok {
			return
		}
		var val int64
		if op != fieldGet {
			readonly = false
			highest = max(highest, off+uint64(bits)-1)
			if val, ok = c.Int(j + 3); !ok {
				return
			}
			j++
		}
		ops = append(ops, fieldOp{offset: off, val: val, op: op, overflow: overflow, bits: uint8(bits), signed: signed})
		j += 2
	}

	var b []byte
	var grown bool
	if readonly {
		var ok bool
		if b, _, ok = readBits(c); !ok {
			return
		}
	} else {
		if ro {
			c.Err("ERR BITFIELD_RO only supports the GET subcommand")
			return
		}
		var ok bool
		if b, grown, ok = writableBits(c, highest); !ok {
			return
		}
	}

	c.W.Array(len(ops))
	changes := 0
	for i := range ops {
		o := &ops[i]
		bits := int(o.bits)
		switch {
		case o.op == fieldGet:
			// Read through a zero-padded copy of the bytes the field spans,
			// so that fields running past the end read zeros.
			var win [9]byte
			first := o.offset >> 3
			if first < uint64(len(b)) {
				copy(win[:], b[first:])
			}
			rel := o.offset & 7
			if o.signed {
				c.W.Int(getSigned(win[:], rel, bits))
			} else {
				c.W.Int(int64(getUnsigned(win[:], rel, bits)))
			}
		case o.signed:
			old := getSigned(b, o.offset, bits)
			var newval, ret int64
			var over bool
			if o.op == fieldIncrBy {
				var wrapped int64
				over, wrapped = signedOverflow(old, o.val, bits, o.overflow)
				newval = old + o.val
				if over {
					newval = wrapped
				}
				ret = newval
			} else {
				var wrapped int64
				newval = o.val
				if over, wrapped = signedOverflow(newval, 0, bits, o.overflow); over {
					newval = wrapped
				}
				ret = old
			}
			if over && o.overflow == overflowFail {
				c.W.Null()
				continue
			}
			c.W.Int(ret)
			setUnsigned(b, o.offset, bits, uint64(newval))
			if grown || old != newval {
				changes++
			}
		default:
			old := getUnsigned(b, o.offset, bits)
			var newval, ret uint64
			var over bool
			if o.op == fieldIncrBy {
				var wrapped uint64
				newval = old + uint64(o.val)
				if over, wrapped = unsignedOverflow(old, o.val, bits, o.overflow); over {
					newval = wrapped
				}
				ret = newval
			} else {
				var wrapped uint64
				newval = uint64(o.val)
				if over, wrapped = unsignedOverflow(newval, 0, bits, o.overflow); over {
					newval = wrapped
				}
				ret = old
			}
			if over && o.overflow == overflowFail {
				c.W.Null()
				continue
			}
			c.W.Int(int64(ret))
			setUnsigned(b, o.offset, bits, newval)
			if grown || old != newval {
				changes++
			}
		}
	}
	if changes > 0 {
		c.SignalModified(c.DB, c.Args[1])
		c.Dirty += int64(changes)
		c.Notify(command.EvString, "setbit", c.Args[1])
	}
}

// fieldType parses a field type: i1..i64 or u1..u63 (a u64 could not be
// answered as a RESP integer).
func fieldType(c *command.Ctx, arg []byte) (signed bool, bits int, ok bool) {
	const errType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
	if len(arg) == 0 || arg[0] != 'i' && arg[0] != 'u' {
		c.Err(errType)
		return false, 0, false
	}
	signed = arg[0] == 'i'
	digits := arg[1:]
	if i := bytes.IndexByte(digits, 0); i >= 0 {
		digits = digits[:i] // Redis reads the width as a C string
	}
	n, ok := protocol.ParseInt(digits)
	if !ok || n < 1 || signed && n > 64 || !signed && n > 63 {
		c.Err(errType)
		return false, 0, false
	}
	return signed, int(n), true
}

// getUnsigned reads a bits-wide big-endian field at bit offset off.
func getUnsigned(p []byte, off uint64, bits int) uint64 {
	var v uint64
	for j := 0; j < bits; j++ {
		v = v<<1 | uint64(p[off>>3]>>(7-off&7)&1)
		off++
	}
	return v
}

// getSigned reads a two's complement field, extending its sign.
func getSigned(p []byte, off uint64, bits int) int64 {
	v := int64(getUnsigned(p, off, bits))
	if bits < 64 && v&(1<<(bits-1)) != 0 {
		v |= -1 << bits
	}
	return v
}

// setUnsigned writes the low bits of v as a big-endian field at off.
func setUnsigned(p []byte, off uint64, bits int, v uint64) {
	for j := 0; j < bits; j++ {
		bit := byte(v>>(bits-1-j)) & 1
		sh := 7 - off&7
		p[off>>3] = p[off>>3]&^(1<<sh) | bit<<sh
		off++
	}
}

// unsignedOverflow reports whether value+incr leaves the range of a
// bits-wide unsigned field and, if so, the value the overflow behaviour
// gives (for WRAP and SAT). A value already out of range counts as an
// overflow upwards, as in Redis (this is how SET of a negative number to
// an unsigned field saturates to the maximum).
func unsignedOverflow(value uint64, incr int64, bits int, behaviour uint8) (bool, uint64) {
	maxv := uint64(math.MaxUint64)
	if bits < 64 {
		maxv = 1<<bits - 1
	}
	maxincr := int64(maxv - value)
	minincr := -int64(value)
	var limit uint64
	switch {
	case value > maxv || incr > 0 && incr > maxincr:
		limit = maxv
	case incr < 0 && incr < minincr:
		limit = 0
	default:
		return false, 0
	}
	if behaviour == overflowWrap {
		limit = (value + uint64(incr)) &^ (math.MaxUint64 << bits)
	}
	return true, limit
}

// signedOverflow is unsignedOverflow for two's complement fields; WRAP
// wraps around the field's range.
func signedOverflow(value, incr int64, bits int, behaviour uint8) (bool, int64) {
	maxv := int64(math.MaxInt64)
	if bits < 64 {
		maxv = 1<<(bits-1) - 1
	}
	minv := -maxv - 1
	maxincr := int64(uint64(maxv) - uint64(value))
	minincr := minv - value
	var limit int64
	switch {
	case value > maxv || bits != 64 && incr > maxincr || value >= 0 && incr > 0 && incr > maxincr:
		limit = maxv
	case value < minv || bits != 64 && incr < minincr || value < 0 && incr < 0 && incr < minincr:
		limit = minv
	default:
		return false, 0
	}
	if behaviour == overflowWrap {
		sum := uint64(value) + uint64(incr)
		if bits < 64 {
			mask := uint64(math.MaxUint64) << bits
			if sum&(1<<(bits-1)) != 0 {
				sum |= mask
			} else {
				sum &^= mask
			}
		}
		limit = int64(sum)
	}
	return true, limit
}
