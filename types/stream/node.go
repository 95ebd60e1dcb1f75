package stream

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/listpack"
)

// A node is one listpack laid out as Redis's t_stream.c lays it out, so
// that it can be written to an RDB file as is:
//
//	master entry: count | deleted | num-fields | field ... | 0
//	each entry:   flags | ms-delta | seq-delta | [num-fields | field] value ... | lp-count
//
// count and deleted are the node's live and deleted entries. An entry
// whose fields are the master entry's, in order, has the SAMEFIELDS flag
// and stores only its values. IDs are deltas from the node's master ID
// (the ID of its first entry). lp-count, the number of elements after the
// ID deltas plus three, lets iteration walk back from an entry's end.

// Entry flags.
const (
	flagDeleted    = 1
	flagSameFields = 2
)

// node is the index record of a listpack node: its master ID and blob.
type node struct {
	master ID
	ref    arena.Ref
}

func lpInt(lp []byte, off int) int64 {
	_, n, _ := listpack.Get(lp, off)
	return n
}

// nodeCounts returns a node's live and deleted entry counts.
func nodeCounts(lp []byte) (count, deleted int64) {
	off := listpack.First(lp)
	return lpInt(lp, off), lpInt(lp, listpack.Next(lp, off))
}

// masterFields returns the number of master fields and the offset of the
// first one (or of the terminator when there are none).
func masterFields(lp []byte) (n int, off int) {
	off = listpack.Next(lp, listpack.Next(lp, listpack.First(lp)))
	return int(lpInt(lp, off)), listpack.Next(lp, off)
}

// firstEntry returns the offset of the first entry's flags, or -1.
func firstEntry(lp []byte) int {
	n, off := masterFields(lp)
	for ; n > 0; n-- {
		off = listpack.Next(lp, off)
	}
	return listpack.Next(lp, off) // skip the master terminator
}

// lastEntry returns the offset of the last entry's flags, or -1.
func lastEntry(lp []byte) int {
	off := listpack.Last(lp)
	n := lpInt(lp, off)
	if n == 0 {
		return -1 // the master terminator: no entries
	}
	for ; n > 0; n-- {
		off = listpack.Prev(lp, off)
	}
	return off
}

// entry is a decoded entry header.
type entry struct {
	off     int // offset of the flags
	flags   int64
	id      ID
	nfields int
	data    int // offset of the first field (or value with SAMEFIELDS)
	end     int // offset of the lp-count
}

// readEntry decodes the entry whose flags are at off.
func readEntry(lp []byte, off int, master ID, mfields int) entry {
	e := entry{off: off, flags: lpInt(lp, off)}
	p := listpack.Next(lp, off)
	e.id.ms = master.ms + uint64(lpInt(lp, p))
	p = listpack.Next(lp, p)
	e.id.seq = master.seq + uint64(lpInt(lp, p))
	p = listpack.Next(lp, p)
	elems := mfields
	if e.flags&flagSameFields != 0 {
		e.nfields = mfields
	} else {
		e.nfields = int(lpInt(lp, p))
		p = listpack.Next(lp, p)
		elems = 2 * e.nfields
	}
	e.data = p
	for ; elems > 0; elems-- {
		p = listpack.Next(lp, p)
	}
	e.end = p
	return e
}

// nextEntry returns the offset of the entry after e, or -1.
func nextEntry(lp []byte, e *entry) int { return listpack.Next(lp, e.end) }

// prevEntry returns the offset of the entry before e, or -1.
func prevEntry(lp []byte, e *entry) int {
	off := listpack.Prev(lp, e.off)
	n := lpInt(lp, off)
	if n == 0 {
		return -1
	}
	for ; n > 0; n-- {
		off = listpack.Prev(lp, off)
	}
	return off
}

// writeFields replies with an entry's field/value pairs as a flat array.
func writeFields(c *command.Ctx, lp []byte, e *entry) {
	c.W.Array(2 * e.nfields)
	bulkFields(c.W, lp, e)
}

// sameFields reports whether the field names of pairs (field, value, ...)
// are the node's master fields, in order.
func sameFields(lp []byte, pairs [][]byte) bool {
	n, off := masterFields(lp)
	if n != len(pairs)/2 {
		return false
	}
	for i := 0; i < len(pairs); i += 2 {
		if !listpack.Compare(lp, off, pairs[i]) {
			return false
		}
		off = listpack.Next(lp, off)
	}
	return true
}

// newNodeSize is the size of a new node holding one entry.
func newNodeSize(pairs [][]byte) int {
	n := len(emptyListpack) + 3*listpack.IntEntrySize(0) + listpack.IntEntrySize(int64(len(pairs)/2))
	for i := 0; i < len(pairs); i += 2 {
		n += listpack.EntrySize(pairs[i])
	}
	return n
}

// appendMaster writes a new node's master entry into lp (which has room).
func appendMaster(lp []byte, pairs [][]byte) []byte {
	lp = listpack.AppendInt(lp, 1) // count: the entry being added
	lp = listpack.AppendInt(lp, 0)
	lp = listpack.AppendInt(lp, int64(len(pairs)/2))
	for i := 0; i < len(pairs); i += 2 {
		lp = listpack.Append(lp, pairs[i])
	}
	return listpack.AppendInt(lp, 0)
}

// entrySize is the bytes an entry takes in a node.
func entrySize(id, master ID, flags int64, pairs [][]byte) int {
	nf := int64(len(pairs) / 2)
	n := listpack.IntEntrySize(flags) + listpack.IntEntrySize(int64(id.ms-master.ms)) + listpack.IntEntrySize(int64(id.seq-master.seq))
	lpCount := nf + 3
	if flags&flagSameFields == 0 {
		n += listpack.IntEntrySize(nf)
		lpCount += nf + 1
	}
	for i := 0; i < len(pairs); i += 2 {
		if flags&flagSameFields == 0 {
			n += listpack.EntrySize(pairs[i])
		}
		n += listpack.EntrySize(pairs[i+1])
	}
	return n + listpack.IntEntrySize(lpCount)
}

// appendEntry writes an entry into lp (which has room).
func appendEntry(lp []byte, id, master ID, flags int64, pairs [][]byte) []byte {
	nf := int64(len(pairs) / 2)
	lp = listpack.AppendInt(lp, flags)
	lp = listpack.AppendInt(lp, int64(id.ms-master.ms))
	lp = listpack.AppendInt(lp, int64(id.seq-master.seq))
	lpCount := nf + 3
	if flags&flagSameFields == 0 {
		lp = listpack.AppendInt(lp, nf)
		lpCount += nf + 1
	}
	for i := 0; i < len(pairs); i += 2 {
		if flags&flagSameFields == 0 {
			lp = listpack.Append(lp, pairs[i])
		}
		lp = listpack.Append(lp, pairs[i+1])
	}
	return listpack.AppendInt(lp, lpCount)
}

// setInt replaces the integer element at off with n in the blob ref,
// resizing it as needed, and returns the blob.
func setInt(a *arena.Arena, ref arena.Ref, off int, n int64) (arena.Ref, []byte) {
	lp := a.Get(ref)
	delta := listpack.IntEntrySize(n) - listpack.EntryLen(lp, off)
	if delta > 0 {
		var b []byte
		ref, b = a.Resize(ref, len(lp)+delta)
		lp = b[:len(lp)]
	}
	lp, _ = listpack.InsertInt(lp, off, listpack.Replace, n)
	if delta < 0 {
		ref, lp = a.Resize(ref, len(lp))
	}
	return ref, lp
}

// addCounts adds to a node's live and deleted counts.
func addCounts(a *arena.Arena, ref arena.Ref, dCount, dDeleted int64) arena.Ref {
	lp := a.Get(ref)
	off := listpack.First(lp)
	count, deleted := nodeCounts(lp)
	if dCount != 0 {
		ref, lp = setInt(a, ref, off, count+dCount)
	}
	if dDeleted != 0 {
		ref, _ = setInt(a, ref, listpack.Next(lp, off), deleted+dDeleted)
	}
	return ref
}

// markDeleted sets the deleted flag of the entry at off; flags always fit
// in one byte, so the node does not change size.
func markDeleted(lp []byte, off int) {
	listpack.InsertInt(lp, off, listpack.Replace, lpInt(lp, off)|flagDeleted)
}
