// Package arena is the memory that holds the dataset: a slab allocator over
// pages mapped outside the Go heap.
//
// Keys and values live here as blobs, addressed by a Ref (a page number and
// an offset, not a pointer). The Go garbage collector never sees them: a
// server holding tens of millions of keys has a Go heap of a few megabytes,
// so GC cycles stay short and rare whatever the dataset size. It also makes
// memory accounting exact: every byte the dataset holds is counted here.
//
// A blob is a uvarint length followed by its bytes, stored in a slot of the
// smallest size class that fits it. Small classes are 4 bytes apart up to
// 64 and 8 up to 128, larger ones four per doubling, so the slack per blob
// stays well below what jemalloc gives Redis. Each page serves one class and keeps its own free list, so a
// page whose blobs are all freed goes back to the operating system. Blobs
// too big for a class get a mapping of their own.
//
// An Arena is not safe for concurrent use: it belongs to the goroutine that
// holds the keyspace lock.
package arena

import (
	"encoding/binary"
	"fmt"
	"unsafe"

	"github.com/redoubt-db/redoubt/internal/prefetch"
)

// Ref addresses a blob: the page number in the high 32 bits and the byte
// offset of its slot in the low 32. The zero Ref is no blob. Offsets stay
// under MaxOffset (pages are at most 16 slots of MaxSlot bytes), and
// dict keeps a tag in the bits above.
type Ref uint64

// MaxOffset bounds the offset of every Ref.
const MaxOffset = 1 << 20

// A page of the biggest class must fit under MaxOffset.
var _ = [MaxOffset - 16*MaxSlot]struct{}{}

func (r Ref) page() uint32   { return uint32(r >> 32) }
func (r Ref) offset() uint32 { return uint32(r) }

func makeRef(page, off uint32) Ref { return Ref(uint64(page)<<32 | uint64(off)) }

const (
	// MaxSlot is the biggest size class; bigger blobs are mapped alone.
	MaxSlot = 32 << 10
	// pageSize is the mapping size for small classes; classes with big
	// slots use pages of at least 16 slots.
	pageSize = 64 << 10
	osPage   = 4096
	large    = -1
)

// classSizes lists slot sizes: every 4 bytes up to 64, where most keys
// and small values fall (a 16-byte key or value with its length byte
// takes a 20-byte slot, not 24: jemalloc would give Redis 32), every 8
// up to 128, then four classes per doubling up to MaxSlot. A slot holds
// at least the 4 bytes of the free-list link.
var classSizes = func() []int {
	var s []int
	for n := 4; n < 64; n += 4 {
		s = append(s, n)
	}
	for n := 64; n <= 128; n += 8 {
		s = append(s, n)
	}
	for base := 128; base < MaxSlot; base *= 2 {
		step := base / 4
		for i := 1; i <= 4; i++ {
			s = append(s, base+i*step)
		}
	}
	return s
}()

// classOf maps a slot size need to its class, in 4-byte steps up to 1 KiB
// and by search above.
var classOfSmall = func() []uint8 {
	t := make([]uint8, 1024/4+1)
	c := 0
	for i := range t {
		for classSizes[c] < i*4 {
			c++
		}
		t[i] = uint8(c)
	}
	return t
}()

func classOf(n int) int {
	if n <= 1024 {
		return int(classOfSmall[(n+3)/4])
	}
	lo, hi := int(classOfSmall[len(classOfSmall)-1]), len(classSizes)-1
	for lo < hi {
		mid := (lo + hi) / 2
		if classSizes[mid] >= n {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

type page struct {
	mem   []byte
	class int16 // index into classSizes, or large
	// avail is the page's index in its class's avail list, plus one.
	avail uint32
	used  uint32 // live slots
	free  uint32 // offset+1 of the first free slot; slots link through their first 4 bytes
	bump  uint32 // offset of the first never-used slot
	// draining pages are emptied by a compaction pass (compact.go):
	// nothing is allocated in them, and they are released when empty.
	draining bool
}

// Arena is a slab allocator. The zero value is not usable; call New.
type Arena struct {
	// gifts are mappings offered by Donate, laid out as large blobs;
	// adopted are those New took since the last Reclaim. The donor's
	// caller may still read an adopted blob's bytes (a command's
	// arguments), so one freed before Reclaim is not unmapped but goes
	// back to gifts.
	gifts     [][]byte
	adopted   [][]byte
	pages     []page
	freeIDs   []uint32   // page numbers available for reuse
	avail     [][]uint32 // per class: pages with at least one free slot
	allocated int64      // bytes of live slots, large mappings included
	mapped    int64      // bytes mapped from the OS by this arena
	draining  int        // pages marked draining by a compaction pass
	unreached int        // pages the last pass could not empty
	// tables is what the structures indexing this arena's blobs hold
	// (dict's slabs and bucket arrays, skiplist nodes, streams' records:
	// each reports it, ReportTables), so that used memory counts a big
	// hash's table as it counts its blobs.
	tables int64
}

// New returns an empty arena.
func New() *Arena {
	// Page 0 is reserved so that the zero Ref means "no blob".
	return &Arena{pages: make([]page, 1), avail: make([][]uint32, len(classSizes))}
}

// Allocated is the number of bytes held by live blobs, slack included: the
// figure Redis reports as used_memory for its allocations.
func (a *Arena) Allocated() int64 { return a.allocated }

// Mapped is the number of bytes this arena has mapped from the OS.
func (a *Arena) Mapped() int64 { return a.mapped }

// ReportTables sets one structure's share of Tables: reported is what
// it last reported (kept by the structure), now what it holds, 0 when
// it is given up. The structures that index the arena's blobs report
// this way as they change: dict's slabs and bucket arrays (which it
// maps itself), skiplist nodes, streams' node lists and consumer groups.
func (a *Arena) ReportTables(reported *int64, now int64) {
	a.tables += now - *reported
	*reported = now
}

// Tables is the memory of the structures indexing the arena's blobs:
// the keyspace's tables, those of big hashes, sets and sorted sets, the
// sorted sets' skiplists and the streams' records.
func (a *Arena) Tables() int64 { return a.tables }

func uvarintLen(n int) int {
	l := 1
	for n >= 0x80 {
		n >>= 7
		l++
	}
	return l
}

// New copies b into a new blob, or makes a donated mapping whose bytes b
// are the blob without copying them.
func (a *Arena) New(b []byte) Ref {
	if len(a.gifts) > 0 && len(b) > MaxSlot {
		if r, ok := a.adopt(b); ok {
			return r
		}
	}
	r, dst := a.Alloc(len(b))
	copy(dst, b)
	return r
}

// BigBlob makes a mapping laid out as a large blob of n bytes, for a
// caller that fills it outside the arena (a server reading a big
// argument off a socket) and may Donate it. It returns the mapping and
// the blob's bytes, with a capacity of two bytes more.
func BigBlob(n int) (m, b []byte, err error) {
	h := uvarintLen(n)
	// Room for two bytes more than the blob: a protocol's CRLF may be
	// read into it too.
	m, err = Map((h + n + 2 + osPage - 1) &^ (osPage - 1))
	if err != nil {
		return nil, nil, err
	}
	binary.PutUvarint(m, uint64(n))
	return m, m[h : h+n : h+n+2], nil
}

// Donate offers a mapping made by BigBlob: the next New of exactly its
// bytes takes the mapping as the blob instead of copying them, as Redis
// keeps a big argument's buffer as the value it stores. Reclaim hands
// back what no New took.
func (a *Arena) Donate(m []byte) { a.gifts = append(a.gifts, m) }

// Reclaim forgets the donations no New took and returns them, for the
// donor to unmap; the slice is reused by the next call.
func (a *Arena) Reclaim() [][]byte {
	g := a.gifts
	a.gifts = a.gifts[:0]
	clear(a.adopted)
	a.adopted = a.adopted[:0]
	return g
}

// adopt takes the donation whose blob is b.
func (a *Arena) adopt(b []byte) (Ref, bool) {
	for i, m := range a.gifts {
		h := uvarintLen(len(b))
		if len(m) < h+len(b) || &m[h] != &b[0] {
			continue
		}
		if n, _ := binary.Uvarint(m); int(n) != len(b) {
			continue
		}
		a.gifts = append(a.gifts[:i], a.gifts[i+1:]...)
		a.adopted = append(a.adopted, m)
		id := a.pageID()
		a.pages[id] = page{mem: m, class: large}
		a.allocated += int64(len(m))
		a.mapped += int64(len(m))
		return makeRef(id, 0), true
	}
	return 0, false
}

// keepAdopted moves a freed mapping adopted since the last Reclaim back
// to the gifts, and reports whether it was one.
func (a *Arena) keepAdopted(m []byte) bool {
	for i, am := range a.adopted {
		if &am[0] == &m[0] {
			a.adopted = append(a.adopted[:i], a.adopted[i+1:]...)
			a.gifts = append(a.gifts, m)
			return true
		}
	}
	return false
}

// NewString copies s into a new blob.
func (a *Arena) NewString(s string) Ref {
	r, dst := a.Alloc(len(s))
	copy(dst, s)
	return r
}

// Alloc makes a blob of n bytes and returns it for the caller to fill.
// Its content is undefined.
func (a *Arena) Alloc(n int) (Ref, []byte) {
	need := n + uvarintLen(n)
	var r Ref
	var slot []byte
	if need > MaxSlot {
		r, slot = a.allocLarge(need)
	} else {
		r, slot = a.allocSlot(classOf(need))
	}
	h := binary.PutUvarint(slot, uint64(n))
	return r, slot[h : h+n : h+n]
}

// Get returns the bytes of a blob. The slice aliases arena memory and stays
// valid until the blob is freed or resized.
func (a *Arena) Get(r Ref) []byte {
	p := &a.pages[r.page()]
	s := p.mem[r.offset():]
	n, h := binary.Uvarint(s)
	return s[h : h+int(n) : h+int(n)]
}

// Prefetch asks the CPU for the first cache line of a blob (see package
// prefetch): a hint, nothing is read.
func (a *Arena) Prefetch(r Ref) {
	p := &a.pages[r.page()]
	if off := int(r.offset()); off < len(p.mem) {
		prefetch.Line(unsafe.Pointer(&p.mem[off]))
	}
}

// Cap is the most bytes the blob could hold without moving.
func (a *Arena) Cap(r Ref) int {
	p := &a.pages[r.page()]
	slot := a.slotSize(p)
	_, h := binary.Uvarint(p.mem[r.offset():])
	return slot - h
}

// Size is the memory a blob occupies, for MEMORY USAGE and accounting.
func (a *Arena) Size(r Ref) int {
	return a.slotSize(&a.pages[r.page()])
}

func (a *Arena) slotSize(p *page) int {
	if p.class == large {
		return len(p.mem)
	}
	return classSizes[p.class]
}

// Resize changes a blob's length to n, keeping its first min(old, n)
// bytes. It moves the blob only when its slot is too small or far too big,
// so repeated appends are amortised: growing blobs get room to spare, as
// Redis's sds strings do.
func (a *Arena) Resize(r Ref, n int) (Ref, []byte) {
	p := &a.pages[r.page()]
	slot := a.slotSize(p)
	mem := p.mem[r.offset():]
	old, h := binary.Uvarint(mem)
	hn := uvarintLen(n)
	// A shrinking blob stays in place unless it would waste most of its slot.
	var wasteful bool
	if p.class == large {
		wasteful = hn+n < slot/4
	} else {
		wasteful = classOf(hn+n) < int(p.class)-4
	}
	if hn+n <= slot && !wasteful {
		if hn != h {
			keep := min(int(old), n)
			copy(mem[hn:hn+keep], mem[h:h+keep])
		}
		binary.PutUvarint(mem, uint64(n))
		return r, mem[hn : hn+n : hn+n]
	}
	// Move, leaving room to grow: double small blobs, add 1 MiB to big ones.
	want := n
	if n > int(old) {
		if n < 1<<20 {
			want = n * 2
		} else {
			want = n + 1<<20
		}
	}
	nr, dst := a.Alloc(want)
	keep := min(int(old), n)
	copy(dst, mem[h:h+keep])
	np := &a.pages[nr.page()]
	nmem := np.mem[nr.offset():]
	binary.PutUvarint(nmem, uint64(n))
	// The header may be shorter for n than for want.
	nh := uvarintLen(n)
	if wh := uvarintLen(want); wh != nh {
		copy(nmem[nh:nh+keep], nmem[wh:wh+keep])
	}
	a.Free(r)
	return nr, nmem[nh : nh+n : nh+n]
}

// Fit changes a blob's length to n like Resize, but a small blob that must
// grow moves to the slot that fits n exactly rather than to a doubled one.
// Compact collections (listpacks, intsets) are numerous and mostly written
// a few times and then kept, so their memory matters more than the copies;
// Redis reallocs them to their exact size for the same reason. Big blobs
// keep Resize's amortised growth.
func (a *Arena) Fit(r Ref, n int) (Ref, []byte) {
	if n > MaxSlot || uvarintLen(n)+n <= a.Size(r) {
		return a.Resize(r, n)
	}
	old := a.Get(r)
	nr, b := a.Alloc(n)
	copy(b, old)
	a.Free(r)
	return nr, b
}

// Store overwrites a blob with v, moving it only when it must.
func (a *Arena) Store(r Ref, v []byte) Ref {
	r, b := a.Fit(r, len(v))
	copy(b, v)
	return r
}

// Free releases a blob.
func (a *Arena) Free(r Ref) {
	id := r.page()
	p := &a.pages[id]
	if p.class == large {
		a.allocated -= int64(len(p.mem))
		if len(a.adopted) > 0 && a.keepAdopted(p.mem) {
			a.mapped -= int64(len(p.mem))
			*p = page{}
			a.freeIDs = append(a.freeIDs, id)
			return
		}
		a.releasePage(id)
		return
	}
	size := classSizes[p.class]
	a.allocated -= int64(size)
	off := r.offset()
	binary.LittleEndian.PutUint32(p.mem[off:], p.free)
	p.free = off + 1
	p.used--
	if p.draining {
		if p.used == 0 {
			a.draining--
			a.releasePage(id)
		}
		return
	}
	if p.avail == 0 {
		a.pushAvail(int(p.class), id)
	}
	// Return an empty page to the OS unless it is its class's only page
	// with room, which would make the next allocation map it again.
	if p.used == 0 && len(a.avail[p.class]) > 1 {
		a.removeAvail(int(p.class), id)
		a.releasePage(id)
	}
}

func (a *Arena) allocSlot(class int) (Ref, []byte) {
	size := classSizes[class]
	av := a.avail[class]
	var id uint32
	if len(av) == 0 {
		id = a.newPage(class)
	} else {
		id = av[len(av)-1]
	}
	p := &a.pages[id]
	var off uint32
	if p.free != 0 {
		off = p.free - 1
		p.free = binary.LittleEndian.Uint32(p.mem[off:])
	} else {
		off = p.bump
		p.bump += uint32(size)
	}
	p.used++
	if p.free == 0 && int(p.bump)+size > len(p.mem) {
		a.removeAvail(class, id)
	}
	a.allocated += int64(size)
	return makeRef(id, off), p.mem[off : int(off)+size : int(off)+size]
}

func (a *Arena) allocLarge(need int) (Ref, []byte) {
	size := (need + osPage - 1) &^ (osPage - 1)
	id := a.pageID()
	a.pages[id] = page{mem: a.mapMem(size), class: large}
	a.allocated += int64(size)
	return makeRef(id, 0), a.pages[id].mem
}

func (a *Arena) newPage(class int) uint32 {
	size := pageSize
	if s := classSizes[class] * 16; s > size {
		size = s
	}
	id := a.pageID()
	a.pages[id] = page{mem: a.mapMem(size), class: int16(class)}
	a.pushAvail(class, id)
	return id
}

func (a *Arena) pageID() uint32 {
	if n := len(a.freeIDs); n > 0 {
		id := a.freeIDs[n-1]
		a.freeIDs = a.freeIDs[:n-1]
		return id
	}
	if len(a.pages) == 1<<32-1 {
		panic("arena: out of page numbers")
	}
	a.pages = append(a.pages, page{})
	return uint32(len(a.pages) - 1)
}

func (a *Arena) releasePage(id uint32) {
	p := &a.pages[id]
	a.unmapMem(p.mem)
	*p = page{}
	a.freeIDs = append(a.freeIDs, id)
}

func (a *Arena) pushAvail(class int, id uint32) {
	a.avail[class] = append(a.avail[class], id)
	a.pages[id].avail = uint32(len(a.avail[class]))
}

func (a *Arena) removeAvail(class int, id uint32) {
	av := a.avail[class]
	i := a.pages[id].avail - 1
	last := av[len(av)-1]
	av[i] = last
	a.pages[last].avail = i + 1
	a.avail[class] = av[:len(av)-1]
	a.pages[id].avail = 0
}

func (a *Arena) mapMem(size int) []byte {
	m, err := Map(size)
	if err != nil {
		panic(fmt.Sprintf("arena: cannot map %d bytes: %v", size, err))
	}
	a.mapped += int64(size)
	return m
}

func (a *Arena) unmapMem(m []byte) {
	a.mapped -= int64(len(m))
	Unmap(m)
}

// Release returns all the arena's memory to the OS at once. Every Ref and
// slice from the arena becomes invalid, and the arena is empty again. A
// server that stops releases its keyspace's arena this way: the memory is
// mapped outside the Go heap, so the garbage collector would never free it.
func (a *Arena) Release() {
	for i := 1; i < len(a.pages); i++ {
		if m := a.pages[i].mem; m != nil {
			a.unmapMem(m)
		}
	}
	*a = *New()
}

// Stats describes the arena's pages, for MEMORY STATS and defragmentation
// decisions.
type Stats struct {
	Allocated, Mapped int64
	Pages, LargeBlobs int
}

// Stats reports the arena's current figures.
func (a *Arena) Stats() Stats {
	s := Stats{Allocated: a.allocated, Mapped: a.mapped}
	for i := 1; i < len(a.pages); i++ {
		switch {
		case a.pages[i].mem == nil:
		case a.pages[i].class == large:
			s.LargeBlobs++
		default:
			s.Pages++
		}
	}
	return s
}
