package zset

import (
	"encoding/binary"
	"hash"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

func init() {
	keyspace.RegisterKind(keyspace.KindZSet, &keyspace.ValueOps{
		Free: func(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) { (&value{ks, enc, val}).free() },
		Dup:  dupValue,
		Size: sizeValue,
		Len: func(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) int {
			return (&value{ks, enc, val}).length()
		},
		Digest: digestValue,
		Save:   saveValue,
		// A skiplist-encoded set's members are its table's keys; the
		// nodes are Go slices, garbage once the handle is released.
		Table: func(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) (*dict.Dict, func(*dict.Entry)) {
			v := &value{ks, enc, val}
			if v.isListpack() {
				return nil, nil
			}
			// The node slices go with the handle: they stop
			// counting now.
			return v.sl().forgetNodes(), nil
		},
		// A listpack is one blob; a skiplist's blobs are its members.
		Compact: func(ks *keyspace.Keyspace, enc keyspace.Encoding, val *uint64, cursor uint64, budget int, move func(*uint64) bool) (uint64, int, bool) {
			v := &value{ks, enc, *val}
			if v.isListpack() {
				return keyspace.CompactBlob(val, move)
			}
			return keyspace.CompactTable(v.sl().d, cursor, budget, false, move)
		},
	})
}

// dupValue copies a sorted set in its own encoding, as COPY does.
func dupValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) uint64 {
	a := ks.Arena
	if enc == keyspace.EncListpack {
		// Get's slice stays valid while New allocates.
		return uint64(a.New(a.Get(arena.Ref(val))))
	}
	src := (&value{ks, enc, val}).sl()
	dst := newSkiplist(a)
	for n := src.first(); n != 0; n = src.fwd(n, 0) {
		dst.insert(src.member(n), src.score[n])
	}
	return ks.NewObject(dst)
}

// sizeValue is the memory a sorted set holds: its blob, or its nodes and
// dict plus the member blobs, estimated from a few members.
func sizeValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64) int {
	a := ks.Arena
	if enc == keyspace.EncListpack {
		return a.Size(arena.Ref(val))
	}
	s := (&value{ks, enc, val}).sl()
	sampled, bytes := 0, 0
	for n := s.first(); n != 0 && sampled < keyspace.SizeSamples; n = s.fwd(n, 0) {
		bytes += a.Size(s.d.At(s.elem[n]).KeyRef())
		sampled++
	}
	size := s.memoryUsage()
	if sampled > 0 {
		size += bytes * s.length / sampled
	}
	return size
}

// digestValue feeds h the members and scores in order, which is the same
// for both encodings; scores are digested as their %.17g text.
func digestValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, h hash.Hash) {
	v := value{ks, enc, val}
	var buf [20]byte
	var sbuf [32]byte
	var lenBuf [binary.MaxVarintLen64]byte
	for cur := v.atRank(0, false); cur.valid(); cur.next() {
		m := cur.member(buf[:0])
		h.Write(binary.AppendUvarint(lenBuf[:0], uint64(len(m))))
		h.Write(m)
		h.Write(appendScore(sbuf[:0], cur.score()))
	}
}
