package keyspace

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
)

// Compaction's walk of the keyspace (see arena/compact.go): a pass visits
// every key a step at a time, with a SCAN cursor per database, and moves
// each blob it finds in a draining page of the arena: the key, and the
// value when it is one blob (a string, a listpack, an intset). A value
// built of many blobs (a quicklist, a table, a stream) is queued as the
// SCAN finds it and moved by its type's ValueOps.Compact, a budget of
// blobs at a time, so that a million-element hash does not hold the
// engine lock for its whole walk; a key deleted or replaced between two
// steps is dropped from the queue (its entry no longer has its stamp).
// Values waiting to be freed lazily are left where they are: their pages
// go back into service at the end of the pass.

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
	// queue is the keys of values of many blobs that the SCAN found and
	// that are not through yet, the first one from inner on.
	queue []compactKey
	inner uint64
}

// compactKey is a key whose value compaction goes through in steps.
type compactKey struct {
	db    *DB
	id    uint32
	stamp dict.Stamp
	hit   bool // a blob of the key's moved
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
	for budget > 0 && (len(c.queue) > 0 || c.db < len(ks.DBs)) {
		if len(c.queue) > 0 {
			budget -= ks.compactQueued(budget, move)
			continue
		}
		db := ks.DBs[c.db]
		d := db.dict
		c.cursor = d.Scan(c.cursor, func(id uint32) {
			budget--
			e := d.At(id)
			hit := e.MoveKey(move)
			k, enc := Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf)
			switch {
			case enc == EncInt:
			case oneBlob(k, enc):
				if move(&e.Val) {
					hit = true
				}
			case opsOf(k).Compact != nil:
				c.queue = append(c.queue, compactKey{db: db, id: id, stamp: d.StampOf(id), hit: hit})
				return
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
	if len(c.queue) > 0 || c.db < len(ks.DBs) {
		return false
	}
	ks.EndCompaction()
	return true
}

// compactQueued goes on with the first queued value, within budget
// blobs, and returns how much of the budget it used.
func (ks *Keyspace) compactQueued(budget int, move func(*uint64) bool) int {
	c := &ks.compact
	q := &c.queue[0]
	done, used := true, 1
	if q.db.dict.HasStamp(q.id, q.stamp) {
		e := q.db.dict.At(q.id)
		k, enc := Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf)
		counted := func(r *uint64) bool {
			if move(r) {
				q.hit = true
				return true
			}
			return false
		}
		c.inner, used, done = opsOf(k).Compact(ks, enc, &e.Val, c.inner, budget, counted)
	}
	if done {
		if q.hit {
			ks.CompactionStats.KeyHits++
		} else {
			ks.CompactionStats.KeyMisses++
		}
		c.queue = c.queue[1:]
		c.inner = 0
	}
	return max(used, 1)
}

// CompactBlob is ValueOps.Compact for a value of one blob (the compact
// encodings of a kind whose big one is built of many).
func CompactBlob(val *uint64, move func(*uint64) bool) (next uint64, used int, done bool) {
	move(val)
	return 0, 1, true
}

// CompactTable is ValueOps.Compact for a value built on a table: it moves
// the entries' keys and, with vals, their values (arena blobs too) from
// entry cursor on.
func CompactTable(d *dict.Dict, cursor uint64, budget int, vals bool, move func(*uint64) bool) (next uint64, used int, done bool) {
	n, done := d.EachFrom(uint32(min(cursor, uint64(^uint32(0)))), budget, func(e *dict.Entry) {
		used++
		e.MoveKey(move)
		if vals {
			move(&e.Val)
		}
	})
	return uint64(n), used, done
}

// EndCompaction ends the pass under way, if any.
func (ks *Keyspace) EndCompaction() {
	if ks.compact.running {
		ks.compact = compaction{}
		ks.Arena.EndCompaction()
	}
}
