package repl

// Backlog is the replication backlog (Redis's repl_backlog): the last
// Size bytes of the replication stream, kept in a ring so that a replica
// that lost its link can ask for the bytes it missed (PSYNC) instead of
// the whole dataset. Offsets are stream offsets: the first byte ever fed
// is at offset 1, as in Redis, and End is master_repl_offset.
type Backlog struct {
	buf []byte
	// idx is where the next byte goes in buf.
	idx int
	// histlen is how many bytes of buf hold history.
	histlen int
	// end is the offset of the last byte fed (master_repl_offset).
	end int64
}

// NewBacklog returns an empty backlog of size bytes whose history starts
// after offset end.
func NewBacklog(size int, end int64) *Backlog {
	if size < 1 {
		size = 1
	}
	return &Backlog{buf: make([]byte, size), end: end}
}

// Size is the backlog's capacity (repl-backlog-size).
func (b *Backlog) Size() int { return len(b.buf) }

// HistLen is how many bytes of history it holds (repl_backlog_histlen).
func (b *Backlog) HistLen() int { return b.histlen }

// End is the offset of the last byte fed.
func (b *Backlog) End() int64 { return b.end }

// First is the offset of the oldest byte held
// (repl_backlog_first_byte_offset).
func (b *Backlog) First() int64 { return b.end - int64(b.histlen) + 1 }

// Append adds stream bytes.
func (b *Backlog) Append(p []byte) {
	b.end += int64(len(p))
	if len(p) >= len(b.buf) {
		// Only the tail fits.
		copy(b.buf, p[len(p)-len(b.buf):])
		b.idx = 0
		b.histlen = len(b.buf)
		return
	}
	n := copy(b.buf[b.idx:], p)
	if n < len(p) {
		copy(b.buf, p[n:])
	}
	b.idx = (b.idx + len(p)) % len(b.buf)
	b.histlen += len(p)
	if b.histlen > len(b.buf) {
		b.histlen = len(b.buf)
	}
}

// Has reports whether a replica that has every byte before offset can
// continue from the backlog: offset is within the history, or just past
// it (nothing was missed).
func (b *Backlog) Has(offset int64) bool {
	return offset >= b.First() && offset <= b.end+1
}

// From appends to dst the bytes from offset to the end; offset must
// satisfy Has.
func (b *Backlog) From(dst []byte, offset int64) []byte {
	n := int(b.end - offset + 1)
	if n <= 0 {
		return dst
	}
	start := (b.idx - n + len(b.buf)) % len(b.buf)
	if start+n <= len(b.buf) {
		return append(dst, b.buf[start:start+n]...)
	}
	dst = append(dst, b.buf[start:]...)
	return append(dst, b.buf[:n-(len(b.buf)-start)]...)
}

// Resize changes the capacity, keeping as much of the newest history as
// fits (CONFIG SET repl-backlog-size).
func (b *Backlog) Resize(size int) {
	if size < 1 {
		size = 1
	}
	if size == len(b.buf) {
		return
	}
	hist := b.From(nil, b.First())
	*b = Backlog{buf: make([]byte, size), end: b.end - int64(len(hist))}
	b.Append(hist)
}
