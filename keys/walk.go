package keys

import (
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// A Walk is a KEYS that runs in steps (incident 7: KEYS * over millions
// of keys held Redis for seconds, and every other client with it). It
// answers what KEYS answers at the moment it starts, while other
// clients' commands run between its steps.
//
// It reads the keyspace as a background snapshot does: the database's
// table is paused at the start, so that every key stays in a known
// group of buckets (dict.GroupMask), and the walk lists the groups in
// order, a few at a time under the engine lock. Before a key changes,
// the keyspace tells the walk (BeforeChange), and the key's group is
// listed at once, as it still is; before the database is flushed or
// swapped (BeforeFlush), every group left is. So each key present at the
// start is listed once, as of the start, and a key added later is not.
// A key is left out when its deadline had passed at the start, as KEYS
// leaves out (without deleting) a key past its deadline.
type Walk struct {
	db      *keyspace.DB
	d       *dict.Dict
	mask    uint64
	done    []uint64 // bitmap of the groups listed
	next    uint64   // the next group Step looks at
	pattern []byte
	all     bool
	now     int64 // the start, in Unix ms, for deadlines
	expiry  bool  // deadlines count (not while loading, not for a primary's commands)
	out     protocol.Writer
	n       int
	over    bool
}

// StartWalk begins a KEYS pattern over db at time now (Unix ms). The
// caller holds the engine lock, registers the walk as the keyspace's
// change listener, and calls Step until it reports the walk over (or
// Release, to give up).
func StartWalk(db *keyspace.DB, pattern []byte, now int64) *Walk {
	d := db.Dict()
	d.Pause()
	mask := d.GroupMask()
	ks := db.Keyspace()
	return &Walk{db: db, d: d, mask: mask, done: make([]uint64, (mask+64)/64),
		pattern: append([]byte(nil), pattern...), all: len(pattern) == 1 && pattern[0] == '*',
		now: now, expiry: !ks.Loading && !ks.FromPrimary}
}

// BeforeChange implements keyspace.ChangeListener: the group of key is
// listed before the key changes.
func (w *Walk) BeforeChange(db *keyspace.DB, key []byte) {
	if db != w.db || w.over {
		return
	}
	if g := uint64(w.d.Hash(key)) & w.mask; !w.listed(g) {
		w.list(g)
	}
}

// BeforeFlush implements keyspace.ChangeListener: every group left is
// listed before the database's keys go (FLUSHDB, FLUSHALL, SWAPDB).
func (w *Walk) BeforeFlush(db *keyspace.DB) {
	if db != w.db || w.over {
		return
	}
	for g := uint64(0); g <= w.mask; g++ {
		if !w.listed(g) {
			w.list(g)
		}
	}
	w.Release()
}

func (w *Walk) listed(g uint64) bool { return w.done[g/64]&(1<<(g%64)) != 0 }

// list adds the matching keys of group g to the reply.
func (w *Walk) list(g uint64) int {
	w.done[g/64] |= 1 << (g % 64)
	n := 0
	w.d.EachInGroup(w.mask, g, func(id uint32) {
		n++
		if w.expiry {
			if when := w.db.Expire(id); when != -1 && when < w.now {
				return
			}
		}
		if k := w.db.Key(id); w.all || glob.Match(w.pattern, k, false) {
			w.out.Bulk(k)
			w.n++
		}
	})
	return n
}

// Step lists groups until about budget keys have been looked at, and
// reports whether the walk is over. The caller holds the engine lock.
func (w *Walk) Step(budget int) (over bool) {
	for !w.over && budget > 0 {
		g := w.next
		w.next++
		if !w.listed(g) {
			budget -= 1 + w.list(g)
		}
		if w.next > w.mask {
			w.Release()
		}
	}
	return w.over
}

// Release ends the walk: its table may rehash again. The caller holds
// the engine lock, and removes the walk from the keyspace's listeners.
func (w *Walk) Release() {
	if !w.over {
		w.over = true
		w.done = nil
		w.d.Resume()
	}
}

// Reply writes the walk's reply, the array of the keys listed, to dst.
func (w *Walk) Reply(dst *protocol.Writer) {
	dst.Array(w.n)
	dst.Raw(w.out.Buf)
}

// Keys is how many keys the reply holds.
func (w *Walk) Keys() int { return w.n }

// Size is the bytes the reply holds so far.
func (w *Walk) Size() int { return len(w.out.Buf) }
