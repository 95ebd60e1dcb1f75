package hash

import (
	"crypto/sha1"
	"encoding/binary"
	"hash"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
)

func init() {
	keyspace.RegisterKind(keyspace.KindHash, &keyspace.ValueOps{
		Free:    freeValue,
		Dup:     dupValue,
		Size:    sizeValue,
		Len:     length,
		Digest:  digestValue,
		Save:    saveValue,
		Table:   lazyTable,
		Compact: compactValue,
	})
}

func freeValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) {
	a := ks.Arena
	if enc == keyspace.EncListpack {
		a.Free(arena.Ref(val))
		return
	}
	d := table(ks, val)
	d.ForEach(func(eid uint32) bool {
		a.Free(arena.Ref(d.At(eid).Val))
		return true
	})
	d.Clear()
	ks.ReleaseObject(val)
}

// dupValue copies a hash in its own encoding, as COPY does.
func dupValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) uint64 {
	a := ks.Arena
	if enc == keyspace.EncListpack {
		// Get's slice stays valid while New allocates.
		return uint64(a.New(a.Get(arena.Ref(val))))
	}
	src := table(ks, val)
	dst := dict.New(a)
	src.ForEach(func(eid uint32) bool {
		dst.At(dst.Insert(src.Key(eid))).Val = uint64(a.New(a.Get(arena.Ref(src.At(eid).Val))))
		return true
	})
	return ks.NewObject(dst)
}

// sizeValue is the memory a hash holds: its blob, or its dict plus the
// field and value blobs, estimated from a few fields as Redis does so
// that it stays O(1).
func sizeValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) int {
	a := ks.Arena
	if enc == keyspace.EncListpack {
		return a.Size(arena.Ref(val))
	}
	d := table(ks, val)
	return d.EstimateUsage(keyspace.SizeSamples, func(eid uint32) int {
		e := d.At(eid)
		return a.Size(e.KeyRef()) + a.Size(arena.Ref(e.Val))
	})
}

// digestValue feeds h a digest of the hash's field/value pairs that does
// not depend on their order, hence on the encoding: the XOR of a SHA-1
// per pair. A listpack's integers are digested as their decimal strings,
// which is what they were written as.
func digestValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, h hash.Hash) {
	var acc, sum [sha1.Size]byte
	pair := sha1.New()
	var lenBuf [binary.MaxVarintLen64]byte
	add := func(field, value []byte) {
		pair.Reset()
		pair.Write(binary.AppendUvarint(lenBuf[:0], uint64(len(field))))
		pair.Write(field)
		pair.Write(value)
		pair.Sum(sum[:0])
		for i := range acc {
			acc[i] ^= sum[i]
		}
	}
	a := ks.Arena
	if enc == keyspace.EncListpack {
		lp := a.Get(arena.Ref(val))
		var fbuf, vbuf [20]byte
		for off := listpack.First(lp); off >= 0; {
			voff := listpack.Next(lp, off)
			add(elem(lp, off, fbuf[:0]), elem(lp, voff, vbuf[:0]))
			off = listpack.Next(lp, voff)
		}
	} else {
		d := table(ks, val)
		d.ForEach(func(eid uint32) bool {
			add(d.Key(eid), a.Get(arena.Ref(d.At(eid).Val)))
			return true
		})
	}
	h.Write(acc[:])
}

// lazyTable gives lazy freeing the table of a hashtable-encoded hash, to
// drain in steps: each entry's value blob is freed with its field.
func lazyTable(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) (*dict.Dict, func(*dict.Entry)) {
	if enc == keyspace.EncListpack {
		return nil, nil
	}
	a := ks.Arena
	return table(ks, val), func(e *dict.Entry) { a.Free(arena.Ref(e.Val)) }
}

// compactValue moves a hash's blobs out of the arena's draining pages:
// its listpack, or its table's fields and values.
func compactValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val *uint64, cursor uint64, budget int, move func(*uint64) bool) (uint64, int, bool) {
	if enc == keyspace.EncListpack {
		return keyspace.CompactBlob(val, move)
	}
	return keyspace.CompactTable(table(ks, *val), cursor, budget, true, move)
}
