package server

import (
	"sync"
	"sync/atomic"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/protocol"
)

// Client output as Redis keeps it: a chain of blocks, not one buffer that
// doubles. A reply is built in its client's chained protocol.Writer (the
// standard 16 KiB block, then blocks of growing size for a big reply, and
// a block of its exact size for a big value); committing it moves its
// blocks to the client's output queue, or copies a small reply into the
// queue's last block. Written blocks go back to the pool. So a gigabyte of
// pending replies holds a gigabyte (Redis: the same), where one doubled
// buffer held up to two plus the copy made while growing, and a partial
// write never moves what is left.
//
// Blocks of the standard size live on the Go heap and are recycled
// through a pool, so the request path allocates nothing in steady state.
// Bigger blocks are mapped outside the Go heap (arena.Map), pooled while
// the pool is small and unmapped otherwise: the memory of a big reply goes
// back to the operating system once it is written, not when the garbage
// collector and its scavenger get to it.

// blockPool is the process's pool of output blocks.
var blockPool = &bufPool{}

// Pooled sizes: the standard block and the mapped sizes a growing reply
// asks for, each a power of two up to 1 MiB; other sizes are mapped for
// one use. poolMax bounds what the pool keeps idle.
const (
	poolClasses = 7 // 16 KiB .. 1 MiB
	poolMax     = 8 << 20
	pageSize    = 4096
)

type bufPool struct {
	mu   sync.Mutex
	free [poolClasses][][]byte
	idle int64 // bytes in free
	// maps are the blocks mapped outside the heap, by address: only
	// they are unmapped (a heap slice's capacity may look the same).
	maps map[*byte]struct{}
	// mapped is the bytes of blocks mapped outside the heap, in use or
	// idle: what INFO's figures add to the Go heap.
	mapped atomic.Int64
}

// class is the pool class of a block of capacity n, or -1.
func class(n int) int {
	for i, size := 0, protocol.ChunkSize; i < poolClasses; i, size = i+1, size*2 {
		if n == size {
			return i
		}
	}
	return -1
}

// Block returns an empty block of capacity n at least: a standard block
// for small n, a pooled power of two up to 1 MiB, or a mapping of n
// rounded to pages.
func (p *bufPool) Block(n int) []byte {
	size := protocol.ChunkSize
	for size < n && size < protocol.ChunkSize<<(poolClasses-1) {
		size *= 2
	}
	if size < n {
		size = (n + pageSize - 1) &^ (pageSize - 1)
	}
	if k := class(size); k >= 0 {
		p.mu.Lock()
		if l := len(p.free[k]); l > 0 {
			b := p.free[k][l-1]
			p.free[k][l-1] = nil
			p.free[k] = p.free[k][:l-1]
			p.idle -= int64(cap(b))
			p.mu.Unlock()
			return b[:0]
		}
		p.mu.Unlock()
	}
	if size == protocol.ChunkSize {
		return make([]byte, 0, size)
	}
	m, err := arena.MapFilled(size)
	if err != nil {
		// Out of address space or mappings: the Go heap, then.
		return make([]byte, 0, size)
	}
	p.mu.Lock()
	if p.maps == nil {
		p.maps = map[*byte]struct{}{}
	}
	p.maps[&m[0]] = struct{}{}
	p.mu.Unlock()
	p.mapped.Add(int64(size))
	return m[:0]
}

// Release takes back a block: pooled while the pool is under poolMax,
// else unmapped (or left to the garbage collector).
func (p *bufPool) Release(b []byte) {
	if cap(b) == 0 {
		return
	}
	size := cap(b)
	b = b[:size]
	p.mu.Lock()
	_, mapped := p.maps[&b[0]]
	// The standard size is pooled whatever made it; bigger classes only
	// when mapped, so that the pool holds no heap slices of other sizes.
	if k := class(size); k >= 0 && (k == 0 || mapped) && p.idle+int64(size) <= poolMax {
		p.free[k] = append(p.free[k], b)
		p.idle += int64(size)
		p.mu.Unlock()
		return
	}
	if mapped {
		delete(p.maps, &b[0])
	}
	p.mu.Unlock()
	// Anything else of the heap is left to the garbage collector.
	if mapped {
		p.mapped.Add(-int64(size))
		arena.Unmap(b)
	}
}

// outBuf is a client's pending output: blocks[0][head:] is written next,
// the last block may have room for more. The client's outMu guards it.
type outBuf struct {
	blocks [][]byte
	first  int // blocks before it are written
	head   int
	// bytes is what waits to be written; mem the capacity of the
	// blocks held.
	bytes, mem int64
}

// add appends b, filling the last block and taking a block of b's size
// (at least a standard one) for the rest.
func (o *outBuf) add(b []byte) {
	if n := len(o.blocks); n > o.first {
		last := o.blocks[n-1]
		k := min(cap(last)-len(last), len(b))
		o.blocks[n-1] = append(last, b[:k]...)
		b = b[k:]
		o.bytes += int64(k)
	}
	if len(b) > 0 {
		blk := blockPool.Block(len(b))
		o.mem += int64(cap(blk))
		o.blocks = append(o.blocks, append(blk, b...))
		o.bytes += int64(len(b))
	}
}

// addBlock appends a block the caller gives up.
func (o *outBuf) addBlock(b []byte) {
	if len(b) == 0 {
		blockPool.Release(b)
		return
	}
	o.blocks = append(o.blocks, b)
	o.bytes += int64(len(b))
	o.mem += int64(cap(b))
}

// take moves a chained Writer's reply to the output: its sealed blocks
// as they are, its last block too unless its bytes fit in the output's
// last block or are few, which are copied. A Writer that gave its block
// away takes one from the pool at its next write.
func (o *outBuf) take(w *protocol.Writer) {
	for _, b := range w.Sealed() {
		o.addBlock(b)
	}
	buf := w.Buf
	room := 0
	if n := len(o.blocks); n > o.first {
		last := o.blocks[n-1]
		room = cap(last) - len(last)
	}
	switch {
	case len(buf) == 0:
		w.Detach(true)
	case len(buf) <= room || (room > 0 && len(buf) <= protocol.ChunkSize/2):
		o.add(buf)
		w.Detach(true)
	default:
		o.addBlock(buf)
		w.Detach(false)
	}
}

// next is what to write next: the first block's unwritten bytes.
func (o *outBuf) next() []byte {
	if o.first == len(o.blocks) {
		return nil
	}
	return o.blocks[o.first][o.head:]
}

// wrote drops n written bytes; written blocks go back to the pool, so a
// client whose output is written holds none (the pool, not each client,
// keeps blocks ready).
func (o *outBuf) wrote(n int) {
	o.bytes -= int64(n)
	o.head += n
	for o.first < len(o.blocks) && o.head >= len(o.blocks[o.first]) {
		b := o.blocks[o.first]
		o.head -= len(b)
		o.mem -= int64(cap(b))
		blockPool.Release(b)
		o.blocks[o.first] = nil
		o.first++
	}
	// The queue's slice moves up once most of it is written, so that
	// it does not grow forever nor move at each block.
	if o.first == len(o.blocks) {
		o.blocks, o.first = o.blocks[:0], 0
	} else if o.first > 16 && o.first >= len(o.blocks)/2 {
		k := copy(o.blocks, o.blocks[o.first:])
		clear(o.blocks[k:])
		o.blocks, o.first = o.blocks[:k], 0
	}
}

// release gives every block back, for a closed client.
func (o *outBuf) release() {
	for i, b := range o.blocks[o.first:] {
		blockPool.Release(b)
		o.blocks[o.first+i] = nil
	}
	o.blocks, o.first = o.blocks[:0], 0
	o.head, o.bytes, o.mem = 0, 0, 0
}
