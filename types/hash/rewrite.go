package hash

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/protocol"
)

func init() { keyspace.RegisterRewriter(keyspace.KindHash, rewriteValue) }

// rewriteValue writes a hash as HMSET field value commands, as Redis
// 7.0's rewriteHashObject does (HMSET, not HSET): a listpack in its order,
// integers in decimal, as Redis walks it; a hashtable in its table's
// order, where Redis walks its own, so only the pairs and the command
// shapes are Redis's.
func rewriteValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, key []byte, w *protocol.Writer) {
	a := ks.Arena
	b := keyspace.NewBatch(w, "HMSET", key, length(ks, enc, val), 2)
	if enc == keyspace.EncListpack {
		lp := a.Get(arena.Ref(val))
		for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, off) {
			b.Next()
			bulkElem(w, lp, off)
			off = listpack.Next(lp, off)
			bulkElem(w, lp, off)
		}
		return
	}
	d := table(ks, val)
	d.ForEach(func(eid uint32) bool {
		b.Next()
		w.Bulk(d.Key(eid))
		w.Bulk(a.Get(arena.Ref(d.At(eid).Val)))
		return true
	})
}

// bulkElem writes a listpack element as a bulk string.
func bulkElem(w *protocol.Writer, lp []byte, off int) {
	if s, n, isInt := listpack.Get(lp, off); isInt {
		w.BulkInt(n)
	} else {
		w.Bulk(s)
	}
}
