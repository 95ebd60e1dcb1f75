package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/redoubt-db/redoubt/cnum"
)

// Kind is what an item of an AOF is.
type Kind int

// Items.
const (
	Command    Kind = iota + 1 // a command: *<argc>\r\n then $<len>\r\n<bytes>\r\n each
	Annotation                 // a line starting with '#', such as "#TS:<unix>"
)

const (
	// bufSize is the reader's buffer to begin with; it grows to hold the
	// largest command, as bytes arrive, never from an announced length.
	bufSize = 64 << 10
	// shrinkAbove: a buffer grown past this for a big command is dropped
	// once it is mostly empty, rather than kept for the rest of the file.
	shrinkAbove = 16 << 20
	// maxLengthLine: redis-check-aof reads "*<argc>" and "$<len>" lines
	// with fgets into 128 bytes, so a longer line (leading zeros) fails.
	maxLengthLine = 127
	// maxAnnotation: Redis reads an annotation with fgets into
	// AOF_ANNOTATION_LINE_MAX_LEN (1024) bytes; the rest of a longer line
	// is read as the next item.
	maxAnnotation = 1023
)

// Reader reads the items of an AOF: commands and annotations, with their
// offsets. It reuses one buffer: the arguments of a command alias it and
// stay valid until the next call to Next.
type Reader struct {
	src    io.Reader
	size   int64 // of the whole file, or -1
	buf    []byte
	r, w   int   // unread input is buf[r:w]
	base   int64 // file offset of buf[0]
	srcErr error // the error that ended src, io.EOF included
	err    error // what Next returns from now on

	kind       Kind
	start, end int64
	args       [][]byte
	spans      []int // the arguments, as offsets from the item's start
	line       []byte
	multi      bool
	valid      int64
	lines      int64
}

// NewReader returns a Reader of the AOF that src reads from offset, a
// position in a file of size bytes (size -1 when unknown). Offsets are
// positions in that file. With the size known, a string length that
// points past the end is found at once, without reading up to it.
func NewReader(src io.Reader, offset, size int64) *Reader {
	return &Reader{src: src, size: size, buf: make([]byte, bufSize), base: offset, valid: offset}
}

// Next reads the next item. At the end of a sound file it returns io.EOF;
// on a fault it returns an *Error (or the error reading src) and keeps
// returning it.
func (r *Reader) Next() (Kind, error) {
	if r.err != nil {
		return 0, r.err
	}
	r.prepare()
	k, err := r.next()
	if err != nil {
		r.err = err
		return 0, err
	}
	r.kind = k
	if !r.multi {
		r.valid = r.end
	}
	return k, nil
}

// Args are the arguments of the command just read. They alias the
// reader's buffer: copy what must outlive the next call to Next.
func (r *Reader) Args() [][]byte { return r.args }

// Annotation is the annotation just read, from its '#' to the end of its
// line, without the line's end.
func (r *Reader) Annotation() []byte {
	return bytes.TrimSuffix(bytes.TrimSuffix(r.line, []byte("\n")), []byte("\r"))
}

// Timestamp reads the annotation just read as "#TS:<unix>", the time
// Redis notes before the commands of a new second when
// aof-timestamp-enabled is on. isTS is false for other annotations; ok is
// false for a #TS: line whose number is malformed (or cut by the end of
// the file), which redis-check-aof refuses.
func (r *Reader) Timestamp() (ts int64, isTS, ok bool) {
	if r.kind != Annotation || !bytes.HasPrefix(r.line, []byte("#TS:")) {
		return 0, false, false
	}
	rest := r.line[4:]
	v, e, overflow := cnum.Strtoll(rest, 10)
	return v, true, !overflow && e < len(rest) && rest[e] == '\r'
}

// Start and End are the offsets of the first byte of the item just read
// and of the byte after it.
func (r *Reader) Start() int64 { return r.start }

// End is the offset just after the item read last.
func (r *Reader) End() int64 { return r.end }

// InMulti says whether the reader is inside a MULTI block: it has read a
// MULTI (as the first argument of the command, even one it then found
// faulty) and not its EXEC.
func (r *Reader) InMulti() bool { return r.multi }

// ValidEnd is the end of the last complete item outside a MULTI block:
// where a file that stops here or later can be cut to load cleanly.
func (r *Reader) ValidEnd() int64 { return r.valid }

// Lines counts the \r\n-ended lines of commands read so far (a command of
// n arguments has 1+2n), including those of a command found faulty:
// redis-check-aof reports the count as ok_up_to_line.
func (r *Reader) Lines() int64 { return r.lines }

func (r *Reader) prepare() {
	clear(r.args)
	r.args, r.spans, r.line = r.args[:0], r.spans[:0], nil
	if len(r.buf) > shrinkAbove && r.w-r.r <= len(r.buf)/16 {
		nb := make([]byte, max(bufSize, 2*(r.w-r.r)))
		r.w = copy(nb, r.buf[r.r:r.w])
		r.base += int64(r.r)
		r.buf, r.r = nb, 0
	}
	r.start = r.base + int64(r.r)
}

// avail makes at least n bytes of the current item available at buf[r:],
// reading as needed; false if src ends first.
func (r *Reader) avail(n int) bool {
	stalls := 0
	for r.w-r.r < n {
		if r.srcErr != nil {
			return false
		}
		if r.w == len(r.buf) {
			if r.r > 0 {
				r.w = copy(r.buf, r.buf[r.r:r.w])
				r.base += int64(r.r)
				r.r = 0
			}
			if r.w == len(r.buf) {
				// Full of real input: double, so the buffer is never more
				// than twice what the file really holds.
				nb := make([]byte, 2*len(r.buf))
				copy(nb, r.buf[:r.w])
				r.buf = nb
			}
		}
		k, err := r.src.Read(r.buf[r.w:])
		r.w += k
		if err != nil {
			r.srcErr = err
		} else if k == 0 {
			if stalls++; stalls > 100 {
				r.srcErr = io.ErrNoProgress
			}
		}
	}
	return true
}

// readErr is the error reading src, if it ended otherwise than at the end
// of the file.
func (r *Reader) readErr() error {
	if r.srcErr != nil && !errors.Is(r.srcErr, io.EOF) {
		return r.srcErr
	}
	return nil
}

// at is the file offset of c, an offset in the current item.
func (r *Reader) at(c int) int64 { return r.start + int64(c) }

func (r *Reader) fault(kind ErrorKind, off int64, truncated bool, msg string) error {
	return &Error{Kind: kind, Offset: off, ValidEnd: r.valid, Truncated: truncated, Msg: msg}
}

func (r *Reader) next() (Kind, error) {
	if !r.avail(1) {
		if err := r.readErr(); err != nil {
			return 0, err
		}
		if r.multi {
			return 0, r.fault(ErrMultiEOF, r.start, true, "Reached EOF before reading EXEC for MULTI")
		}
		return 0, io.EOF
	}
	switch c := r.buf[r.r]; c {
	case '#':
		// Like Redis, accept a last annotation that lacks its newline.
		n, _ := r.findLine(0, maxAnnotation)
		if err := r.readErr(); err != nil {
			return 0, err
		}
		r.line = r.buf[r.r : r.r+n]
		r.consume(n)
		return Annotation, nil
	case '*':
		return r.command()
	case 'R':
		if r.start == 0 && r.avail(5) && string(r.buf[r.r:r.r+5]) == "REDIS" {
			return 0, r.fault(ErrPreamble, 0, false, "The file starts with an RDB preamble")
		}
		fallthrough
	default:
		if err := r.readErr(); err != nil {
			return 0, err
		}
		return 0, r.fault(ErrItem, r.start, false, "Expected prefix '*', got: '"+string([]byte{c})+"'")
	}
}

// findLine finds the end of the line at c (just after its '\n'), looking
// at most limit bytes ahead. Without a '\n' there, it returns the bytes it
// has: limit of them, or fewer at the end of the file.
func (r *Reader) findLine(c, limit int) (n int, found bool) {
	scanned := 0
	for {
		have := min(r.w-r.r-c, limit)
		if i := bytes.IndexByte(r.buf[r.r+c+scanned:r.r+c+have], '\n'); i >= 0 {
			return scanned + i + 1, true
		}
		scanned = have
		if have == limit || !r.avail(c+have+1) {
			return have, false
		}
	}
}

func (r *Reader) consume(n int) {
	r.r += n
	r.end = r.base + int64(r.r)
}

func (r *Reader) command() (Kind, error) {
	argc, c, err := r.lengthLine(0)
	if err != nil {
		return 0, err
	}
	if argc < 1 {
		return 0, r.fault(ErrArgc, r.start, false, fmt.Sprintf("Expected a command of one argument or more, got %d", argc))
	}
	for i := int64(0); i < argc; i++ {
		if !r.avail(c + 1) {
			if err := r.readErr(); err != nil {
				return 0, err
			}
			return 0, r.fault(ErrEOF, r.at(c), true, "Unexpected end of file")
		}
		if p := r.buf[r.r+c]; p != '$' {
			return 0, r.fault(ErrPrefix, r.at(c), false, "Expected prefix '$', got: '"+string([]byte{p})+"'")
		}
		n, next, err := r.lengthLine(c)
		if err != nil {
			return 0, err
		}
		if n < 0 || n > math.MaxInt64-2 {
			return 0, r.fault(ErrRange, r.at(c), false,
				fmt.Sprintf("Expected to read string of %d bytes, which is not in the suitable range", n))
		}
		c = next
		if err := r.payload(c, n); err != nil {
			return 0, err
		}
		end := c + int(n)
		r.spans = append(r.spans, c, end)
		if i == 0 {
			if err := r.transaction(r.buf[r.r+c:r.r+end], r.at(c)); err != nil {
				return 0, err
			}
		}
		c = end + 2
	}
	for i := 0; i < len(r.spans); i += 2 {
		s, e := r.r+r.spans[i], r.r+r.spans[i+1]
		r.args = append(r.args, r.buf[s:e:e])
	}
	r.consume(c)
	return Command, nil
}

// lengthLine reads the "*<n>\r\n" or "$<n>\r\n" line at c, whose prefix
// the caller checked, as redis-check-aof does: strtol, then \r\n right
// after the number. It returns n and the offset after the line.
func (r *Reader) lengthLine(c int) (int64, int, error) {
	n, found := r.findLine(c, maxLengthLine)
	if err := r.readErr(); err != nil {
		return 0, 0, err
	}
	line := r.buf[r.r+c : r.r+c+n]
	v, e, _ := cnum.Strtoll(line[1:], 10)
	e++
	if found && e+2 == n && line[e] == '\r' {
		r.lines++
		return v, c + n, nil
	}
	torn := !found && n < maxLengthLine && tornNumber(line[1:])
	return 0, 0, r.fault(ErrNewline, r.at(c), torn, "Expected \\r\\n, got: "+gotBytes(line, e))
}

// payload checks the string of n bytes at c and its \r\n.
func (r *Reader) payload(c int, n int64) error {
	need := n + 2
	if r.size >= 0 && r.size-r.at(c) < need {
		got := max(r.size-r.at(c), 0)
		return r.fault(ErrShort, r.at(c), true, fmt.Sprintf("Expected to read %d bytes, got %d bytes", need, got))
	}
	if need > int64(math.MaxInt-c) || !r.avail(c+int(need)) {
		r.avail(math.MaxInt) // to the end, to say how much there was
		if err := r.readErr(); err != nil {
			return err
		}
		got := int64(r.w - r.r - c)
		return r.fault(ErrShort, r.at(c), true, fmt.Sprintf("Expected to read %d bytes, got %d bytes", need, got))
	}
	end := r.r + c + int(n)
	if r.buf[end] != '\r' || r.buf[end+1] != '\n' {
		return r.fault(ErrNewline, r.at(c), false, "Expected \\r\\n, got: "+gotBytes(r.buf[:end+2], end))
	}
	r.lines++
	return nil
}

// transaction follows MULTI and EXEC, given the first argument of a
// command at offset off: redis-check-aof refuses a nested MULTI and an
// EXEC without one.
func (r *Reader) transaction(name []byte, off int64) error {
	switch {
	case bytes.EqualFold(name, []byte("multi")):
		if r.multi {
			return r.fault(ErrNestedMulti, off, false, "Unexpected MULTI")
		}
		r.multi = true
	case bytes.EqualFold(name, []byte("exec")):
		if !r.multi {
			return r.fault(ErrExecWithoutMulti, off, false, "Unexpected EXEC")
		}
		r.multi = false
	}
	return nil
}

// tornNumber says whether b, the rest of a length line cut by the end of
// the file, can still be the start of a number and its \r\n.
func tornNumber(b []byte) bool {
	i := 0
	for i < len(b) && cnum.IsSpace(b[i]) {
		i++
	}
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i == len(b) || (i == len(b)-1 && b[i] == '\r')
}

// gotBytes shows the two bytes at b[i:] as redis-check-aof does, printing
// C chars with %02x: a byte from 0x80 up is a negative char, shown as
// ffffffXX, and a byte past the end is the NUL that ends C's buffer.
func gotBytes(b []byte, i int) string {
	var s []byte
	for j := i; j < i+2; j++ {
		var c byte
		if j < len(b) {
			c = b[j]
		}
		if c >= 0x80 {
			s = append(s, "ffffff"...)
		}
		s = fmt.Appendf(s, "%02x", c)
	}
	return string(s)
}
