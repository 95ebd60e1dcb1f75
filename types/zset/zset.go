// Package zset implements the sorted set commands (Redis's t_zset.c).
//
// A sorted set has Redis's two encodings, and OBJECT ENCODING names them
// as Redis does:
//
//   - listpack: member, score, member, score ... in one listpack held in
//     a single arena blob, ordered by score and then by member bytes. A
//     score is stored as Redis stores it (an integer element when the
//     double is integral and small enough, else its %.17g string), so the
//     blob is byte-identical to Redis's. A sorted set stays so while it
//     has at most zset-max-listpack-entries members, each at most
//     zset-max-listpack-value bytes long.
//   - skiplist: a dict (package dict) from member to score bits, plus a
//     rank-aware skiplist whose nodes live in flat integer slices and name
//     their member by dict entry id (see skiplist.go). Neither holds a Go
//     pointer per element, so a sorted set of millions of members costs
//     the garbage collector a handful of objects.
//
// Conversions happen where Redis's do: to a skiplist before an insert that
// would break the listpack limits, and back to a listpack only for the
// small results of ZUNIONSTORE, ZINTERSTORE and ZDIFFSTORE. Commands are
// written against encoding-independent operations (value.go) and cursors
// that walk either encoding in both directions.
package zset

import (
	"math"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
)

// Register adds the sorted set commands to t.
func Register(t *command.Table) {
	t.Handle("zadd", func(c *command.Ctx) { zadd(c, 0) })
	t.Handle("zincrby", func(c *command.Ctx) { zadd(c, inIncr) })
	t.Handle("zcard", zcard)
	t.Handle("zscore", zscore)
	t.Handle("zmscore", zmscore)
	t.Handle("zrank", func(c *command.Ctx) { zrank(c, false) })
	t.Handle("zrevrank", func(c *command.Ctx) { zrank(c, true) })
	t.Handle("zrem", zrem)
	t.Handle("zcount", zcount)
	t.Handle("zlexcount", zlexcount)
	t.Handle("zrandmember", zrandmember)
	t.Handle("zscan", zscan)
	registerRanges(t)
	registerPops(t)
	registerSetOps(t)
}

const errNaN = "ERR resulting score is not a number (NaN)"

// zadd is ZADD key [NX|XX] [GT|LT] [CH] [INCR] score member ..., and
// ZINCRBY key increment member, which is ZADD INCR with no options
// expected (Redis parses them anyway, and so rejects them by arity).
func zadd(c *command.Ctx, flags int) {
	key := c.Args[1]
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		switch {
		case c.IsOpt(i, "nx"):
			flags |= inNX
		case c.IsOpt(i, "xx"):
			flags |= inXX
		case c.IsOpt(i, "ch"):
			ch = true
		case c.IsOpt(i, "incr"):
			flags |= inIncr
		case c.IsOpt(i, "gt"):
			flags |= inGT
		case c.IsOpt(i, "lt"):
			flags |= inLT
		default:
			break options
		}
	}
	incr, nx, xx := flags&inIncr != 0, flags&inNX != 0, flags&inXX != 0
	gt, lt := flags&inGT != 0, flags&inLT != 0
	pairs := c.Args[i:]
	if len(pairs) == 0 || len(pairs)%2 == 1 {
		c.Err(command.ErrSyntax)
		return
	}
	switch {
	case nx && xx:
		c.Err("ERR XX and NX options at the same time are not compatible")
		return
	case gt && nx || lt && nx || gt && lt:
		c.Err("ERR GT, LT, and/or NX options at the same time are not compatible")
		return
	case incr && len(pairs) > 2:
		c.Err("ERR INCR option supports a single increment-element pair")
		return
	}
	// Every score is checked before anything changes.
	var stack [8]float64
	scores := stack[:0]
	for j := 0; j < len(pairs); j += 2 {
		f, ok := c.Float(i + j)
		if !ok {
			return
		}
		scores = append(scores, f)
	}
	id, ok := c.ReadWrite(key, keyspace.KindZSet)
	if !ok {
		return
	}
	var added, updated, processed int64
	var score float64
	if id == dict.None && !xx {
		id = create(c, key, pairs[1])
	}
	if id != dict.None {
		v := load(c, id)
		for j, s := range scores {
			out, ns := v.add(c.Cfg, pairs[2*j+1], s, flags)
			if out&outNaN != 0 {
				v.save(c, id)
				c.Err(errNaN)
				return
			}
			if out&outAdded != 0 {
				added++
			}
			if out&outUpdated != 0 {
				updated++
			}
			if out&outNop == 0 {
				processed++
			}
			score = ns
		}
		v.save(c, id)
	}
	switch {
	case !incr && ch:
		c.W.Int(added + updated)
	case !incr:
		c.W.Int(added)
	case processed > 0:
		c.W.Double(score)
	default:
		c.W.Null()
	}
	if added+updated > 0 {
		event := "zadd"
		if incr {
			event = "zincr"
		}
		c.Changed(key, command.EvZSet, event)
		c.Dirty += added + updated - 1
		c.SignalReady(key)
	}
}

// read looks up a sorted set for reading; it returns ok false after
// writing WRONGTYPE.
func read(c *command.Ctx, key []byte) (uint32, bool) { return c.Read(key, keyspace.KindZSet) }

func zcard(c *command.Ctx) {
	id, ok := read(c, c.Args[1])
	switch {
	case !ok:
	case id == dict.None:
		c.W.Int(0)
	default:
		v := load(c, id)
		c.W.Int(int64(v.length()))
	}
}

func zscore(c *command.Ctx) {
	id, ok := read(c, c.Args[1])
	if !ok {
		return
	}
	writeScore(c, id, c.Args[2])
}

// writeScore replies with the score of member m, or a null.
func writeScore(c *command.Ctx, id uint32, m []byte) {
	if id == dict.None {
		c.W.Null()
		return
	}
	v := load(c, id)
	if s, found := v.score(m); found {
		c.W.Double(s)
	} else {
		c.W.Null()
	}
}

func zmscore(c *command.Ctx) {
	id, ok := read(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		writeScore(c, id, m)
	}
}

func zrank(c *command.Ctx, reverse bool) {
	id, ok := read(c, c.Args[1])
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	v := load(c, id)
	if r, found := v.rank(c.Args[2], reverse); found {
		c.W.Int(int64(r))
	} else {
		c.W.Null()
	}
}

// zrem deletes the key with its last member, firing "del" after "zrem".
func zrem(c *command.Ctx) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindZSet)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	v := load(c, id)
	var deleted int64
	for _, m := range c.Args[2:] {
		if v.del(m) {
			deleted++
		}
		if v.length() == 0 {
			break
		}
	}
	v.save(c, id)
	if deleted > 0 {
		c.Removed(key, id, command.EvZSet, "zrem", deleted, v.length() == 0)
	}
	c.W.Int(deleted)
}

func zcount(c *command.Ctx) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errScoreRange)
		return
	}
	countIn(c, &bounds{scores: r})
}

func zlexcount(c *command.Ctx) {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Err(errLexRange)
		return
	}
	countIn(c, &bounds{lex: true, lexes: r})
}

func countIn(c *command.Ctx, b *bounds) {
	id, ok := read(c, c.Args[1])
	switch {
	case !ok:
	case id == dict.None:
		c.W.Int(0)
	default:
		v := load(c, id)
		c.W.Int(int64(v.count(b)))
	}
}

// zscan is ZSCAN key cursor [MATCH pattern] [COUNT count]. A listpack is
// returned whole with cursor 0, its scores as stored; a skiplist's dict is
// walked with the cursor, scores formatted with %.17g, as Redis does.
func zscan(c *command.Ctx) {
	id, cursor, o, ok := keys.ScanKey(c, keyspace.KindZSet)
	if !ok {
		return
	}
	w := c.W
	w.Array(2)
	v := load(c, id)
	if v.isListpack() {
		w.BulkString("0")
		hdr := w.Defer()
		n := 0
		lp := v.lp()
		for off := listpack.First(lp); off >= 0; {
			soff := listpack.Next(lp, off)
			if o.Matches(lpElem(lp, off, c.Buf[:0])) {
				writeElem(c, lp, off)
				writeElem(c, lp, soff)
				n += 2
			}
			off = listpack.Next(lp, soff)
		}
		w.FillArray(hdr, n)
		return
	}
	s := v.sl()
	ids := keys.ScanScratch()
	cursor, *ids = keys.ScanDict(s.d, cursor, o.Count, true, *ids)
	w.BulkInt(int64(cursor))
	hdr := w.Defer()
	n := 0
	for _, eid := range *ids {
		if m := s.d.Key(eid); o.Matches(m) {
			w.Bulk(m)
			w.Bulk(appendScore(c.Buf[:0], s.scoreOf(eid)))
			n += 2
		}
	}
	w.FillArray(hdr, n)
	keys.PutScanScratch(ids)
}

// writeElem replies with a listpack element as a bulk string.
func writeElem(c *command.Ctx, lp []byte, off int) {
	s, n, isInt := listpack.Get(lp, off)
	if isInt {
		c.W.BulkInt(n)
	} else {
		c.W.Bulk(s)
	}
}

// zrandmember is ZRANDMEMBER key [count [WITHSCORES]]. A negative count
// may repeat members; a positive one returns distinct members, all of
// them if count is at least the set's length.
func zrandmember(c *command.Ctx) {
	if len(c.Args) == 2 {
		id, ok := read(c, c.Args[1])
		switch {
		case !ok:
		case id == dict.None:
			c.W.Null()
		default:
			v := load(c, id)
			cur := v.random(c)
			cur.writeMember(c.W)
		}
		return
	}
	l, ok := c.RangeInt(2, -math.MaxInt64, math.MaxInt64)
	if !ok {
		return
	}
	withScores := false
	if len(c.Args) > 4 || len(c.Args) == 4 && !c.IsOpt(3, "withscores") {
		c.Err(command.ErrSyntax)
		return
	}
	if len(c.Args) == 4 {
		withScores = true
		// count*2 replies must not overflow.
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.Err("ERR value is out of range")
			return
		}
	}
	id, ok := read(c, c.Args[1])
	if !ok {
		return
	}
	if id == dict.None || l == 0 {
		c.W.Array(0)
		return
	}
	v := load(c, id)
	size := int64(v.length())
	count, distinct := l, true
	if l < 0 {
		count, distinct = -l, false
	} else if count > size {
		count = size
	}
	// RESP3 gets [member, score] pairs, RESP2 a flat array.
	pairs := withScores && c.W.Resp > 2
	if withScores && !pairs {
		c.W.Array(int(count * 2))
	} else {
		c.W.Array(int(count))
	}
	write := func(cur *cursor) {
		if pairs {
			c.W.Array(2)
		}
		cur.writeMember(c.W)
		if withScores {
			c.W.Double(cur.score())
		}
	}
	switch {
	case !distinct || count == 1:
		// Stopped once the reply passed the output limit: the client is
		// to be closed (Redis checks CLIENT_CLOSE_ASAP).
		for ; count > 0 && !c.W.Over(); count-- {
			cur := v.random(c)
			write(&cur)
		}
	case count == size:
		for cur := v.atRank(0, false); cur.valid(); cur.next() {
			write(&cur)
		}
	case v.isListpack():
		lp := v.lp()
		listpack.Sample(lp, 2, int(count), c.KS.Rand, func(off int) {
			cur := cursor{lp: lp, off: off}
			write(&cur)
		})
	default:
		s := v.sl()
		s.d.Sample(int(count), c.KS.Rand, func(eid uint32) {
			cur := cursor{sl: s, node: s.d.At(eid).Meta}
			write(&cur)
		})
	}
}

// random returns a cursor at a uniformly chosen member of a non-empty set.
func (v *value) random(c *command.Ctx) cursor {
	if v.isListpack() {
		lp := v.lp()
		return v.lpCursor(listpack.Seek(lp, 2*int(c.KS.Rand(uint32(listpack.Len(lp)/2)))))
	}
	s := v.sl()
	return v.slCursor(s.d.At(s.d.Random(c.KS.Rand)).Meta)
}
