package zset

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// The ZRANGE family: ZRANGE and ZRANGESTORE with their BYSCORE, BYLEX, REV
// and LIMIT options, and the older commands that are fixed combinations of
// them, as Redis's zrangeGenericCommand serves them all.

type rangeKind int

const (
	rangeAuto rangeKind = iota
	rangeRank
	rangeScore
	rangeLex
)

type direction int

const (
	dirAuto direction = iota
	dirForward
	dirReverse
)

func registerRanges(t *command.Table) {
	t.Handle("zrange", func(c *command.Ctx) { zrangeGeneric(c, 1, false, rangeAuto, dirAuto) })
	t.Handle("zrangestore", func(c *command.Ctx) { zrangeGeneric(c, 2, true, rangeAuto, dirAuto) })
	t.Handle("zrevrange", func(c *command.Ctx) { zrangeGeneric(c, 1, false, rangeRank, dirReverse) })
	t.Handle("zrangebyscore", func(c *command.Ctx) { zrangeGeneric(c, 1, false, rangeScore, dirForward) })
	t.Handle("zrevrangebyscore", func(c *command.Ctx) { zrangeGeneric(c, 1, false, rangeScore, dirReverse) })
	t.Handle("zrangebylex", func(c *command.Ctx) { zrangeGeneric(c, 1, false, rangeLex, dirForward) })
	t.Handle("zrevrangebylex", func(c *command.Ctx) { zrangeGeneric(c, 1, false, rangeLex, dirReverse) })
	t.Handle("zremrangebyrank", func(c *command.Ctx) { zremrange(c, rangeRank) })
	t.Handle("zremrangebyscore", func(c *command.Ctx) { zremrange(c, rangeScore) })
	t.Handle("zremrangebylex", func(c *command.Ctx) { zremrange(c, rangeLex) })
}

// sink receives the members of a range: the client's reply, or the
// sorted set ZRANGESTORE builds.
type sink struct {
	c      *command.Ctx
	scores bool // WITHSCORES
	pairs  bool // scores as [member, score] pairs (RESP3)
	dst    *value
	n      int
	buf    [20]byte
}

func (s *sink) emit(cur *cursor) {
	s.n++
	if s.dst != nil {
		s.dst.add(s.c.Cfg, cur.member(s.buf[:0]), cur.score(), 0)
		return
	}
	w := s.c.W
	if s.pairs {
		w.Array(2)
	}
	cur.writeMember(w)
	if s.scores {
		w.Double(cur.score())
	}
}

// header writes the reply's array header for n members.
func (s *sink) header(n int) {
	if s.dst == nil {
		if s.scores && !s.pairs {
			n *= 2
		}
		s.c.W.Array(n)
	}
}

// zrangeGeneric is Redis's zrangeGenericCommand: the key is argument
// first, min and max follow, then the options.
func zrangeGeneric(c *command.Ctx, first int, store bool, kind rangeKind, dir direction) {
	minIdx, maxIdx := first+1, first+2
	withScores := false
	var offset, limit int64 = 0, -1
	for j := first + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !store && c.IsOpt(j, "withscores"):
			withScores = true
		case c.IsOpt(j, "limit") && left >= 2:
			var ok bool
			if offset, ok = c.Int(j + 1); !ok {
				return
			}
			if limit, ok = c.Int(j + 2); !ok {
				return
			}
			j += 2
		case dir == dirAuto && c.IsOpt(j, "rev"):
			dir = dirReverse
		case kind == rangeAuto && c.IsOpt(j, "bylex"):
			kind = rangeLex
		case kind == rangeAuto && c.IsOpt(j, "byscore"):
			kind = rangeScore
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	if kind == rangeAuto {
		kind = rangeRank
	}
	reverse := dir == dirReverse
	if limit != -1 && kind == rangeRank {
		c.Err("ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
		return
	}
	if withScores && kind == rangeLex {
		c.Err("ERR syntax error, WITHSCORES not supported in combination with BYLEX")
		return
	}
	if reverse && kind != rangeRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	var start, end int64
	var b bounds
	switch kind {
	case rangeRank:
		var ok bool
		if start, ok = c.Int(minIdx); !ok {
			return
		}
		if end, ok = c.Int(maxIdx); !ok {
			return
		}
	case rangeScore:
		var ok bool
		if b.scores, ok = parseScoreRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Err(errScoreRange)
			return
		}
	case rangeLex:
		var ok bool
		b.lex = true
		if b.lexes, ok = parseLexRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Err(errLexRange)
			return
		}
	}
	out := sink{c: c, scores: withScores, pairs: withScores && c.W.Resp > 2}
	id, ok := read(c, c.Args[first])
	if !ok {
		return
	}
	if id == dict.None {
		if store {
			storeResult(c, c.Args[1], newValue(c.KS, false), "zrangestore")
		} else {
			c.W.Array(0)
		}
		return
	}
	v := load(c, id)
	if kind == rangeRank {
		start, end, n := clampRank(start, end, v.length())
		if store {
			// The result's size is known: a big one starts as a skiplist.
			dst := newValue(c.KS, int64(n) > c.Cfg.ZsetMaxListpackEntries)
			out.dst = &dst
		}
		out.header(n)
		if n > 0 {
			cur := v.atRank(start, reverse)
			for i := start; i <= end; i++ {
				out.emit(&cur)
				cur.move(reverse)
			}
		}
	} else {
		if store {
			dst := newValue(c.KS, false)
			out.dst = &dst
		}
		emitRange(&v, &b, offset, limit, reverse, &out)
	}
	if store {
		storeResult(c, c.Args[1], *out.dst, "zrangestore")
	}
}

// clampRank turns start and end (negative from the end) into a range of
// 0-based ranks within a set of length l, and its length (0 if empty).
func clampRank(start, end int64, l int) (int, int, int) {
	first, n := command.RankRange(start, end, int64(l))
	return int(first), int(first + n - 1), int(n)
}

// emitRange sends the members in b to out, skipping offset of them (a
// negative offset skips everything) and stopping after limit (negative
// for no limit).
func emitRange(v *value, b *bounds, offset, limit int64, reverse bool, out *sink) {
	var hdr = out.c.W.Defer()
	if offset <= 0 || offset < int64(v.length()) {
		var cur cursor
		if reverse {
			cur = v.lastIn(b)
		} else {
			cur = v.firstIn(b)
		}
		for ; cur.valid() && offset != 0; offset-- {
			cur.move(reverse)
		}
		var buf [20]byte
		for ; cur.valid() && limit != 0; limit-- {
			if reverse && b.below(&cur, buf[:0]) || !reverse && b.above(&cur, buf[:0]) {
				break
			}
			out.emit(&cur)
			cur.move(reverse)
		}
	}
	if out.dst == nil {
		n := out.n
		if out.scores && !out.pairs {
			n *= 2
		}
		out.c.W.FillArray(hdr, n)
	}
}

// storeResult stores a *STORE command's result at dst (deleting dst when
// the result is empty), replies with its length and fires event.
func storeResult(c *command.Ctx, dst []byte, v value, event string) {
	n := v.length()
	if n == 0 {
		v.free()
		c.W.Int(0)
		if id := c.DB.LookupWrite(dst); id != dict.None {
			c.DB.Delete(id)
			c.Changed(dst, command.EvGeneric, "del")
		}
		return
	}
	isNew := c.DB.LookupWrite(dst) == dict.None
	c.DB.Set(dst, keyspace.KindZSet, v.enc, v.val, false)
	if isNew {
		c.Notify(command.EvNew, "new", dst)
	}
	c.W.Int(int64(n))
	c.Changed(dst, command.EvZSet, event)
	c.SignalReady(dst)
}

// zremrange is ZREMRANGEBYRANK, ZREMRANGEBYSCORE and ZREMRANGEBYLEX.
func zremrange(c *command.Ctx, kind rangeKind) {
	key := c.Args[1]
	var start, end int64
	var b bounds
	var event string
	switch kind {
	case rangeRank:
		event = "zremrangebyrank"
		var ok bool
		if start, ok = c.Int(2); !ok {
			return
		}
		if end, ok = c.Int(3); !ok {
			return
		}
	case rangeScore:
		event = "zremrangebyscore"
		var ok bool
		if b.scores, ok = parseScoreRange(c.Args[2], c.Args[3]); !ok {
			c.Err(errScoreRange)
			return
		}
	case rangeLex:
		event = "zremrangebylex"
		var ok bool
		b.lex = true
		if b.lexes, ok = parseLexRange(c.Args[2], c.Args[3]); !ok {
			c.Err(errLexRange)
			return
		}
	}
	id, ok := c.ReadWrite(key, keyspace.KindZSet)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	v := load(c, id)
	var deleted int
	if kind == rangeRank {
		s, e, n := clampRank(start, end, v.length())
		if n == 0 {
			c.W.Int(0)
			return
		}
		deleted = v.deleteRank(s, e)
	} else {
		deleted = v.deleteIn(&b)
	}
	v.save(c, id)
	if deleted > 0 {
		c.Removed(key, id, command.EvZSet, event, int64(deleted), v.length() == 0)
	}
	c.W.Int(int64(deleted))
}
