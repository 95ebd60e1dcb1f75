package repl

// Backlog is the replication backlog (Redis's repl_backlog): the last
// Size bytes of the replication stream, so that a replica that lost its
// link can ask for the bytes it missed (PSYNC) instead of the whole
// dataset. Offsets are stream offsets: the first byte ever fed is at
// offset 1, as in Redis, and End is master_repl_offset.
//
// The bytes live in a queue of fixed-size blocks rather than one ring,
// so that the backlog grows or shrinks (Resize) without copying its
// history: the server grows it in the middle of a write burst, under
// the engine lock, where copying hundreds of megabytes would stall every
// client. Trimming drops whole blocks from the front once they hold no
// history, and keeps them for reuse.
type Backlog struct {
	size int
	// blocks hold the history in order: from blocks[0][head:] to the
	// filled part of the last block.
	blocks [][]byte
	head   int
	// spare are emptied blocks kept for reuse.
	spare [][]byte
	// histlen is how many bytes of history the blocks hold.
	histlen int
	// end is the offset of the last byte fed (master_repl_offset).
	end int64
}

// blockSize is the size of the backlog's blocks (Redis uses 16 KiB
// blocks for its replication buffer; bigger ones make fewer of them).
const blockSize = 64 << 10

// NewBacklog returns an empty backlog of size bytes whose history starts
// after offset end.
func NewBacklog(size int, end int64) *Backlog {
	return &Backlog{size: max(size, 1), end: end}
}

// Size is the backlog's capacity (repl-backlog-size).
func (b *Backlog) Size() int { return b.size }

// HistLen is how many bytes of history it holds (repl_backlog_histlen).
func (b *Backlog) HistLen() int { return b.histlen }

// End is the offset of the last byte fed.
func (b *Backlog) End() int64 { return b.end }

// First is the offset of the oldest byte held
// (repl_backlog_first_byte_offset).
func (b *Backlog) First() int64 { return b.end - int64(b.histlen) + 1 }

// Append adds stream bytes, dropping the oldest beyond Size.
func (b *Backlog) Append(p []byte) {
	b.end += int64(len(p))
	if len(p) > b.size {
		p = p[len(p)-b.size:]
	}
	for len(p) > 0 {
		if n := len(b.blocks); n == 0 || len(b.blocks[n-1]) == cap(b.blocks[n-1]) {
			b.blocks = append(b.blocks, b.newBlock())
		}
		last := &b.blocks[len(b.blocks)-1]
		k := min(len(p), cap(*last)-len(*last))
		*last = append(*last, p[:k]...)
		p = p[k:]
		b.histlen += k
	}
	b.trim()
}

func (b *Backlog) newBlock() []byte {
	if n := len(b.spare); n > 0 {
		blk := b.spare[n-1]
		b.spare = b.spare[:n-1]
		return blk[:0]
	}
	return make([]byte, 0, blockSize)
}

// trim drops history beyond size from the front.
func (b *Backlog) trim() {
	for b.histlen > b.size {
		first := b.blocks[0]
		drop := min(b.histlen-b.size, len(first)-b.head)
		b.head += drop
		b.histlen -= drop
		if b.head == len(first) {
			// Keep a few emptied blocks for the appends to come.
			if len(b.spare) < 4 {
				b.spare = append(b.spare, first)
			}
			b.blocks[0] = nil
			b.blocks = b.blocks[1:]
			b.head = 0
		}
	}
	if len(b.blocks) == 0 {
		b.head = 0
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
	skip := int(offset - b.First())
	for i, blk := range b.blocks {
		if i == 0 {
			blk = blk[b.head:]
		}
		if skip >= len(blk) {
			skip -= len(blk)
			continue
		}
		dst = append(dst, blk[skip:]...)
		skip = 0
	}
	return dst
}

// Resize changes the capacity, keeping as much of the newest history as
// fits (CONFIG SET repl-backlog-size, the backlog's cover). Nothing is
// copied.
func (b *Backlog) Resize(size int) {
	b.size = max(size, 1)
	b.trim()
}
