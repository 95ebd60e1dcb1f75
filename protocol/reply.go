package protocol

import (
	"math"
	"strconv"
)

// Writer encodes replies into a byte buffer. Resp selects the protocol
// version negotiated with HELLO: 2 or 3. RESP3 types are mapped to their
// RESP2 equivalents the way Redis maps them (maps become flat arrays,
// doubles become bulk strings, booleans become integers, ...).
type Writer struct {
	Buf  []byte
	Resp int
}

// Len is the number of bytes written so far.
func (w *Writer) Len() int { return len(w.Buf) }

// Truncate drops everything written after n bytes.
func (w *Writer) Truncate(n int) { w.Buf = w.Buf[:n] }

// Raw appends pre-encoded protocol.
func (w *Writer) Raw(b []byte) { w.Buf = append(w.Buf, b...) }

// RawString appends pre-encoded protocol.
func (w *Writer) RawString(s string) { w.Buf = append(w.Buf, s...) }

// OK writes +OK.
func (w *Writer) OK() { w.Buf = append(w.Buf, "+OK\r\n"...) }

// Simple writes a status reply. s must not contain CR or LF.
func (w *Writer) Simple(s string) {
	w.Buf = append(w.Buf, '+')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Error writes an error reply. msg should start with an error code such as
// "ERR" or "WRONGTYPE"; newlines are replaced by spaces, as Redis does, so
// the reply stays one line.
func (w *Writer) Error(msg string) {
	w.Buf = append(w.Buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		w.Buf = append(w.Buf, c)
	}
	w.Buf = append(w.Buf, '\r', '\n')
}

// Int writes an integer reply.
func (w *Writer) Int(n int64) {
	if n >= 0 && n < int64(len(smallInts)) {
		w.Buf = append(w.Buf, smallInts[n]...)
		return
	}
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
	w.Buf = append(w.Buf, b...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkString writes a bulk string.
func (w *Writer) BulkString(s string) {
	w.header('$', len(s))
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

// BulkInt writes an integer formatted as a bulk string.
func (w *Writer) BulkInt(n int64) {
	var tmp [20]byte
	w.Bulk(strconv.AppendInt(tmp[:0], n, 10))
}

// Null writes the null bulk string ($-1, or _ in RESP3).
func (w *Writer) Null() {
	if w.Resp >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "$-1\r\n"...)
	}
}

// NullArray writes the null array (*-1, or _ in RESP3).
func (w *Writer) NullArray() {
	if w.Resp >= 3 {
		w.Buf = append(w.Buf, "_\r\n"...)
	} else {
		w.Buf = append(w.Buf, "*-1\r\n"...)
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
		w.Buf = append(w.Buf, "#t\r\n"...)
	case w.Resp >= 3:
		w.Buf = append(w.Buf, "#f\r\n"...)
	case b:
		w.Buf = append(w.Buf, ":1\r\n"...)
	default:
		w.Buf = append(w.Buf, ":0\r\n"...)
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
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// HumanDouble writes an already formatted number as a RESP3 double, or as
// a bulk string in RESP2 (Redis's addReplyHumanLongDouble).
func (w *Writer) HumanDouble(s []byte) {
	if w.Resp >= 3 {
		w.Buf = append(w.Buf, ',')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
		return
	}
	w.Bulk(s)
}

// BigNumber writes a RESP3 big number (a bulk string in RESP2).
func (w *Writer) BigNumber(s string) {
	if w.Resp >= 3 {
		w.Buf = append(w.Buf, '(')
		w.Buf = append(w.Buf, s...)
		w.Buf = append(w.Buf, '\r', '\n')
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
	w.Buf = append(w.Buf, format...)
	w.Buf = append(w.Buf, ':')
	w.Buf = append(w.Buf, s...)
	w.Buf = append(w.Buf, '\r', '\n')
}

func (w *Writer) header(kind byte, n int) {
	w.Buf = append(w.Buf, kind)
	w.Buf = strconv.AppendInt(w.Buf, int64(n), 10)
	w.Buf = append(w.Buf, '\r', '\n')
}

// Deferred marks an aggregate header whose length is not known yet, like
// Redis's addReplyDeferredLen. Reserve writes a placeholder; Fill inserts
// the real header once the elements have been written.
type Deferred struct{ pos int }

// Defer starts an aggregate whose length is written later with Fill.
func (w *Writer) Defer() Deferred { return Deferred{pos: len(w.Buf)} }

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
	var tmp [24]byte
	h := append(tmp[:0], kind)
	h = strconv.AppendInt(h, int64(n), 10)
	h = append(h, '\r', '\n')
	end := len(w.Buf)
	w.Buf = append(w.Buf, h...)
	copy(w.Buf[d.pos+len(h):], w.Buf[d.pos:end])
	copy(w.Buf[d.pos:], h)
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
