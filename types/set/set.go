// Package set implements the set commands (Redis's t_set.c).
//
// A set has Redis 7.0's two encodings, and OBJECT ENCODING names them as
// Redis does; the second has two representations:
//
//   - intset: the members, all integers, sorted in one intset (Redis's
//     byte layout, see package intset) held in a single arena blob that
//     grows to the exact size, as Redis reallocs it. A set stays so while
//     every member is a canonical 64-bit integer (Redis's string2ll) and
//     it has at most set-max-intset-entries members.
//   - hashtable, packed (keyspace.EncPackedHashtable): a small set that
//     Redis 7.0 would make a hashtable keeps its members in one listpack
//     blob in the arena (Redis's byte layout, see package listpack), in
//     insertion order, integers stored as listpack integers. Redis 7.0
//     has no such encoding, but Redis 7.2 does for the same reason: a
//     table for a handful of members costs many times the members, and
//     a Go table also costs the garbage collector, which must scan its
//     objects; millions of small sets would make every collection scan
//     gigabytes. A packed set costs the collector nothing. It answers
//     OBJECT ENCODING as "hashtable", so that every reply stays Redis
//     7.0's, and holds at most packMaxEntries members of at most
//     packMaxValue bytes (Redis 7.2's set-max-listpack-* defaults);
//     lookups scan it, which for so few members is as fast as hashing.
//   - hashtable, dict: a dict (package dict) whose keys are the members;
//     the entry values are unused. Its slabs hold no Go pointers, so a
//     set of millions of members costs the garbage collector one small
//     object, kept in the keyspace's object table. Deletes compact the
//     dict's ids as they go, so random picks (SPOP, SRANDMEMBER) stay O(1).
//
// Other packages read sets through these representations (ForEach, Len).
//
// A set converts from intset to hashtable exactly where Redis's does and
// never back: to a packed set if the result fits the packed limits, to a
// dict otherwise (an intset may hold up to set-max-intset-entries
// members, more than a packed set). A packed set becomes a dict when it
// outgrows a limit, and never goes back either. Only sets built afresh
// pick their representation again: a new key starts as what its first
// member suits (Redis's setTypeCreate), *STORE, SUNION and SDIFF results
// start as intsets and are built member by member in Redis's order, and
// SPOP of most of a set rebuilds the rest as a new set. Replies come in
// the representation's order, as Redis's do in its encoding's: ascending
// for an intset. SADD, SREM, SISMEMBER, SMISMEMBER, SCARD and the
// one-member SPOP and SRANDMEMBER do not allocate.
package set

import (
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/intset"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Register adds the set commands to t.
func Register(t *command.Table) {
	t.Handle("sadd", sadd)
	t.Handle("srem", srem)
	t.Handle("smove", smove)
	t.Handle("sismember", sismember)
	t.Handle("smismember", smismember)
	t.Handle("scard", scard)
	t.Handle("spop", spop)
	t.Handle("srandmember", srandmember)
	t.Handle("smembers", func(c *command.Ctx) { sinter(c, c.Args[1:], nil, false, 0) })
	t.Handle("sinter", func(c *command.Ctx) { sinter(c, c.Args[1:], nil, false, 0) })
	t.Handle("sintercard", sintercard)
	t.Handle("sinterstore", func(c *command.Ctx) { sinter(c, c.Args[2:], c.Args[1], false, 0) })
	t.Handle("sunion", func(c *command.Ctx) { unionDiff(c, c.Args[1:], nil, false) })
	t.Handle("sunionstore", func(c *command.Ctx) { unionDiff(c, c.Args[2:], c.Args[1], false) })
	t.Handle("sdiff", func(c *command.Ctx) { unionDiff(c, c.Args[1:], nil, true) })
	t.Handle("sdiffstore", func(c *command.Ctx) { unionDiff(c, c.Args[2:], c.Args[1], true) })
	t.Handle("sscan", sscan)
}

// intsetLimit is the member count above which an intset becomes a
// hashtable (set-max-intset-entries).
func intsetLimit(c *command.Ctx) int64 { return c.Cfg.SetMaxIntsetEntries }

// addNew creates key as an empty set able to hold first, firing "new" as
// Redis's dbAdd does.
func addNew(c *command.Ctx, key, first []byte) uint32 {
	v := create(c.KS, first)
	id := c.DB.Add(key, keyspace.KindSet, v.enc, v.word(c.KS))
	c.Notify(command.EvNew, "new", key)
	return id
}

// addMember adds member to the set of key id and reports whether it was
// new.
func addMember(c *command.Ctx, id uint32, member []byte) bool {
	v := load(c, id)
	added := v.add(c.KS, member, intsetLimit(c))
	save(c, id, v)
	return added
}

// removeMember removes member from the set of key id and reports whether
// it was there.
func removeMember(c *command.Ctx, id uint32, member []byte) bool {
	v := load(c, id)
	removed := v.remove(c.KS, member)
	save(c, id, v)
	return removed
}

func keyLen(c *command.Ctx, id uint32) int { return load(c, id).length(c.KS) }

func sadd(c *command.Ctx) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindSet)
	if !ok {
		return
	}
	if id == dict.None {
		id = addNew(c, key, c.Args[2])
	}
	var added int64
	for _, m := range c.Args[2:] {
		if addMember(c, id, m) {
			added++
		}
	}
	if added > 0 {
		c.Changed(key, command.EvSet, "sadd")
		c.Dirty += added - 1
	}
	c.W.Int(added)
}

// srem deletes the key with its last member, firing "del" after "srem".
func srem(c *command.Ctx) {
	c.RemoveEach(keyspace.KindSet, command.EvSet, "srem", removeMember, keyLen)
}

// smove is SMOVE source destination member. Both keys are looked up
// before either is type-checked, and a missing source wins over a
// destination of the wrong type, as in Redis.
func smove(c *command.Ctx) {
	src, dst, member := c.Args[1], c.Args[2], c.Args[3]
	srcID := c.DB.LookupWrite(src)
	dstID := c.DB.LookupWrite(dst)
	if srcID == dict.None {
		c.W.Int(0)
		return
	}
	if c.DB.Kind(srcID) != keyspace.KindSet || dstID != dict.None && c.DB.Kind(dstID) != keyspace.KindSet {
		c.Err(command.ErrWrongType)
		return
	}
	if srcID == dstID {
		writeBool(c, load(c, srcID).has(c.KS, member))
		return
	}
	if !removeMember(c, srcID, member) {
		c.W.Int(0)
		return
	}
	c.Notify(command.EvSet, "srem", src)
	if keyLen(c, srcID) == 0 {
		c.DB.Delete(srcID)
		c.Notify(command.EvGeneric, "del", src)
	}
	if dstID == dict.None {
		dstID = addNew(c, dst, member)
	}
	c.SignalModified(c.DB, src)
	c.Dirty++
	if addMember(c, dstID, member) {
		c.Changed(dst, command.EvSet, "sadd")
	}
	c.W.Int(1)
}

func writeBool(c *command.Ctx, b bool) {
	if b {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

func sismember(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindSet)
	if ok {
		writeBool(c, id != dict.None && load(c, id).has(c.KS, c.Args[2]))
	}
}

// smismember replies with zeros for a missing key.
func smismember(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindSet)
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		writeBool(c, id != dict.None && load(c, id).has(c.KS, m))
	}
}

func scard(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindSet)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(keyLen(c, id)))
}

// spop is SPOP key [count].
func spop(c *command.Ctx) {
	if len(c.Args) == 3 {
		spopCount(c)
		return
	}
	if len(c.Args) > 3 {
		c.Err(command.ErrSyntax)
		return
	}
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindSet)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	v := load(c, id)
	popRandom(c, &v, key, true)
	save(c, id, v)
	c.Removed(key, id, command.EvSet, "spop", 1, v.length(c.KS) == 0)
}

// spopMoveRatio is how much of a set SPOP must take for it to be cheaper
// to rebuild what stays than to remove what goes (Redis's
// SPOP_MOVE_STRATEGY_MUL).
const spopMoveRatio = 5

// spopCount is SPOP key count. Taking the whole set replies as SUNION
// would and deletes the key; taking most of it moves the members that
// stay into a new set, whose encoding is chosen afresh, as Redis does.
func spopCount(c *command.Ctx) {
	count, ok := protocol.ParseInt(c.Args[2])
	if !ok || count < 0 {
		c.Err("ERR value is out of range, must be positive")
		return
	}
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindSet)
	if !ok {
		return
	}
	if id == dict.None || count == 0 {
		c.W.Set(0)
		return
	}
	size := int64(keyLen(c, id))
	c.Changed(key, command.EvSet, "spop")
	c.Dirty += min(count, size) - 1
	if count >= size {
		unionDiff(c, c.Args[1:2], nil, false)
		c.DB.Delete(id)
		c.Notify(command.EvGeneric, "del", key)
		c.Rewrite(command.WordDel, key)
		return
	}
	// The members taken are propagated one SREM each, not the call.
	c.PreventPropagation()
	c.W.Set(int(count))
	v := load(c, id)
	remaining := size - count
	if remaining*spopMoveRatio > count {
		for range count {
			popRandom(c, &v, key, false)
		}
		save(c, id, v)
		return
	}
	var rest value
	var buf [20]byte
	for i := range remaining {
		m := v.randomMember(c.KS, buf[:0])
		if i == 0 {
			rest = create(c.KS, m)
		}
		// m may alias v: add it elsewhere before removing it.
		rest.add(c.KS, m, intsetLimit(c))
		v.remove(c.KS, m)
	}
	v.each(c.KS, func(m []byte, n int64, isInt bool) bool {
		writeElem(c, m, n, isInt)
		if isInt {
			m = strconv.AppendInt(buf[:0], n, 10)
		}
		c.AlsoPropagate(wordSRem, key, m)
		return true
	})
	save(c, id, v)
	c.DB.Overwrite(id, keyspace.KindSet, rest.enc, rest.word(c.KS))
}

// srandSubRatio: below this many times count, SRANDMEMBER walks the whole
// set rather than drawing members at random (Redis's
// SRANDMEMBER_SUB_STRATEGY_MUL).
const srandSubRatio = 3

// srandmember is SRANDMEMBER key [count]. A negative count may repeat
// members; a positive one returns distinct members, all of them if count
// is at least the set's size.
func srandmember(c *command.Ctx) {
	if len(c.Args) > 3 {
		c.Err(command.ErrSyntax)
		return
	}
	if len(c.Args) == 2 {
		id, ok := c.Read(c.Args[1], keyspace.KindSet)
		switch {
		case !ok:
		case id == dict.None:
			c.W.Null()
		default:
			writeRandom(c, load(c, id))
		}
		return
	}
	l, ok := c.RangeInt(2, -math.MaxInt64, math.MaxInt64)
	if !ok {
		return
	}
	id, ok := c.Read(c.Args[1], keyspace.KindSet)
	if !ok {
		return
	}
	if id == dict.None || l == 0 {
		c.W.Array(0)
		return
	}
	v := load(c, id)
	size := int64(v.length(c.KS))
	switch {
	case l < 0 || l == 1:
		count := max(l, -l)
		c.W.Array(int(count))
		// The count is the client's: once the reply passes the output
		// limit the client is to be closed, and the rest is not built
		// (Redis checks CLIENT_CLOSE_ASAP in this loop).
		for range count {
			if c.W.Over() {
				break
			}
			writeRandom(c, v)
		}
	case l >= size:
		c.W.Array(int(size))
		writeAll(c, v)
	default:
		c.W.Array(int(l))
		writeSample(c, v, int(l))
	}
}

// sampleIntset replies with count distinct members of is, uniformly
// chosen by selection sampling: one pass, keeping each member with the
// probability that leaves exactly count. Intsets are small, so the pass
// is cheap.
func sampleIntset(c *command.Ctx, is []byte, count int) {
	n := intset.Len(is)
	for i := 0; count > 0; i++ {
		if int(c.KS.Rand(uint32(n-i))) < count {
			c.W.BulkInt(intset.Get(is, i))
			count--
		}
	}
}

// sscan is SSCAN key cursor [MATCH pattern] [COUNT count]. An intset is
// returned whole with cursor 0, as Redis does, and so is a packed set, as
// Redis does for its compact encodings (Redis 7.0 would page through the
// table of such a set; SCAN's guarantees allow both, and the members are
// the same); COUNT bounds the work on a dict.
func sscan(c *command.Ctx) {
	id, cursor, o, ok := keys.ScanKey(c, keyspace.KindSet)
	if !ok {
		return
	}
	w := c.W
	w.Array(2)
	v := load(c, id)
	if v.enc != keyspace.EncHashtable {
		w.BulkString("0")
		hdr := w.Defer()
		n := 0
		v.each(c.KS, func(s []byte, i int64, isInt bool) bool {
			if isInt {
				s = strconv.AppendInt(c.Buf[:0], i, 10)
			}
			if o.Matches(s) {
				w.Bulk(s)
				n++
			}
			return true
		})
		w.FillArray(hdr, n)
		return
	}
	ids := keys.ScanScratch()
	cursor, *ids = keys.ScanDict(v.d, cursor, o.Count, false, *ids)
	w.BulkInt(int64(cursor))
	hdr := w.Defer()
	n := 0
	for _, eid := range *ids {
		if m := v.d.Key(eid); o.Matches(m) {
			w.Bulk(m)
			n++
		}
	}
	w.FillArray(hdr, n)
	keys.PutScanScratch(ids)
}
