package set

import (
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/intset"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/protocol"
)

// The operations below work on a set of any representation held in a
// value, which is either a key's (load, save) or a temporary one, such as
// the result of SUNION being built. They are the only code that knows how
// the three representations are laid out.

// value is a set: an intset or packed (listpack) blob, or a dict, as enc
// says.
type value struct {
	enc  keyspace.Encoding
	blob arena.Ref // EncIntset, EncPackedHashtable
	d    *dict.Dict
}

// emptyIntset and emptyListpack are what new intset and packed sets
// start as.
var (
	emptyIntset   = intset.New()
	emptyListpack = listpack.New()
)

// maxIntsetEntries caps set-max-intset-entries where Redis does, below the
// intset's own size limits.
const maxIntsetEntries = 1 << 30

// A set Redis 7.0 would keep as a hashtable stays packed while it has at
// most packMaxEntries members of at most packMaxValue bytes each. These
// are Redis 7.2's set-max-listpack-entries and set-max-listpack-value
// defaults, where Redis itself started packing small sets. They are not
// configurable: Redis 7.0 has no such settings, so CONFIG must not grow
// them, and the packed form is invisible anyway (it answers OBJECT
// ENCODING as "hashtable", as Redis 7.0 does for these sets).
const (
	packMaxEntries = 128
	packMaxValue   = 64
)

// decode returns the set a key's value word holds.
func decode(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) value {
	if enc == keyspace.EncHashtable {
		return value{enc: enc, d: ks.Object(val).(*dict.Dict)}
	}
	return value{enc: enc, blob: arena.Ref(val)}
}

// load returns the set of key id.
func load(c *command.Ctx, id uint32) value {
	return decode(c.KS, c.DB.Encoding(id), c.DB.Value(id))
}

// save writes back a key's set after a change that may have moved its
// blob or converted it to another representation.
func save(c *command.Ctx, id uint32, v value) {
	if v.enc != keyspace.EncHashtable {
		c.DB.SetValue(id, v.enc, uint64(v.blob))
	} else if c.DB.Encoding(id) != keyspace.EncHashtable {
		c.DB.SetValue(id, v.enc, c.KS.NewObject(v.d))
	}
}

// word turns a temporary set into a value word for a new key.
func (v value) word(ks *keyspace.Keyspace) uint64 {
	if v.enc == keyspace.EncHashtable {
		return ks.NewObject(v.d)
	}
	return uint64(v.blob)
}

// newIntset returns an empty intset-encoded set, which is what Redis's
// *STORE and SUNION/SDIFF results start as.
func newIntset(ks *keyspace.Keyspace) value {
	return value{enc: keyspace.EncIntset, blob: ks.Arena.New(emptyIntset)}
}

// create returns an empty set in the encoding that can hold first: an
// intset if it is an integer, as Redis's setTypeCreate chooses, and
// otherwise what Redis makes a hashtable: packed if first fits.
func create(ks *keyspace.Keyspace, first []byte) value {
	if _, ok := protocol.ParseInt(first); ok {
		return newIntset(ks)
	}
	if len(first) > packMaxValue {
		return value{enc: keyspace.EncHashtable, d: dict.New(ks.Arena)}
	}
	return value{enc: keyspace.EncPackedHashtable, blob: ks.Arena.New(emptyListpack)}
}

// free releases a temporary set.
func (v value) free(ks *keyspace.Keyspace) {
	if v.enc == keyspace.EncHashtable {
		v.d.Clear()
	} else {
		ks.Arena.Free(v.blob)
	}
}

func (v value) length(ks *keyspace.Keyspace) int {
	switch v.enc {
	case keyspace.EncIntset:
		return intset.Len(ks.Arena.Get(v.blob))
	case keyspace.EncPackedHashtable:
		return listpack.Len(ks.Arena.Get(v.blob))
	}
	return v.d.Len()
}

// has reports whether member is in the set; an intset holds only
// members that are canonical integers.
func (v value) has(ks *keyspace.Keyspace, member []byte) bool {
	switch v.enc {
	case keyspace.EncIntset:
		n, ok := protocol.ParseInt(member)
		return ok && intset.Find(ks.Arena.Get(v.blob), n)
	case keyspace.EncPackedHashtable:
		lp := ks.Arena.Get(v.blob)
		return listpack.Find(lp, listpack.First(lp), member, 0) >= 0
	}
	return v.d.Find(member) != dict.None
}

// hasElem is has for an element of another set, which an intset or a
// packed set gives as the integer n (isInt set) rather than as bytes.
func (v value) hasElem(ks *keyspace.Keyspace, s []byte, n int64, isInt bool) bool {
	if !isInt {
		return v.has(ks, s)
	}
	switch v.enc {
	case keyspace.EncIntset:
		return intset.Find(ks.Arena.Get(v.blob), n)
	case keyspace.EncPackedHashtable:
		return findInt(ks.Arena.Get(v.blob), n) >= 0
	}
	var buf [20]byte
	return v.d.Find(strconv.AppendInt(buf[:0], n, 10)) != dict.None
}

// findInt returns the offset of the member n in a packed set's listpack,
// or -1. A member that reads as an integer is always stored as one, so
// only integer elements can match.
func findInt(lp []byte, n int64) int {
	for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
		if _, m, isInt := listpack.Get(lp, off); isInt && m == n {
			return off
		}
	}
	return -1
}

// add adds member and reports whether it was new. An intset becomes a
// packed set or a dict when member is not an integer or the set outgrows
// limit (set-max-intset-entries), and a packed set a dict when it
// outgrows the packed limits; never the other way.
func (v *value) add(ks *keyspace.Keyspace, member []byte, limit int64) bool {
	switch v.enc {
	case keyspace.EncIntset:
		if n, ok := protocol.ParseInt(member); ok {
			return v.addInt(ks, n, limit)
		}
		v.convertIntset(ks, intset.Len(ks.Arena.Get(v.blob))+1, len(member))
		if v.enc == keyspace.EncPackedHashtable {
			// Not an integer, so not in what was an intset.
			v.appendPacked(ks, member, 0, false)
			return true
		}
	case keyspace.EncPackedHashtable:
		lp := ks.Arena.Get(v.blob)
		if listpack.Find(lp, listpack.First(lp), member, 0) >= 0 {
			return false
		}
		if len(member) <= packMaxValue && listpack.Len(lp) < packMaxEntries {
			v.appendPacked(ks, member, 0, false)
			return true
		}
		v.unpack(ks)
		v.d.Insert(member)
		return true
	}
	if v.d.Find(member) != dict.None {
		return false
	}
	v.d.Insert(member)
	return true
}

// addElem is add for an element of another set (see hasElem).
func (v *value) addElem(ks *keyspace.Keyspace, s []byte, n int64, isInt bool, limit int64) bool {
	if !isInt {
		return v.add(ks, s, limit)
	}
	switch v.enc {
	case keyspace.EncIntset:
		return v.addInt(ks, n, limit)
	case keyspace.EncPackedHashtable:
		lp := ks.Arena.Get(v.blob)
		if findInt(lp, n) >= 0 {
			return false
		}
		if listpack.Len(lp) < packMaxEntries {
			v.appendPacked(ks, nil, n, true)
			return true
		}
	}
	var buf [20]byte
	return v.add(ks, strconv.AppendInt(buf[:0], n, 10), limit)
}

// appendPacked appends a member known to be new to a packed set, as bytes
// s or, if isInt, as the integer n, growing its blob to the exact size.
func (v *value) appendPacked(ks *keyspace.Keyspace, s []byte, n int64, isInt bool) {
	a := ks.Arena
	l := len(a.Get(v.blob))
	size := listpack.IntEntrySize(n)
	if !isInt {
		size = listpack.EntrySize(s)
	}
	ref, b := a.Fit(v.blob, l+size)
	v.blob = ref
	if isInt {
		listpack.AppendInt(b[:l], n)
	} else {
		listpack.Append(b[:l], s)
	}
}

// addInt adds n to an intset set, growing its blob to the exact size as
// Redis's realloc does.
func (v *value) addInt(ks *keyspace.Keyspace, n int64, limit int64) bool {
	a := ks.Arena
	is := a.Get(v.blob)
	if intset.Find(is, n) {
		return false
	}
	l := len(is)
	ref, b := a.Fit(v.blob, intset.SizeWith(is, n))
	v.blob = ref
	is, _ = intset.Add(b[:l], n)
	if size := intset.Len(is); int64(size) > min(limit, maxIntsetEntries) {
		v.convertIntset(ks, size, 0)
	}
	return true
}

// remove deletes member and reports whether it was there.
func (v *value) remove(ks *keyspace.Keyspace, member []byte) bool {
	switch v.enc {
	case keyspace.EncIntset:
		n, ok := protocol.ParseInt(member)
		return ok && v.removeInt(ks, n)
	case keyspace.EncPackedHashtable:
		lp := ks.Arena.Get(v.blob)
		return v.removePacked(ks, listpack.Find(lp, listpack.First(lp), member, 0))
	}
	eid := v.d.Find(member)
	if eid == dict.None {
		return false
	}
	v.removeID(eid)
	return true
}

// removeElem is remove for an element of another set (see hasElem).
func (v *value) removeElem(ks *keyspace.Keyspace, s []byte, n int64, isInt bool) bool {
	if !isInt {
		return v.remove(ks, s)
	}
	switch v.enc {
	case keyspace.EncIntset:
		return v.removeInt(ks, n)
	case keyspace.EncPackedHashtable:
		return v.removePacked(ks, findInt(ks.Arena.Get(v.blob), n))
	}
	var buf [20]byte
	return v.remove(ks, strconv.AppendInt(buf[:0], n, 10))
}

// removeInt deletes n from an intset set.
func (v *value) removeInt(ks *keyspace.Keyspace, n int64) bool {
	a := ks.Arena
	is, ok := intset.Remove(a.Get(v.blob), n)
	if ok {
		v.blob, _ = a.Resize(v.blob, len(is))
	}
	return ok
}

// removePacked deletes the element at off (none if -1) from a packed set
// and reports whether there was one.
func (v *value) removePacked(ks *keyspace.Keyspace, off int) bool {
	if off < 0 {
		return false
	}
	a := ks.Arena
	lp, _ := listpack.Delete(a.Get(v.blob), off)
	v.blob, _ = a.Resize(v.blob, len(lp))
	return true
}

// removeID deletes the member with entry id eid from a hashtable set.
func (v *value) removeID(eid uint32) {
	v.d.Delete(eid)
	// Keep live ids dense so that random picks (SPOP, SRANDMEMBER) stay
	// O(1) after mass deletes.
	if v.d.Sparse() {
		v.d.Compact(2)
	}
}

// convertIntset turns an intset set into what Redis would make a
// hashtable: a packed set if it is to hold size members, the longest
// maxLen bytes long, within the packed limits, a dict otherwise.
func (v *value) convertIntset(ks *keyspace.Keyspace, size, maxLen int) {
	a := ks.Arena
	is := a.Get(v.blob)
	n := intset.Len(is)
	if size <= packMaxEntries && maxLen <= packMaxValue {
		total := len(emptyListpack)
		for i := range n {
			total += listpack.IntEntrySize(intset.Get(is, i))
		}
		// is stays valid: new blobs never move existing ones.
		ref, b := a.Alloc(total)
		lp := append(b[:0], emptyListpack...)
		for i := range n {
			lp = listpack.AppendInt(lp, intset.Get(is, i))
		}
		a.Free(v.blob)
		*v = value{enc: keyspace.EncPackedHashtable, blob: ref}
		return
	}
	d := dict.New(a)
	var buf [20]byte
	for i := range n {
		d.Insert(strconv.AppendInt(buf[:0], intset.Get(is, i), 10))
	}
	a.Free(v.blob)
	*v = value{enc: keyspace.EncHashtable, d: d}
}

// unpack turns a packed set into a dict, for good.
func (v *value) unpack(ks *keyspace.Keyspace) {
	a := ks.Arena
	lp := a.Get(v.blob)
	d := dict.New(a)
	var buf [20]byte
	for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
		// lp stays valid while the dict allocates.
		d.Insert(packedMember(lp, off, buf[:0]))
	}
	a.Free(v.blob)
	*v = value{enc: keyspace.EncHashtable, d: d}
}

// packedMember returns the member at off of a packed set, an integer
// formatted into buf.
func packedMember(lp []byte, off int, buf []byte) []byte {
	s, n, isInt := listpack.Get(lp, off)
	if isInt {
		return strconv.AppendInt(buf, n, 10)
	}
	return s
}

// each calls fn with every member, in the representation's order
// (ascending for an intset, insertion for a packed set), until fn returns
// false. Integers of an intset or packed set come as n with isInt set.
// fn must not change the set.
func (v value) each(ks *keyspace.Keyspace, fn func(s []byte, n int64, isInt bool) bool) {
	switch v.enc {
	case keyspace.EncIntset:
		is := ks.Arena.Get(v.blob)
		for i := range intset.Len(is) {
			if !fn(nil, intset.Get(is, i), true) {
				return
			}
		}
	case keyspace.EncPackedHashtable:
		lp := ks.Arena.Get(v.blob)
		for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
			if !fn(listpack.Get(lp, off)) {
				return
			}
		}
	default:
		v.d.ForEach(func(eid uint32) bool { return fn(v.d.Key(eid), 0, false) })
	}
}

// writeElem replies with a member as given by each.
func writeElem(c *command.Ctx, s []byte, n int64, isInt bool) {
	if isInt {
		c.W.BulkInt(n)
	} else {
		c.W.Bulk(s)
	}
}

// writePacked replies with the member at off of a packed set.
func writePacked(c *command.Ctx, lp []byte, off int) {
	s, n, isInt := listpack.Get(lp, off)
	writeElem(c, s, n, isInt)
}

// writeAll replies with every member of a set.
func writeAll(c *command.Ctx, v value) {
	v.each(c.KS, func(s []byte, n int64, isInt bool) bool {
		writeElem(c, s, n, isInt)
		return true
	})
}

// randomOffset returns the offset of a uniformly chosen element of a
// non-empty listpack.
func randomOffset(c *command.Ctx, lp []byte) int {
	return listpack.Seek(lp, int(c.KS.Rand(uint32(listpack.Len(lp)))))
}

// writeRandom replies with a random member, which stays in the set.
func writeRandom(c *command.Ctx, v value) {
	switch v.enc {
	case keyspace.EncIntset:
		is := c.KS.Arena.Get(v.blob)
		c.W.BulkInt(intset.Get(is, int(c.KS.Rand(uint32(intset.Len(is))))))
	case keyspace.EncPackedHashtable:
		lp := c.KS.Arena.Get(v.blob)
		writePacked(c, lp, randomOffset(c, lp))
	default:
		c.W.Bulk(v.d.Key(v.d.Random(c.KS.Rand)))
	}
}

// writeSample replies with count distinct, uniformly chosen members;
// count is below the set's size.
func writeSample(c *command.Ctx, v value, count int) {
	switch v.enc {
	case keyspace.EncIntset:
		sampleIntset(c, c.KS.Arena.Get(v.blob), count)
	case keyspace.EncPackedHashtable:
		lp := c.KS.Arena.Get(v.blob)
		listpack.Sample(lp, 1, count, c.KS.Rand, func(off int) { writePacked(c, lp, off) })
	default:
		v.d.Sample(count, c.KS.Rand, func(eid uint32) { c.W.Bulk(v.d.Key(eid)) })
	}
}

// randomMember returns a random member, an integer formatted into buf;
// the bytes may alias the set, so they must be used before it changes.
func (v value) randomMember(ks *keyspace.Keyspace, buf []byte) []byte {
	switch v.enc {
	case keyspace.EncIntset:
		is := ks.Arena.Get(v.blob)
		return strconv.AppendInt(buf, intset.Get(is, int(ks.Rand(uint32(intset.Len(is))))), 10)
	case keyspace.EncPackedHashtable:
		lp := ks.Arena.Get(v.blob)
		return packedMember(lp, listpack.Seek(lp, int(ks.Rand(uint32(listpack.Len(lp))))), buf)
	}
	return v.d.Key(v.d.Random(ks.Rand))
}

// popRandom replies with a random member and removes it.
func popRandom(c *command.Ctx, v *value, key []byte, single bool) {
	switch v.enc {
	case keyspace.EncIntset:
		is := c.KS.Arena.Get(v.blob)
		n := intset.Get(is, int(c.KS.Rand(uint32(intset.Len(is)))))
		c.W.BulkInt(n)
		propagatePop(c, key, c.FormatInt(n), single)
		v.removeInt(c.KS, n)
	case keyspace.EncPackedHashtable:
		lp := c.KS.Arena.Get(v.blob)
		off := randomOffset(c, lp)
		m, n, isInt := listpack.Get(lp, off)
		writeElem(c, m, n, isInt)
		if isInt {
			m = c.FormatInt(n)
		}
		propagatePop(c, key, m, single)
		v.removePacked(c.KS, off)
	default:
		eid := v.d.Random(c.KS.Rand)
		c.W.Bulk(v.d.Key(eid))
		propagatePop(c, key, v.d.Key(eid), single)
		v.removeID(eid)
	}
}

var wordSRem = []byte("SREM")

// propagatePop propagates the removal of a popped member as Redis does:
// a single SPOP becomes SREM key member; SPOP with a count is propagated
// as one SREM per member, ahead of nothing (the call itself is dropped).
func propagatePop(c *command.Ctx, key, member []byte, single bool) {
	if single {
		c.Rewrite(wordSRem, key, member)
	} else {
		c.AlsoPropagate(wordSRem, key, member)
	}
}
