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
// What it costs: a map entry per key a script changes, and a copy of the
// key's old value; a script touching big values copies them. Past
// script-undo-limit of copies, or after a FLUSHDB/FLUSHALL inside
// the script (a whole database is not copied), the log gives up and the
// script becomes unkillable, as in Redis. With script-kill-rollback no
// there is no log at all and SCRIPT KILL behaves exactly as Redis's.
type undoLog struct {
	s      *Server
	shadow *keyspace.DB
	recs   []undoRec
	seen   map[undoKey]struct{}
	bytes  int
	limit  int
	// broken is set when the log cannot restore the dataset.
	broken bool
}

type undoKey struct {
	db  int
	key string
}

type undoRec struct {
	db  *keyspace.DB
	key string
	// copy is the old value's id in the shadow database, dict.None when
	// the key did not exist.
	copy uint32
}

func (u *undoLog) begin(limit int64) {
	if u.seen == nil {
		u.seen = map[undoKey]struct{}{}
		u.shadow = u.s.ks.Shadow()
	}
	u.recs, u.bytes, u.broken, u.limit = u.recs[:0], 0, false, int(limit)
}

// BeforeChange implements keyspace.ChangeListener: the first change of
// a key records how it was.
func (u *undoLog) BeforeChange(db *keyspace.DB, key []byte) {
	if u.broken {
		return
	}
	if _, ok := u.seen[undoKey{db.ID, string(key)}]; ok {
		return
	}
	k := string(key)
	u.seen[undoKey{db.ID, k}] = struct{}{}
	rec := undoRec{db: db, key: k, copy: dict.None}
	if id := db.Find(key); id != dict.None {
		u.bytes += db.ValueSize(id) + len(key)
		if u.limit > 0 && u.bytes > u.limit {
			u.broken = true
			return
		}
		var name [20]byte
		rec.copy = db.CopyTo(id, u.shadow, strconv.AppendInt(name[:0], int64(len(u.recs)), 10))
	}
	u.recs = append(u.recs, rec)
}

// BeforeFlush implements keyspace.ChangeListener: a flushed database is
// not copied, so the script can no longer be rolled back.
func (u *undoLog) BeforeFlush(db *keyspace.DB) { u.broken = true }

// rollback puts every recorded key back as it was, newest first.
func (u *undoLog) rollback() {
	for i := len(u.recs) - 1; i >= 0; i-- {
		r := u.recs[i]
		key := []byte(r.key)
		if id := r.db.Find(key); id != dict.None {
			r.db.Delete(id)
		}
		if r.copy != dict.None {
			u.shadow.CopyTo(r.copy, r.db, key)
			u.shadow.Delete(r.copy)
		}
	}
	u.reset()
}

// commit frees the copies of a script that ended.
func (u *undoLog) commit() {
	for _, r := range u.recs {
		if r.copy != dict.None {
			u.shadow.Delete(r.copy)
		}
	}
	u.reset()
}

func (u *undoLog) reset() {
	u.recs = u.recs[:0]
	clear(u.seen)
	u.bytes = 0
}
