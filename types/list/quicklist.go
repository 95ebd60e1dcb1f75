package list

import (
	"encoding/binary"
	"math"
	"sync/atomic"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
)

// A quicklist is a table blob naming node blobs, all in the arena:
//
//	table: [8: header] [12: node record] [12: node record] ...
//	header: total element count (low 48 bits), fill (high 16, signed)
//	record: node blob ref (8), element count (31 bits) | plain flag (bit 31)
//
// A packed node is a listpack; a plain node is one element's raw bytes.
// The fill (list-max-listpack-size) is fixed when the list is created, as
// in Redis, where changing the setting leaves existing lists alone.
const (
	tabHeader = 8
	recSize   = 12
	countBits = 48
	plainFlag = 1 << 31
)

// Node limits of Redis's quicklist.c. A negative fill bounds a node's
// bytes by sizeLevels[-fill-1]; a positive one bounds its count, within
// safetyLimit bytes. Insertion checks add insertOverhead to the element's
// length, merges subtract one listpack's header and terminator.
var sizeLevels = [...]int{4096, 8192, 16384, 32768, 65536}

const (
	safetyLimit    = 8192
	insertOverhead = 8
	mergeOverhead  = 11
	fillMin        = -5 // -len(sizeLevels)
	fillMax        = 1<<15 - 1
)

// packedThreshold is the length from which an element gets a plain node of
// its own. It is process-wide, as in Redis.
var packedThreshold atomic.Int64

func init() { packedThreshold.Store(1 << 30) }

// SetPackedThreshold sets the length from which elements are stored in
// plain nodes (DEBUG QUICKLIST-PACKED-THRESHOLD); 0 restores the default
// of 1 GiB. It refuses, returning false, sizes above 4 GiB minus 1 MiB.
func SetPackedThreshold(n int64) bool {
	if n < 0 || n > 1<<32-1<<20 {
		return false
	}
	if n == 0 {
		n = 1 << 30
	}
	packedThreshold.Store(n)
	return true
}

func isLarge(n int) bool { return int64(n) >= packedThreshold.Load() }

// emptyListpack is what a new packed node starts as.
var emptyListpack = listpack.New()

// fits reports whether a node of sz bytes and count elements is within
// fill's limits.
func fits(sz, count, fill int) bool {
	if fill < 0 {
		return sz <= sizeLevels[-fill-1]
	}
	return sz <= safetyLimit && count <= fill
}

// ql is a list seen through its table. It lives on the stack for one
// command; when a change moves the table, the key's value word follows.
type ql struct {
	a   *arena.Arena
	ref arena.Ref
	db  *keyspace.DB // nil when not attached to a key (ValueOps)
	id  uint32
}

// pos addresses an element: its node and its byte offset in the node's
// listpack (0 in a plain node).
type pos struct{ n, off int }

// newTable allocates an empty table for a list of the given fill.
func newTable(a *arena.Arena, fill int64) arena.Ref {
	f := min(max(fill, fillMin), fillMax)
	r, b := a.Alloc(tabHeader)
	binary.LittleEndian.PutUint64(b, uint64(int16(f))<<countBits)
	return r
}

func (q *ql) tab() []byte { return q.a.Get(q.ref) }

func (q *ql) setTable(r arena.Ref) {
	q.ref = r
	if q.db != nil {
		q.db.SetValue(q.id, keyspace.EncQuicklist, uint64(r))
	}
}

// Len is the number of elements.
func (q *ql) Len() int64 {
	return int64(binary.LittleEndian.Uint64(q.tab()) & (1<<countBits - 1))
}

func (q *ql) fill() int { return int(int16(binary.LittleEndian.Uint64(q.tab()) >> countBits)) }

func (q *ql) addLen(d int) {
	t := q.tab()
	binary.LittleEndian.PutUint64(t, binary.LittleEndian.Uint64(t)+uint64(int64(d)))
}

func (q *ql) nodes() int { return (len(q.tab()) - tabHeader) / recSize }

func (q *ql) rec(i int) []byte {
	o := tabHeader + i*recSize
	return q.tab()[o : o+recSize]
}

// node returns node i's blob, element count and kind.
func (q *ql) node(i int) (ref arena.Ref, count int, plain bool) {
	r := q.rec(i)
	m := binary.LittleEndian.Uint32(r[8:])
	return arena.Ref(binary.LittleEndian.Uint64(r)), int(m &^ plainFlag), m&plainFlag != 0
}

func (q *ql) count(i int) int {
	return int(binary.LittleEndian.Uint32(q.rec(i)[8:]) &^ plainFlag)
}

func (q *ql) isPlain(i int) bool {
	return binary.LittleEndian.Uint32(q.rec(i)[8:])&plainFlag != 0
}

func (q *ql) blob(i int) []byte {
	return q.a.Get(arena.Ref(binary.LittleEndian.Uint64(q.rec(i))))
}

func (q *ql) setNode(i int, ref arena.Ref, count int, plain bool) {
	r := q.rec(i)
	m := uint32(count)
	if plain {
		m |= plainFlag
	}
	binary.LittleEndian.PutUint64(r, uint64(ref))
	binary.LittleEndian.PutUint32(r[8:], m)
}

func (q *ql) setRef(i int, ref arena.Ref) { binary.LittleEndian.PutUint64(q.rec(i), uint64(ref)) }

func (q *ql) addCount(i, d int) {
	r := q.rec(i)[8:]
	binary.LittleEndian.PutUint32(r, uint32(int32(binary.LittleEndian.Uint32(r))+int32(d)))
}

// insertNode makes a node of ref the i-th one; its elements are not yet
// counted in the list's length.
func (q *ql) insertNode(i int, ref arena.Ref, count int, plain bool) {
	old := len(q.tab())
	r, t := q.a.Fit(q.ref, old+recSize)
	o := tabHeader + i*recSize
	copy(t[o+recSize:], t[o:old])
	q.setTable(r)
	q.setNode(i, ref, count, plain)
}

// removeNode frees node i and drops it from the table; its elements must
// already be uncounted from the list's length.
func (q *ql) removeNode(i int) {
	ref, _, _ := q.node(i)
	q.a.Free(ref)
	t := q.tab()
	o := tabHeader + i*recSize
	copy(t[o:], t[o+recSize:])
	r, _ := q.a.Resize(q.ref, len(t)-recSize)
	q.setTable(r)
}

// reserve makes node i's listpack able to grow by extra bytes and returns
// it at its current length, for the listpack functions to write in place.
func (q *ql) reserve(i, extra int) []byte {
	ref, _, _ := q.node(i)
	l := len(q.a.Get(ref))
	nr, b := q.a.Fit(ref, l+extra)
	q.setRef(i, nr)
	return b[:l]
}

// trim shrinks node i's blob to lp's length after a change shrank it.
func (q *ql) trim(i int, lp []byte) {
	ref, _, _ := q.node(i)
	if len(lp) < len(q.a.Get(ref)) {
		nr, _ := q.a.Resize(ref, len(lp))
		q.setRef(i, nr)
	}
}

// newNode builds a packed node holding v.
func newNode(a *arena.Arena, v []byte) arena.Ref {
	r, b := a.Alloc(len(emptyListpack) + listpack.EntrySize(v))
	copy(b, emptyListpack)
	listpack.Append(b[:len(emptyListpack)], v)
	return r
}

// allowInsert is Redis's _quicklistNodeAllowInsert: may node i take an
// element of sz bytes?
func (q *ql) allowInsert(i, sz int) bool {
	if i < 0 || i >= q.nodes() || q.isPlain(i) || isLarge(sz) {
		return false
	}
	return fits(len(q.blob(i))+sz+insertOverhead, q.count(i)+1, q.fill())
}

// allowMerge is Redis's _quicklistNodeAllowMerge for nodes i and j.
func (q *ql) allowMerge(i, j int) bool {
	n := q.nodes()
	if i < 0 || j < 0 || i >= n || j >= n || q.isPlain(i) || q.isPlain(j) {
		return false
	}
	return fits(len(q.blob(i))+len(q.blob(j))-mergeOverhead, q.count(i)+q.count(j), q.fill())
}

// push adds v at the head or the tail. v must not alias the list.
func (q *ql) push(v []byte, head bool) {
	n := q.nodes()
	k, at := n-1, n
	if head {
		k, at = 0, 0
	}
	switch {
	case isLarge(len(v)):
		q.insertNode(at, q.a.New(v), 1, true)
	case q.allowInsert(k, len(v)):
		lp := q.reserve(k, listpack.EntrySize(v))
		if head {
			listpack.Prepend(lp, v)
		} else {
			listpack.Append(lp, v)
		}
		q.addCount(k, 1)
	default:
		q.insertNode(at, newNode(q.a, v), 1, false)
	}
	q.addLen(1)
}

// first and last are the positions of node k's end elements.
func (q *ql) first(k int) pos {
	if q.isPlain(k) {
		return pos{k, 0}
	}
	return pos{k, listpack.First(q.blob(k))}
}

func (q *ql) last(k int) pos {
	if q.isPlain(k) {
		return pos{k, 0}
	}
	return pos{k, listpack.Last(q.blob(k))}
}

// end is the position of the head or the tail element.
func (q *ql) end(head bool) pos {
	if head {
		return q.first(0)
	}
	return q.last(q.nodes() - 1)
}

// next and prev step to the adjacent element, ok false past an end.
func (q *ql) next(p pos) (pos, bool) {
	if !q.isPlain(p.n) {
		if off := listpack.Next(q.blob(p.n), p.off); off >= 0 {
			return pos{p.n, off}, true
		}
	}
	if p.n+1 >= q.nodes() {
		return p, false
	}
	return q.first(p.n + 1), true
}

func (q *ql) prev(p pos) (pos, bool) {
	if !q.isPlain(p.n) {
		if off := listpack.Prev(q.blob(p.n), p.off); off >= 0 {
			return pos{p.n, off}, true
		}
	}
	if p.n == 0 {
		return p, false
	}
	return q.last(p.n - 1), true
}

// at is the position of index i (negative counts from the end), and
// false when i is out of range.
func (q *ql) at(i int64) (pos, bool) {
	if i < 0 {
		i += q.Len()
	}
	if i < 0 || i >= q.Len() {
		return pos{}, false
	}
	return q.seek(i), true
}

// seek finds the element at index i, 0 <= i < Len, skipping whole nodes
// from the nearer end.
func (q *ql) seek(i int64) pos {
	k, idx := q.locate(i)
	if q.isPlain(k) {
		return pos{k, 0}
	}
	return pos{k, listpack.Seek(q.blob(k), idx)}
}

// locate returns the node holding element i and i's index in it.
func (q *ql) locate(i int64) (node, idx int) {
	if l := q.Len(); i >= l/2 {
		left := l - 1 - i // elements after i
		for k := q.nodes() - 1; ; k-- {
			c := int64(q.count(k))
			if left < c {
				return k, int(c - 1 - left)
			}
			left -= c
		}
	}
	for k := 0; ; k++ {
		c := int64(q.count(k))
		if i < c {
			return k, int(i)
		}
		i -= c
	}
}

// get returns the element at p, as listpack.Get does.
func (q *ql) get(p pos) (s []byte, n int64, isInt bool) {
	if q.isPlain(p.n) {
		return q.blob(p.n), 0, false
	}
	return listpack.Get(q.blob(p.n), p.off)
}

// equal compares the element at p with v.
func (q *ql) equal(p pos, v []byte) bool {
	if q.isPlain(p.n) {
		return string(q.blob(p.n)) == string(v)
	}
	return listpack.Compare(q.blob(p.n), p.off, v)
}

// del removes the element at p and returns the position of the element
// that followed it, going forward or backward; ok is false if none did.
func (q *ql) del(p pos, forward bool) (pos, bool) {
	q.addLen(-1)
	if q.isPlain(p.n) || q.count(p.n) == 1 {
		q.removeNode(p.n)
		if forward {
			if p.n < q.nodes() {
				return q.first(p.n), true
			}
			return p, false
		}
		if p.n > 0 {
			return q.last(p.n - 1), true
		}
		return p, false
	}
	lp := q.blob(p.n)
	before := listpack.Prev(lp, p.off)
	lp, after := listpack.Delete(lp, p.off)
	q.trim(p.n, lp)
	q.addCount(p.n, -1)
	switch {
	case forward && after >= 0:
		return pos{p.n, after}, true
	case forward && p.n+1 < q.nodes():
		return q.first(p.n + 1), true
	case !forward && before >= 0:
		return pos{p.n, before}, true
	case !forward && p.n > 0:
		return q.last(p.n - 1), true
	}
	return p, false
}

// delRange removes count elements from index start (0 <= start < Len),
// whole nodes at a time where it can, as Redis's quicklistDelRange; it
// never merges what is left.
func (q *ql) delRange(start, count int64) {
	count = min(count, q.Len()-start)
	if count <= 0 {
		return
	}
	k, idx := q.locate(start)
	q.addLen(-int(count))
	for count > 0 {
		c := q.count(k)
		del := min(int64(c-idx), count)
		count -= del
		if idx == 0 && del == int64(c) || q.isPlain(k) {
			q.removeNode(k)
		} else {
			lp := listpack.DeleteRange(q.blob(k), idx, int(del))
			q.trim(k, lp)
			q.addCount(k, -int(del))
			k++
		}
		idx = 0
	}
}

// index returns p's element's index within its node.
func (q *ql) index(p pos) int {
	if q.isPlain(p.n) {
		return 0
	}
	lp, i := q.blob(p.n), 0
	for off := listpack.First(lp); off != p.off; off = listpack.Next(lp, off) {
		i++
	}
	return i
}

// split cuts packed node k in two before its element at idx: node k keeps
// elements [0, idx), a new node k+1 gets the rest.
func (q *ql) split(k, idx int) {
	src, c := q.blob(k), q.count(k)
	r, hi := q.a.Alloc(len(src))
	copy(hi, src)
	hi = listpack.DeleteRange(hi, 0, idx)
	r, _ = q.a.Resize(r, len(hi))
	q.trim(k, listpack.DeleteRange(q.blob(k), idx, math.MaxInt))
	q.addCount(k, idx-c)
	q.insertNode(k+1, r, c-idx, false)
}

// merge joins node k+1 into node k.
func (q *ql) merge(k int) {
	ra, ca, _ := q.node(k)
	la := len(q.a.Get(ra))
	nr, b := q.a.Fit(ra, la+len(q.blob(k+1))-listpack.HeaderSize-1)
	listpack.Merge(b[:la], q.blob(k+1))
	q.setNode(k, nr, ca+q.count(k+1), false)
	q.removeNode(k + 1)
}

// mergeAround is Redis's _quicklistMergeNodes after a split: it tries to
// merge the two nodes before center, the two after it, then center with
// its neighbours.
func (q *ql) mergeAround(center int) {
	if q.allowMerge(center-2, center-1) {
		q.merge(center - 2)
		center--
	}
	if q.allowMerge(center+1, center+2) {
		q.merge(center + 1)
	}
	target := center
	if q.allowMerge(center, center-1) {
		q.merge(center - 1)
		target = center - 1
	}
	if q.allowMerge(target, target+1) {
		q.merge(target)
	}
}

// insert puts v before or after the element at p, as Redis's
// _quicklistInsert places it: in p's node if it has room, else at the
// near end of a neighbour that has, else in a new node, splitting p's
// node when p is inside it. v must not alias the list.
func (q *ql) insert(p pos, after bool, v []byte) {
	k, plain := p.n, q.isPlain(p.n)
	full := !q.allowInsert(k, len(v))
	var atTail, atHead, availNext, availPrev bool
	if after && (plain || listpack.Next(q.blob(k), p.off) < 0) {
		atTail = true
		availNext = q.allowInsert(k+1, len(v))
	}
	if !after && (plain || p.off == listpack.HeaderSize) {
		atHead = true
		availPrev = q.allowInsert(k-1, len(v))
	}
	at := k // where a new node goes
	if after {
		at = k + 1
	}
	q.addLen(1)
	switch {
	case isLarge(len(v)):
		if !plain && !(atTail && after) && !(atHead && !after) {
			idx := q.index(p)
			if after {
				idx++
			}
			q.split(k, idx)
			at = k + 1
		}
		q.insertNode(at, q.a.New(v), 1, true)
	case !full:
		lp := q.reserve(k, listpack.EntrySize(v))
		where := listpack.Before
		if after {
			where = listpack.After
		}
		listpack.Insert(lp, p.off, where, v)
		q.addCount(k, 1)
	case atTail && availNext:
		listpack.Prepend(q.reserve(k+1, listpack.EntrySize(v)), v)
		q.addCount(k+1, 1)
	case atHead && availPrev:
		listpack.Append(q.reserve(k-1, listpack.EntrySize(v)), v)
		q.addCount(k-1, 1)
	case atTail || atHead:
		q.insertNode(at, newNode(q.a, v), 1, false)
	default:
		// Split p's node around p and put v at the cut, in the new half.
		idx := q.index(p)
		center := k
		if after {
			idx++
		} else {
			center = k + 1
		}
		q.split(k, idx)
		if after {
			listpack.Prepend(q.reserve(k+1, listpack.EntrySize(v)), v)
			q.addCount(k+1, 1)
		} else {
			listpack.Append(q.reserve(k, listpack.EntrySize(v)), v)
			q.addCount(k, 1)
		}
		q.mergeAround(center)
	}
}

// replace overwrites the element at p with v, as Redis's
// quicklistReplaceEntry: in place when both are packed, else by inserting
// v after p and deleting p.
func (q *ql) replace(p pos, v []byte) {
	plain := q.isPlain(p.n)
	switch {
	case !plain && !isLarge(len(v)):
		lp := q.blob(p.n)
		old := listpack.EntryLen(lp, p.off)
		lp = q.reserve(p.n, max(listpack.EntrySize(v)-old, 0))
		lp, _ = listpack.Insert(lp, p.off, listpack.Replace, v)
		q.trim(p.n, lp)
	case plain && isLarge(len(v)):
		ref, _, _ := q.node(p.n)
		q.setRef(p.n, q.a.Store(ref, v))
	default:
		q.insert(p, true, v)
		// p's node now ends with p's element.
		q.del(q.last(p.n), true)
	}
}
