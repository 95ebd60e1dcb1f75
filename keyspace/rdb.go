package keyspace

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/rdb"
)

// Values travel in Redis's RDB encoding (DUMP/RESTORE, and RDB files): a
// type byte and the value. Strings are the keyspace's own; each other kind
// writes itself with ValueOps.Save and registers a Loader for the RDB
// types it reads. A loader checks everything it reads (structure,
// duplicates, order, counts) whatever sanitize-dump-payload says, so that
// no payload can leave a value that a command would trip over later, and
// picks the encoding Redis would pick under cfg's thresholds.

// A Loader builds a value from the RDB encoding of type t (its type byte
// already read). On failure it frees what it built and returns ok false.
type Loader func(ks *Keyspace, cfg *config.Values, t byte, d *rdb.Decoder) (e Encoding, val uint64, ok bool)

type loaderEntry struct {
	kind Kind
	load Loader
}

var loaders [256]loaderEntry

// RegisterLoader installs the loader of the RDB types ts, for values of
// kind k. Type packages call it from an init function.
func RegisterLoader(k Kind, load Loader, ts ...byte) {
	for _, t := range ts {
		loaders[t] = loaderEntry{k, load}
	}
}

// SaveValue writes the value of a key in RDB encoding: its type byte,
// then key if it is not nil (as RDB files have it), then the value.
func (db *DB) SaveValue(id uint32, key []byte, w *rdb.Encoder) {
	ent := db.dict.At(id)
	k, e := Kind(ent.Meta>>kindShift), Encoding(ent.Meta>>encShift&0xf)
	typePos := len(w.B)
	w.Byte(rdb.TypeString)
	if key != nil {
		w.String(key)
	}
	switch {
	case k != KindString:
		w.B[typePos] = opsOf(k).Save(db.ks, e, ent.Val, w)
	case e == EncInt:
		w.Int(int64(ent.Val))
	default:
		w.String(db.ks.Arena.Get(arena.Ref(ent.Val)))
	}
}

// SaveRecord writes a key as an RDB file holds it: its deadline, its idle
// time (lru) or LFU counter (lfu) when the eviction policy keeps one, its
// type, name and value.
func (db *DB) SaveRecord(id uint32, w *rdb.Encoder, lru, lfu bool) {
	if when := db.Expire(id); when >= 0 {
		w.Byte(rdb.OpExpireTimeMs)
		w.Millis(when)
	}
	switch {
	case lru:
		w.Byte(rdb.OpIdle)
		w.Len(uint64(db.IdleTime(id)))
	case lfu:
		w.Byte(rdb.OpFreq)
		w.Byte(byte(db.Freq(id)))
	}
	db.SaveValue(id, db.Key(id), w)
}

// LoadValue reads a value in RDB encoding, type byte first. Strings take
// the encoding SET would give them.
func (ks *Keyspace) LoadValue(cfg *config.Values, d *rdb.Decoder) (k Kind, e Encoding, val uint64, ok bool) {
	t := d.Byte()
	if d.Err() != nil {
		return 0, 0, 0, false
	}
	return ks.LoadTyped(cfg, t, d)
}

// LoadTyped reads a value of RDB type t, whose type byte was read.
func (ks *Keyspace) LoadTyped(cfg *config.Values, t byte, d *rdb.Decoder) (k Kind, e Encoding, val uint64, ok bool) {
	if t == rdb.TypeString {
		s := d.String()
		if d.Err() != nil {
			return 0, 0, 0, false
		}
		e, val = ks.StringValue(s)
		return KindString, e, val, true
	}
	l := loaders[t]
	if l.load == nil {
		d.Fail()
		return 0, 0, 0, false
	}
	e, val, ok = l.load(ks, cfg, t, d)
	if ok && d.Err() != nil {
		ks.freeValue(l.kind, e, val)
		ok = false
	}
	return l.kind, e, val, ok
}

// FreeValue releases a value no key holds, such as a loaded value that is
// not stored after all.
func (ks *Keyspace) FreeValue(k Kind, e Encoding, val uint64) { ks.freeValue(k, e, val) }
