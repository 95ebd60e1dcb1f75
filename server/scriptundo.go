package server

import (
	"strconv"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// The undo log of a running script (Redoubt's answer to incident 4).
//
// Redis cannot stop a script that has written: SCRIPT KILL answers
// UNKILLABLE, and the only way out of a script that loops after a write
// is SHUTDOWN NOSAVE, which loses every write since the last save. Here a
// script that wrote can be killed: before the script changes a key for
// the first time, the undo log copies the key's value and deadline (or
// notes that the key did not exist) into a shadow database, hearing of
// the change at the keyspace's BeforeChange, the event BGSAVE's walk
// hears too. Killing the script puts every key it touched back as it
// was, and the engine drops the script's pending propagation,
// notifications and ready keys: the AOF, replicas and subscribers never
// learn of it. A script that ends normally just frees the copies.
//
// What it costs: a copy of the old value of each key a script changes,
// made before the change, on every run of the script (a script cannot be
// known to end in time before it does). Copies are cheap for the small
// keys most scripts touch; for a big value they are not (an LPUSH onto a
// list of 100,000 elements ran 8 times slower with the copy), so past
// script-undo-limit bytes of copies in one run (64 KiB by default,
// checked before copying), or after a FLUSHDB/FLUSHALL inside the
// script (a whole database is not copied), the log gives up and that
// run can no longer be rolled back: SCRIPT KILL answers UNKILLABLE, as
// Redis does. With script-kill-rollback no there is no log at all and
// SCRIPT KILL behaves exactly as Redis's.
type undoLog struct {
	s      *Server
	shadow *keyspace.DB
	// active is set while a script runs with the log on: the log stays
	// registered with the engine and listens only then.
	active bool
	recs   []undoRec
	// keys holds the recorded keys' bytes, one buffer reused from
	// script to script.
	keys  []byte
	bytes int
	limit int
	// broken is set when the log cannot restore the dataset.
	broken bool
	// name is scratch for a copy's key in the shadow database.
	name [20]byte
}

type undoRec struct {
	db       *keyspace.DB
	off, len int // the key is keys[off:off+len]
	// copy is the old value's id in the shadow database, dict.None when
	// the key did not exist.
	copy uint32
}

func (u *undoLog) key(r undoRec) []byte { return u.keys[r.off : r.off+r.len] }

func (u *undoLog) begin(limit int64) {
	if u.shadow == nil {
		u.shadow = u.s.ks.Shadow()
		u.s.eng.Listen(u)
	}
	u.recs, u.keys, u.bytes, u.broken, u.limit = u.recs[:0], u.keys[:0], 0, false, int(limit)
	u.active = true
}

// BeforeChange implements keyspace.ChangeListener: the first change of
// a key records how it was. Scripts touch few keys, so a linear search
// finds the ones already recorded.
func (u *undoLog) BeforeChange(db *keyspace.DB, key []byte) {
	if !u.active || u.broken {
		return
	}
	for _, r := range u.recs {
		if r.db == db && string(u.key(r)) == string(key) {
			return
		}
	}
	rec := undoRec{db: db, off: len(u.keys), len: len(key), copy: dict.None}
	if id := db.Find(key); id != dict.None {
		u.bytes += db.ValueSize(id) + len(key)
		if u.limit > 0 && u.bytes > u.limit {
			u.broken = true
			return
		}
		rec.copy = db.CopyTo(id, u.shadow, strconv.AppendInt(u.name[:0], int64(len(u.recs)), 10))
	}
	u.keys = append(u.keys, key...)
	u.recs = append(u.recs, rec)
}

// BeforeFlush implements keyspace.ChangeListener: a flushed database is
// not copied, so the script can no longer be rolled back.
func (u *undoLog) BeforeFlush(db *keyspace.DB) {
	if u.active {
		u.broken = true
	}
}

// rollback puts every recorded key back as it was, newest first.
func (u *undoLog) rollback() {
	u.active = false
	for i := len(u.recs) - 1; i >= 0; i-- {
		r := u.recs[i]
		key := u.key(r)
		if id := r.db.Find(key); id != dict.None {
			r.db.Delete(id)
		}
		if r.copy != dict.None {
			u.shadow.CopyTo(r.copy, r.db, key)
			u.shadow.Delete(r.copy)
		}
	}
	u.recs = u.recs[:0]
}

// commit frees the copies of a script that ended.
func (u *undoLog) commit() {
	u.active = false
	for _, r := range u.recs {
		if r.copy != dict.None {
			u.shadow.Delete(r.copy)
		}
	}
	u.recs = u.recs[:0]
}
