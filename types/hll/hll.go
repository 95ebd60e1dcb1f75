// Package hll implements the HyperLogLog commands (Redis's hyperloglog.c):
// PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST.
//
// A HyperLogLog is a string value in Redis's own byte layout, so GET,
// SET, DUMP and RESTORE carry it unchanged and both servers hold the same
// bytes after the same commands. The 16-byte header is "HYLL", the
// encoding, three unused bytes and the cached cardinality (little-endian,
// its top bit marking it stale). 16384 registers follow, either dense
// (6-bit fields, 12 KiB) or sparse (run-length opcodes ZERO, XZERO and
// VAL, see format.go). A new HLL is sparse; it turns dense for good when
// a register exceeds what a VAL opcode holds or when the sparse body would
// outgrow hll-sparse-max-bytes. Sparse edits follow Redis's algorithm step
// by step (split the covering opcode, merge equal neighbours) because the
// resulting bytes are visible.
//
// Commands work on the value in place in the arena: a PFADD to a dense
// HLL rewrites a few bits of the stored string and allocates nothing; a
// sparse value is resized by a few bytes when an opcode splits. Values
// can be planted with SET or RESTORE, so every walk over a sparse body is
// bounded by its length and checks its register count, answering
// INVALIDOBJ where Redis does.
package hll

import (
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

const (
	errNotHLL  = "WRONGTYPE Key is not a valid HyperLogLog string value."
	errCorrupt = "INVALIDOBJ Corrupted HLL object detected"
)

// Register adds the HyperLogLog commands to t.
func Register(t *command.Table) {
	t.Handle("pfadd", pfadd)
	t.Handle("pfcount", pfcount)
	t.Handle("pfmerge", pfmerge)
	t.Handle("pfdebug", pfdebug)
	t.Handle("pfselftest", pfselftest)
}

// sparseMaxBytes is hll-sparse-max-bytes, where a sparse value turns dense.
func sparseMaxBytes(cfg *config.Values) int { return int(min(cfg.HllSparseMaxBytes, math.MaxInt)) }

// isHLL checks that a string key holds an HLL header, answering
// WRONGTYPE otherwise. An int-encoded string never does.
func isHLL(c *command.Ctx, id uint32) bool {
	if _, isInt := c.DB.Int(id); isInt || !valid(c.DB.String(id, c.Buf[:])) {
		c.Err(errNotHLL)
		return false
	}
	return true
}

// open returns a key's HLL for modification in place. Like Redis's
// unsharing, it makes the string raw.
func open(c *command.Ctx, id uint32) value {
	return value{b: c.DB.MutableString(id, c.DB.StringLen(id)), db: c.DB, id: id, cfg: c.Cfg, limit: -1}
}

// create adds key as a new, empty HLL.
func create(c *command.Ctx, key []byte) uint32 {
	id := c.DB.Add(key, keyspace.KindString, keyspace.EncRaw, uint64(c.KS.Arena.NewString(emptySparse)))
	c.Notify(command.EvNew, "new", key)
	return id
}

// pfadd replies 1 if the key was created or a register changed. Redis
// counts every change in the dirty counter.
func pfadd(c *command.Ctx) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindString)
	if !ok {
		return
	}
	updated := 0
	if id == dict.None {
		id = create(c, key)
		updated++
	} else if !isHLL(c, id) {
		return
	}
	v := open(c, id)
	for _, ele := range c.Args[2:] {
		changed, ok := v.add(ele)
		if !ok {
			c.Err(errCorrupt)
			return
		}
		if changed {
			updated++
		}
	}
	if updated == 0 {
		c.W.Int(0)
		return
	}
	v.invalidate()
	c.Changed(key, command.EvString, "pfadd")
	c.Dirty += int64(updated - 1)
	c.W.Int(1)
}

// pfcount of one key answers from the cached cardinality, refreshing it
// if stale: a change of the value that Redis signals (WATCH, dirty) but
// does not notify. Several keys are counted as their union.
func pfcount(c *command.Ctx) {
	if len(c.Args) > 2 {
		pfcountUnion(c)
		return
	}
	key := c.Args[1]
	id, ok := c.Read(key, keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	if !isHLL(c, id) {
		return
	}
	v := open(c, id)
	card, fresh := cached(v.b)
	if !fresh {
		if card, ok = cardinality(v.b); !ok {
			c.Err(errCorrupt)
			return
		}
		c.DB.WillChange(key)
		v.setCache(card)
		c.SignalModified(c.DB, key)
		c.Dirty++
	}
	c.W.Int(int64(card))
}

func pfcountUnion(c *command.Ctx) {
	var regs [registers]uint8
	if _, ok := union(c, &regs, c.Args[1:]); ok {
		c.W.Int(int64(cardinalityRegs(&regs)))
	}
}

// union merges the HLLs at keys (missing ones are empty) into regs,
// replying with the error if one is not an HLL. dense reports whether one
// of them is dense.
func union(c *command.Ctx, regs *[registers]uint8, keys [][]byte) (dense, ok bool) {
	for _, key := range keys {
		id, ok := c.Read(key, keyspace.KindString)
		if !ok {
			return false, false
		}
		if id == dict.None {
			continue
		}
		if !isHLL(c, id) {
			return false, false
		}
		b := c.DB.String(id, c.Buf[:])
		dense = dense || b[4] == encDense
		if !maxInto(regs, b) {
			c.Err(errCorrupt)
			return false, false
		}
	}
	return dense, true
}

// pfmerge stores the union of the sources and the destination in the
// destination, which turns dense if any of them is dense. Redis fires a
// "pfadd" event for it.
func pfmerge(c *command.Ctx) {
	var regs [registers]uint8
	dense, ok := union(c, &regs, c.Args[1:])
	if !ok {
		return
	}
	key := c.Args[1]
	id := c.DB.LookupWrite(key)
	if id == dict.None {
		id = create(c, key)
	}
	// The destination passed the checks as a source.
	v := open(c, id)
	if dense && !v.toDense() {
		c.Err(errCorrupt)
		return
	}
	for i, n := range regs {
		if n != 0 {
			v.set(i, n)
		}
	}
	v.invalidate()
	c.Changed(key, command.EvString, "pfadd")
	c.W.OK()
}

// pfdebug looks the key up before the subcommand, as Redis does, so a
// missing key wins over an unknown subcommand.
func pfdebug(c *command.Ctx) {
	id, ok := c.ReadWrite(c.Args[2], keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.Err("ERR The specified key does not exist")
		return
	}
	if !isHLL(c, id) {
		return
	}
	v := open(c, id)
	switch {
	case c.Is(1, "getreg"):
		if !debugToDense(c, &v) {
			return
		}
		r := v.b[hdrSize:]
		c.W.Array(registers)
		for i := range registers {
			c.W.Int(int64(denseGet(r, i)))
		}
	case c.Is(1, "decode"):
		if v.b[4] != encSparse {
			c.Err("ERR HLL encoding is not sparse")
			return
		}
		c.W.Bulk(decode(v.b))
	case c.Is(1, "encoding"):
		if v.b[4] == encDense {
			c.W.Simple("dense")
		} else {
			c.W.Simple("sparse")
		}
	case c.Is(1, "todense"):
		sparse := v.b[4] == encSparse
		if !debugToDense(c, &v) {
			return
		}
		if sparse {
			c.W.Int(1)
		} else {
			c.W.Int(0)
		}
	default:
		c.Err("ERR Unknown PFDEBUG subcommand '" + string(c.Args[1]) + "'")
	}
}

// debugToDense converts for PFDEBUG, counting the conversion as a change
// (Redis propagates it) without signalling it.
func debugToDense(c *command.Ctx, v *value) bool {
	if v.b[4] == encDense {
		return true
	}
	if !v.toDense() {
		c.Err(errCorrupt)
		return false
	}
	c.Dirty++
	return true
}

// decode renders sparse opcodes as PFDEBUG DECODE does: "z:N" for ZERO,
// "Z:N" for XZERO, "v:VALUE,N" for VAL, space separated.
func decode(b []byte) []byte {
	var out []byte
	for p := hdrSize; p < len(b); {
		span, val, size := op(b, p)
		if len(out) > 0 {
			out = append(out, ' ')
		}
		switch {
		case val != 0:
			out = append(out, "v:"...)
			out = strconv.AppendInt(out, int64(val), 10)
			out = append(out, ',')
		case size == 2:
			out = append(out, "Z:"...)
		default:
			out = append(out, "z:"...)
		}
		out = strconv.AppendInt(out, int64(span), 10)
		p += size
	}
	return out
}
