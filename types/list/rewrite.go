package list

import (
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

func init() { keyspace.RegisterRewriter(keyspace.KindList, rewriteValue) }

// rewriteValue writes a list as RPUSH commands from head to tail, as
// Redis's rewriteListObject does; listpack integers are written in
// decimal, as rioWriteBulkLongLong writes them.
func rewriteValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64, key []byte, w *protocol.Writer) {
	q := detached(ks, val)
	if q.nodes() == 0 {
		return
	}
	b := keyspace.NewBatch(w, "RPUSH", key, int(q.Len()), 1)
	for p, ok := q.first(0), true; ok; p, ok = q.next(p) {
		b.Next()
		if s, n, isInt := q.get(p); isInt {
			w.BulkInt(n)
		} else {
			w.Bulk(s)
		}
	}
}
