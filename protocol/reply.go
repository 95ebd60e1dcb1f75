package protocol

import (
	"math"
	"strconv"
	"strings"
	"unsafe"
)

// Writer encodes replies into a byte buffer. Resp selects the protocol
// version negotiated with HELLO: 2 or 3. RESP3 types are mapped to their
// RESP2 equivalents the way Redis maps them (maps become flat arrays,
// doubles become bulk strings, booleans become integers, ...).
//
// A plain Writer keeps the reply in Buf, one slice grown by append. A
// chained Writer (SetBlocks) keeps it as a chain of blocks, as Redis keeps
// a client's reply list: Buf is the last block, earlier ones are sealed,
// and a block that is full is never copied into a bigger one, so a reply
// of a gigabyte costs a gigabyte, not the two or three a doubled buffer
// and its copy hold. A chained Writer may also have a limit (SetLimit):
// once the reply would pass it the Writer drops what it holds and turns
// into a sink, and the builders of big replies, which check Over, stop.
type Writer struct {
	Buf  []byte
	Resp int

	src       BlockSource
	sealed    [][]byte // the blocks before Buf, in order
	sealedLen int
	// next is the size asked for the next block: it doubles up to
	// maxBlock while a reply goes on, so a big reply of small elements
	// takes few blocks.
	next  int
	limit int
	over  bool
}

// BlockSource provides the blocks of a chained Writer and takes them
// back.
type BlockSource interface {
	// Block returns an empty block of capacity at least n.
	Block(n int) []byte
	// Release takes back a block the Writer no longer holds.
	Release(b []byte)
}

// Block sizes of a chained Writer: a reply starts in one standard block
// (Redis's 16 KiB PROTO_REPLY_CHUNK_BYTES) and asks for bigger ones as it
// goes on.
const (
	ChunkSize = 16 << 10
	maxBlock  = 1 << 20
)

// SetBlocks makes the Writer chained on src, starting with block b (which
// may be nil).
func (w *Writer) SetBlocks(src BlockSource, b []byte) {
	w.src = src
	w.Buf = b[:0]
	w.next = ChunkSize
}

// SetLimit sets the size past which the reply is dropped (0: none). Only
// a chained Writer checks it, when it needs a new block.
func (w *Writer) SetLimit(n int) { w.limit = n }

// Over reports whether the reply passed its limit and was dropped: the
// Writer ignores what is written to it until Reset.
func (w *Writer) Over() bool { return w.over }

// Len is the number of bytes written so far.
func (w *Writer) Len() int { return w.sealedLen + len(w.Buf) }

// Cap is the capacity of the blocks the Writer holds.
func (w *Writer) Cap() int {
	n := cap(w.Buf)
	for _, b := range w.sealed {
		n += cap(b)
	}
	return n
}

// Sealed is the reply's blocks before Buf.
func (w *Writer) Sealed() [][]byte { return w.sealed }

// Detach forgets the blocks before Buf, which the caller now owns, and
// Buf's content, which the caller copied; if the caller took Buf's block
// too (keep false), Buf becomes nil and the next write takes a block.
// The Writer is then ready for the next reply.
func (w *Writer) Detach(keep bool) {
	clear(w.sealed)
	w.sealed = w.sealed[:0]
	w.sealedLen = 0
	if keep {
		w.Buf = w.Buf[:0]
	} else {
		w.Buf = nil
	}
	w.next = ChunkSize
	w.over = false
}

// Idle gives an empty chained Writer's block back to its source: a
// client that waits for its next command holds no reply buffer.
func (w *Writer) Idle() {
	if w.src != nil && w.Len() == 0 && !w.over {
		w.src.Release(w.Buf)
		w.Buf = nil
	}
}

// Reset drops the reply, releasing its blocks but the first.
func (w *Writer) Reset() {
	if len(w.sealed) > 0 {
		first := w.sealed[0]
		if w.src != nil {
			for _, b := range w.sealed[1:] {
				w.src.Release(b)
			}
			w.src.Release(w.Buf)
		}
		w.Buf = first
	}
	w.Detach(true)
}

// Truncate drops everything written after n bytes.
func (w *Writer) Truncate(n int) {
	if w.over {
		return
	}
	if n >= w.sealedLen {
		w.Buf = w.Buf[:n-w.sealedLen]
		return
	}
	// n falls in a sealed block: it becomes the last one again.
	off := 0
	for i, b := range w.sealed {
		if n <= off+len(b) {
			for _, d := range w.sealed[i+1:] {
				w.src.Release(d)
			}
			w.src.Release(w.Buf)
			w.Buf = b[:n-off]
			clear(w.sealed[i:])
			w.sealed = w.sealed[:i]
			w.sealedLen = off
			return
		}
		off += len(b)
	}
}

// room makes room for n more bytes in Buf; n must be small (a header),
// since a chained Writer puts it in one block.
func (w *Writer) room(n int) {
	if w.src != nil && cap(w.Buf)-len(w.Buf) < n {
		w.more(n)
	}
}

// more seals Buf and starts a block with room for n bytes, or drops the
// reply if it would pass its limit.
func (w *Writer) more(n int) {
	if w.over {
		w.Buf = w.Buf[:0]
		return
	}
	if w.limit > 0 && w.sealedLen+len(w.Buf)+n > w.limit {
		w.drop()
		return
	}
	size := max(n, w.next)
	if w.limit > 0 {
		// The block ends at the limit, so that the write that would
		// pass it asks for another block and is seen: growing blocks
		// would otherwise let a reply pass the limit by up to a block.
		size = max(n, min(size, w.limit-w.sealedLen-len(w.Buf)))
	}
	if len(w.Buf) == 0 {
		// An empty block too small for n: replaced, not sealed.
		w.src.Release(w.Buf)
	} else {
		w.sealed = append(w.sealed, w.Buf)
		w.sealedLen += len(w.Buf)
		w.next = min(2*w.next, maxBlock)
	}
	w.Buf = w.src.Block(size)[:0]
}

// drop releases the reply and makes the Writer a sink: its last block
// is reused for whatever is written until Reset.
func (w *Writer) drop() {
	w.over = true
	if len(w.sealed) > 0 {
		keep := w.sealed[0]
		for _, b := range w.sealed[1:] {
			w.src.Release(b)
		}
		w.src.Release(w.Buf)
		w.Buf = keep
		clear(w.sealed)
		w.sealed = w.sealed[:0]
		w.sealedLen = 0
	}
	w.Buf = w.Buf[:0]
}

// write appends b; tail more bytes are to follow in the same block (a
// bulk's CRLF).
func (w *Writer) write(b []byte, tail int) {
	if w.src == nil || cap(w.Buf)-len(w.Buf) >= len(b)+tail {
		w.Buf = append(w.Buf, b...)
		return
	}
	w.writeChained(b, tail)
}

// writeChained fills Buf and puts the rest of b in a block of its size
// (as Redis's _addReplyProtoToList does), so that a big value is copied
// once, into memory that holds it exactly.
func (w *Writer) writeChained(b []byte, tail int) {
	if w.over {
		w.Buf = w.Buf[:0]
		return
	}
	k := min(cap(w.Buf)-len(w.Buf), len(b))
	w.Buf = append(w.Buf, b[:k]...)
	b = b[k:]
	if len(b)+tail > 0 {
		w.more(len(b) + tail)
		if w.over {
			return
		}
	}
	w.Buf = append(w.Buf, b...)
}

func (w *Writer) writeString(s string, tail int) {
	if w.src == nil || cap(w.Buf)-len(w.Buf) >= len(s)+tail {
		w.Buf = append(w.Buf, s...)
		return
	}
	w.writeChained(unsafe.Slice(unsafe.StringData(s), len(s)), tail)
}

func (w *Writer) crlf() {
	w.room(2)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Raw appends pre-encoded protocol.
func (w *Writer) Raw(b []byte) { w.write(b, 0) }

// RawString appends pre-encoded protocol.
func (w *Writer) RawString(s string) { w.writeString(s, 0) }

// OK writes +OK.
func (w *Writer) OK() { w.writeString("+OK\r\n", 0) }

// Simple writes a status reply. s must not contain CR or LF.
func (w *Writer) Simple(s string) {
	w.room(1)
	w.Buf = append(w.Buf, '+')
	w.writeString(s, 2)
	w.crlf()
}

// Error writes an error reply. msg should start with an error code such as
// "ERR" or "WRONGTYPE"; newlines are replaced by spaces, as Redis does, so
// the reply stays one line.
func (w *Writer) Error(msg string) {
	w.room(1)
	w.Buf = append(w.Buf, '-')
	if strings.ContainsAny(msg, "\r\n") {
		b := []byte(msg)
		for i, c := range b {
			if c == '\r' || c == '\n' {
				b[i] = ' '
			}
		}
		msg = string(b)
	}
	w.writeString(msg, 2)
	w.crlf()
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	if n >= 0 && n < int64(len(smallInts)) {
		w.writeString(smallInts[n], 0)
		return
	}
	w.room(24)
	w.Buf = append(w.Buf, ':')
	w.Buf = strconv.AppendInt(w.Buf, n, 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

var smallInts = func() []string {
	s := make([]string, 64)
	for i := range s {
		s[i] = ":" + strconv.Itoa(i) + "\r\n"
	}
	return s
}()

// Bulk writes a bulk string.
func (w *Writer) Bulk(b []byte) {
	w.header('$', len(b))
	w.write(b, 2)
	w.crlf()
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', len(s))
	w.writeString(s, 2)
	w.crlf()
}

// BulkInt writes an integer formatted as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null bulk string ($-1, or _ in RESP3).
func (w *Writer) Null() {
	if w.Resp >= 3 {
		w.writeString("_\r\n", 0)
	} else {
		w.writeString("$-1\r\n", 0)
	}
}

// NullArray writes the null array (*-1, or _ in RESP3).
func (w *Writer) NullArray() {
	if w.Resp >= 3 {
		w.writeString("_\r\n", 0)
	} else {
		w.writeString("*-1\r\n", 0)
	}
}

// Array writes the header of an array of n elements.
func (w *Writer) Array(n int) { w.header('*', n) }

// Map writes the header of a map of n key/value pairs (a flat array of 2n
// elements in RESP2).
func (w *Writer) Map(n int) {
	if w.Resp >= 3 {
		w.header('%', n)
	} else {
		w.header('*', 2*n)
	}
}

// Set writes the header of a set of n elements.
func (w *Writer) Set(n int) {
	if w.Resp >= 3 {
		w.header('~', n)
	} else {
		w.header('*', n)
	}
}

// Push writes the header of an out-of-band push message of n elements.
func (w *Writer) Push(n int) {
	if w.Resp >= 3 {
		w.header('>', n)
	} else {
		w.header('*', n)
	}
}

// Attribute writes the header of a RESP3 attribute of n pairs, which
// precedes a reply. Only call it for RESP3 clients.
func (w *Writer) Attribute(n int) { w.header('|', n) }

// Bool writes a boolean (an integer 0/1 in RESP2).
func (w *Writer) Bool(b bool) {
	switch {
	case w.Resp >= 3 && b:
		w.writeString("#t\r\n", 0)
	case w.Resp >= 3:
		w.writeString("#f\r\n", 0)
	case b:
		w.writeString(":1\r\n", 0)
	default:
		w.writeString(":0\r\n", 0)
	}
}

// Double writes a double with %.17g precision (a bulk string in RESP2).
func (w *Writer) Double(f float64) {
	var tmp [32]byte
	var s []byte
	switch {
	case math.IsInf(f, 1):
		s = append(tmp[:0], "inf"...)
	case math.IsInf(f, -1):
		s = append(tmp[:0], "-inf"...)
	default:
		s = AppendG(tmp[:0], f, 17)
	}
	if w.Resp >= 3 {
		w.room(1)
		w.Buf = append(w.Buf, ',')
		w.write(s, 2)
		w.crlf()
		return
	}
	w.Bulk(s)
}

// HumanDouble writes an already formatted number as a RESP3 double, or as
// a bulk string in RESP2 (Redis's addReplyHumanLongDouble).
func (w *Writer) HumanDouble(s []byte) {
	if w.Resp >= 3 {
		w.room(1)
		w.Buf = append(w.Buf, ',')
		w.write(s, 2)
		w.crlf()
		return
	}
	w.Bulk(s)
}

// BigNumber writes a RESP3 big number (a bulk string in RESP2).
func (w *Writer) BigNumber(s string) {
	if w.Resp >= 3 {
		w.room(1)
		w.Buf = append(w.Buf, '(')
		w.writeString(s, 2)
		w.crlf()
		return
	}
	w.BulkString(s)
}

// Verbatim writes a RESP3 verbatim string with a three letter format such
// as "txt" (a bulk string in RESP2).
func (w *Writer) Verbatim(s []byte, format string) {
	if w.Resp < 3 {
		w.Bulk(s)
		return
	}
	w.header('=', len(s)+4)
	w.writeString(format, 0)
	w.writeString(":", 0)
	w.write(s, 2)
	w.crlf()
}

func (w *Writer) header(kind byte, n int) {
	w.room(24)
	w.Buf = append(w.Buf, kind)
	w.Buf = strconv.AppendInt(w.Buf, int64(n), 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Deferred marks an aggregate header whose length is not known yet, like
// Redis's addReplyDeferredLen. Reserve writes a placeholder; Fill inserts
// the real header once the elements have been written.
type Deferred struct{ pos int }

// Defer starts an aggregate whose length is written later with Fill.
func (w *Writer) Defer() Deferred { return Deferred{pos: w.Len()} }

// FillArray writes the header of a deferred array of n elements.
func (w *Writer) FillArray(d Deferred, n int) { w.fill(d, '*', n) }

// FillMap writes the header of a deferred map of n pairs.
func (w *Writer) FillMap(d Deferred, n int) {
	if w.Resp >= 3 {
		w.fill(d, '%', n)
	} else {
		w.fill(d, '*', 2*n)
	}
}

// FillSet writes the header of a deferred set of n elements.
func (w *Writer) FillSet(d Deferred, n int) {
	if w.Resp >= 3 {
		w.fill(d, '~', n)
	} else {
		w.fill(d, '*', n)
	}
}

func (w *Writer) fill(d Deferred, kind byte, n int) {
	if w.over {
		return
	}
	var tmp [24]byte
	h := append(tmp[:0], kind)
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	if d.pos >= w.sealedLen && (w.src == nil || cap(w.Buf)-len(w.Buf) >= len(h)) {
		// The header goes in place, what follows it moving up: the
		// common case, a reply that fits its block.
		pos := d.pos - w.sealedLen
		end := len(w.Buf)
		w.Buf = append(w.Buf, h...)
		copy(w.Buf[pos+len(h):], w.Buf[pos:end])
		copy(w.Buf[pos:], h)
		return
	}
	w.fillSplit(d.pos, h)
}

// fillSplit inserts a header at pos of a chained reply by splitting the
// block it falls in: what follows pos in that block moves, behind the
// header, to a block of its own. No more than a block is copied, however
// big the reply.
func (w *Writer) fillSplit(pos int, h []byte) {
	i, off := len(w.sealed), w.sealedLen
	if pos < w.sealedLen {
		off = 0
		for i = 0; pos > off+len(w.sealed[i]) || (pos == off+len(w.sealed[i]) && i+1 < len(w.sealed)); i++ {
			off += len(w.sealed[i])
		}
	}
	blk := w.Buf
	if i < len(w.sealed) {
		blk = w.sealed[i]
	}
	rest := blk[pos-off:]
	nb := w.src.Block(max(len(h)+len(rest), ChunkSize))[:0]
	nb = append(nb, h...)
	nb = append(nb, rest...)
	blk = blk[:pos-off]
	if i == len(w.sealed) {
		// In Buf: Buf is sealed where the header goes, and the new
		// block, header and the rest, is Buf.
		w.sealed = append(w.sealed, blk)
		w.sealedLen += len(blk)
		w.Buf = nb
		return
	}
	w.sealed[i] = blk
	w.sealed = append(w.sealed, nil)
	copy(w.sealed[i+2:], w.sealed[i+1:])
	w.sealed[i+1] = nb
	w.sealedLen += len(h)
}

// AppendG formats f like C's printf("%.<prec>g"): the shortest of %e and
// %f for prec significant digits, trailing zeros removed. Redis formats
// doubles this way, and replies must match it byte for byte.
func AppendG(b []byte, f float64, prec int) []byte {
	if f == 0 {
		if math.Signbit(f) {
			return append(b, "-0"...)
		}
		return append(b, '0')
	}
	if math.IsNaN(f) {
		return append(b, "nan"...)
	}
	if math.IsInf(f, 0) {
		if f > 0 {
			return append(b, "inf"...)
		}
		return append(b, "-inf"...)
	}
	var tmp [40]byte
	e := strconv.AppendFloat(tmp[:0], f, 'e', prec-1, 64)
	// e is [-]d.ddddde±XX; read the exponent.
	ei := len(e) - 1
	for e[ei] != 'e' {
		ei--
	}
	exp, _ := strconv.Atoi(string(e[ei+1:]))
	if exp < -4 || exp >= prec {
		mant := trimZeros(e[:ei])
		b = append(b, mant...)
		b = append(b, 'e')
		if exp < 0 {
			b = append(b, '-')
			exp = -exp
		} else {
			b = append(b, '+')
		}
		if exp < 10 {
			b = append(b, '0')
		}
		return strconv.AppendInt(b, int64(exp), 10)
	}
	fixed := strconv.AppendFloat(tmp[:0], f, 'f', prec-1-exp, 64)
	return append(b, trimZeros(fixed)...)
}

// trimZeros removes trailing zeros after a decimal point, and the point
// itself if nothing follows it.
func trimZeros(s []byte) []byte {
	dot := -1
	for i, c := range s {
		if c == '.' {
			dot = i
			break
		}
	}
	if dot < 0 {
		return s
	}
	end := len(s)
	for end > dot+1 && s[end-1] == '0' {
		end--
	}
	if end == dot+1 {
		end = dot
	}
	return s[:end]
}
