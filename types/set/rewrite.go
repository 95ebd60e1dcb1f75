package set

import (
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

func init() { keyspace.RegisterRewriter(keyspace.KindSet, rewriteValue) }

// rewriteValue writes a set as SADD commands, as Redis's rewriteSetObject
// does: an intset in ascending order, as Redis walks it; a packed set in
// its insertion order and a hashtable in its table's, where Redis walks
// its own table, so only the members and the command shapes are Redis's.
func rewriteValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, key []byte, w *protocol.Writer) {
	v := decode(ks, enc, val)
	b := keyspace.NewBatch(w, "SADD", key, v.length(ks), 1)
	v.each(ks, func(s []byte, n int64, isInt bool) bool {
		b.Next()
		if isInt {
			w.BulkInt(n)
		} else {
			w.Bulk(s)
		}
		return true
	})
}
