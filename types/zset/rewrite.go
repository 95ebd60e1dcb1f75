package zset

import (
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

func init() { keyspace.RegisterRewriter(keyspace.KindZSet, rewriteValue) }

// rewriteValue writes a sorted set as ZADD score member commands, as
// Redis's rewriteSortedSetObject does, scores in %.17g (rioWriteBulkDouble:
// "inf", "-inf", "-0" included). A listpack is written in its order, as
// Redis walks it; a skiplist by rank, where Redis walks its dict, so only
// the pairs and the command shapes are Redis's.
func rewriteValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, key []byte, w *protocol.Writer) {
	v := value{ks, enc, val}
	n := v.length()
	if n == 0 {
		return
	}
	b := keyspace.NewBatch(w, "ZADD", key, n, 2)
	var sbuf [32]byte
	for cur := v.atRank(0, false); cur.valid(); cur.next() {
		b.Next()
		w.Bulk(appendScore(sbuf[:0], cur.score()))
		cur.writeMember(w)
	}
}
