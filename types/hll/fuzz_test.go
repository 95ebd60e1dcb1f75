package hll

import (
	"bytes"
	"testing"
)

// FuzzValue feeds arbitrary bodies, as SET or RESTORE can plant them,
// through every walk over an HLL value: nothing may panic or read out of
// bounds, a sparse body must be judged the same way by counting and by
// merging, and an edit of a well-formed sparse body must leave it
// well-formed with only the edited register raised.
func FuzzValue(f *testing.F) {
	f.Add([]byte(emptySparse[hdrSize:]), false, uint16(5), uint8(3))
	f.Add([]byte{0x7f, 0xfe, 0x80}, false, uint16(16383), uint8(32))
	f.Add([]byte{0x7f, 0xff, 0x00}, false, uint16(0), uint8(33))
	f.Add([]byte{0x00, 0x84, 0x7f}, false, uint16(1), uint8(2))
	f.Add([]byte{0x3f, 0x8f, 0x8f, 0x7f, 0xb0}, false, uint16(64), uint8(4))
	f.Add([]byte{1, 2, 3}, true, uint16(100), uint8(51))
	f.Fuzz(func(t *testing.T, body []byte, dense bool, index uint16, n uint8) {
		b := []byte(emptySparse[:hdrSize])
		if dense {
			b[4] = encDense
			body = append(body, make([]byte, denseSize-hdrSize)...)[:denseSize-hdrSize]
		}
		b = append(b, body...)
		if !valid(b) {
			t.Fatalf("header rejected: %q", b[:hdrSize])
		}
		i, count := int(index)%registers, n%(q+2)
		checkValue(t, b, i, max(count, 1))
	})
}

func checkValue(t *testing.T, b []byte, index int, n uint8) {
	var before [registers]uint8
	ok := maxInto(&before, b)
	card, counted := cardinality(b)
	if ok != counted {
		t.Fatalf("merge says %v, count says %v", ok, counted)
	}
	if ok && card != cardinalityRegs(&before) {
		t.Fatalf("count %d, count of merged registers %d", card, cardinalityRegs(&before))
	}
	if b[4] == encSparse {
		decode(b)
	}

	d := value{b: bytes.Clone(b), limit: 3000}
	if d.toDense() != ok {
		t.Fatalf("toDense disagrees with merge (%v)", ok)
	}
	if ok && (len(d.b) != denseSize || d.b[4] != encDense) {
		t.Fatalf("toDense left %d bytes, encoding %d", len(d.b), d.b[4])
	}

	v := value{b: bytes.Clone(b), limit: 3000}
	_, edited := v.set(index, n)
	if !ok {
		return
	}
	if !edited {
		t.Fatalf("set failed on a well-formed value")
	}
	var after [registers]uint8
	if !maxInto(&after, v.b) {
		// Redis too drops what it writes past the end of a body whose
		// last XZERO lacks its second byte (TestTruncatedXZeroAsRedis).
		if b[4] == encSparse && truncatedTail(b) {
			return
		}
		t.Fatalf("set corrupted the value: %x -> %x", b[hdrSize:], v.b[hdrSize:])
	}
	before[index] = max(before[index], n)
	if after != before {
		t.Fatalf("set(%d, %d) changed other registers", index, n)
	}
	if v.b[4] == encSparse && len(v.b) > max(len(b), v.limit) {
		t.Fatalf("sparse value grew to %d bytes", len(v.b))
	}
}

// truncatedTail reports whether a sparse value's last opcode is an XZERO
// cut after its first byte.
func truncatedTail(b []byte) bool {
	p := hdrSize
	for p < len(b) {
		_, _, size := op(b, p)
		p += size
	}
	return p > len(b)
}
