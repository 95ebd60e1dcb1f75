package list

import (
	"strconv"

	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
)

// Lists from older Redis versions: one ziplist of elements (up to 3.0),
// or quicklist nodes that are each a ziplist (3.2 to 6.2), converted on
// load as Redis 7.0's rdbLoadObject converts them. Every ziplist is
// checked in depth whatever sanitize-dump-payload says, as Redis checks
// it.
//
// A list with no element is an empty key (loadValue): refused in RESTORE
// and skipped in a file, as Redis 7.0 does.

// loadZiplist reads a list held in one ziplist. Redis pushes its elements
// at the tail one by one, so they fill nodes by list-max-listpack-size as
// RPUSH would, integers as their decimal text; so does this.
func loadZiplist(q *ql, d *rdb.Decoder) bool {
	s := d.String()
	if d.Err() != nil {
		return false
	}
	var buf [20]byte
	err := ziplist.ForEach(s, func(v []byte, n int64, isInt bool) bool {
		if isInt {
			v = strconv.AppendInt(buf[:0], n, 10)
		}
		q.push(v, false)
		return true
	})
	return err == nil
}

// loadZiplistNodes reads quicklist nodes (possibly LZF-compressed, which
// the decoder undoes). Each becomes a listpack node of the same elements,
// whatever list-max-listpack-size says, as Redis appends them; an empty
// one is skipped, as Redis skips it.
func loadZiplistNodes(q *ql, d *rdb.Decoder) bool {
	for range d.Count(2) {
		lp := ziplist.Load(d)
		if lp == nil {
			return false
		}
		n := listpack.Len(lp)
		if n == 0 {
			continue
		}
		if n >= plainFlag {
			return false
		}
		q.insertNode(q.nodes(), q.a.New(lp), n, false)
		q.addLen(n)
	}
	return d.Err() == nil
}
