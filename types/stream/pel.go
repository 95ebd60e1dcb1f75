package stream

import (
	"slices"
	"sort"
	"unsafe"
)

// Pending entries lists are kept in ID order in chunked sorted slices: a
// short slice of chunks of at most chunkMax plain records. Lookups are two
// binary searches and an insert or delete moves at most a chunk, so a PEL
// of millions of entries acks in near constant time, and its records hold
// no pointers for the garbage collector to follow.

const chunkMax = 128

type keyed interface{ key() ID }

type sortedList[T keyed] struct {
	chunks [][]T
	n      int
	bytes  int64 // what chunks and their arrays take, kept as they change
}

func (l *sortedList[T]) len() int { return l.n }

// sliceHeader is the size of a chunk's slice header in the chunk list.
const sliceHeader = int64(unsafe.Sizeof([]ID(nil)))

func recordSize[T any]() int64 {
	var v T
	return int64(unsafe.Sizeof(v))
}

// growChunks appends to the chunk list, counting its growth.
func (l *sortedList[T]) growChunks(ch []T) {
	before := cap(l.chunks)
	l.chunks = append(l.chunks, ch)
	l.bytes += int64(cap(l.chunks)-before) * sliceHeader
}

// chunkFor returns the index of the chunk that holds or would hold id.
func (l *sortedList[T]) chunkFor(id ID) int {
	i := sort.Search(len(l.chunks), func(i int) bool {
		ch := l.chunks[i]
		return !ch[len(ch)-1].key().less(id)
	})
	if i == len(l.chunks) && i > 0 {
		i--
	}
	return i
}

func (l *sortedList[T]) pos(ch []T, id ID) int {
	return sort.Search(len(ch), func(j int) bool { return !ch[j].key().less(id) })
}

// get returns the record with id, or nil. The pointer is valid until the
// list changes.
func (l *sortedList[T]) get(id ID) *T {
	if l.n == 0 {
		return nil
	}
	ch := l.chunks[l.chunkFor(id)]
	j := l.pos(ch, id)
	if j < len(ch) && ch[j].key() == id {
		return &ch[j]
	}
	return nil
}

// ceil returns the first record whose ID is at least id.
func (l *sortedList[T]) ceil(id ID) (T, bool) {
	var zero T
	if l.n == 0 {
		return zero, false
	}
	ch := l.chunks[l.chunkFor(id)]
	j := l.pos(ch, id)
	if j == len(ch) {
		return zero, false
	}
	return ch[j], true
}

// insert adds v, or replaces the record with the same ID; it reports
// whether v was new.
func (l *sortedList[T]) insert(v T) bool {
	id := v.key()
	size := recordSize[T]()
	if l.n == 0 {
		l.growChunks(append(make([]T, 0, 8), v))
		l.bytes += 8 * size
		l.n++
		return true
	}
	i := l.chunkFor(id)
	ch := l.chunks[i]
	j := l.pos(ch, id)
	if j < len(ch) && ch[j].key() == id {
		ch[j] = v
		return false
	}
	before := cap(ch)
	ch = append(ch, v)
	l.bytes += int64(cap(ch)-before) * size
	copy(ch[j+1:], ch[j:])
	ch[j] = v
	l.n++
	if len(ch) > chunkMax {
		// Split in two, copying the upper half so that the halves do not
		// share memory; the lower half keeps its array and capacity.
		hi := append(make([]T, 0, chunkMax), ch[chunkMax/2:]...)
		l.bytes += chunkMax * size
		ch = ch[:chunkMax/2]
		l.growChunks(nil)
		copy(l.chunks[i+2:], l.chunks[i+1:])
		l.chunks[i+1] = hi
	}
	l.chunks[i] = ch
	return true
}

// remove deletes the record with id and reports whether it was there.
func (l *sortedList[T]) remove(id ID) bool {
	if l.n == 0 {
		return false
	}
	i := l.chunkFor(id)
	ch := l.chunks[i]
	j := l.pos(ch, id)
	if j == len(ch) || ch[j].key() != id {
		return false
	}
	ch = append(ch[:j], ch[j+1:]...)
	l.n--
	if len(ch) == 0 {
		l.bytes -= int64(cap(ch)) * recordSize[T]()
		l.chunks = slices.Delete(l.chunks, i, i+1)
	} else {
		l.chunks[i] = ch
	}
	return true
}

// each calls fn on the records in order from the first with an ID of at
// least from, until fn returns false. fn must not change the list.
func (l *sortedList[T]) each(from ID, fn func(*T) bool) {
	if l.n == 0 {
		return
	}
	i := l.chunkFor(from)
	j := l.pos(l.chunks[i], from)
	for ; i < len(l.chunks); i, j = i+1, 0 {
		ch := l.chunks[i]
		for ; j < len(ch); j++ {
			if !fn(&ch[j]) {
				return
			}
		}
	}
}

// first and last return the edge records of a non-empty list.
func (l *sortedList[T]) first() T { return l.chunks[0][0] }

func (l *sortedList[T]) last() T {
	ch := l.chunks[len(l.chunks)-1]
	return ch[len(ch)-1]
}

func (l *sortedList[T]) clone() sortedList[T] {
	out := sortedList[T]{n: l.n, chunks: make([][]T, len(l.chunks))}
	out.bytes = int64(len(l.chunks)) * sliceHeader
	for i, ch := range l.chunks {
		out.chunks[i] = append(make([]T, 0, len(ch)), ch...)
		out.bytes += int64(cap(out.chunks[i])) * recordSize[T]()
	}
	return out
}
