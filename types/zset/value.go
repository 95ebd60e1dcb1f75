package zset

import (
	"bytes"
	"math"
	"strconv"
	"unsafe"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/protocol"
)

// The operations below work on a sorted set value of either encoding. They
// are the only code that knows how the encodings are laid out; the command
// handlers are written against them and against cursor.

// value is a sorted set value: its encoding and value word. Operations
// that change it may change both; a value held by a key is written back
// with save.
type value struct {
	ks  *keyspace.Keyspace
	enc keyspace.Encoding
	val uint64
}

var emptyListpack = listpack.New()

// newValue makes an empty sorted set, a skiplist if big is set.
func newValue(ks *keyspace.Keyspace, big bool) value {
	if big {
		return value{ks, keyspace.EncSkiplist, ks.NewObject(newSkiplist(ks.Arena))}
	}
	return value{ks, keyspace.EncListpack, uint64(ks.Arena.New(emptyListpack))}
}

func load(c *command.Ctx, id uint32) value {
	return value{c.KS, c.DB.Encoding(id), c.DB.Value(id)}
}

func (v *value) save(c *command.Ctx, id uint32) { c.DB.SetValue(id, v.enc, v.val) }

func (v *value) lp() []byte       { return v.ks.Arena.Get(arena.Ref(v.val)) }
func (v *value) sl() *skiplist    { return v.ks.Object(v.val).(*skiplist) }
func (v *value) isListpack() bool { return v.enc == keyspace.EncListpack }

// length is the number of members (Redis's zsetLength).
func (v *value) length() int {
	if v.isListpack() {
		return listpack.Len(v.lp()) / 2
	}
	return v.sl().length
}

// free releases the value.
func (v *value) free() {
	if v.isListpack() {
		v.ks.Arena.Free(arena.Ref(v.val))
		return
	}
	v.sl().release()
	v.ks.ReleaseObject(v.val)
}

// create adds an empty sorted set at key, which must be missing; first is
// the first member to be added, which decides the encoding as in ZADD.
func create(c *command.Ctx, key, first []byte) uint32 {
	big := c.Cfg.ZsetMaxListpackEntries == 0 || int64(len(first)) > c.Cfg.ZsetMaxListpackValue
	v := newValue(c.KS, big)
	id := c.DB.Add(key, keyspace.KindZSet, v.enc, v.val)
	c.Notify(command.EvNew, "new", key)
	return id
}

// ---- scores in listpacks ----

// scoreInt reports whether a score is stored as an integer, as Redis's
// double2ll decides.
func scoreInt(f float64) (int64, bool) {
	if f < -(math.MaxInt64/2) || f > math.MaxInt64/2 {
		return 0, false
	}
	n := int64(f)
	return n, float64(n) == f
}

// appendScore formats a non-integer score as Redis's d2string does.
func appendScore(b []byte, f float64) []byte { return protocol.AppendG(b, f, 17) }

// lpScore reads the score element at off.
func lpScore(lp []byte, off int) float64 {
	s, n, isInt := listpack.Get(lp, off)
	if isInt {
		return float64(n)
	}
	return parseStored(s)
}

// parseStored parses a score written by appendScore (or by Redis), which
// strtod accepts whole.
func parseStored(s []byte) float64 {
	if len(s) == 0 {
		return 0
	}
	f, _ := strconv.ParseFloat(unsafe.String(&s[0], len(s)), 64)
	return f
}

// lpElem returns a listpack element as a string, formatting an integer
// into buf.
func lpElem(lp []byte, off int, buf []byte) []byte {
	s, n, isInt := listpack.Get(lp, off)
	if isInt {
		return strconv.AppendInt(buf, n, 10)
	}
	return s
}

// lpFind returns the offset of member m and its score, or -1.
func lpFind(lp []byte, m []byte) (int, float64) {
	off := listpack.Find(lp, listpack.First(lp), m, 1)
	if off < 0 {
		return -1, 0
	}
	return off, lpScore(lp, listpack.Next(lp, off))
}

// reserve grows the listpack to hold n bytes, returning it at its current
// length, as DB.ReserveBlob does for a key's blob.
func (v *value) reserve(n int) []byte {
	a := v.ks.Arena
	lp := a.Get(arena.Ref(v.val))
	if n <= len(lp) {
		return lp
	}
	l := len(lp)
	ref, b := a.Fit(arena.Ref(v.val), n)
	v.val = uint64(ref)
	return b[:l]
}

// trim shrinks the listpack's blob to lp after a delete.
func (v *value) trim(lp []byte) {
	ref, _ := v.ks.Arena.Resize(arena.Ref(v.val), len(lp))
	v.val = uint64(ref)
}

// lpInsertAt inserts (m, score) before the member at off, or at the end
// if off is the terminator's offset, as zzlInsertAt does.
func (v *value) lpInsertAt(off int, m []byte, score float64) {
	var sbuf [32]byte
	n, isInt := scoreInt(score)
	var s []byte
	size := listpack.EntrySize(m)
	if isInt {
		size += listpack.IntEntrySize(n)
	} else {
		s = appendScore(sbuf[:0], score)
		size += listpack.EntrySize(s)
	}
	lp := v.reserve(len(v.lp()) + size)
	lp, moff := listpack.Insert(lp, off, listpack.Before, m)
	if isInt {
		listpack.InsertInt(lp, moff, listpack.After, n)
	} else {
		listpack.Insert(lp, moff, listpack.After, s)
	}
}

// lpInsert inserts a member that is not in the listpack at its place.
func (v *value) lpInsert(m []byte, score float64) {
	lp := v.lp()
	var buf [20]byte
	off := listpack.First(lp)
	for off >= 0 {
		soff := listpack.Next(lp, off)
		s := lpScore(lp, soff)
		if s > score || s == score && bytes.Compare(lpElem(lp, off, buf[:0]), m) > 0 {
			break
		}
		off = listpack.Next(lp, soff)
	}
	if off < 0 {
		off = len(lp) - 1
	}
	v.lpInsertAt(off, m, score)
}

// lpDelete deletes n members from the one at off.
func (v *value) lpDelete(off, n int) {
	lp, _ := listpack.DeleteN(v.lp(), off, 2*n)
	v.trim(lp)
}

// ---- generic operations ----

// score returns the score of member m.
func (v *value) score(m []byte) (float64, bool) {
	if v.isListpack() {
		off, s := lpFind(v.lp(), m)
		return s, off >= 0
	}
	s := v.sl()
	if eid := s.find(m); eid != dict.None {
		return s.scoreOf(eid), true
	}
	return 0, false
}

// ZADD's input flags and zsetAdd's result flags.
const (
	inIncr = 1 << iota
	inNX
	inXX
	inGT
	inLT
)

const (
	outAdded = 1 << iota
	outUpdated
	outNop
	outNaN
)

// add adds or updates member m as Redis's zsetAdd does, converting a
// listpack to a skiplist before an insert would break its limits. It
// returns what happened and the member's new score. m must not alias the
// value.
func (v *value) add(cfg *config.Values, m []byte, score float64, flags int) (out int, newScore float64) {
	nx, xx, gt, lt := flags&inNX != 0, flags&inXX != 0, flags&inGT != 0, flags&inLT != 0
	// apply works out the new score of a member already present.
	apply := func(cur float64) (float64, int) {
		if nx {
			return 0, outNop
		}
		s := score
		if flags&inIncr != 0 {
			s += cur
			if math.IsNaN(s) {
				return 0, outNaN
			}
		}
		if lt && s >= cur || gt && s <= cur {
			return 0, outNop
		}
		return s, 0
	}
	if v.isListpack() {
		lp := v.lp()
		if off, cur := lpFind(lp, m); off >= 0 {
			s, o := apply(cur)
			if o != 0 {
				return o, 0
			}
			if s != cur {
				v.lpDelete(off, 1)
				v.lpInsert(m, s)
				return outUpdated, s
			}
			return 0, s
		}
		if xx {
			return outNop, 0
		}
		if int64(listpack.Len(lp)/2+1) <= cfg.ZsetMaxListpackEntries &&
			int64(len(m)) <= cfg.ZsetMaxListpackValue && listpack.SafeToAdd(lp, len(m)) {
			v.lpInsert(m, score)
			return outAdded, score
		}
		v.toSkiplist()
	}
	s := v.sl()
	if eid := s.find(m); eid != dict.None {
		cur := s.scoreOf(eid)
		ns, o := apply(cur)
		if o != 0 {
			return o, 0
		}
		if ns != cur {
			s.updateScore(eid, ns)
			return outUpdated, ns
		}
		return 0, ns
	}
	if xx {
		return outNop, 0
	}
	s.insert(m, score)
	return outAdded, score
}

// del removes member m and reports whether it was there.
func (v *value) del(m []byte) bool {
	if v.isListpack() {
		off, _ := lpFind(v.lp(), m)
		if off < 0 {
			return false
		}
		v.lpDelete(off, 1)
		return true
	}
	s := v.sl()
	eid := s.find(m)
	if eid == dict.None {
		return false
	}
	s.remove(eid)
	return true
}

// toSkiplist converts a listpack value to a skiplist.
func (v *value) toSkiplist() {
	a := v.ks.Arena
	ref := arena.Ref(v.val)
	lp := a.Get(ref)
	s := newSkiplist(a)
	var buf [20]byte
	for off := listpack.First(lp); off >= 0; {
		soff := listpack.Next(lp, off)
		// lp stays valid: new blobs never move existing ones.
		s.insert(lpElem(lp, off, buf[:0]), lpScore(lp, soff))
		off = listpack.Next(lp, soff)
	}
	a.Free(ref)
	v.enc, v.val = keyspace.EncSkiplist, v.ks.NewObject(s)
}

// toListpackIfSmall converts a skiplist built by a *STORE command back to
// a listpack when it fits Redis's limits (zsetConvertToListpackIfNeeded);
// maxLen and totLen are its longest member's length and their sum.
func (v *value) toListpackIfSmall(cfg *config.Values, maxLen, totLen int) {
	if v.isListpack() {
		return
	}
	s := v.sl()
	if int64(s.length) > cfg.ZsetMaxListpackEntries || int64(maxLen) > cfg.ZsetMaxListpackValue ||
		!listpack.SafeToAdd(nil, totLen) {
		return
	}
	old := *v
	*v = newValue(v.ks, false)
	for n := s.first(); n != 0; n = s.fwd(n, 0) {
		v.lpInsertAt(len(v.lp())-1, s.member(n), s.score[n])
	}
	old.free()
}

// rank returns the 0-based rank of member m, counted from the end if
// reverse is set.
func (v *value) rank(m []byte, reverse bool) (int, bool) {
	n := v.length()
	r := -1
	if v.isListpack() {
		lp := v.lp()
		off := listpack.Find(lp, listpack.First(lp), m, 1)
		if off < 0 {
			return 0, false
		}
		for r = 0; off > listpack.HeaderSize; r++ {
			off = listpack.Prev(lp, listpack.Prev(lp, off))
		}
	} else {
		s := v.sl()
		eid := s.find(m)
		if eid == dict.None {
			return 0, false
		}
		r = s.rank(eid) - 1
	}
	if reverse {
		r = n - 1 - r
	}
	return r, true
}

// ---- cursors ----

// cursor is a position in a sorted set of either encoding, for walking
// ranges in either direction.
type cursor struct {
	lp   []byte
	off  int // listpack: offset of the member, -1 past either end
	sl   *skiplist
	node uint32 // skiplist: the node, 0 past either end
}

func (v *value) lpCursor(off int) cursor  { return cursor{lp: v.lp(), off: off} }
func (v *value) slCursor(n uint32) cursor { return cursor{sl: v.sl(), node: n} }

func (c *cursor) valid() bool {
	if c.sl != nil {
		return c.node != 0
	}
	return c.off >= 0
}

func (c *cursor) next() {
	if c.sl != nil {
		c.node = c.sl.fwd(c.node, 0)
		return
	}
	c.off = listpack.Next(c.lp, listpack.Next(c.lp, c.off))
}

func (c *cursor) prev() {
	if c.sl != nil {
		c.node = c.sl.back[c.node]
		return
	}
	if c.off = listpack.Prev(c.lp, c.off); c.off >= 0 {
		c.off = listpack.Prev(c.lp, c.off)
	}
}

// move steps forward, or backward if reverse is set.
func (c *cursor) move(reverse bool) {
	if reverse {
		c.prev()
	} else {
		c.next()
	}
}

func (c *cursor) score() float64 {
	if c.sl != nil {
		return c.sl.score[c.node]
	}
	return lpScore(c.lp, listpack.Next(c.lp, c.off))
}

// member returns the member, formatting a listpack integer into buf.
func (c *cursor) member(buf []byte) []byte {
	if c.sl != nil {
		return c.sl.member(c.node)
	}
	return lpElem(c.lp, c.off, buf)
}

// writeMember replies with the member as a bulk string.
func (c *cursor) writeMember(w *protocol.Writer) {
	if c.sl != nil {
		w.Bulk(c.sl.member(c.node))
		return
	}
	s, n, isInt := listpack.Get(c.lp, c.off)
	if isInt {
		w.BulkInt(n)
	} else {
		w.Bulk(s)
	}
}

// atRank returns a cursor at 0-based rank r (which must exist), counted
// from the end if reverse is set.
func (v *value) atRank(r int, reverse bool) cursor {
	if v.isListpack() {
		i := 2 * r
		if reverse {
			i = -2 - 2*r
		}
		return v.lpCursor(listpack.Seek(v.lp(), i))
	}
	s := v.sl()
	if reverse {
		r = s.length - 1 - r
	}
	switch {
	case r == 0:
		return v.slCursor(s.first())
	case r == s.length-1:
		return v.slCursor(s.tail)
	}
	return v.slCursor(s.byRank(r + 1))
}

// firstIn returns a cursor at the first member in range, invalid if none
// (zslFirstInRange and its listpack and lex siblings).
func (v *value) firstIn(b *bounds) cursor {
	var buf [20]byte
	if b.empty() {
		return cursor{off: -1}
	}
	var c cursor
	if v.isListpack() {
		c = v.lpCursor(listpack.First(v.lp()))
		for c.valid() && b.below(&c, buf[:0]) {
			c.next()
		}
	} else {
		s := v.sl()
		n, _ := s.lastBefore(func(n uint32) bool {
			c := cursor{sl: s, node: n}
			return b.below(&c, buf[:0])
		})
		c = v.slCursor(s.fwd(n, 0))
	}
	if c.valid() && b.above(&c, buf[:0]) {
		return cursor{off: -1}
	}
	return c
}

// lastIn returns a cursor at the last member in range, invalid if none.
func (v *value) lastIn(b *bounds) cursor {
	var buf [20]byte
	if b.empty() {
		return cursor{off: -1}
	}
	var c cursor
	if v.isListpack() {
		lp := v.lp()
		c = v.lpCursor(-1)
		if l := listpack.Last(lp); l >= 0 {
			c.off = listpack.Prev(lp, l)
		}
		for c.valid() && b.above(&c, buf[:0]) {
			c.prev()
		}
	} else {
		s := v.sl()
		n, _ := s.lastBefore(func(n uint32) bool {
			c := cursor{sl: s, node: n}
			return !b.above(&c, buf[:0])
		})
		c = v.slCursor(n)
	}
	if c.valid() && b.below(&c, buf[:0]) {
		return cursor{off: -1}
	}
	return c
}

// rankOf returns the 0-based rank of a valid cursor.
func (v *value) rankOf(c *cursor) int {
	if c.sl != nil {
		return c.sl.rank(c.sl.elem[c.node]) - 1
	}
	r := 0
	for off := c.off; off > listpack.HeaderSize; r++ {
		off = listpack.Prev(c.lp, listpack.Prev(c.lp, off))
	}
	return r
}

// count is the number of members in range (ZCOUNT, ZLEXCOUNT).
func (v *value) count(b *bounds) int {
	first := v.firstIn(b)
	if !first.valid() {
		return 0
	}
	if v.isListpack() {
		var buf [20]byte
		n := 0
		for c := first; c.valid() && !b.above(&c, buf[:0]); c.next() {
			n++
		}
		return n
	}
	last := v.lastIn(b)
	return v.rankOf(&last) - v.rankOf(&first) + 1
}

// deleteIn deletes the members in range and returns how many it deleted.
func (v *value) deleteIn(b *bounds) int {
	if b.empty() {
		return 0
	}
	var buf [20]byte
	if v.isListpack() {
		first := v.firstIn(b)
		n := 0
		for c := first; c.valid() && !b.above(&c, buf[:0]); c.next() {
			n++
		}
		if n > 0 {
			v.lpDelete(first.off, n)
		}
		return n
	}
	s := v.sl()
	return s.deleteRange(func(n uint32) bool {
		c := cursor{sl: s, node: n}
		return b.below(&c, buf[:0])
	}, func(n uint32) bool {
		c := cursor{sl: s, node: n}
		return !b.above(&c, buf[:0])
	})
}

// deleteRank deletes the members of 0-based ranks start to end.
func (v *value) deleteRank(start, end int) int {
	if v.isListpack() {
		lp := listpack.DeleteRange(v.lp(), 2*start, 2*(end-start+1))
		v.trim(lp)
		return end - start + 1
	}
	return v.sl().deleteRank(start+1, end+1)
}
