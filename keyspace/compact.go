package keyspace

import "github.com/redoubt-db/redoubt/arena"

// Compaction's walk of the keyspace (see arena/compact.go): a pass visits
// every key a step at a time, with a SCAN cursor per database, and moves
// each blob it finds in a draining page of the arena: the key, and the
// value when it is one blob (a string, a listpack, an intset). The
// values built of many blobs (quicklists, hashtables, skiplists,
// streams) are left where they are, and so are values waiting to be
// freed lazily: their pages go back into service at the end of the pass.

// CompactionStats counts a pass's work, as Redis counts its active
// defragmentation's: blobs moved (hits) or looked at and left (misses),
// and keys with at least one blob moved (key hits) or none.
type CompactionStats struct {
	Hits, Misses, KeyHits, KeyMisses int64
}

type compaction struct {
	running bool
	db      int
	cursor  uint64
}

// BeginCompaction starts a pass, and returns how many pages it will
// drain; a pass that would drain none does not start.
func (ks *Keyspace) BeginCompaction() int {
	if ks.compact.running {
		return 0
	}
	n := ks.Arena.BeginCompaction()
	if n > 0 {
		ks.compact = compaction{running: true}
	}
	return n
}

// Compacting reports whether a pass is under way.
func (ks *Keyspace) Compacting() bool { return ks.compact.running }

// CompactStep visits about budget keys of the pass, and reports whether
// the pass is over.
func (ks *Keyspace) CompactStep(budget int) (over bool) {
	c := &ks.compact
	if !c.running {
		return true
	}
	a := ks.Arena
	move := func(r *uint64) bool {
		if ref := arena.Ref(*r); a.Draining(ref) {
			*r = uint64(a.Move(ref))
			ks.CompactionStats.Hits++
			return true
		}
		ks.CompactionStats.Misses++
		return false
	}
	for budget > 0 && c.db < len(ks.DBs) {
		d := ks.DBs[c.db].dict
		c.cursor = d.Scan(c.cursor, func(id uint32) {
			budget--
			e := d.At(id)
			hit := move((*uint64)(&e.Key))
			k, enc := Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf)
			switch {
			case enc == EncInt:
			case k == KindString, enc == EncListpack, enc == EncIntset, enc == EncPackedHashtable:
				if move(&e.Val) {
					hit = true
				}
			}
			if hit {
				ks.CompactionStats.KeyHits++
			} else {
				ks.CompactionStats.KeyMisses++
			}
		})
		if c.cursor == 0 {
			c.db++
		}
	}
	if c.db < len(ks.DBs) {
		return false
	}
	ks.EndCompaction()
	return true
}

// EndCompaction ends the pass under way, if any.
func (ks *Keyspace) EndCompaction() {
	if ks.compact.running {
		ks.compact = compaction{}
		ks.Arena.EndCompaction()
	}
}
