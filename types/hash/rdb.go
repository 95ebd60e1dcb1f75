package hash

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
)

// A hash travels as its listpack, or as a count and field/value strings.
// Loading picks the encoding Redis 7.0 would: a listpack stays one unless
// it has more than hash-max-listpack-entries fields; pairs become a
// listpack unless there are too many or one is longer than
// hash-max-listpack-value. Duplicate fields are refused. Older versions
// wrote ziplists and zipmaps, converted as they load (ziplist.go).

func init() {
	keyspace.RegisterLoader(keyspace.KindHash, loadValue,
		rdb.TypeHashListpack, rdb.TypeHash, rdb.TypeHashZiplist, rdb.TypeHashZipmap)
}

func saveValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, w *rdb.Encoder) byte {
	a := ks.Arena
	if enc == keyspace.EncListpack {
		w.String(a.Get(arena.Ref(val)))
		return rdb.TypeHashListpack
	}
	d := table(ks, val)
	w.Len(uint64(d.Len()))
	d.ForEach(func(eid uint32) bool {
		w.String(d.Key(eid))
		w.String(a.Get(arena.Ref(d.At(eid).Val)))
		return true
	})
	return rdb.TypeHash
}

func loadValue(ks *keyspace.Keyspace, cfg *config.Values, t byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	switch t {
	case rdb.TypeHashListpack:
		return loadListpack(ks, cfg, d)
	case rdb.TypeHashZiplist:
		return loadZiplist(ks, cfg, d)
	case rdb.TypeHashZipmap:
		return loadZipmap(ks, cfg, d)
	}
	return loadPairs(ks, cfg, d)
}

func loadListpack(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	s := d.String()
	if d.Err() != nil {
		return 0, 0, false
	}
	return listpackValue(ks, cfg, s, d)
}

// listpackValue makes a hash of the listpack lp once it passes the
// checks of a hash listpack (structure, even count, no field twice). As
// in Redis, one of more than hash-max-listpack-entries fields becomes a
// table, and the lengths of fields and values are not looked at: a long
// one stays in the listpack.
func listpackValue(ks *keyspace.Keyspace, cfg *config.Values, lp []byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	// Checked in the arena: Len may write the count into the header.
	a := ks.Arena
	ref := a.New(lp)
	lp = a.Get(ref)
	if listpack.Validate(lp, true) == nil && listpack.Len(lp) == 0 {
		a.Free(ref)
		d.Empty()
		return 0, 0, false
	}
	if listpack.ValidatePairs(lp) != nil {
		a.Free(ref)
		d.Fail()
		return 0, 0, false
	}
	if int64(listpack.Len(lp)/2) > cfg.HashMaxListpackEntries {
		val := ks.NewObject(tableOf(a, lp))
		a.Free(ref)
		return keyspace.EncHashtable, val, true
	}
	return keyspace.EncListpack, uint64(ref), true
}

func loadPairs(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	a := ks.Arena
	n := d.Count(2)
	if n == 0 {
		d.Empty()
		return 0, 0, false
	}
	// Pairs go to a listpack on the Go heap until they outgrow it, then
	// to a dict.
	var lp []byte
	var tbl *dict.Dict
	var seen map[string]struct{}
	if int64(n) > cfg.HashMaxListpackEntries {
		tbl = dict.New(a)
	} else {
		lp = listpack.New()
		seen = make(map[string]struct{}, n)
	}
	var field []byte
	for range n {
		field = append(field[:0], d.String()...)
		value := d.String()
		if d.Err() != nil {
			break
		}
		if tbl == nil {
			if _, dup := seen[string(field)]; dup {
				d.Fail()
				break
			}
			max := cfg.HashMaxListpackValue
			if int64(len(field)) <= max && int64(len(value)) <= max && listpack.SafeToAdd(lp, len(field)+len(value)) {
				seen[string(field)] = struct{}{}
				lp = listpack.Append(listpack.Append(lp, field), value)
				continue
			}
			tbl = tableOf(a, lp)
		}
		if tbl.Find(field) != dict.None {
			d.Fail()
			break
		}
		tbl.At(tbl.Insert(field)).Val = uint64(a.New(value))
	}
	if tbl == nil {
		if d.Err() != nil {
			return 0, 0, false
		}
		return keyspace.EncListpack, uint64(a.New(lp)), true
	}
	val := ks.NewObject(tbl)
	if d.Err() != nil {
		freeValue(ks, keyspace.EncHashtable, val)
		return 0, 0, false
	}
	return keyspace.EncHashtable, val, true
}
