package hll

import (
	"encoding/binary"
	"math"
	"math/bits"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Layout of an HLL string, as Redis 7.0 writes it.
const (
	regBits      = 14           // register index bits of a hash
	registers    = 1 << regBits // 16384 registers
	q            = 64 - regBits // hash bits counted for the run of zeros
	regMax       = 63           // a register holds 6 bits
	hdrSize      = 16           // "HYLL", encoding, 3 unused, cached cardinality
	denseSize    = hdrSize + registers*6/8
	encDense     = 0
	encSparse    = 1
	sparseValMax = 32 // the largest value a sparse VAL opcode holds
	sparseValLen = 4  // the longest run a VAL opcode holds
	zeroMaxLen   = 64 // the longest run a ZERO opcode holds
	hashSeed     = 0xadc83b19
	// alphaInf is 0.5/ln(2), the estimator's bias constant for m -> inf.
	alphaInf float64 = 0.721347520444481703680
)

// emptySparse is a new HLL: sparse, its cache valid and zero, and one
// XZERO opcode covering every register.
const emptySparse = "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff"

// Sparse opcodes: ZERO 00xxxxxx (1-64 zero registers), XZERO 01xxxxxx
// yyyyyyyy (1-16384 zero registers), VAL 1vvvvvxx (1-4 registers of value
// 1-32). Lengths and values are stored minus one.
const (
	opXZero = 0x40
	opVal   = 0x80
)

func valOp(val uint8, n int) byte { return opVal | (val-1)<<2 | byte(n-1) }

// op decodes the sparse opcode at b[p]: the registers it covers, their
// value (0 for zero runs) and the opcode's size. A truncated XZERO reads
// its missing byte as zero: Redis reads its string's terminating NUL.
func op(b []byte, p int) (span int, val uint8, size int) {
	c := b[p]
	switch {
	case c&opVal != 0:
		return int(c&3) + 1, c>>2&31 + 1, 1
	case c&opXZero == 0:
		return int(c&0x3f) + 1, 0, 1
	}
	lo := 0
	if p+1 < len(b) {
		lo = int(b[p+1])
	}
	return int(c&0x3f)<<8 | lo + 1, 0, 2
}

// putZeros writes the zero run of n registers as ZERO or XZERO.
func putZeros(dst []byte, n int) int {
	if n > zeroMaxLen {
		dst[0], dst[1] = opXZero|byte((n-1)>>8), byte(n-1)
		return 2
	}
	dst[0] = byte(n - 1)
	return 1
}

// valid reports whether b has an HLL header Redis accepts; a sparse body
// is only checked when it is walked.
func valid(b []byte) bool {
	return len(b) >= hdrSize && string(b[:4]) == "HYLL" && b[4] <= encSparse &&
		(b[4] == encSparse || len(b) == denseSize)
}

// cached returns the cardinality cached in the header, if valid.
func cached(b []byte) (uint64, bool) {
	return binary.LittleEndian.Uint64(b[8:hdrSize]), b[15]&0x80 == 0
}

// murmur64A is MurmurHash64A, reading 8-byte blocks little-endian on
// every platform as Redis does.
func murmur64A(b []byte, seed uint64) uint64 {
	const m, r = 0xc6a4a7935bd1e995, 47
	h := seed ^ uint64(len(b))*m
	n := len(b) &^ 7
	for i := 0; i < n; i += 8 {
		k := binary.LittleEndian.Uint64(b[i:])
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
	}
	if t := b[n:]; len(t) > 0 {
		for i := len(t) - 1; i >= 0; i-- {
			h ^= uint64(t[i]) << (8 * i)
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}

// patLen hashes an element to its register and the length of the run of
// zeros (plus one) in the hash bits above the index: at most q+1.
func patLen(ele []byte) (index int, count uint8) {
	h := murmur64A(ele, hashSeed)
	index = int(h & (registers - 1))
	h = h>>regBits | 1<<q
	return index, uint8(bits.TrailingZeros64(h) + 1)
}

// Dense registers are 6-bit fields packed from the least significant bit
// of each byte up. The last register ends inside the last byte, so only
// registers crossing a byte boundary touch the next byte.

func denseGet(r []byte, i int) uint8 {
	bit := i * 6
	k, s := bit>>3, uint(bit&7)
	v := r[k] >> s
	if s > 2 {
		v |= r[k+1] << (8 - s)
	}
	return v & regMax
}

func denseSet(r []byte, i int, val uint8) {
	bit := i * 6
	k, s := bit>>3, uint(bit&7)
	r[k] = r[k]&^(regMax<<s) | val<<s
	if s > 2 {
		r[k+1] = r[k+1]&^(regMax>>(8-s)) | val>>(8-s)
	}
}

// denseAdd raises register i to count if it is lower.
func denseAdd(r []byte, i int, count uint8) bool {
	if count > denseGet(r, i) {
		denseSet(r, i, count)
		return true
	}
	return false
}

// denseHisto counts dense registers by value, four registers (three
// bytes) at a time.
func denseHisto(r []byte, h *[64]int) {
	for k := 0; k+2 < len(r); k += 3 {
		b0, b1, b2 := r[k], r[k+1], r[k+2]
		h[b0&63]++
		h[(b0>>6|b1<<2)&63]++
		h[(b1>>4|b2<<4)&63]++
		h[b2>>2]++
	}
}

// sparseHisto counts sparse registers by value; it reports false unless
// the opcodes cover exactly all registers.
func sparseHisto(b []byte, h *[64]int) bool {
	idx := 0
	for p := hdrSize; p < len(b); {
		span, val, size := op(b, p)
		p += size
		idx += span
		h[val] += span
	}
	return idx == registers
}

// maxInto raises each of regs to the matching register of the HLL b,
// which has a valid header. It reports false for a corrupt sparse body:
// one whose opcodes cover more or fewer registers than there are (the
// reference server, with the CVE-2025-32023 fix, stops at the first
// opcode past the end).
func maxInto(regs *[registers]uint8, b []byte) bool {
	if b[4] == encDense {
		r := b[hdrSize:]
		for i := range regs {
			regs[i] = max(regs[i], denseGet(r, i))
		}
		return true
	}
	idx := 0
	for p := hdrSize; p < len(b); {
		span, val, size := op(b, p)
		p += size
		if idx+span > registers {
			return false
		}
		if val != 0 {
			for i := idx; i < idx+span; i++ {
				regs[i] = max(regs[i], val)
			}
		}
		idx += span
	}
	return idx == registers
}

// cardinality estimates the cardinality of an HLL with a valid header; it
// reports false for a corrupt sparse body.
func cardinality(b []byte) (uint64, bool) {
	var h [64]int
	if b[4] == encDense {
		denseHisto(b[hdrSize:], &h)
	} else if !sparseHisto(b, &h) {
		return 0, false
	}
	return estimate(&h), true
}

// cardinalityRegs estimates the cardinality of unpacked registers.
func cardinalityRegs(regs *[registers]uint8) uint64 {
	var h [64]int
	for _, v := range regs {
		h[v&63]++
	}
	return estimate(&h)
}

// estimate is Ertl's improved estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284) over the
// histogram of register values, as Redis 7.0 computes it. The float64
// conversions stop the compiler from fusing multiply-adds, which would
// round differently from Redis.
func estimate(h *[64]int) uint64 {
	const m = float64(registers)
	z := m * tau((m-float64(h[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(h[j])
		z *= 0.5
	}
	z += float64(m * sigma(float64(h[0])/m))
	e := alphaInf * m * m / z
	if !(e < 1<<63) {
		// Redis's llroundl overflows to LLONG_MIN here (registers of
		// corrupt values), and the cast to unsigned keeps the bit.
		return 1 << 63
	}
	return uint64(math.Round(e))
}

func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += float64(x * y)
		y += y
		if z == prev {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		d := 1 - x
		z -= float64(float64(d*d) * y)
		if z == prev {
			return z / 3
		}
	}
}

// value is an HLL string being modified: its bytes, and where they live
// so that sparse edits can resize them.
type value struct {
	b  []byte
	db *keyspace.DB // nil for a value on the Go heap (PFSELFTEST, tests)
	id uint32
	// cfg gives hll-sparse-max-bytes, read on the first sparse growth.
	cfg   *config.Values
	limit int
}

// resize makes the value n bytes long, keeping its first bytes and
// zero-filling growth.
func (v *value) resize(n int) {
	if v.db != nil {
		v.b = v.db.MutableString(v.id, n)
		return
	}
	if n > cap(v.b) {
		nb := make([]byte, len(v.b), 2*n)
		copy(nb, v.b)
		v.b = nb
	}
	old := len(v.b)
	v.b = v.b[:n]
	if n > old {
		clear(v.b[old:])
	}
}

func (v *value) invalidate() { v.b[15] |= 0x80 }

func (v *value) setCache(card uint64) { binary.LittleEndian.PutUint64(v.b[8:hdrSize], card) }

func (v *value) sparseLimit() int {
	if v.limit < 0 {
		v.limit = sparseMaxBytes(v.cfg)
	}
	return v.limit
}

// add counts an element. It reports whether a register changed, and ok
// false if the sparse body is corrupt.
func (v *value) add(ele []byte) (changed, ok bool) {
	return v.set(patLen(ele))
}

// set raises register i to n in either encoding. It reports ok false if
// the sparse body is corrupt.
func (v *value) set(i int, n uint8) (changed, ok bool) {
	if v.b[4] == encDense {
		return denseAdd(v.b[hdrSize:], i, n), true
	}
	return v.sparseSet(i, n)
}

// toDense converts a sparse value to the dense encoding, keeping the
// header; it reports false, changing nothing, if the body is corrupt.
func (v *value) toDense() bool {
	if v.b[4] == encDense {
		return true
	}
	var regs [registers]uint8
	if !maxInto(&regs, v.b) {
		return false
	}
	v.resize(denseSize)
	v.b[4] = encDense
	r := v.b[hdrSize:]
	for i, k := 0, 0; i < registers; i, k = i+4, k+3 {
		r0, r1, r2, r3 := regs[i], regs[i+1], regs[i+2], regs[i+3]
		r[k] = r0 | r1<<6
		r[k+1] = r1>>2 | r2<<4
		r[k+2] = r2>>4 | r3<<2
	}
	return true
}

// sparseSet raises register index to count in a sparse value, editing
// the opcodes exactly as Redis does so that the bytes stay identical:
// the covering opcode is rewritten or split in place, neighbouring VAL
// opcodes of equal value are merged, and the value turns dense when
// count does not fit a VAL opcode or the value would outgrow
// hll-sparse-max-bytes.
func (v *value) sparseSet(index int, count uint8) (changed, ok bool) {
	if count > sparseValMax {
		return v.promote(index, count)
	}
	b := v.b
	end := len(b)
	p, prev, first := hdrSize, -1, 0
	var span, size int
	var val uint8
	for p < end {
		span, val, size = op(b, p)
		if index <= first+span-1 {
			break
		}
		prev = p
		p += size
		first += span
	}
	if span == 0 || p >= end {
		return false, false
	}
	isVal := b[p]&opVal != 0
	switch {
	case isVal && val >= count:
		return false, true
	case span == 1 && size == 1:
		// A single register, VAL or ZERO: rewrite the opcode.
		b[p] = valOp(count, 1)
	default:
		if !v.split(p, size, first, span, val, isVal, index, count) {
			return v.promote(index, count)
		}
	}
	v.mergeVals(max(prev, hdrSize))
	v.invalidate()
	return true, true
}

// split replaces the opcode at p (covering registers first..first+span-1)
// by the run before index, index's new VAL, and the run after it. It
// reports false, changing nothing, if the value would outgrow the limit.
func (v *value) split(p, size, first, span int, val uint8, isVal bool, index int, count uint8) bool {
	var seq [5]byte
	n := 0
	run := func(l int) {
		if isVal {
			seq[n] = valOp(val, l)
			n++
		} else {
			n += putZeros(seq[n:], l)
		}
	}
	if index != first {
		run(index - first)
	}
	seq[n] = valOp(count, 1)
	n++
	if last := first + span - 1; index != last {
		run(last - index)
	}
	end := len(v.b)
	delta := n - size
	if delta > 0 && end+delta > v.sparseLimit() {
		return false
	}
	next := p + size
	if delta > 0 {
		v.resize(end + delta)
	}
	if delta != 0 && next < end {
		copy(v.b[next+delta:], v.b[next:end])
	}
	// A truncated XZERO at the very end loses the bytes past the new end.
	copy(v.b[p:end+delta], seq[:n])
	if delta < 0 {
		v.resize(end + delta)
	}
	return true
}

// mergeVals merges adjacent VAL opcodes of equal value whose runs fit one
// opcode, scanning five opcodes from p as Redis does.
func (v *value) mergeVals(p int) {
	b := v.b
	end := len(b)
	for scan := 5; p < end && scan > 0; scan-- {
		c := b[p]
		switch {
		case c&0xc0 == opXZero:
			p += 2
			continue
		case c&opVal == 0:
			p++
			continue
		}
		if p+1 < end && b[p+1]&opVal != 0 {
			n1, v1, _ := op(b, p)
			n2, v2, _ := op(b, p+1)
			if v1 == v2 && n1+n2 <= sparseValLen {
				b[p+1] = valOp(v1, n1+n2)
				copy(b[p:end-1], b[p+1:end])
				end--
				continue
			}
		}
		p++
	}
	if end < len(b) {
		v.resize(end)
	}
}

// promote turns the value dense and sets the register there.
func (v *value) promote(index int, count uint8) (changed, ok bool) {
	if !v.toDense() {
		return false, false
	}
	return denseAdd(v.b[hdrSize:], index, count), true
}
