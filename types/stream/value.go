package stream

import (
	"slices"
	"sort"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
)

// stream is a stream key's value, kept in the keyspace's object table.
type stream struct {
	// nodes are sorted by master ID. Trimming removes nodes from the
	// front by reslicing, so that append reclaims the space.
	nodes        []node
	length       uint64
	last         ID // the last ID added (or set by XSETID)
	first        ID // the first live entry, 0-0 when empty
	maxDeleted   ID
	entriesAdded uint64
	groups       []*group // sorted by name
	// reported is the memory of the Go records (this one, the node list,
	// the groups) as last added to the arena's count (account).
	reported int64
}

// Rough sizes of the Go records, for MEMORY USAGE and used_memory.
const (
	streamOverhead = 128
	nodeRecord     = 24
)

// structBytes is the memory of the stream's Go records: everything but
// its nodes' listpacks, which the arena counts.
func (s *stream) structBytes() int64 {
	n := streamOverhead + int64(cap(s.nodes))*nodeRecord + int64(cap(s.groups))*8
	for _, g := range s.groups {
		n += g.bytes()
	}
	return n
}

// account brings the arena's count of Go records (arena.Tables, which
// used_memory sums) up to date with the stream's, after a command
// changed its node list or groups: a stream's consumer groups and
// pending entries take memory maxmemory has to see, as Redis counts its
// rax trees and consumers.
func (s *stream) account(a *arena.Arena) { a.ReportTables(&s.reported, s.structBytes()) }

// maxNodeBytes is Redis's STREAM_LISTPACK_MAX_SIZE: the node size limit
// when stream-node-max-bytes is 0 or larger, and the entry size limit.
const maxNodeBytes = 1 << 30

var emptyListpack = listpack.New()

func getStream(c *command.Ctx, id uint32) *stream {
	return c.KS.Object(c.DB.Value(id)).(*stream)
}

// lookupCreate finds the stream at key for writing, creating it (and
// firing "new") unless noCreate. It writes WRONGTYPE and returns ok false
// if key holds another kind; s is nil if the key is missing and noCreate.
func lookupCreate(c *command.Ctx, key []byte, noCreate bool) (s *stream, ok bool) {
	id, ok := c.ReadWrite(key, keyspace.KindStream)
	if !ok {
		return nil, false
	}
	if id != dict.None {
		return getStream(c, id), true
	}
	if noCreate {
		return nil, true
	}
	s = &stream{}
	c.DB.Add(key, keyspace.KindStream, keyspace.EncStream, c.KS.NewObject(s))
	c.Notify(command.EvNew, "new", key)
	return s, true
}

// lookupRead finds the stream at key for reading; s is nil if missing.
func lookupRead(c *command.Ctx, key []byte) (s *stream, ok bool) {
	id, ok := c.Read(key, keyspace.KindStream)
	if !ok || id == dict.None {
		return nil, ok
	}
	return getStream(c, id), true
}

// nodeFor returns the index of the last node whose master ID is at most
// id, or -1.
func (s *stream) nodeFor(id ID) int {
	return sort.Search(len(s.nodes), func(i int) bool { return id.less(s.nodes[i].master) }) - 1
}

// add appends an entry (its ID already checked to be greater than the
// last) to the tail node (the one with the greatest key), or to a new
// node when the tail is full as stream-node-max-bytes and -entries define
// it.
func (s *stream) add(a *arena.Arena, maxEntries, maxBytes int64, id ID, pairs [][]byte) {
	tot := 0
	for _, p := range pairs {
		tot += len(p)
	}
	if maxBytes <= 0 || maxBytes > maxNodeBytes {
		maxBytes = maxNodeBytes
	}
	var tail *node
	if n := len(s.nodes); n > 0 {
		tail = &s.nodes[n-1]
		lp := a.Get(tail.ref)
		count, deleted := nodeCounts(lp)
		if int64(len(lp)+tot) >= maxBytes || (maxEntries > 0 && count+deleted >= maxEntries) {
			tail = nil
		}
	}
	if tail == nil {
		size := newNodeSize(pairs) + entrySize(id, id, flagSameFields, pairs)
		ref, b := a.Alloc(size)
		lp := append(b[:0], emptyListpack...)
		lp = appendMaster(lp, pairs)
		mustFill(appendEntry(lp, id, id, flagSameFields, pairs), size)
		// Nodes stay in key order, as in Redis's radix tree, even when
		// XSETID has moved the last ID below the key of a node left with
		// deleted entries only: the new node then goes before it.
		s.nodes = slices.Insert(s.nodes, s.nodeFor(id)+1, node{master: id, ref: ref})
	} else {
		var flags int64
		if sameFields(a.Get(tail.ref), pairs) {
			flags = flagSameFields
		}
		ref := addCounts(a, tail.ref, 1, 0)
		n := len(a.Get(ref))
		size := n + entrySize(id, tail.master, flags, pairs)
		ref, b := a.Resize(ref, size)
		mustFill(appendEntry(b[:n], id, tail.master, flags, pairs), size)
		tail.ref = ref
	}
	s.length++
	s.entriesAdded++
	s.last = id
	if s.length == 1 {
		s.first = id
	}
}

// mustFill checks that a node written in place filled its blob exactly:
// the sizes computed beforehand must match what the writes took.
func mustFill(lp []byte, size int) {
	if len(lp) != size {
		panic("stream: node size mismatch")
	}
}

// iterator walks the live entries of a stream between two IDs, forward
// or backward. It reads arena memory: the stream must not change while
// it is used.
type iterator struct {
	s          *stream
	a          *arena.Arena
	start, end ID
	rev        bool
	ni         int
	lp         []byte
	mfields    int
	off        int // next entry, -1 to move to the next node
	e          entry
}

func (s *stream) iter(a *arena.Arena, start, end ID, rev bool) iterator {
	it := iterator{s: s, a: a, start: start, end: end, rev: rev, off: -1}
	if rev {
		it.ni = s.nodeFor(end) + 1
	} else {
		it.ni = max(s.nodeFor(start), 0) - 1
	}
	return it
}

// next moves to the next live entry in range, it.e, and reports whether
// there is one.
func (it *iterator) next() bool {
	for {
		if it.off < 0 {
			if it.rev {
				it.ni--
			} else {
				it.ni++
			}
			if it.ni < 0 || it.ni >= len(it.s.nodes) {
				return false
			}
			it.lp = it.a.Get(it.s.nodes[it.ni].ref)
			it.mfields, _ = masterFields(it.lp)
			if it.rev {
				it.off = lastEntry(it.lp)
			} else {
				it.off = firstEntry(it.lp)
			}
			continue
		}
		e := readEntry(it.lp, it.off, it.s.nodes[it.ni].master, it.mfields)
		if it.rev {
			it.off = prevEntry(it.lp, &e)
		} else {
			it.off = nextEntry(it.lp, &e)
		}
		if e.flags&flagDeleted != 0 {
			continue
		}
		if it.rev {
			if it.end.less(e.id) {
				continue
			}
			if e.id.less(it.start) {
				it.ni, it.off = -1, -1
				return false
			}
		} else {
			if e.id.less(it.start) {
				continue
			}
			if it.end.less(e.id) {
				it.ni, it.off = len(it.s.nodes), -1
				return false
			}
		}
		it.e = e
		return true
	}
}

// exists reports whether id is a live entry.
func (s *stream) exists(a *arena.Arena, id ID) bool {
	it := s.iter(a, id, id, false)
	return it.next()
}

// edge returns the first (or last) live entry's ID, or 0-0.
func (s *stream) edge(a *arena.Arena, last bool) (ID, bool) {
	it := s.iter(a, ID{}, maxID, last)
	if !it.next() {
		return ID{}, false
	}
	return it.e.id, true
}

// lastLive is Redis's streamLastValidID: the last entry not deleted.
func (s *stream) lastLive(a *arena.Arena) ID {
	id, _ := s.edge(a, true)
	return id
}

// remove flags the live entry id as deleted, freeing its node when it was
// the node's last live entry, and reports whether it was there.
func (s *stream) remove(a *arena.Arena, id ID) bool {
	it := s.iter(a, id, id, false)
	if !it.next() {
		return false
	}
	markDeleted(it.lp, it.e.off)
	nd := &s.nodes[it.ni]
	if count, _ := nodeCounts(it.lp); count == 1 {
		a.Free(nd.ref)
		s.nodes = append(s.nodes[:it.ni], s.nodes[it.ni+1:]...)
	} else {
		nd.ref = addCounts(a, nd.ref, -1, 1)
	}
	s.length--
	return true
}

// Trim strategies.
const (
	trimNone = iota
	trimMaxLen
	trimMinID
)

type trimArgs struct {
	strategy int
	approx   bool
	limit    int64
	maxLen   int64
	minID    ID
	argIdx   int // the MAXLEN/MINID value's argument
}

// trim removes entries from the head as Redis's streamTrim does: whole
// nodes while they are entirely out of bounds (at most limit entries when
// limit > 0), then, unless approx, the head node's entries one by one,
// flagged as deleted. It returns the number of entries removed.
func (s *stream) trim(a *arena.Arena, t *trimArgs) int64 {
	if t.strategy == trimNone {
		return 0
	}
	var removed int64
	for len(s.nodes) > 0 {
		if t.strategy == trimMaxLen && s.length <= uint64(t.maxLen) {
			break
		}
		nd := &s.nodes[0]
		lp := a.Get(nd.ref)
		entries, _ := nodeCounts(lp)
		if t.limit > 0 && removed+entries > t.limit {
			break
		}
		var whole bool
		if t.strategy == trimMaxLen {
			whole = s.length-uint64(entries) >= uint64(t.maxLen)
		} else {
			mf, _ := masterFields(lp)
			lastID := readEntry(lp, lastEntry(lp), nd.master, mf).id
			whole = lastID.less(t.minID)
		}
		if whole {
			a.Free(nd.ref)
			s.nodes = s.nodes[1:]
			s.length -= uint64(entries)
			removed += entries
			continue
		}
		if t.approx {
			break
		}
		removed += s.trimNode(a, nd, t)
		break
	}
	if s.length == 0 {
		s.first = ID{}
	} else if removed > 0 {
		s.first, _ = s.edge(a, false)
	}
	return removed
}

// trimNode flags the head node's leading entries as deleted while the
// trim bounds require it.
func (s *stream) trimNode(a *arena.Arena, nd *node, t *trimArgs) int64 {
	lp := a.Get(nd.ref)
	mf, _ := masterFields(lp)
	var n int64
	for off := firstEntry(lp); off >= 0; {
		e := readEntry(lp, off, nd.master, mf)
		if t.strategy == trimMaxLen && s.length <= uint64(t.maxLen) ||
			t.strategy == trimMinID && !e.id.less(t.minID) {
			break
		}
		if e.flags&flagDeleted == 0 {
			markDeleted(lp, off)
			n++
			s.length--
		}
		off = nextEntry(lp, &e)
	}
	nd.ref = addCounts(a, nd.ref, -n, n)
	return n
}

// free releases a stream's nodes.
func (s *stream) free(a *arena.Arena) {
	for _, nd := range s.nodes {
		a.Free(nd.ref)
	}
	s.nodes = nil
	a.ReportTables(&s.reported, 0)
}
