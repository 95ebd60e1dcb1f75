package set

import (
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/intset"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
)

// A set travels as its intset, or as a count and member strings (the
// order of a hashtable, which differs between servers as Redis's own
// does between runs). Loading picks the encoding Redis 7.0 would: an
// intset while every member is an integer and there are at most
// set-max-intset-entries, else what Redis makes a hashtable.

func init() {
	keyspace.RegisterLoader(keyspace.KindSet, loadValue, rdb.TypeSetIntset, rdb.TypeSet)
}

func saveValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, w *rdb.Encoder) byte {
	v := decode(ks, enc, val)
	if enc == keyspace.EncIntset {
		w.String(ks.Arena.Get(v.blob))
		return rdb.TypeSetIntset
	}
	w.Len(uint64(v.length(ks)))
	ForEach(ks, enc, val, func(member []byte) bool {
		w.String(member)
		return true
	})
	return rdb.TypeSet
}

func loadValue(ks *keyspace.Keyspace, cfg *config.Values, t byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	var v value
	if t == rdb.TypeSetIntset {
		s := d.String()
		if d.Err() != nil {
			return 0, 0, false
		}
		a := ks.Arena
		v = value{enc: keyspace.EncIntset, blob: a.New(s)}
		is := a.Get(v.blob)
		if intset.Validate(is, true) != nil || intset.Len(is) == 0 {
			v.free(ks)
			d.Fail()
			return 0, 0, false
		}
		n := intset.Len(is)
		if int64(n) > min(cfg.SetMaxIntsetEntries, maxIntsetEntries) {
			v.convertIntset(ks, n, 0)
		}
		return v.enc, v.word(ks), true
	}
	n := d.Count(1)
	created := false
	for i := range n {
		m := d.String()
		if d.Err() != nil {
			break
		}
		if i == 0 {
			v, created = create(ks, m), true
		}
		if !v.add(ks, m, cfg.SetMaxIntsetEntries) {
			d.Fail() // a duplicate
			break
		}
	}
	if n == 0 || d.Err() != nil {
		if created {
			v.free(ks)
		}
		if n == 0 {
			d.Empty()
		} else {
			d.Fail()
		}
		return 0, 0, false
	}
	return v.enc, v.word(ks), true
}
