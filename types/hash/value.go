package hash

import (
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
)

// The operations below work on a hash key of either encoding, given its
// entry id. They are the only code that knows how the two encodings are
// laid out; the command handlers are written against them.

// emptyListpack is what a new hash starts as.
var emptyListpack = listpack.New()

// table returns the dict of a hashtable-encoded hash.
func table(ks *keyspace.Keyspace, val uint64) *dict.Dict { return ks.Object(val).(*dict.Dict) }

// lookupCreate finds the hash at key for writing, creating an empty one
// (and firing "new", as Redis's dbAdd does) if it is missing. It writes
// WRONGTYPE and returns false if key holds another kind.
func lookupCreate(c *command.Ctx, key []byte) (uint32, bool) {
	id, ok := c.ReadWrite(key, keyspace.KindHash)
	if !ok {
		return id, false
	}
	if id == dict.None {
		id = c.DB.Add(key, keyspace.KindHash, keyspace.EncListpack, uint64(c.KS.Arena.New(emptyListpack)))
		c.Notify(command.EvNew, "new", key)
	}
	return id, true
}

// get finds field. A listpack may hold the value as an integer (isInt
// set, s nil); otherwise s aliases arena memory until the next change.
func get(c *command.Ctx, id uint32, field []byte) (s []byte, n int64, isInt, found bool) {
	if c.DB.Encoding(id) == keyspace.EncListpack {
		lp := c.DB.Blob(id)
		off := listpack.Find(lp, listpack.First(lp), field, 1)
		if off < 0 {
			return nil, 0, false, false
		}
		s, n, isInt = listpack.Get(lp, listpack.Next(lp, off))
		return s, n, isInt, true
	}
	d := table(c.KS, c.DB.Value(id))
	eid := d.Find(field)
	if eid == dict.None {
		return nil, 0, false, false
	}
	return c.KS.Arena.Get(arena.Ref(d.At(eid).Val)), 0, false, true
}

// length is the number of fields (Redis's hashTypeLength).
func length(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) int {
	if enc == keyspace.EncListpack {
		return listpack.Len(ks.Arena.Get(arena.Ref(val))) / 2
	}
	return table(ks, val).Len()
}

func keyLen(c *command.Ctx, id uint32) int {
	return length(c.KS, c.DB.Encoding(id), c.DB.Value(id))
}

// tryConvert converts a listpack hash to a hashtable before args are
// written to it if one of them is too long for a listpack, or all of them
// together could make it unsafely big (Redis's hashTypeTryConversion).
func tryConvert(c *command.Ctx, id uint32, args [][]byte) {
	if c.DB.Encoding(id) != keyspace.EncListpack {
		return
	}
	sum := 0
	for _, a := range args {
		if int64(len(a)) > c.Cfg.HashMaxListpackValue {
			convert(c, id)
			return
		}
		sum += len(a)
	}
	if !listpack.SafeToAdd(c.DB.Blob(id), sum) {
		convert(c, id)
	}
}

// set sets field to value, converting the hash to a hashtable when either
// is too long for a listpack or the listpack gets too many fields. It
// reports whether the field existed. value must not alias the hash.
func set(c *command.Ctx, id uint32, field, value []byte) (update bool) {
	db, a := c.DB, c.KS.Arena
	if db.Encoding(id) == keyspace.EncListpack {
		max := c.Cfg.HashMaxListpackValue
		if int64(len(field)) > max || int64(len(value)) > max {
			convert(c, id)
		}
	}
	if db.Encoding(id) != keyspace.EncListpack {
		d := table(c.KS, db.Value(id))
		if eid := d.Find(field); eid != dict.None {
			e := d.At(eid)
			e.Val = uint64(a.Store(arena.Ref(e.Val), value))
			return true
		}
		d.At(d.Insert(field)).Val = uint64(a.New(value))
		return false
	}
	lp := db.Blob(id)
	if off := listpack.Find(lp, listpack.First(lp), field, 1); off >= 0 {
		voff := listpack.Next(lp, off)
		lp = db.ReserveBlob(id, len(lp)+listpack.EntrySize(value)-listpack.EntryLen(lp, voff))
		lp, _ = listpack.Insert(lp, voff, listpack.Replace, value)
		db.TrimBlob(id, lp)
		update = true
	} else {
		lp = db.ReserveBlob(id, len(lp)+listpack.EntrySize(field)+listpack.EntrySize(value))
		lp = listpack.Append(lp, field)
		lp = listpack.Append(lp, value)
	}
	// Checked after updates too: the limit may have been lowered since
	// the hash was built.
	if int64(listpack.Len(db.Blob(id))/2) > c.Cfg.HashMaxListpackEntries {
		convert(c, id)
	}
	return update
}

// del removes field and reports whether it was there.
func del(c *command.Ctx, id uint32, field []byte) bool {
	db, a := c.DB, c.KS.Arena
	if db.Encoding(id) == keyspace.EncListpack {
		lp := db.Blob(id)
		off := listpack.Find(lp, listpack.First(lp), field, 1)
		if off < 0 {
			return false
		}
		lp, _ = listpack.DeleteN(lp, off, 2)
		db.TrimBlob(id, lp)
		return true
	}
	d := table(c.KS, db.Value(id))
	eid := d.Find(field)
	if eid == dict.None {
		return false
	}
	a.Free(arena.Ref(d.At(eid).Val))
	d.Delete(eid)
	// Keep live ids dense, so that random picks stay O(1) after mass
	// deletes: each delete makes at most one hole, this fills up to two.
	if d.Sparse() {
		d.Compact(2)
	}
	return true
}

// convert turns a listpack hash into a hashtable one. Redis never
// converts back.
func convert(c *command.Ctx, id uint32) {
	a := c.KS.Arena
	ref := arena.Ref(c.DB.Value(id))
	d := tableOf(a, a.Get(ref))
	a.Free(ref)
	c.DB.SetValue(id, keyspace.EncHashtable, c.KS.NewObject(d))
}

// tableOf builds the dict holding the pairs of a listpack hash.
func tableOf(a *arena.Arena, lp []byte) *dict.Dict {
	d := dict.New(a)
	var fbuf, vbuf [20]byte
	for off := listpack.First(lp); off >= 0; {
		voff := listpack.Next(lp, off)
		// lp stays valid: new blobs never move existing ones.
		d.At(d.Insert(elem(lp, off, fbuf[:0]))).Val = uint64(a.New(elem(lp, voff, vbuf[:0])))
		off = listpack.Next(lp, voff)
	}
	return d
}

// elem returns a listpack element as a string, formatting an integer into
// buf.
func elem(lp []byte, off int, buf []byte) []byte {
	s, n, isInt := listpack.Get(lp, off)
	if isInt {
		return strconv.AppendInt(buf, n, 10)
	}
	return s
}

// writeElem replies with a listpack element as a bulk string.
func writeElem(c *command.Ctx, lp []byte, off int) {
	s, n, isInt := listpack.Get(lp, off)
	if isInt {
		c.W.BulkInt(n)
	} else {
		c.W.Bulk(s)
	}
}

// writeEntry replies with the field and/or value of a hashtable entry.
func writeEntry(c *command.Ctx, d *dict.Dict, eid uint32, fields, values bool) {
	if fields {
		c.W.Bulk(d.Key(eid))
	}
	if values {
		c.W.Bulk(c.KS.Arena.Get(arena.Ref(d.At(eid).Val)))
	}
}
