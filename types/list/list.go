// Package list implements the list commands (Redis's t_list.c).
//
// A list has Redis 7.0's one encoding, quicklist, whatever its size: a
// sequence of nodes, each a listpack (package listpack, Redis's byte
// layout) of up to list-max-listpack-size elements or bytes, or a "plain"
// node holding one element at least as long as the packed threshold
// (DEBUG QUICKLIST-PACKED-THRESHOLD). Nodes are filled, split and merged
// by Redis's rules (see quicklist.go), so their layout is Redis's.
//
// Nothing of a list is on the Go heap: each node is an arena blob, and
// the list's value word is the ref of a table blob holding the element
// count and, per node, its blob ref and element count (12 bytes). Index
// operations skip whole nodes by their counts from the nearer end; a list
// of millions of elements costs the garbage collector nothing.
//
// Replies are written straight from the listpacks, and pushes, pops,
// LLEN and LINDEX do not allocate. A list is deleted as soon as it is
// empty, so every list in the keyspace has at least one node.
//
// Blocking commands (BLPOP ...) serve at once when they can; otherwise
// they block with ctx.Block and are run again, with ctx.Retry set, when
// a list is created at one of their keys.
package list

import (
	"strconv"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Register adds the list commands to t.
func Register(t *command.Table) {
	t.Handle("lpush", func(c *command.Ctx) { push(c, true, false) })
	t.Handle("rpush", func(c *command.Ctx) { push(c, false, false) })
	t.Handle("lpushx", func(c *command.Ctx) { push(c, true, true) })
	t.Handle("rpushx", func(c *command.Ctx) { push(c, false, true) })
	t.Handle("lpop", func(c *command.Ctx) { pop(c, true) })
	t.Handle("rpop", func(c *command.Ctx) { pop(c, false) })
	t.Handle("llen", llen)
	t.Handle("lindex", lindex)
	t.Handle("lset", lset)
	t.Handle("lrange", lrange)
	t.Handle("ltrim", ltrim)
	t.Handle("lrem", lrem)
	t.Handle("linsert", linsert)
	t.Handle("lpos", lpos)
	t.Handle("lmove", lmove)
	t.Handle("rpoplpush", func(c *command.Ctx) { move(c, false, true) })
	t.Handle("lmpop", func(c *command.Ctx) { mpop(c, 1, false) })
	t.Handle("blpop", func(c *command.Ctx) { blockingPop(c, c.Args[1:len(c.Args)-1], true, len(c.Args)-1, -1) })
	t.Handle("brpop", func(c *command.Ctx) { blockingPop(c, c.Args[1:len(c.Args)-1], false, len(c.Args)-1, -1) })
	t.Handle("blmove", blmove)
	t.Handle("brpoplpush", func(c *command.Ctx) { blockingMove(c, false, true, 3) })
	t.Handle("blmpop", func(c *command.Ctx) { mpop(c, 2, true) })
}

// open returns the list at entry id.
func open(c *command.Ctx, id uint32) ql {
	return ql{a: c.KS.Arena, ref: arena.Ref(c.DB.Value(id)), db: c.DB, id: id}
}

// create adds an empty list at key, firing "new" as Redis's dbAdd does,
// and wakes the clients blocked on key: only a new list can serve them,
// since lists are deleted when they become empty.
func create(c *command.Ctx, key []byte) ql {
	ref := newTable(c.KS.Arena, c.Cfg.ListMaxListpackSize)
	id := c.DB.Add(key, keyspace.KindList, keyspace.EncQuicklist, uint64(ref))
	c.Notify(command.EvNew, "new", key)
	c.SignalReady(key)
	return open(c, id)
}

// writeElem replies with the element at p as a bulk string.
func writeElem(c *command.Ctx, q *ql, p pos) {
	s, n, isInt := q.get(p)
	if isInt {
		c.W.BulkInt(n)
	} else {
		c.W.Bulk(s)
	}
}

// writeRange replies with n elements from index i, towards the tail or,
// reversed, towards the head.
func writeRange(c *command.Ctx, q *ql, i, n int64, reverse bool) {
	c.W.Array(int(n))
	p := q.seek(i)
	for ; n > 0; n-- {
		writeElem(c, q, p)
		if reverse {
			p, _ = q.prev(p)
		} else {
			p, _ = q.next(p)
		}
	}
}

func pushEvent(head bool) string {
	if head {
		return "lpush"
	}
	return "rpush"
}

func popEvent(head bool) string {
	if head {
		return "lpop"
	}
	return "rpop"
}

// push is LPUSH, RPUSH and, with exists, LPUSHX and RPUSHX.
func push(c *command.Ctx, head, exists bool) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindList)
	if !ok {
		return
	}
	var q ql
	switch {
	case id != dict.None:
		q = open(c, id)
	case exists:
		c.W.Int(0)
		return
	default:
		q = create(c, key)
	}
	for _, v := range c.Args[2:] {
		q.push(v, head)
	}
	c.W.Int(q.Len())
	c.Changed(key, command.EvList, pushEvent(head))
	c.Dirty += int64(len(c.Args) - 3)
}

// positive parses argument i as a count of at least 0, writing msg if
// it is not one (Redis's getPositiveLongFromObjectOrReply).
func positive(c *command.Ctx, i int, msg string) (int64, bool) {
	n, ok := protocol.ParseInt(c.Args[i])
	if !ok || n < 0 {
		c.Err(msg)
		return 0, false
	}
	return n, true
}

// atLeastOne parses argument i as an integer of at least 1, writing msg if
// it is not one.
func atLeastOne(c *command.Ctx, i int, msg string) (int64, bool) {
	n, ok := protocol.ParseInt(c.Args[i])
	if !ok || n < 1 {
		c.Err(msg)
		return 0, false
	}
	return n, true
}

const errNotPositive = "ERR value is out of range, must be positive"

// pop is LPOP and RPOP key [count]: a bulk string without a count, an
// array with one.
func pop(c *command.Ctx, head bool) {
	if len(c.Args) > 3 {
		c.ArityErr()
		return
	}
	hasCount := len(c.Args) == 3
	var count int64
	if hasCount {
		var ok bool
		if count, ok = positive(c, 2, errNotPositive); !ok {
			return
		}
	}
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindList)
	switch {
	case !ok:
		return
	case id == dict.None && hasCount:
		c.W.NullArray()
		return
	case id == dict.None:
		c.W.Null()
		return
	case hasCount && count == 0:
		c.W.Array(0)
		return
	}
	q := open(c, id)
	if !hasCount {
		p := q.end(head)
		writeElem(c, &q, p)
		q.del(p, true)
		removed(c, key, id, &q, head, 1)
		return
	}
	popRange(c, key, id, &q, head, count)
}

// popRange replies with up to count elements from one end, in the order
// they are popped, and removes them.
func popRange(c *command.Ctx, key []byte, id uint32, q *ql, head bool, count int64) {
	l := q.Len()
	n := min(count, l)
	if head {
		writeRange(c, q, 0, n, false)
		q.delRange(0, n)
	} else {
		writeRange(c, q, l-1, n, true)
		q.delRange(l-n, n)
	}
	removed(c, key, id, q, head, n)
}

// removed follows a pop of n elements: it notifies, and deletes the key
// if the list is now empty (Redis's listElementsRemoved).
func removed(c *command.Ctx, key []byte, id uint32, q *ql, head bool, n int64) {
	c.Removed(key, id, command.EvList, popEvent(head), n, q.Len() == 0)
}

func llen(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	q := open(c, id)
	c.W.Int(q.Len())
}

// lindex looks the key up before parsing the index, as Redis does.
func lindex(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	i, ok := c.Int(2)
	if !ok {
		return
	}
	q := open(c, id)
	p, ok := q.at(i)
	if !ok {
		c.W.Null()
		return
	}
	writeElem(c, &q, p)
}

func lset(c *command.Ctx) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.Err(command.ErrNoSuchKey)
		return
	}
	i, ok := c.Int(2)
	if !ok {
		return
	}
	q := open(c, id)
	p, ok := q.at(i)
	if !ok {
		c.Err(command.ErrOutOfRange)
		return
	}
	q.replace(p, c.Args[3])
	c.W.OK()
	c.Changed(key, command.EvList, "lset")
}

// lrange parses its indexes before looking the key up.
func lrange(c *command.Ctx) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	end, ok := c.Int(3)
	if !ok {
		return
	}
	id, ok := c.Read(c.Args[1], keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Array(0)
		return
	}
	q := open(c, id)
	start, n := command.RankRange(start, end, q.Len())
	if n == 0 {
		c.W.Array(0)
		return
	}
	writeRange(c, &q, start, n, false)
}

func ltrim(c *command.Ctx) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	end, ok := c.Int(3)
	if !ok {
		return
	}
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.OK()
		return
	}
	q := open(c, id)
	l := q.Len()
	start, n := command.RankRange(start, end, l)
	right := l - start - n
	if n == 0 {
		start, right = l, 0
	}
	q.delRange(0, start)
	if right > 0 {
		q.delRange(q.Len()-right, right)
	}
	c.Notify(command.EvList, "ltrim", key)
	if q.Len() == 0 {
		c.DB.Delete(id)
		c.Notify(command.EvGeneric, "del", key)
	}
	c.SignalModified(c.DB, key)
	c.Dirty += start + right
	c.W.OK()
}

// lrem removes up to count elements equal to v from the head, from the
// tail when count is negative, all of them when it is 0.
func lrem(c *command.Ctx) {
	count, ok := c.Int(2)
	if !ok {
		return
	}
	key, v := c.Args[1], c.Args[3]
	id, ok := c.ReadWrite(key, keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	q := open(c, id)
	forward := count >= 0
	if !forward {
		count = -count
	}
	var n int64
	for p, more := q.end(forward), true; more; {
		if !q.equal(p, v) {
			if forward {
				p, more = q.next(p)
			} else {
				p, more = q.prev(p)
			}
			continue
		}
		p, more = q.del(p, forward)
		if n++; n == count {
			break
		}
	}
	if n > 0 {
		c.Removed(key, id, command.EvList, "lrem", n, q.Len() == 0)
	}
	c.W.Int(n)
}

// linsert inserts at the first element equal to the pivot, replying -1
// if there is none.
func linsert(c *command.Ctx) {
	var after bool
	switch {
	case c.Is(2, "after"):
		after = true
	case c.Is(2, "before"):
	default:
		c.Err(command.ErrSyntax)
		return
	}
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	q := open(c, id)
	for p, more := q.first(0), true; more; p, more = q.next(p) {
		if q.equal(p, c.Args[3]) {
			q.insert(p, after, c.Args[4])
			c.Changed(key, command.EvList, "linsert")
			c.W.Int(q.Len())
			return
		}
	}
	c.W.Int(-1)
}

// lpos is LPOS key element [RANK rank] [COUNT num] [MAXLEN len]. A
// negative rank searches from the tail; indexes are always from the head.
func lpos(c *command.Ctx) {
	rank, count, maxlen := int64(1), int64(-1), int64(0)
	for j := 3; j < len(c.Args); j++ {
		more := j < len(c.Args)-1
		var ok bool
		switch {
		case c.Is(j, "rank") && more:
			j++
			if rank, ok = c.Int(j); !ok {
				return
			}
			if rank == 0 {
				c.Err("ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
				return
			}
		case c.Is(j, "count") && more:
			j++
			if count, ok = positive(c, j, "ERR COUNT can't be negative"); !ok {
				return
			}
		case c.Is(j, "maxlen") && more:
			j++
			if maxlen, ok = positive(c, j, "ERR MAXLEN can't be negative"); !ok {
				return
			}
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	forward := rank > 0
	if !forward {
		// -MinInt64 wraps to itself, as in Redis: every match then counts.
		rank = -rank
	}
	id, ok := c.Read(c.Args[1], keyspace.KindList)
	if !ok {
		return
	}
	if id == dict.None {
		if count != -1 {
			c.W.Array(0)
		} else {
			c.W.Null()
		}
		return
	}
	q := open(c, id)
	var hdr protocol.Deferred
	if count != -1 {
		hdr = c.W.Defer()
	}
	l, v := q.Len(), c.Args[2]
	var index, matches, found int64
	match := int64(-1)
	for p, more := q.end(forward), true; more && (maxlen == 0 || index < maxlen); index++ {
		if q.equal(p, v) {
			matches++
			if matches >= rank {
				match = index
				if !forward {
					match = l - index - 1
				}
				if count == -1 {
					break
				}
				found++
				c.W.Int(match)
				if count != 0 && matches-rank+1 >= count {
					break
				}
			}
		}
		if forward {
			p, more = q.next(p)
		} else {
			p, more = q.prev(p)
		}
	}
	switch {
	case count != -1:
		c.W.FillArray(hdr, int(found))
	case match >= 0:
		c.W.Int(match)
	default:
		c.W.Null()
	}
}

func lmove(c *command.Ctx) {
	from, to, ok := sides(c, 3)
	if ok {
		move(c, from, to)
	}
}

// sides parses the LEFT|RIGHT arguments at i and i+1 of LMOVE and BLMOVE.
func sides(c *command.Ctx, i int) (from, to, ok bool) {
	if from, ok = side(c, i); ok {
		to, ok = side(c, i+1)
	}
	return from, to, ok
}

// side parses LEFT (true) or RIGHT (false).
func side(c *command.Ctx, i int) (head, ok bool) {
	switch {
	case c.Is(i, "left"):
		return true, true
	case c.Is(i, "right"):
		return false, true
	}
	c.Err(command.ErrSyntax)
	return false, false
}

// move is LMOVE and RPOPLPUSH: a null if the source is missing, whatever
// the destination holds.
func move(c *command.Ctx, from, to bool) {
	sid, ok := c.ReadWrite(c.Args[1], keyspace.KindList)
	if !ok {
		return
	}
	if sid == dict.None {
		c.W.Null()
		return
	}
	moveFrom(c, sid, from, to)
}

// moveFrom moves an element from the list at sid (the source key,
// Args[1]) to the destination key, Args[2], which may be the same list.
// The destination is pushed to first, as in Redis, so its notification
// comes before the source's.
func moveFrom(c *command.Ctx, sid uint32, from, to bool) bool {
	src, dst := c.Args[1], c.Args[2]
	did, ok := c.ReadWrite(dst, keyspace.KindList)
	if !ok {
		return false
	}
	sq := open(c, sid)
	v := copyElem(c, &sq, sq.end(from))
	var dq ql
	if did == dict.None {
		dq = create(c, dst)
	} else {
		dq = open(c, did)
	}
	c.SignalModified(c.DB, dst)
	dq.push(v, to)
	c.Notify(command.EvList, pushEvent(to), dst)
	c.W.Bulk(v)
	// Reopened: when source and destination are one list, the push may
	// have moved its table, and the element at the end is still v.
	sq = open(c, sid)
	sq.del(sq.end(from), true)
	c.Notify(command.EvList, popEvent(from), src)
	if sq.Len() == 0 {
		c.DB.Delete(sid)
		c.Notify(command.EvGeneric, "del", src)
	}
	c.SignalModified(c.DB, src)
	c.Dirty++
	return true
}

// copyElem copies the element at p out of the list, into c.Buf when it
// fits, so that it can be pushed to a list.
func copyElem(c *command.Ctx, q *ql, p pos) []byte {
	s, n, isInt := q.get(p)
	switch {
	case isInt:
		return strconv.AppendInt(c.Buf[:0], n, 10)
	case len(s) <= len(c.Buf):
		return append(c.Buf[:0], s...)
	}
	return append([]byte(nil), s...)
}

// mpop is LMPOP numkeys key [key ...] LEFT|RIGHT [COUNT count], and
// BLMPOP with the timeout before numkeys. It replies [key, [elements]].
func mpop(c *command.Ctx, numkeysIdx int, block bool) {
	numkeys, ok := atLeastOne(c, numkeysIdx, "ERR numkeys should be greater than 0")
	if !ok {
		return
	}
	if numkeys >= int64(len(c.Args)-numkeysIdx-1) {
		c.Err(command.ErrSyntax)
		return
	}
	whereIdx := numkeysIdx + int(numkeys) + 1
	head, ok := side(c, whereIdx)
	if !ok {
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count != -1 || !c.Is(j, "count") || j == len(c.Args)-1 {
			c.Err(command.ErrSyntax)
			return
		}
		j++
		if count, ok = atLeastOne(c, j, "ERR count should be greater than 0"); !ok {
			return
		}
	}
	count = max(count, 1)
	keys := c.Args[numkeysIdx+1 : whereIdx]
	if block {
		blockingPop(c, keys, head, 1, count)
		return
	}
	for _, key := range keys {
		id, ok := c.ReadWrite(key, keyspace.KindList)
		if !ok {
			return
		}
		if id != dict.None {
			popWithKey(c, key, id, head, count)
			return
		}
	}
	c.W.NullArray()
}

// popWithKey replies [key, [elements]] for LMPOP and BLMPOP, which are
// propagated as the pop of as many elements as they took.
func popWithKey(c *command.Ctx, key []byte, id uint32, head bool, count int64) {
	q := open(c, id)
	c.W.Array(2)
	c.W.Bulk(key)
	n := min(count, q.Len())
	popRange(c, key, id, &q, head, count)
	c.Rewrite(popWord(head), key, c.FormatInt(n))
}
