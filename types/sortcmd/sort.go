// Package sortcmd implements SORT and SORT_RO (Redis's sort.c).
//
// A call parses its options, loads the elements of the list, set or
// sorted set into a vector of items, gives each item its weight (a
// double, or a string for ALPHA, read from the element or from a key
// named by the BY pattern), sorts the vector and replies with, or stores
// as a list, the LIMIT window of it, each element replaced by its GET
// lookups if there are any.
//
// Replies must be byte-identical to Redis's, so the order of elements
// that compare equal matters. Numeric weights and ALPHA without BY break
// ties on the elements themselves, so any sort agrees; ALPHA BY does not,
// and there Redis's two sorts show: glibc's qsort, a stable merge sort,
// for a whole vector, and a Bentley-McIlroy partial quicksort when BY and
// a LIMIT window narrow the work (see pqsort.go). Both are reproduced.
// With BY nosort nothing is sorted: lists and sorted sets keep their
// order (and read only the window), sets their iteration order, except
// that a set being stored is sorted ALPHA so the stored list is
// deterministic. Like Redis, SORT converts a sorted set it reads to a
// skiplist.
package sortcmd

import (
	"bytes"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/list"
	"github.com/redoubt-db/redoubt/types/set"
	"github.com/redoubt-db/redoubt/types/zset"
)

// Register adds SORT and SORT_RO to t.
func Register(t *command.Table) {
	t.Handle("sort", func(c *command.Ctx) { sortCmd(c, false) })
	t.Handle("sort_ro", func(c *command.Ctx) { sortCmd(c, true) })
}

// request is a parsed SORT call.
type request struct {
	desc, alpha bool
	// dontsort is set by a BY pattern without '*' (BY nosort).
	dontsort      bool
	offset, count int64
	// by is the last BY pattern; it matters only when sorting, and then
	// it has a '*'.
	by      []byte
	gets    [][]byte
	store   []byte
	storing bool
}

// item is an element with its weight.
type item struct {
	elem  []byte
	score float64
	// cmp is the ALPHA BY weight, nil when the weight key is missing.
	cmp []byte
}

func sortCmd(c *command.Ctx, readonly bool) {
	r, ok := parse(c, readonly)
	if !ok {
		return
	}
	id := c.DB.LookupRead(c.Args[1])
	kind := keyspace.KindList // a missing key sorts as an empty list
	if id != dict.None {
		kind = c.DB.Kind(id)
		if kind != keyspace.KindList && kind != keyspace.KindSet && kind != keyspace.KindZSet {
			c.Err(command.ErrWrongType)
			return
		}
	}
	// A set has no order of its own; a stored one, or one a script
	// reads, is sorted so that the list is the same on every server.
	if r.dontsort && kind == keyspace.KindSet && (r.storing || c.InScript) {
		r.dontsort, r.alpha, r.by = false, true, nil
	}
	items, start, end := load(c, r, id, kind)
	if !r.dontsort {
		if !weigh(c, r, items) {
			c.Err("ERR One or more scores can't be converted into double")
			return
		}
		sortItems(r, items, start, end)
	}
	var out []item
	if end >= start {
		out = items[start : end+1]
	}
	if r.storing {
		store(c, r, out)
	} else {
		reply(c, r, out)
	}
}

// parse reads the options after the key, replying with an error if one
// is wrong.
func parse(c *command.Ctx, readonly bool) (*request, bool) {
	r := &request{count: -1}
	// BY and GET patterns name keys the ACL cannot see in the
	// arguments: they need a user allowed every key (Redis asks
	// ACLUserCheckCmdWithUnrestrictedKeyAccess).
	fullAccess := true
	if a, ok := c.Client.(interface{ FullKeyAccess(*command.Ctx) bool }); ok {
		fullAccess = a.FullKeyAccess(c)
	}
	for j := 2; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case c.Is(j, "asc"):
			r.desc = false
		case c.Is(j, "desc"):
			r.desc = true
		case c.Is(j, "alpha"):
			r.alpha = true
		case c.Is(j, "limit") && left >= 2:
			var ok bool
			if r.offset, ok = c.Int(j + 1); !ok {
				return nil, false
			}
			if r.count, ok = c.Int(j + 2); !ok {
				return nil, false
			}
			j += 2
		case !readonly && c.Is(j, "store") && left >= 1:
			r.store, r.storing = c.Args[j+1], true
			j++
		case c.Is(j, "by") && left >= 1:
			r.by = c.Args[j+1]
			// A later BY with a '*' does not undo an earlier constant one.
			if bytes.IndexByte(cstring(r.by), '*') < 0 {
				r.dontsort = true
			} else if !fullAccess {
				c.Err("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return nil, false
			}
			j++
		case c.Is(j, "get") && left >= 1:
			if !fullAccess {
				c.Err("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return nil, false
			}
			r.gets = append(r.gets, c.Args[j+1])
			j++
		default:
			c.Err(command.ErrSyntax)
			return nil, false
		}
	}
	return r, true
}

// window turns LIMIT offset count into the inclusive index range [start,
// end] of a vector of n items; it is empty when end < start.
func window(offset, count int64, n int) (start, end int) {
	l := int64(n)
	s := min(max(offset, 0), l)
	cnt := min(max(count, -1), l)
	e := l - 1
	if cnt >= 0 {
		e = s + cnt - 1
	}
	if s >= l {
		s, e = l-1, l-2
	}
	return int(s), int(min(e, l-1))
}

// load reads the elements to sort and the window of them to output. With
// BY nosort a list or sorted set is read only over the window, in the
// order asked for, and the window is then the whole vector.
func load(c *command.Ctx, r *request, id uint32, kind keyspace.Kind) (items []item, start, end int) {
	var n int
	switch {
	case id == dict.None:
	case kind == keyspace.KindList:
		n = int(list.Len(c.KS, c.DB.Value(id)))
	case kind == keyspace.KindSet:
		n = set.Len(c.KS, c.DB.Encoding(id), c.DB.Value(id))
	default:
		n = zset.ToSkiplist(c, id)
	}
	start, end = window(r.offset, r.count, n)
	var v vector
	switch {
	case id == dict.None:
	case r.dontsort && kind != keyspace.KindSet:
		if start > end {
			return nil, start, end
		}
		loadRange(c, r, id, kind, n, start, end-start+1, &v)
		return v.items, 0, end - start
	case kind == keyspace.KindList:
		list.Range(c.KS, c.DB.Value(id), 0, int64(n), false, v.add)
	case kind == keyspace.KindSet:
		set.ForEach(c.KS, c.DB.Encoding(id), c.DB.Value(id), func(m []byte) bool {
			v.add(m)
			return true
		})
	default:
		zset.Range(c, id, 0, n, false, v.add)
	}
	return v.items, start, end
}

// loadRange reads k elements of a list or sorted set of n, from its start
// index counted from the end asked for.
func loadRange(c *command.Ctx, r *request, id uint32, kind keyspace.Kind, n, start, k int, v *vector) {
	if kind == keyspace.KindZSet {
		zset.Range(c, id, start, k, r.desc, v.add)
		return
	}
	from := start
	if r.desc {
		from = n - start - 1
	}
	list.Range(c.KS, c.DB.Value(id), int64(from), int64(k), r.desc, v.add)
}

// vector collects copies of elements into shared backing storage.
type vector struct {
	items []item
	buf   []byte
}

func (v *vector) add(elem []byte) {
	v.buf = append(v.buf, elem...)
	e := v.buf[len(v.buf)-len(elem) : len(v.buf) : len(v.buf)]
	v.items = append(v.items, item{elem: e})
}
