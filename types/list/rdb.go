package list

import (
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
)

// A list travels as Redis 7.0 writes a quicklist: node by node, each a
// listpack (packed) or one element (plain), so that node boundaries and
// bytes are Redis's. Loaded nodes are kept as they are, as Redis keeps
// them, whatever list-max-listpack-size says now. Older versions wrote
// ziplists, converted as they load (ziplist.go).

func init() {
	keyspace.RegisterLoader(keyspace.KindList, loadValue,
		rdb.TypeListQuicklist2, rdb.TypeList, rdb.TypeListQuicklist, rdb.TypeListZiplist)
}

func saveValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64, w *rdb.Encoder) byte {
	q := detached(ks, val)
	w.Len(uint64(q.nodes()))
	for i := range q.nodes() {
		if q.isPlain(i) {
			w.Len(rdb.ContainerPlain)
		} else {
			w.Len(rdb.ContainerPacked)
		}
		w.String(q.blob(i))
	}
	return rdb.TypeListQuicklist2
}

func loadValue(ks *keyspace.Keyspace, cfg *config.Values, t byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	a := ks.Arena
	q := ql{a: a, ref: newTable(a, cfg.ListMaxListpackSize)}
	ok := false
	switch t {
	case rdb.TypeList:
		ok = loadElements(&q, d)
	case rdb.TypeListQuicklist:
		ok = loadZiplistNodes(&q, d)
	case rdb.TypeListZiplist:
		ok = loadZiplist(&q, d)
	default:
		ok = loadNodes(&q, d)
	}
	if !ok || q.Len() == 0 {
		freeValue(ks, keyspace.EncQuicklist, uint64(q.ref))
		if ok {
			d.Empty() // no element, or only empty nodes
		} else {
			d.Fail()
		}
		return 0, 0, false
	}
	return keyspace.EncQuicklist, uint64(q.ref), true
}

// loadElements reads the oldest list format: a count and the elements.
func loadElements(q *ql, d *rdb.Decoder) bool {
	for range d.Count(1) {
		s := d.String()
		if d.Err() != nil {
			return false
		}
		q.push(s, false)
	}
	return d.Err() == nil
}

// loadNodes reads quicklist nodes. Empty packed nodes are skipped, as
// Redis skips them.
func loadNodes(q *ql, d *rdb.Decoder) bool {
	for range d.Count(2) {
		container := d.Len()
		data := d.String()
		if d.Err() != nil || len(data) == 0 {
			return false
		}
		switch container {
		case rdb.ContainerPlain:
			q.insertNode(q.nodes(), q.a.New(data), 1, true)
			q.addLen(1)
		case rdb.ContainerPacked:
			if listpack.Validate(data, true) != nil {
				return false
			}
			ref := q.a.New(data)
			n := listpack.Len(q.a.Get(ref))
			if n == 0 || n >= plainFlag {
				q.a.Free(ref)
				if n == 0 {
					continue
				}
				return false
			}
			q.insertNode(q.nodes(), ref, n, false)
			q.addLen(n)
		default:
			return false
		}
	}
	return d.Err() == nil
}
