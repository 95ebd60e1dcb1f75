package stream

import (
	"encoding/binary"
	"hash"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
)

func init() {
	keyspace.RegisterKind(keyspace.KindStream, &keyspace.ValueOps{
		Free:    freeValue,
		Dup:     dupValue,
		Size:    sizeValue,
		Len:     length,
		Digest:  digestValue,
		Save:    saveValue,
		Compact: compactValue,
	})
	keyspace.RegisterLoader(keyspace.KindStream, loadValue, rdb.TypeStreamListpacks, rdb.TypeStreams2)
}

func object(ks *keyspace.Keyspace, val uint64) *stream { return ks.Object(val).(*stream) }

func freeValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) {
	object(ks, val).free(ks.Arena)
	ks.ReleaseObject(val)
}

// dupValue copies a stream with its groups, as COPY does.
func dupValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) uint64 {
	a := ks.Arena
	src := object(ks, val)
	dst := *src
	dst.nodes = make([]node, len(src.nodes))
	for i, nd := range src.nodes {
		dst.nodes[i] = node{master: nd.master, ref: a.New(a.Get(nd.ref))}
	}
	dst.groups = make([]*group, len(src.groups))
	for i, g := range src.groups {
		dst.groups[i] = g.clone()
	}
	dst.reported = 0
	dst.account(a)
	return ks.NewObject(&dst)
}

// sizeValue is MEMORY USAGE's figure: the nodes' listpacks and the Go
// records, as used_memory counts them.
func sizeValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) int {
	s := object(ks, val)
	n := int(s.structBytes())
	for _, nd := range s.nodes {
		n += ks.Arena.Size(nd.ref)
	}
	return n
}

func length(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64) int {
	return int(object(ks, val).length)
}

// digestValue feeds h the stream's nodes as stored, its metadata and its
// groups: DEBUG DIGEST only has to change when the content does.
func digestValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64, h hash.Hash) {
	s := object(ks, val)
	var b []byte
	put := func(id ID) { b = putID(b, id) }
	for _, nd := range s.nodes {
		put(nd.master)
		h.Write(b)
		b = b[:0]
		h.Write(ks.Arena.Get(nd.ref))
	}
	put(s.last)
	put(s.first)
	put(s.maxDeleted)
	b = binary.BigEndian.AppendUint64(b, s.entriesAdded)
	for _, g := range s.groups {
		b = append(b, g.name...)
		put(g.last)
		b = binary.BigEndian.AppendUint64(b, uint64(g.entriesRead))
		g.pel.each(ID{}, func(p *pending) bool {
			put(p.id)
			b = binary.BigEndian.AppendUint64(b, p.count)
			b = append(b, g.byNum[p.consumer].name...)
			return true
		})
		for _, cn := range g.consumers {
			b = append(b, cn.name...)
		}
	}
	h.Write(b)
}

// compactValue moves a stream's listpack nodes out of the arena's
// draining pages, from node cursor on.
func compactValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val *uint64, cursor uint64, budget int, move func(*uint64) bool) (uint64, int, bool) {
	nodes := object(ks, *val).nodes
	i := int(min(cursor, uint64(len(nodes))))
	used := 0
	for ; i < len(nodes) && used < budget; i++ {
		r := uint64(nodes[i].ref)
		if move(&r) {
			nodes[i].ref = arena.Ref(r)
		}
		used++
	}
	return uint64(i), used, i == len(nodes)
}
