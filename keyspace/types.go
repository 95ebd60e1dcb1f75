package keyspace

import (
	"hash"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/rdb"
)

// Values of kinds other than strings are managed by their own packages;
// the keyspace stores them without interpreting them.
//
// A value word holds one of two things, chosen by the encoding:
//   - for compact encodings (listpack, intset, and the quicklist node
//     table), an arena.Ref: the value is one or more blobs off the Go heap,
//     in Redis's own byte layouts;
//   - for the big encodings (hashtable, skiplist, stream), a handle into
//     the keyspace's object table, where the type package keeps a Go
//     object. Big collections are few, so the objects cost the GC little.
//
// Each kind registers ValueOps so that the keyspace can free, copy, size
// and digest values it does not understand.

// ValueOps are what the keyspace needs from a data type.
type ValueOps struct {
	// Free releases a value.
	Free func(ks *Keyspace, e Encoding, val uint64)
	// Dup returns an independent copy of a value (COPY).
	Dup func(ks *Keyspace, e Encoding, val uint64) uint64
	// Size is the memory a value holds, in bytes (MEMORY USAGE, INFO).
	// For a big collection it is estimated from SizeSamples elements, so
	// that it stays O(1) as Redis's is.
	Size func(ks *Keyspace, e Encoding, val uint64) int
	// Len is the number of elements; big values are freed in the
	// background (UNLINK, lazyfree-lazy-*).
	Len func(ks *Keyspace, e Encoding, val uint64) int
	// Table, if set, returns the table a big encoding of the value is
	// built on, or nil: lazy freeing drains it a step at a time, calling
	// entry (which may be nil) for each element before its key is freed,
	// then clears it and releases the value's object handle. Whatever
	// else the value holds must be garbage once the handle is released.
	Table func(ks *Keyspace, e Encoding, val uint64) (d *dict.Dict, entry func(e *dict.Entry))
	// Digest feeds the value's logical content (independent of its
	// encoding) to h, for DEBUG DIGEST.
	Digest func(ks *Keyspace, e Encoding, val uint64, h hash.Hash)
	// Save writes the value in RDB encoding, as Redis writes the same
	// value (DUMP, RDB files), and returns its RDB type.
	Save func(ks *Keyspace, e Encoding, val uint64, w *rdb.Encoder) (rdbType byte)
	// Compact, if set, moves the blobs of a value built of many (a
	// quicklist, a table, a stream) out of the arena's draining pages
	// (compact.go), a step at a time: from cursor (0 to start), about
	// budget blobs, calling move on each blob reference, which replaces
	// it if the blob moved. It returns the cursor to go on from, how
	// many blobs it looked at, and done once the value is through. It
	// may change val (the value's own blob moved). A value of one blob
	// leaves it nil.
	Compact func(ks *Keyspace, e Encoding, val *uint64, cursor uint64, budget int, move func(ref *uint64) bool) (next uint64, used int, done bool)
}

// SizeSamples is how many elements ValueOps.Size estimates a big
// collection from, as MEMORY USAGE's default SAMPLES is.
const SizeSamples = 5

var kindOps [8]*ValueOps

// RegisterKind installs the operations of a kind. Type packages call it
// from an init function.
func RegisterKind(k Kind, ops *ValueOps) { kindOps[k] = ops }

func opsOf(k Kind) *ValueOps {
	ops := kindOps[k]
	if ops == nil {
		panic("keyspace: no ValueOps registered for " + k.String())
	}
	return ops
}

// oneBlob reports whether a value word is one arena blob: a string's
// bytes (not an int), or a small collection's listpack or intset.
func oneBlob(k Kind, e Encoding) bool {
	switch {
	case e == EncInt:
		return false
	case k == KindString:
		return true
	}
	return e == EncListpack || e == EncIntset || e == EncPackedHashtable
}

// lazyFreeThreshold is the element count above which a value is freed in
// the background, as Redis's LAZYFREE_THRESHOLD.
const lazyFreeThreshold = 64

// objTable holds the Go objects behind big encodings. Handles are reused
// after release.
type objTable struct {
	objs []any
	free []uint64
}

// NewObject stores a Go object and returns the value word naming it.
func (ks *Keyspace) NewObject(o any) uint64 {
	t := &ks.objs
	if n := len(t.free); n > 0 {
		h := t.free[n-1]
		t.free = t.free[:n-1]
		t.objs[h] = o
		return h
	}
	t.objs = append(t.objs, o)
	return uint64(len(t.objs) - 1)
}

// Object returns the Go object a value word names.
func (ks *Keyspace) Object(val uint64) any { return ks.objs.objs[val] }

// ReleaseObject forgets the object a value word names; its owner has
// already released what the object held.
func (ks *Keyspace) ReleaseObject(val uint64) {
	ks.objs.objs[val] = nil
	ks.objs.free = append(ks.objs.free, val)
}

// Objects is the number of live Go objects behind values.
func (ks *Keyspace) Objects() int { return len(ks.objs.objs) - len(ks.objs.free) }

// valueLen is the number of elements of a value (1 for strings).
func (ks *Keyspace) valueLen(k Kind, e Encoding, val uint64) int {
	if k == KindString {
		return 1
	}
	return opsOf(k).Len(ks, e, val)
}

// Blob returns the bytes of a compact-encoded value (listpack, intset).
func (db *DB) Blob(id uint32) []byte {
	return db.ks.Arena.Get(arena.Ref(db.dict.At(id).Val))
}

// SetBlob replaces a compact-encoded value by a new blob; the caller has
// freed or reused the old one.
func (db *DB) SetBlob(id uint32, e Encoding, ref arena.Ref) { db.SetValue(id, e, uint64(ref)) }

// ReserveBlob makes the blob of a compact-encoded value able to hold n
// bytes and returns it at its current length with capacity n, so that an
// encoding's append and insert functions write straight into the arena.
// The caller must leave the blob exactly n bytes long, or call TrimBlob.
func (db *DB) ReserveBlob(id uint32, n int) []byte {
	a := db.ks.Arena
	e := db.dict.At(id)
	b := a.Get(arena.Ref(e.Val))
	if n <= len(b) {
		return b
	}
	l := len(b)
	ref, nb := a.Fit(arena.Ref(e.Val), n)
	e.Val = uint64(ref)
	return nb[:l]
}

// TrimBlob shrinks the blob of a compact-encoded value to b's length after
// a change that made its content shorter.
func (db *DB) TrimBlob(id uint32, b []byte) {
	a := db.ks.Arena
	e := db.dict.At(id)
	if len(b) < len(a.Get(arena.Ref(e.Val))) {
		ref, _ := a.Resize(arena.Ref(e.Val), len(b))
		e.Val = uint64(ref)
	}
}

// DigestValue feeds a key's value, independent of its encoding, to h.
func (db *DB) DigestValue(id uint32, h hash.Hash) {
	e := db.dict.At(id)
	k, enc := Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf)
	if k == KindString {
		var buf [24]byte
		h.Write(db.String(id, buf[:]))
		return
	}
	opsOf(k).Digest(db.ks, enc, e.Val, h)
}
