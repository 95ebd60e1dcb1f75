package stream

import (
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
)

// ID is a stream entry ID: milliseconds and a sequence number, ordered as
// the 128-bit number ms<<64|seq.
type ID struct{ ms, seq uint64 }

var maxID = ID{math.MaxUint64, math.MaxUint64}

func (a ID) cmp(b ID) int {
	switch {
	case a.ms > b.ms:
		return 1
	case a.ms < b.ms:
		return -1
	case a.seq > b.seq:
		return 1
	case a.seq < b.seq:
		return -1
	}
	return 0
}

func (a ID) less(b ID) bool { return a.cmp(b) < 0 }

func (a ID) isZero() bool { return a.ms == 0 && a.seq == 0 }

// next returns the ID after a; ok is false (and the ID wraps to 0-0) for
// the largest ID.
func (a ID) next() (ID, bool) {
	switch {
	case a.seq < math.MaxUint64:
		return ID{a.ms, a.seq + 1}, true
	case a.ms < math.MaxUint64:
		return ID{a.ms + 1, 0}, true
	}
	return ID{}, false
}

// prev returns the ID before a; ok is false (and the ID wraps to the
// largest) for 0-0.
func (a ID) prev() (ID, bool) {
	switch {
	case a.seq > 0:
		return ID{a.ms, a.seq - 1}, true
	case a.ms > 0:
		return ID{a.ms - 1, math.MaxUint64}, true
	}
	return maxID, false
}

func (a ID) append(b []byte) []byte {
	b = strconv.AppendUint(b, a.ms, 10)
	b = append(b, '-')
	return strconv.AppendUint(b, a.seq, 10)
}

func (a ID) String() string { return string(a.append(nil)) }

// writeID replies with an ID as a bulk string, without allocating.
func writeID(c *command.Ctx, id ID) { c.W.Bulk(id.append(c.Buf[:0])) }

const errInvalidID = "ERR Invalid stream ID specified as stream command argument"

// parseID parses an ID argument as Redis does: "-" and "+" are the
// smallest and largest IDs unless strict, a missing sequence is
// missingSeq, and with seqAuto "ms-*" sets auto. Numbers are read as
// string2ull reads them, strtoull's leniency included.
func parseID(b []byte, missingSeq uint64, strict bool, seqAuto *bool) (id ID, ok bool) {
	if len(b) > 127 {
		return id, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return id, false
		}
		if b[0] == '-' {
			return ID{}, true
		}
		return maxID, true
	}
	if seqAuto != nil {
		*seqAuto = false
	}
	msPart, seqPart, dot := b, []byte(nil), false
	for i, ch := range b {
		if ch == '-' {
			msPart, seqPart, dot = b[:i], b[i+1:], true
			break
		}
	}
	if id.ms, ok = parseULL(msPart); !ok {
		return id, false
	}
	switch {
	case !dot:
		id.seq = missingSeq
	case seqAuto != nil && len(seqPart) == 1 && seqPart[0] == '*':
		*seqAuto = true
	default:
		if id.seq, ok = parseULL(seqPart); !ok {
			return id, false
		}
	}
	return id, true
}

// parseULL is Redis's string2ull: a canonical signed integer that is not
// negative, or else whatever C's strtoull accepts in full (leading space,
// a sign, leading zeros; a minus wraps around).
func parseULL(b []byte) (uint64, bool) {
	if n, ok := protocol.ParseInt(b); ok {
		return uint64(n), n >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var n uint64
	for ; i < len(b); i++ {
		d := b[i] - '0'
		if d > 9 {
			return 0, false
		}
		if n > (math.MaxUint64-uint64(d))/10 {
			return 0, false
		}
		n = n*10 + uint64(d)
	}
	if neg {
		n = -n
	}
	return n, true
}

// argID parses argument i as an ID, replying with Redis's error if it is
// not one.
func argID(c *command.Ctx, i int, missingSeq uint64, strict bool) (ID, bool) {
	id, ok := parseID(c.Args[i], missingSeq, strict, nil)
	if !ok {
		c.Err(errInvalidID)
	}
	return id, ok
}

// argInterval parses a range bound of XRANGE, XPENDING, XAUTOCLAIM: "(id"
// excludes id. It replies with Redis's errors.
func argInterval(c *command.Ctx, i int, missingSeq uint64, end bool) (ID, bool) {
	b := c.Args[i]
	if len(b) > 1 && b[0] == '(' {
		id, ok := parseID(b[1:], missingSeq, true, nil)
		if !ok {
			c.Err(errInvalidID)
			return id, false
		}
		if end {
			if id, ok = id.prev(); !ok {
				c.Err("ERR invalid end ID for the interval")
			}
		} else if id, ok = id.next(); !ok {
			c.Err("ERR invalid start ID for the interval")
		}
		return id, ok
	}
	return argID(c, i, missingSeq, false)
}
