package stream

import (
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/protocol"
)

func init() { keyspace.RegisterRewriter(keyspace.KindStream, rewriteValue) }

// rewriteValue writes a stream as Redis's rewriteStreamObject does:
//
//   - an XADD per live entry, with its ID and fields; an empty stream,
//     which XADD alone cannot make, as XADD key MAXLEN 0 0-1 x y;
//   - XSETID with the last ID, ENTRIESADDED and MAXDELETEDID, which the
//     entries alone do not give back (after XDEL, XTRIM or XSETID);
//   - per group, in name order: XGROUP CREATE with its last delivered ID
//     and ENTRIESREAD (-1 when unknown), then per consumer, in name
//     order, an XCLAIM ... JUSTID FORCE per pending entry in ID order,
//     with its delivery time and count, or XGROUP CREATECONSUMER for a
//     consumer with none pending.
//
// Consumers' seen times are not written, as Redis does not write them.
func rewriteValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64, key []byte, w *protocol.Writer) {
	s := object(ks, val)
	var buf [48]byte
	if s.length > 0 {
		it := s.iter(ks.Arena, ID{}, maxID, false)
		for it.next() {
			w.Array(3 + 2*it.e.nfields)
			w.BulkString("XADD")
			w.Bulk(key)
			w.Bulk(it.e.id.append(buf[:0]))
			bulkFields(w, it.lp, &it.e)
		}
	} else {
		w.Array(7)
		w.BulkString("XADD")
		w.Bulk(key)
		w.BulkString("MAXLEN")
		w.BulkString("0")
		w.BulkString("0-1")
		w.BulkString("x")
		w.BulkString("y")
	}
	w.Array(7)
	w.BulkString("XSETID")
	w.Bulk(key)
	w.Bulk(s.last.append(buf[:0]))
	w.BulkString("ENTRIESADDED")
	w.BulkInt(int64(s.entriesAdded))
	w.BulkString("MAXDELETEDID")
	w.Bulk(s.maxDeleted.append(buf[:0]))
	for _, g := range s.groups {
		w.Array(7)
		w.BulkString("XGROUP")
		w.BulkString("CREATE")
		w.Bulk(key)
		w.BulkString(g.name)
		w.Bulk(g.last.append(buf[:0]))
		w.BulkString("ENTRIESREAD")
		w.BulkInt(g.entriesRead)
		for _, cn := range g.consumers {
			if cn.pel.len() == 0 {
				w.Array(5)
				w.BulkString("XGROUP")
				w.BulkString("CREATECONSUMER")
				w.Bulk(key)
				w.BulkString(g.name)
				w.BulkString(cn.name)
				continue
			}
			cn.pel.each(ID{}, func(id *ID) bool {
				rewritePending(w, key, g, cn, g.pel.get(*id), buf[:0])
				return true
			})
		}
	}
}

// rewritePending writes the XCLAIM that puts p back in cn's PEL as it is
// (Redis's rioWriteStreamPendingEntry). buf is scratch space.
func rewritePending(w *protocol.Writer, key []byte, g *group, cn *consumer, p *pending, buf []byte) {
	w.Array(12)
	w.BulkString("XCLAIM")
	w.Bulk(key)
	w.BulkString(g.name)
	w.BulkString(cn.name)
	w.BulkString("0")
	w.Bulk(p.id.append(buf))
	w.BulkString("TIME")
	w.BulkInt(p.time)
	w.BulkString("RETRYCOUNT")
	w.BulkInt(int64(p.count))
	w.BulkString("JUSTID")
	w.BulkString("FORCE")
}

// bulkFields writes an entry's field/value pairs as bulk strings, fields
// of a SAMEFIELDS entry taken from the master entry.
func bulkFields(w *protocol.Writer, lp []byte, e *entry) {
	_, mf := masterFields(lp)
	p := e.data
	for range e.nfields {
		if e.flags&flagSameFields != 0 {
			bulkElem(w, lp, mf)
			mf = listpack.Next(lp, mf)
		} else {
			bulkElem(w, lp, p)
			p = listpack.Next(lp, p)
		}
		bulkElem(w, lp, p)
		p = listpack.Next(lp, p)
	}
}

// bulkElem writes a listpack element as a bulk string, an integer in
// decimal.
func bulkElem(w *protocol.Writer, lp []byte, off int) {
	if s, n, isInt := listpack.Get(lp, off); isInt {
		w.BulkInt(n)
	} else {
		w.Bulk(s)
	}
}
