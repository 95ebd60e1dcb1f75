package list

import (
	"encoding/binary"
	"hash"
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/keyspace"
)

func init() {
	keyspace.RegisterKind(keyspace.KindList, &keyspace.ValueOps{
		Free:    freeValue,
		Dup:     dupValue,
		Size:    sizeValue,
		Len:     length,
		Digest:  digestValue,
		Save:    saveValue,
		Compact: compactValue,
	})
}

// compactValue moves a list's node blobs out of the arena's draining
// pages, from node cursor on, then its table blob.
func compactValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val *uint64, cursor uint64, budget int, move func(*uint64) bool) (uint64, int, bool) {
	q := detached(ks, *val)
	i, n := int(cursor), q.nodes()
	used := 0
	for ; i < n && used < budget; i++ {
		ref, _, _ := q.node(i)
		r := uint64(ref)
		if move(&r) {
			q.setRef(i, arena.Ref(r))
		}
		used++
	}
	if i < n {
		return uint64(i), used, false
	}
	move(val)
	return 0, used + 1, true
}

func detached(ks *keyspace.Keyspace, val uint64) ql { return ql{a: ks.Arena, ref: arena.Ref(val)} }

func freeValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) {
	q := detached(ks, val)
	for i := q.nodes() - 1; i >= 0; i-- {
		ref, _, _ := q.node(i)
		q.a.Free(ref)
	}
	q.a.Free(q.ref)
}

// dupValue copies a list node for node, as COPY does.
func dupValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) uint64 {
	a := ks.Arena
	// Get's slices stay valid while New allocates.
	q := ql{a: a, ref: a.New(a.Get(arena.Ref(val)))}
	for i := q.nodes() - 1; i >= 0; i-- {
		q.setRef(i, a.New(q.blob(i)))
	}
	return uint64(q.ref)
}

func length(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) int {
	q := detached(ks, val)
	return int(q.Len())
}

// sizeValue is the table plus the nodes, estimated from the first few so
// that it stays O(1), as Redis does.
func sizeValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) int {
	q := detached(ks, val)
	n := q.nodes()
	sampled := min(n, keyspace.SizeSamples)
	bytes := 0
	for i := range sampled {
		ref, _, _ := q.node(i)
		bytes += q.a.Size(ref)
	}
	size := q.a.Size(q.ref)
	if sampled > 0 {
		size += bytes * n / sampled
	}
	return size
}

// digestValue feeds h the elements in order, each as its length and its
// bytes, integers as the decimal strings they were pushed as.
func digestValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64, h hash.Hash) {
	q := detached(ks, val)
	if q.nodes() == 0 {
		return
	}
	var lenBuf [binary.MaxVarintLen64]byte
	var numBuf [20]byte
	for p, ok := q.first(0), true; ok; p, ok = q.next(p) {
		s, n, isInt := q.get(p)
		if isInt {
			s = strconv.AppendInt(numBuf[:0], n, 10)
		}
		h.Write(binary.AppendUvarint(lenBuf[:0], uint64(len(s))))
		h.Write(s)
	}
}
