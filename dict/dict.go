// Package dict is the hash table under the keyspace (and, for big
// collections, under hashes and sets): a chained table whose entries and
// bucket arrays contain no Go pointers.
//
// Entries live in slabs and are named by a uint32 id; chains link ids, not
// pointers, and keys are arena blobs. The garbage collector therefore has
// nothing to scan however many keys there are.
//
// The table keeps Redis's guarantees because it has Redis's shape:
//   - power-of-two bucket arrays, grown at load factor 1 and shrunk below
//     10% fill, rehashed incrementally (a bucket per write, more from the
//     server's cron) so no single command pays for a whole resize;
//   - SCAN walks buckets with a reverse-binary cursor, which returns every
//     key present for the whole scan at least once, across any number of
//     resizes in between calls;
//   - an entry id stays the same while the entry lives, so an id held
//     during one command cannot go stale. Free ids are reused lowest
//     first, and Compact (run from cron) moves the highest entries into
//     holes so the slabs shrink after mass deletes and random sampling
//     (eviction, active expiry, RANDOMKEY) stays O(1): pick a random id
//     below the high-water mark, retry on a hole.
package dict

import (
	"bytes"
	"hash/maphash"
	"math/bits"
	"unsafe"

	"github.com/redoubt-db/redoubt/arena"
)

// Entry is one key of the table, 24 bytes. Val and Meta belong to the
// owner, and so does a third word, Aux, kept beside the slabs in arrays
// made only for the slabs where an entry has one (the keyspace's expire
// index: a dataset without TTLs pays nothing for it). The key's hash is
// not kept: it is computed again from the key where needed (a rehash, a
// delete), as Redis does, which costs a read of the key where Redis
// reads its sds.
type Entry struct {
	next uint32 // id+1 of the next entry in the chain, 0 at the end
	Meta uint32
	// key is the key's blob, zero for a free entry, with a tag of the
	// key's hash in bits an arena Ref leaves zero (see tagShift).
	key arena.Ref
	Val uint64
}

// An arena Ref's offset is under 1 MiB (pages are at most 512 KiB), so
// the 12 bits above it are free: an entry keeps the top 12 bits of its
// key's hash there, and a look-up reads the key of a chain entry only
// when the tags match (one in 4,096 otherwise), without the 4 bytes a
// hash field would cost per entry.
const (
	tagShift = 20
	tagMask  = arena.Ref(0xfff) << tagShift
)

// The tag's bits are above every offset.
var _ = [1<<tagShift - arena.MaxOffset]struct{}{}

func tagOf(h uint32) arena.Ref { return arena.Ref(h>>20) << tagShift }

// KeyRef is the key's blob.
func (e *Entry) KeyRef() arena.Ref { return e.key &^ tagMask }

// MoveKey lets move replace the key's blob by a copy elsewhere (memory
// compaction); it reports whether move did.
func (e *Entry) MoveKey(move func(ref *uint64) bool) bool {
	r := uint64(e.KeyRef())
	if !move(&r) {
		return false
	}
	e.key = arena.Ref(r) | e.key&tagMask
	return true
}

// None is returned for a missing key.
const None = ^uint32(0)

const (
	chunkShift = 12 // 4096 entries (96 KiB) per slab
	chunkSize  = 1 << chunkShift
	chunkMask  = chunkSize - 1
	// A slab or bucket array this big or bigger is mapped off-heap; smaller
	// ones are plain Go memory, so small tables cost little.
	offHeapMin = 64 << 10
	minBuckets = 4
)

type table struct {
	b    []uint32 // id+1 of each chain's head
	mask uint64
}

func (t *table) size() uint64 { return uint64(len(t.b)) }

// Dict is a hash table from byte-string keys to entries.
type Dict struct {
	a      *arena.Arena
	seed   maphash.Seed
	chunks [][]Entry
	// aux holds each slab's Aux words, nil for a slab none of whose
	// entries has one; auxSlots is the words they hold together.
	aux      [][]uint32
	auxSlots int
	// slots is the entries the slabs have room for (the sum of their
	// lengths), so that MemoryUsage is O(1): eviction asks for it
	// after every key it evicts.
	slots int
	hi    uint32   // ids below hi have been handed out at least once
	free  []uint64 // bitmap of free ids below hi
	// freeSum has a bit per word of free, set when the word has a free
	// id: finding the lowest free id skips 4096 ids per word read, where
	// scanning free alone crossed a thousand words per insert once
	// eviction scattered single holes over a big table.
	freeSum []uint64
	nfree   uint32
	low     uint32 // no free id is below low
	t       [2]table
	// rehash is the next bucket of t[0] to move to t[1], or -1.
	rehash int64
	paused int
	// OnMove is called when Compact moves an entry to a new id.
	OnMove func(from, to uint32)
	// reported is MemoryUsage as last added to the arena's count of
	// the tables' memory (report).
	reported int64
	// AllowGrow, if set, may refuse a growth of the bucket array by
	// more bytes while the chains are still short (Redis's
	// dictExpandAllowed: a database's table does not grow past
	// maxmemory, which would evict keys to make room for buckets).
	AllowGrow func(more int64) bool
}

// New returns an empty table whose keys are allocated in a.
func New(a *arena.Arena) *Dict {
	return &Dict{a: a, seed: maphash.MakeSeed(), rehash: -1}
}

// Len is the number of keys.
func (d *Dict) Len() int { return int(d.hi - d.nfree) }

// Buckets is the number of buckets of the main table and of the table
// being rehashed into, for DEBUG HTSTATS and MEMORY STATS.
func (d *Dict) Buckets() (main, rehashing int) { return len(d.t[0].b), len(d.t[1].b) }

// Rehashing reports whether an incremental rehash is in progress.
func (d *Dict) Rehashing() bool { return d.rehash >= 0 }

// At returns the entry with the given id. The pointer is valid until the
// next Insert or Compact.
func (d *Dict) At(id uint32) *Entry { return &d.chunks[id>>chunkShift][id&chunkMask] }

// Live reports whether id names an entry in use.
func (d *Dict) Live(id uint32) bool { return id < d.hi && d.At(id).key != 0 }

// Stamp tells one entry's key from another's without reading either:
// the key's blob and the owner's Meta word (the keyspace's access data).
// A key keeps its stamp while it stays at its id and is not touched;
// another key that reuses the id has another stamp, but for a new blob
// in the very slot of the old one and the same Meta (for the keyspace:
// the same kind, encoding and access data, so an equal candidate for
// eviction).
type Stamp struct {
	key  arena.Ref
	meta uint32
}

// StampOf returns the stamp of a live entry.
func (d *Dict) StampOf(id uint32) Stamp {
	e := d.At(id)
	return Stamp{e.key, e.Meta}
}

// HasStamp reports whether id names a live entry with stamp st.
func (d *Dict) HasStamp(id uint32, st Stamp) bool {
	if id >= d.hi {
		return false
	}
	e := d.At(id)
	return e.key != 0 && e.key == st.key && e.Meta == st.meta
}

// Aux returns the Aux word of an entry (0 until set).
func (d *Dict) Aux(id uint32) uint32 {
	if a := d.aux[id>>chunkShift]; a != nil {
		return a[id&chunkMask]
	}
	return 0
}

// SetAux sets the Aux word of an entry.
func (d *Dict) SetAux(id uint32, v uint32) {
	ci := id >> chunkShift
	if d.aux[ci] == nil {
		if v == 0 {
			return
		}
		d.aux[ci] = allocU32(len(d.chunks[ci]))
		d.auxSlots += len(d.aux[ci])
		d.report()
	}
	d.aux[ci][id&chunkMask] = v
}

// Key returns the key of an entry (aliasing arena memory).
func (d *Dict) Key(id uint32) []byte { return d.a.Get(d.At(id).KeyRef()) }

// Hash returns the hash of a key.
func (d *Dict) Hash(key []byte) uint32 { return uint32(maphash.Bytes(d.seed, key)) }

// Find returns the id of key, or None.
func (d *Dict) Find(key []byte) uint32 {
	if d.Len() == 0 {
		return None
	}
	h := d.Hash(key)
	tag := tagOf(h)
	for ti := 0; ti < 2; ti++ {
		t := &d.t[ti]
		if len(t.b) == 0 {
			break
		}
		idx := uint64(h) & t.mask
		if ti == 0 && d.rehash >= 0 && idx < uint64(d.rehash) {
			continue // already moved to t[1]
		}
		for n := t.b[idx]; n != 0; {
			e := d.At(n - 1)
			if e.key&tagMask == tag && bytes.Equal(d.a.Get(e.KeyRef()), key) {
				return n - 1
			}
			n = e.next
		}
		if d.rehash < 0 {
			break
		}
	}
	return None
}

// Insert adds key, which must not be present, and returns its new id.
func (d *Dict) Insert(key []byte) uint32 {
	d.rehashStep()
	d.growIfNeeded()
	id := d.newID()
	h := d.Hash(key)
	e := d.At(id)
	*e = Entry{key: d.a.New(key) | tagOf(h)}
	t := &d.t[0]
	if d.rehash >= 0 {
		t = &d.t[1]
	}
	idx := uint64(h) & t.mask
	e.next = t.b[idx]
	t.b[idx] = id + 1
	d.report()
	return id
}

// report brings the arena's count of the tables' memory up to date
// with a change of this table's.
func (d *Dict) report() { d.a.ReportTables(&d.reported, d.MemoryUsage()) }

// Delete removes the entry with the given id and frees its key. The
// owner frees whatever Val refers to.
func (d *Dict) Delete(id uint32) {
	d.rehashStep()
	e := d.At(id)
	link := d.linkTo(id, d.Hash(d.a.Get(e.KeyRef())))
	*link = e.next
	d.a.Free(e.KeyRef())
	*e = Entry{}
	d.SetAux(id, 0)
	d.freeID(id)
	d.shrinkIfNeeded()
	d.report()
}

// linkTo finds the chain link that points at id. During a rehash the
// entry is in the old table unless its bucket was moved or it was inserted
// since, so both chains may need a look.
func (d *Dict) linkTo(id uint32, h uint32) *uint32 {
	for ti := 0; ti < 2; ti++ {
		t := &d.t[ti]
		idx := uint64(h) & t.mask
		if ti == 0 && d.rehash >= 0 && idx < uint64(d.rehash) {
			continue
		}
		link := &t.b[idx]
		for *link != 0 {
			if *link == id+1 {
				return link
			}
			link = &d.At(*link - 1).next
		}
	}
	panic("dict: entry not linked")
}

// Clear removes every key. The owner must have freed the values first.
func (d *Dict) Clear() {
	for id := uint32(0); id < d.hi; id++ {
		if e := d.At(id); e.key != 0 {
			d.a.Free(e.KeyRef())
		}
	}
	for _, c := range d.chunks {
		freeEntries(c)
	}
	for _, a := range d.aux {
		freeU32(a)
	}
	freeU32(d.t[0].b)
	freeU32(d.t[1].b)
	d.a.ReportTables(&d.reported, 0)
	*d = Dict{a: d.a, seed: d.seed, rehash: -1, OnMove: d.OnMove, AllowGrow: d.AllowGrow, paused: d.paused}
}

// ---- ids ----

func (d *Dict) newID() uint32 {
	if d.nfree > 0 {
		id := d.lowestFree()
		d.clearFree(id)
		d.nfree--
		d.low = id + 1
		return id
	}
	id := d.hi
	if id == None {
		panic("dict: too many entries")
	}
	if int(id>>chunkShift) == len(d.chunks) || len(d.chunks[id>>chunkShift]) <= int(id&chunkMask) {
		d.growChunks(id)
	}
	d.hi++
	if int(d.hi+63)/64 > len(d.free) {
		d.free = append(d.free, 0)
		if (len(d.free)+63)/64 > len(d.freeSum) {
			d.freeSum = append(d.freeSum, 0)
		}
	}
	return id
}

// lowestFree returns the lowest free id; there must be one.
func (d *Dict) lowestFree() uint32 {
	w := d.low / 64
	if word := d.free[w] >> (d.low % 64); word != 0 {
		return d.low + uint32(bits.TrailingZeros64(word))
	}
	// The next word with a free id, from the summary.
	w++
	for sw := w / 64; ; sw++ {
		sum := d.freeSum[sw]
		if sw == w/64 {
			sum &= ^uint64(0) << (w % 64)
		}
		if sum != 0 {
			w = sw*64 + uint32(bits.TrailingZeros64(sum))
			return w*64 + uint32(bits.TrailingZeros64(d.free[w]))
		}
	}
}

// isFree, setFree and clearFree read and write an id's bit, keeping the
// summary in step.
func (d *Dict) isFree(id uint32) bool { return d.free[id/64]&(1<<(id%64)) != 0 }

func (d *Dict) setFree(id uint32) {
	w := id / 64
	d.free[w] |= 1 << (id % 64)
	d.freeSum[w/64] |= 1 << (w % 64)
}

func (d *Dict) clearFree(id uint32) {
	w := id / 64
	d.free[w] &^= 1 << (id % 64)
	if d.free[w] == 0 {
		d.freeSum[w/64] &^= 1 << (w % 64)
	}
}

func (d *Dict) freeID(id uint32) {
	d.setFree(id)
	d.nfree++
	if id < d.low {
		d.low = id
	}
	d.trimTail()
}

// trimTail lowers the high-water mark past free ids at the top and
// releases slabs no longer needed (keeping one spare to avoid thrashing).
func (d *Dict) trimTail() {
	for d.hi > 0 && d.isFree(d.hi-1) {
		d.hi--
		d.clearFree(d.hi)
		d.nfree--
	}
	if d.low > d.hi {
		d.low = d.hi
	}
	keep := int(d.hi+chunkSize-1)>>chunkShift + 1
	for len(d.chunks) > keep {
		last := len(d.chunks) - 1
		d.slots -= len(d.chunks[last])
		freeEntries(d.chunks[last])
		freeU32(d.aux[last])
		d.auxSlots -= len(d.aux[last])
		d.chunks, d.aux = d.chunks[:last], d.aux[:last]
	}
	if words := int(d.hi+63) / 64; words < len(d.free)/2 {
		d.free = append([]uint64(nil), d.free[:words]...)
		d.freeSum = append([]uint64(nil), d.freeSum[:(words+63)/64]...)
	}
}

// growChunks makes room for id. The first slab starts small and doubles,
// so a table with a handful of keys costs a few hundred bytes.
func (d *Dict) growChunks(id uint32) {
	ci := int(id >> chunkShift)
	if ci < len(d.chunks) {
		old := d.chunks[ci]
		n := min(chunkSize, 2*len(old))
		c := allocEntries(n)
		copy(c, old)
		freeEntries(old)
		d.chunks[ci] = c
		d.slots += n - len(old)
		if a := d.aux[ci]; a != nil {
			na := allocU32(n)
			copy(na, a)
			freeU32(a)
			d.aux[ci] = na
			d.auxSlots += n - len(a)
		}
		return
	}
	n := chunkSize
	if ci == 0 {
		n = 8
	}
	d.chunks = append(d.chunks, allocEntries(n))
	d.aux = append(d.aux, nil)
	d.slots += n
}

// Compact moves up to budget entries from the top of the id space into
// free ids below, so that slabs can be released and random sampling keeps
// hitting live entries. It reports whether holes remain. Call it between
// commands: it changes ids.
func (d *Dict) Compact(budget int) bool {
	for ; budget > 0 && d.nfree > 0; budget-- {
		src := d.hi - 1 // live: trimTail keeps the top id live
		dst := d.newID()
		se := d.At(src)
		*d.linkTo(src, d.Hash(d.a.Get(se.KeyRef()))) = dst + 1
		*d.At(dst) = *se
		*se = Entry{}
		d.SetAux(dst, d.Aux(src))
		d.SetAux(src, 0)
		d.freeID(src)
		if d.OnMove != nil {
			d.OnMove(src, dst)
		}
	}
	d.report()
	return d.nfree > 0
}

// Sparse reports whether compaction is worth running: more than a quarter
// of the ids below the high-water mark are holes.
func (d *Dict) Sparse() bool { return d.nfree > 64 && d.nfree > d.hi/4 }

// Random returns the id of a uniformly chosen key, or None if empty. rnd
// is a source of random numbers.
func (d *Dict) Random(rnd func(n uint32) uint32) uint32 {
	if d.Len() == 0 {
		return None
	}
	for try := 0; try < 32; try++ {
		id := rnd(d.hi)
		if d.At(id).key != 0 {
			return id
		}
	}
	// Mostly holes: walk from a random point to the next live entry.
	id := rnd(d.hi)
	for d.At(id).key == 0 {
		id = (id + 1) % d.hi
	}
	return id
}

// EachFrom calls fn for the live entries from id from on, in id order,
// up to budget of them, and returns the id to go on from, or done once
// the table is through. fn may change an entry's Key to another blob of
// the same bytes (compaction moving it), and must not insert or delete.
func (d *Dict) EachFrom(from uint32, budget int, fn func(e *Entry)) (next uint32, done bool) {
	for ; from < d.hi && budget > 0; from++ {
		if e := d.At(from); e.key != 0 {
			fn(e)
			budget--
		}
	}
	return from, from >= d.hi
}

// ForEach calls fn for every entry id in id order until fn returns false.
// fn must not insert or delete.
func (d *Dict) ForEach(fn func(id uint32) bool) {
	for id := uint32(0); id < d.hi; id++ {
		if d.At(id).key != 0 && !fn(id) {
			return
		}
	}
}

// Sample calls fn for count distinct, uniformly chosen entries (all of
// them if count >= Len), for SRANDMEMBER-style commands. When count is a
// large part of the table it walks the table once, keeping each entry
// with the probability that leaves exactly count (selection sampling);
// otherwise it draws random entries and skips repeats.
func (d *Dict) Sample(count int, rnd func(n uint32) uint32, fn func(id uint32)) {
	n := d.Len()
	if count >= n {
		d.ForEach(func(id uint32) bool { fn(id); return true })
		return
	}
	if count*3 > n {
		left := n
		d.ForEach(func(id uint32) bool {
			if int(rnd(uint32(left))) < count {
				fn(id)
				count--
			}
			left--
			return count > 0
		})
		return
	}
	seen := make(map[uint32]struct{}, count)
	for len(seen) < count {
		id := d.Random(rnd)
		if _, dup := seen[id]; !dup {
			seen[id] = struct{}{}
			fn(id)
		}
	}
}

// ---- resizing ----

func (d *Dict) growIfNeeded() {
	if d.rehash >= 0 {
		return
	}
	if len(d.t[0].b) == 0 {
		d.t[0] = newTable(minBuckets)
		return
	}
	n := uint64(d.Len()) + 1
	// A paused table (KEYS or a snapshot walking it) grows only when its
	// chains get really long, like Redis's dict_force_resize_ratio.
	if n > d.t[0].size() && (d.paused == 0 || n/d.t[0].size() > 5) {
		size := nextPow2(n)
		// Past a load factor of 1.618 (Redis's
		// HASHTABLE_MAX_LOAD_FACTOR) the table grows whatever it costs.
		if d.AllowGrow != nil && n*1000 <= d.t[0].size()*1618 && !d.AllowGrow(int64(size)*4) {
			return
		}
		d.startRehash(size)
	}
}

// Expand makes room for n keys at once (Redis's dictExpand, which DEBUG
// POPULATE and loading call before adding many keys): an empty table
// gets its bucket array at that size, a fuller one starts a rehash to it.
// It does nothing while a rehash is under way or the table is paused, or
// if the table is big enough.
func (d *Dict) Expand(n int) {
	size := nextPow2(uint64(n))
	if d.rehash >= 0 || d.paused > 0 || size <= d.t[0].size() {
		return
	}
	if d.Len() == 0 {
		freeU32(d.t[0].b)
		d.t[0] = newTable(size)
	} else {
		d.startRehash(size)
	}
	d.report()
}

func (d *Dict) shrinkIfNeeded() {
	if d.rehash >= 0 || d.paused > 0 {
		return
	}
	size := d.t[0].size()
	if size > minBuckets && uint64(d.Len())*100/size < 10 {
		d.startRehash(max(minBuckets, nextPow2(uint64(d.Len()))))
	}
}

func (d *Dict) startRehash(size uint64) {
	if size == d.t[0].size() {
		return
	}
	d.t[1] = newTable(size)
	d.rehash = 0
}

// rehashStep moves one bucket, as Redis does on each write.
func (d *Dict) rehashStep() {
	if d.rehash >= 0 && d.paused == 0 {
		d.Rehash(1)
	}
}

// Rehash starts a shrink if the table is mostly empty, then moves up to n
// non-empty buckets to the new table; it reports whether a rehash is still
// in progress. Empty buckets count a tenth.
func (d *Dict) Rehash(n int) bool {
	if d.rehash < 0 {
		// Deletes alone do not shrink a table that is not written to
		// again; the server's cron gets it here.
		d.shrinkIfNeeded()
		d.report()
	}
	if d.rehash < 0 || d.paused > 0 {
		return d.rehash >= 0
	}
	empty := n * 10
	old, nt := &d.t[0], &d.t[1]
	for n > 0 && uint64(d.rehash) < old.size() {
		i := d.rehash
		if old.b[i] == 0 {
			d.rehash++
			if empty--; empty == 0 {
				return true
			}
			continue
		}
		for id := old.b[i]; id != 0; {
			e := d.At(id - 1)
			next := e.next
			idx := uint64(d.Hash(d.a.Get(e.KeyRef()))) & nt.mask
			e.next = nt.b[idx]
			nt.b[idx] = id
			id = next
		}
		old.b[i] = 0
		d.rehash++
		n--
	}
	if uint64(d.rehash) < old.size() {
		return true
	}
	freeU32(old.b)
	d.t[0], d.t[1] = d.t[1], table{}
	d.rehash = -1
	d.shrinkIfNeeded()
	d.report()
	return d.rehash >= 0
}

// Pause stops rehashing (and shrinking) until Resume, so that an
// iteration over buckets spanning several commands, such as an
// incremental KEYS or a snapshot, sees every bucket exactly once.
func (d *Dict) Pause() { d.paused++ }

// Resume undoes Pause.
func (d *Dict) Resume() { d.paused-- }

// GroupMask splits the keys of a paused table into groups that stay in
// known buckets until Resume: a key's group is its hash & GroupMask. It is
// the mask of the smaller of the two tables, so a group is one bucket of
// that table and the buckets of the other table that its keys rehash to.
// A paused table may still start to grow (see growIfNeeded), but its keys
// only move when it resumes.
func (d *Dict) GroupMask() uint64 {
	m := d.t[0].mask
	if len(d.t[1].b) > 0 && (len(d.t[0].b) == 0 || d.t[1].mask < m) {
		m = d.t[1].mask
	}
	return m
}

// EachInGroup calls fn with the id of every key whose hash & mask is g,
// for a mask from GroupMask taken while the table has stayed paused.
func (d *Dict) EachInGroup(mask, g uint64, fn func(id uint32)) {
	for ti := range d.t {
		t := &d.t[ti]
		for i := g; i < t.size(); i += mask + 1 {
			for n := t.b[i]; n != 0; {
				next := d.At(n - 1).next
				fn(n - 1)
				n = next
			}
		}
	}
}

func newTable(size uint64) table {
	return table{b: allocU32(int(size)), mask: size - 1}
}

func nextPow2(n uint64) uint64 {
	if n <= minBuckets {
		return minBuckets
	}
	return 1 << bits.Len64(n-1)
}

// ---- scanning ----

// Scan calls fn with the id of every entry in the bucket(s) named by
// cursor and returns the next cursor; 0 means the scan is complete. It is
// Redis's reverse-binary cursor: a key present from the first call to the
// last is returned at least once however the table is resized in between.
// fn must not insert or delete.
func (d *Dict) Scan(cursor uint64, fn func(id uint32)) uint64 {
	if d.Len() == 0 {
		return 0
	}
	v := cursor
	emit := func(t *table, idx uint64) {
		for n := t.b[idx]; n != 0; n = d.At(n - 1).next {
			fn(n - 1)
		}
	}
	if d.rehash < 0 {
		t := &d.t[0]
		emit(t, v&t.mask)
		v |= ^t.mask
		return nextCursor(v)
	}
	small, big := &d.t[0], &d.t[1]
	if small.size() > big.size() {
		small, big = big, small
	}
	emit(small, v&small.mask)
	// Then every bucket of the big table that the small bucket expands to.
	for {
		emit(big, v&big.mask)
		v |= ^big.mask
		v = nextCursor(v)
		if v&(small.mask^big.mask) == 0 {
			break
		}
	}
	return v
}

// nextCursor increments the reversed bits of v.
func nextCursor(v uint64) uint64 {
	v = bits.Reverse64(v)
	v++
	return bits.Reverse64(v)
}

// ---- memory ----

func allocEntries(n int) []Entry {
	size := n * int(unsafe.Sizeof(Entry{}))
	if size < offHeapMin {
		return make([]Entry, n)
	}
	m := mapOrPanic(size)
	return unsafe.Slice((*Entry)(unsafe.Pointer(&m[0])), n)
}

func freeEntries(c []Entry) {
	freeSlab(unsafe.Slice((*byte)(unsafe.Pointer(&c[0])), len(c)*int(unsafe.Sizeof(Entry{}))))
}

func allocU32(n int) []uint32 {
	if n*4 < offHeapMin {
		return make([]uint32, n)
	}
	m := mapOrPanic(n * 4)
	return unsafe.Slice((*uint32)(unsafe.Pointer(&m[0])), n)
}

func freeU32(b []uint32) {
	if len(b) == 0 {
		return
	}
	freeSlab(unsafe.Slice((*byte)(unsafe.Pointer(&b[0])), len(b)*4))
}

// freeSlab returns off-heap memory to the OS; Go memory is left to the GC.
func freeSlab(m []byte) {
	if len(m) >= offHeapMin {
		arena.Unmap(m)
	}
}

func mapOrPanic(size int) []byte {
	m, err := arena.Map(size)
	if err != nil {
		panic("dict: cannot map memory: " + err.Error())
	}
	return m
}

// MemoryUsage is the memory held by the table's slabs and buckets (not
// counting keys and values in the arena). A slab is mapped whole but its
// pages are only resident once entries are written there: the entries
// counted are those below the highest id handed out, to the page, so
// that the figure grows with the keys as Redis's per-entry allocations
// do, not by a whole slab at a time (which made one SET push used
// memory up by 64 KB past a tight maxmemory).
func (d *Dict) MemoryUsage() int64 {
	const perPage = 4096 / int64(unsafe.Sizeof(Entry{}))
	touched := (int64(d.hi) + perPage - 1) / perPage * perPage
	n := min(int64(d.slots), touched) * int64(unsafe.Sizeof(Entry{}))
	n += int64(len(d.t[0].b)+len(d.t[1].b)) * 4
	n += int64(len(d.free)+len(d.freeSum)) * 8
	n += int64(d.auxSlots) * 4
	return n
}

// EstimateUsage is MemoryUsage plus the memory the entries point to,
// extrapolated from the sizes of the first samples entries, so that it
// stays O(1) however big the table is.
func (d *Dict) EstimateUsage(samples int, size func(eid uint32) int) int {
	sampled, bytes := 0, 0
	d.ForEach(func(eid uint32) bool {
		bytes += size(eid)
		sampled++
		return sampled < samples
	})
	n := int(d.MemoryUsage())
	if sampled > 0 {
		n += bytes * d.Len() / sampled
	}
	return n
}

// Drain deletes up to budget entries of a table that is no longer in use
// (a flushed database being freed in the background), calling fn on each
// so the owner can free the value; it returns how many it deleted. Chains
// are not maintained: after Drain, the table is only good for Len and
// Clear.
func (d *Dict) Drain(budget int, fn func(e *Entry)) int {
	n := 0
	for ; n < budget && d.hi > 0; d.hi-- {
		id := d.hi - 1
		if d.isFree(id) {
			d.clearFree(id)
			d.nfree--
			continue
		}
		e := d.At(id)
		fn(e)
		d.a.Free(e.KeyRef())
		*e = Entry{}
		d.SetAux(id, 0)
		n++
	}
	d.report()
	return n
}
