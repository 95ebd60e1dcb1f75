package keyspace

import (
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/protocol"
)

// EmbstrMax is the longest string Redis stores with the embstr encoding.
const EmbstrMax = 44

// StringValue encodes b as SET stores a value: a canonical integer of up to
// 20 characters is kept as the integer ("int"), a short string as
// "embstr", anything else as "raw".
func (ks *Keyspace) StringValue(b []byte) (Encoding, uint64) {
	if len(b) <= 20 {
		if n, ok := protocol.ParseInt(b); ok {
			return EncInt, uint64(n)
		}
	}
	if len(b) <= EmbstrMax {
		return EncEmbstr, uint64(ks.Arena.New(b))
	}
	return EncRaw, uint64(ks.Arena.New(b))
}

// RawValue stores b as a "raw" string, the encoding of strings that were
// modified in place (APPEND, SETRANGE, SETBIT).
func (ks *Keyspace) RawValue(b []byte) (Encoding, uint64) {
	return EncRaw, uint64(ks.Arena.New(b))
}

// IntValue stores an integer string.
func IntValue(n int64) (Encoding, uint64) { return EncInt, uint64(n) }

// String returns the bytes of a string key. An int-encoded value is
// formatted into buf; otherwise the result aliases arena memory and is
// valid until the keyspace changes.
func (db *DB) String(id uint32, buf []byte) []byte {
	e := db.dict.At(id)
	if Encoding(e.Meta>>encShift&0xf) == EncInt {
		return strconv.AppendInt(buf[:0], int64(e.Val), 10)
	}
	return db.ks.Arena.Get(arena.Ref(e.Val))
}

// StringLen returns the length of a string key without formatting it.
func (db *DB) StringLen(id uint32) int {
	e := db.dict.At(id)
	if Encoding(e.Meta>>encShift&0xf) == EncInt {
		var tmp [20]byte
		return len(strconv.AppendInt(tmp[:0], int64(e.Val), 10))
	}
	return len(db.ks.Arena.Get(arena.Ref(e.Val)))
}

// Int returns the integer of an int-encoded string key.
func (db *DB) Int(id uint32) (int64, bool) {
	e := db.dict.At(id)
	if Encoding(e.Meta>>encShift&0xf) != EncInt {
		return 0, false
	}
	return int64(e.Val), true
}

// MutableString makes a string key raw-encoded with exactly n bytes
// (keeping its first bytes, zero-filling growth) and returns its bytes for
// modification in place: APPEND, SETRANGE and SETBIT work on them.
func (db *DB) MutableString(id uint32, n int) []byte {
	e := db.dict.At(id)
	var b []byte
	if Encoding(e.Meta>>encShift&0xf) == EncInt {
		var tmp [20]byte
		s := strconv.AppendInt(tmp[:0], int64(e.Val), 10)
		var r arena.Ref
		r, b = db.ks.Arena.Alloc(n)
		clear(b[copy(b, s):])
		e.Val = uint64(r)
	} else {
		old := len(db.ks.Arena.Get(arena.Ref(e.Val)))
		var r arena.Ref
		r, b = db.ks.Arena.Resize(arena.Ref(e.Val), n)
		if n > old {
			clear(b[old:])
		}
		e.Val = uint64(r)
	}
	e.Meta = e.Meta&^(0xf<<encShift) | uint32(EncRaw)<<encShift
	return b
}

// SetString stores a string at key (creating or overwriting it) as SET
// does. keepTTL keeps an existing deadline; otherwise it is removed.
func (db *DB) SetString(key, val []byte, keepTTL bool) uint32 {
	e, v := db.ks.StringValue(val)
	return db.Set(key, KindString, e, v, keepTTL)
}

// Set stores a value at key, creating the key or overwriting it.
func (db *DB) Set(key []byte, k Kind, e Encoding, val uint64, keepTTL bool) uint32 {
	// An expired key is deleted (and counted as expired) before being
	// replaced, as Redis's lookup for writing does.
	id := db.Lookup(key, Write|NoTouch)
	if id == dict.None {
		return db.Add(key, k, e, val)
	}
	db.Overwrite(id, k, e, val)
	if !keepTTL {
		db.Persist(id)
	}
	return id
}

// ValueSize is the memory a key's value occupies, for MEMORY USAGE.
func (db *DB) ValueSize(id uint32) int {
	e := db.dict.At(id)
	k, enc := Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf)
	switch {
	case enc == EncInt:
		return 0
	case k == KindString:
		return db.ks.Arena.Size(arena.Ref(e.Val))
	}
	return opsOf(k).Size(db.ks, enc, e.Val)
}

// freeValue releases whatever a value word refers to.
func (ks *Keyspace) freeValue(k Kind, e Encoding, val uint64) {
	switch {
	case e == EncInt:
	case k == KindString:
		ks.Arena.Free(arena.Ref(val))
	default:
		opsOf(k).Free(ks, e, val)
	}
}

// lazyFree releases a value now if it is cheap to, or queues it for the
// background step otherwise (a collection of many elements). A big
// collection built on a table is drained from it a budget of elements at
// a time, so that freeing a million elements never holds the lock for
// the whole of them.
func (ks *Keyspace) lazyFree(k Kind, e Encoding, val uint64) {
	if k == KindString || ks.valueLen(k, e, val) <= lazyFreeThreshold {
		ks.freeValue(k, e, val)
		return
	}
	ks.lazy.pending++
	if ops := opsOf(k); ops.Table != nil {
		if d, entry := ops.Table(ks, e, val); d != nil {
			ks.lazy.dicts = append(ks.lazy.dicts, lazyDict{d: d, entry: entry, value: true, obj: val})
			return
		}
	}
	ks.lazy.values = append(ks.lazy.values, lazyValue{k, e, val})
}

// lazyQueue holds what FLUSHALL ASYNC and UNLINK left to free.
type lazyQueue struct {
	dicts   []lazyDict
	values  []lazyValue
	pending int64
}

type lazyValue struct {
	k   Kind
	e   Encoding
	val uint64
}

// lazyDict is a table being drained: a database's, whose entries are
// keys (each a pending object), or a big value's, which is one pending
// object until its last element is freed and its handle released.
type lazyDict struct {
	d     *dict.Dict
	entry func(e *dict.Entry) // frees what an entry holds beyond its key
	value bool
	obj   uint64 // the value's object handle
}

func noEntry(*dict.Entry) {}

// LazyFreePending is the number of objects waiting to be freed in the
// background (INFO lazyfree_pending_objects).
func (ks *Keyspace) LazyFreePending() int64 { return ks.lazy.pending }

// LazyFreeStep frees up to about budget queued elements, and returns how
// many it freed; the server's cron calls it, so a flush of millions of
// keys, or the UNLINK of a collection of millions of elements, never
// blocks a command for long.
func (ks *Keyspace) LazyFreeStep(budget int) (freed int) {
	start := budget
	for budget > 0 && len(ks.lazy.values) > 0 {
		v := ks.lazy.values[0]
		ks.lazy.values = ks.lazy.values[1:]
		budget -= ks.valueLen(v.k, v.e, v.val)
		ks.freeValue(v.k, v.e, v.val)
		ks.lazy.pending--
		ks.Stats.LazyfreedObjects++
	}
	for budget > 0 && len(ks.lazy.dicts) > 0 {
		ld := &ks.lazy.dicts[0]
		entry := ld.entry
		if entry == nil {
			entry = noEntry
		}
		n := ld.d.Drain(budget, entry)
		budget -= n + 1
		if !ld.value {
			ks.lazy.pending -= int64(n)
			ks.Stats.LazyfreedObjects += int64(n)
		}
		if ld.d.Len() == 0 {
			ld.d.Clear()
			if ld.value {
				ks.ReleaseObject(ld.obj)
				ks.lazy.pending--
				ks.Stats.LazyfreedObjects++
			}
			ks.lazy.dicts = ks.lazy.dicts[1:]
		}
	}
	return start - budget
}

// ValueLen is how many elements a key's collection holds (1 for a
// string).
func (db *DB) ValueLen(id uint32) int {
	e := db.dict.At(id)
	k := Kind(e.Meta >> kindShift)
	if k == KindString {
		return 1
	}
	return db.ks.valueLen(k, Encoding(e.Meta>>encShift&0xf), e.Val)
}
