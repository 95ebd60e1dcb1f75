package keyspace

import (
	"github.com/redoubt-db/redoubt/arena"
)

// What the generic key commands (package keys) need beyond lookups:
// expiry checks that SCAN and KEYS make on entries they walk, and value
// duplication for COPY.

// Expired reports whether a key's deadline has passed; the key may still
// be in the table, waiting for lazy or active expiry. KEYS skips such keys
// without deleting them.
func (db *DB) Expired(id uint32) bool { return db.expiredID(id) }

// ExpireIfNeeded deletes a key whose deadline has passed (as a lookup
// would) and reports whether it had expired. On a replica the key is only
// reported, not deleted: the master sends the delete.
func (db *DB) ExpireIfNeeded(id uint32) bool {
	if !db.expiredID(id) {
		return false
	}
	if !db.ks.Replica && !db.ks.ExpiryPaused {
		db.deleteExpired(id)
	}
	return true
}

// CopyTo adds the key named to in dst (which must not hold it), with a
// copy of the value and the same deadline; like any new key it gets fresh
// access data. It returns the new key's id.
func (db *DB) CopyTo(id uint32, dst *DB, to []byte) uint32 {
	ent := db.dict.At(id)
	k, e := Kind(ent.Meta>>kindShift), Encoding(ent.Meta>>encShift&0xf)
	val := db.ks.DupValue(k, e, ent.Val)
	when := db.Expire(id)
	nid := dst.Add(to, k, e, val)
	if when >= 0 {
		dst.SetExpire(nid, when)
	}
	return nid
}

// DupValue returns an independent copy of a value word; kinds other than
// strings copy through their ValueOps.
func (ks *Keyspace) DupValue(k Kind, e Encoding, val uint64) uint64 {
	switch {
	case e == EncInt:
		return val
	case k == KindString:
		// Get's slice stays valid while New allocates: blobs never move.
		return uint64(ks.Arena.New(ks.Arena.Get(arena.Ref(val))))
	}
	return opsOf(k).Dup(ks, e, val)
}
