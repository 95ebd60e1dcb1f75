package list

import (
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// The functions below let other command packages (SORT) read lists and
// store a new one without knowing the quicklist layout.

// Len is the number of elements of a list value.
func Len(ks *keyspace.Keyspace, val uint64) int64 {
	q := detached(ks, val)
	return q.Len()
}

// Shape describes a list value's quicklist for DEBUG OBJECT: its node
// count, its fill (list-max-listpack-size when it was created) and the
// bytes of all its nodes.
func Shape(ks *keyspace.Keyspace, val uint64) (nodes, fill, size int) {
	q := detached(ks, val)
	for i := range q.nodes() {
		size += len(q.blob(i))
	}
	return q.nodes(), q.fill(), size
}

// Range calls fn with n elements of a list value from index start (which
// must exist), towards the tail or, if reverse, towards the head.
// Integers are formatted into a scratch buffer; elem is valid only during
// the call.
func Range(ks *keyspace.Keyspace, val uint64, start, n int64, reverse bool, fn func(elem []byte)) {
	if n <= 0 {
		return
	}
	q := detached(ks, val)
	var buf [20]byte
	p := q.seek(start)
	for {
		s, i, isInt := q.get(p)
		if isInt {
			s = strconv.AppendInt(buf[:0], i, 10)
		}
		fn(s)
		if n--; n == 0 {
			return
		}
		if reverse {
			p, _ = q.prev(p)
		} else {
			p, _ = q.next(p)
		}
	}
}

// Store sets key to a new list of elems (at least one), as Redis's setKey
// does: any old value and its TTL go, and a new key fires "new". elems
// must not alias arena memory.
func Store(c *command.Ctx, key []byte, elems [][]byte) {
	q := ql{a: c.KS.Arena, ref: newTable(c.KS.Arena, c.Cfg.ListMaxListpackSize)}
	for _, e := range elems {
		q.push(e, false)
	}
	if id := c.DB.LookupWrite(key); id != dict.None {
		c.DB.Overwrite(id, keyspace.KindList, keyspace.EncQuicklist, uint64(q.ref))
		c.DB.Persist(id)
		return
	}
	c.DB.Add(key, keyspace.KindList, keyspace.EncQuicklist, uint64(q.ref))
	c.Notify(command.EvNew, "new", key)
}
