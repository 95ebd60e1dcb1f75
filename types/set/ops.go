package set

import (
	"crypto/sha1"
	"hash"
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

func init() {
	keyspace.RegisterKind(keyspace.KindSet, &keyspace.ValueOps{
		Free:    freeValue,
		Dup:     dupValue,
		Size:    sizeValue,
		Len:     Len,
		Digest:  digestValue,
		Save:    saveValue,
		Table:   lazyTable,
		Compact: compactValue,
	})
}

// ForEach calls fn with every member of a set value (a key's encoding and
// value word), integers formatted into a scratch buffer, until fn returns
// false. member is valid only during the call; fn must not change the set.
// Other types read sets through it (SORT, ZUNIONSTORE).
func ForEach(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, fn func(member []byte) bool) {
	var buf [20]byte
	decode(ks, enc, val).each(ks, func(s []byte, n int64, isInt bool) bool {
		if isInt {
			s = strconv.AppendInt(buf[:0], n, 10)
		}
		return fn(s)
	})
}

// Has reports whether member is in a set value.
func Has(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, member []byte) bool {
	return decode(ks, enc, val).has(ks, member)
}

// Len is the number of members of a set value.
func Len(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) int {
	return decode(ks, enc, val).length(ks)
}

func freeValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) {
	decode(ks, enc, val).free(ks)
	if enc == keyspace.EncHashtable {
		ks.ReleaseObject(val)
	}
}

// dupValue copies a set in its own representation, as COPY does.
func dupValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) uint64 {
	a := ks.Arena
	if enc != keyspace.EncHashtable {
		// Get's slice stays valid while New allocates.
		return uint64(a.New(a.Get(arena.Ref(val))))
	}
	src := decode(ks, enc, val).d
	dst := dict.New(a)
	src.ForEach(func(eid uint32) bool {
		dst.Insert(src.Key(eid))
		return true
	})
	return ks.NewObject(dst)
}

// sizeValue is the memory a set holds: its intset or listpack blob, or
// its dict plus the member blobs, estimated from a few members so that it
// stays O(1).
func sizeValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) int {
	a := ks.Arena
	if enc != keyspace.EncHashtable {
		return a.Size(arena.Ref(val))
	}
	d := decode(ks, enc, val).d
	return d.EstimateUsage(keyspace.SizeSamples, func(eid uint32) int { return a.Size(d.At(eid).KeyRef()) })
}

// digestValue feeds h a digest of the members that does not depend on
// their order, hence on the encoding: the XOR of a SHA-1 per member, an
// integers of an intset or packed set taken as their decimal strings.
func digestValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, h hash.Hash) {
	var acc [sha1.Size]byte
	ForEach(ks, enc, val, func(member []byte) bool {
		sum := sha1.Sum(member)
		for i := range acc {
			acc[i] ^= sum[i]
		}
		return true
	})
	h.Write(acc[:])
}

// lazyTable gives lazy freeing the table of a hashtable-encoded set, to
// drain in steps: a member is all an entry holds.
func lazyTable(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) (*dict.Dict, func(*dict.Entry)) {
	if enc != keyspace.EncHashtable {
		return nil, nil
	}
	return decode(ks, enc, val).d, nil
}

// compactValue moves a set's blobs out of the arena's draining pages: its
// one blob, or its table's members.
func compactValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val *uint64, cursor uint64, budget int, move func(*uint64) bool) (uint64, int, bool) {
	if enc != keyspace.EncHashtable {
		return keyspace.CompactBlob(val, move)
	}
	return keyspace.CompactTable(decode(ks, enc, *val).d, cursor, budget, false, move)
}
