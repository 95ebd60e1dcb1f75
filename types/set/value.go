package set

import (
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/intset"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// The operations below work on a set of either encoding held in a value,
// which is either a key's (load, save) or a temporary one, such as the
// result of SUNION being built. They are the only code that knows how the
// two encodings are laid out.

// value is a set: an intset blob or a dict, as enc says.
type value struct {
	enc keyspace.Encoding
	is  arena.Ref
	d   *dict.Dict
}

// emptyIntset is what a new intset set starts as.
var emptyIntset = intset.New()

// maxIntsetEntries caps set-max-intset-entries where Redis does, below the
// intset's own size limits.
const maxIntsetEntries = 1 << 30

// decode returns the set a key's value word holds.
func decode(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) value {
	if enc == keyspace.EncIntset {
		return value{enc: enc, is: arena.Ref(val)}
	}
	return value{enc: enc, d: ks.Object(val).(*dict.Dict)}
}

// load returns the set of key id.
func load(c *command.Ctx, id uint32) value {
	return decode(c.KS, c.DB.Encoding(id), c.DB.Value(id))
}

// save writes back a key's set after a change that may have moved its
// intset or converted it to a hashtable.
func save(c *command.Ctx, id uint32, v value) {
	if v.enc == keyspace.EncIntset {
		c.DB.SetValue(id, v.enc, uint64(v.is))
	} else if c.DB.Encoding(id) == keyspace.EncIntset {
		c.DB.SetValue(id, v.enc, c.KS.NewObject(v.d))
	}
}

// word turns a temporary set into a value word for a new key.
func (v value) word(ks *keyspace.Keyspace) uint64 {
	if v.enc == keyspace.EncIntset {
		return uint64(v.is)
	}
	return ks.NewObject(v.d)
}

// newIntset returns an empty intset-encoded set, which is what Redis's
// *STORE and SUNION/SDIFF results start as.
func newIntset(ks *keyspace.Keyspace) value {
	return value{enc: keyspace.EncIntset, is: ks.Arena.New(emptyIntset)}
}

// create returns an empty set in the encoding that can hold first: an
// intset if it is an integer, as Redis's setTypeCreate chooses.
func create(ks *keyspace.Keyspace, first []byte) value {
	if _, ok := protocol.ParseInt(first); ok {
		return newIntset(ks)
	}
	return value{enc: keyspace.EncHashtable, d: dict.New(ks.Arena)}
}

// free releases a temporary set.
func (v value) free(ks *keyspace.Keyspace) {
	if v.enc == keyspace.EncIntset {
		ks.Arena.Free(v.is)
	} else {
		v.d.Clear()
	}
}

func (v value) length(ks *keyspace.Keyspace) int {
	if v.enc == keyspace.EncIntset {
		return intset.Len(ks.Arena.Get(v.is))
	}
	return v.d.Len()
}

// has reports whether member is in the set; an intset holds only
// members that are canonical integers.
func (v value) has(ks *keyspace.Keyspace, member []byte) bool {
	if v.enc == keyspace.EncIntset {
		n, ok := protocol.ParseInt(member)
		return ok && intset.Find(ks.Arena.Get(v.is), n)
	}
	return v.d.Find(member) != dict.None
}

// hasElem is has for an element of another set, which an intset gives as
// the integer n (isInt set) rather than as bytes.
func (v value) hasElem(ks *keyspace.Keyspace, s []byte, n int64, isInt bool) bool {
	if !isInt {
		return v.has(ks, s)
	}
	if v.enc == keyspace.EncIntset {
		return intset.Find(ks.Arena.Get(v.is), n)
	}
	var buf [20]byte
	return v.d.Find(strconv.AppendInt(buf[:0], n, 10)) != dict.None
}

// add adds member and reports whether it was new. An intset becomes a
// hashtable when member is not an integer or the set outgrows limit
// (set-max-intset-entries), never the other way.
func (v *value) add(ks *keyspace.Keyspace, member []byte, limit int64) bool {
	if v.enc == keyspace.EncIntset {
		if n, ok := protocol.ParseInt(member); ok {
			return v.addInt(ks, n, limit)
		}
		v.convert(ks)
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
	if v.enc == keyspace.EncIntset {
		return v.addInt(ks, n, limit)
	}
	var buf [20]byte
	return v.add(ks, strconv.AppendInt(buf[:0], n, 10), limit)
}

// addInt adds n to an intset set, growing its blob to the exact size as
// Redis's realloc does.
func (v *value) addInt(ks *keyspace.Keyspace, n int64, limit int64) bool {
	a := ks.Arena
	is := a.Get(v.is)
	if intset.Find(is, n) {
		return false
	}
	l := len(is)
	ref, b := a.Fit(v.is, intset.SizeWith(is, n))
	v.is = ref
	is, _ = intset.Add(b[:l], n)
	if int64(intset.Len(is)) > min(limit, maxIntsetEntries) {
		v.convert(ks)
	}
	return true
}

// remove deletes member and reports whether it was there.
func (v *value) remove(ks *keyspace.Keyspace, member []byte) bool {
	if v.enc == keyspace.EncIntset {
		n, ok := protocol.ParseInt(member)
		return ok && v.removeInt(ks, n)
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
	if v.enc == keyspace.EncIntset {
		return v.removeInt(ks, n)
	}
	var buf [20]byte
	return v.remove(ks, strconv.AppendInt(buf[:0], n, 10))
}

// removeInt deletes n from an intset set.
func (v *value) removeInt(ks *keyspace.Keyspace, n int64) bool {
	a := ks.Arena
	is, ok := intset.Remove(a.Get(v.is), n)
	if ok {
		v.is, _ = a.Resize(v.is, len(is))
	}
	return ok
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

// convert turns an intset set into a hashtable one.
func (v *value) convert(ks *keyspace.Keyspace) {
	is := ks.Arena.Get(v.is)
	d := dict.New(ks.Arena)
	var buf [20]byte
	for i := range intset.Len(is) {
		// is stays valid: new blobs never move existing ones.
		d.Insert(strconv.AppendInt(buf[:0], intset.Get(is, i), 10))
	}
	ks.Arena.Free(v.is)
	*v = value{enc: keyspace.EncHashtable, d: d}
}

// each calls fn with every member, in the encoding's order (ascending for
// an intset, whose members come as integers with isInt set), until fn
// returns false. fn must not change the set.
func (v value) each(ks *keyspace.Keyspace, fn func(s []byte, n int64, isInt bool) bool) {
	if v.enc == keyspace.EncIntset {
		is := ks.Arena.Get(v.is)
		for i := range intset.Len(is) {
			if !fn(nil, intset.Get(is, i), true) {
				return
			}
		}
		return
	}
	v.d.ForEach(func(eid uint32) bool { return fn(v.d.Key(eid), 0, false) })
}

// writeElem replies with a member as given by each.
func writeElem(c *command.Ctx, s []byte, n int64, isInt bool) {
	if isInt {
		c.W.BulkInt(n)
	} else {
		c.W.Bulk(s)
	}
}

// writeAll replies with every member of a set.
func writeAll(c *command.Ctx, v value) {
	v.each(c.KS, func(s []byte, n int64, isInt bool) bool {
		writeElem(c, s, n, isInt)
		return true
	})
}

// writeRandom replies with a random member, which stays in the set.
func writeRandom(c *command.Ctx, v value) {
	if v.enc == keyspace.EncIntset {
		is := c.KS.Arena.Get(v.is)
		c.W.BulkInt(intset.Get(is, int(c.KS.Rand(uint32(intset.Len(is))))))
		return
	}
	c.W.Bulk(v.d.Key(v.d.Random(c.KS.Rand)))
}

// popRandom replies with a random member and removes it.
func popRandom(c *command.Ctx, v *value) {
	if v.enc == keyspace.EncIntset {
		is := c.KS.Arena.Get(v.is)
		n := intset.Get(is, int(c.KS.Rand(uint32(intset.Len(is)))))
		c.W.BulkInt(n)
		v.removeInt(c.KS, n)
		return
	}
	eid := v.d.Random(c.KS.Rand)
	c.W.Bulk(v.d.Key(eid))
	v.removeID(eid)
}
