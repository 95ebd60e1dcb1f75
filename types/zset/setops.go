package zset

import (
	"math"
	"slices"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/set"
)

// ZUNION, ZINTER, ZDIFF, their *STORE forms and ZINTERCARD (Redis's
// zunionInterDiffGenericCommand). Inputs may be sets, whose members score
// 1. Results are built as a skiplist, as Redis builds them; a stored
// result small enough goes back to a listpack.

type setOp int

const (
	opUnion setOp = iota
	opInter
	opDiff
)

type aggregate int

const (
	aggSum aggregate = iota
	aggMin
	aggMax
)

func registerSetOps(t *command.Table) {
	t.Handle("zunion", func(c *command.Ctx) { zsetOp(c, nil, 1, opUnion, false) })
	t.Handle("zinter", func(c *command.Ctx) { zsetOp(c, nil, 1, opInter, false) })
	t.Handle("zdiff", func(c *command.Ctx) { zsetOp(c, nil, 1, opDiff, false) })
	t.Handle("zintercard", func(c *command.Ctx) { zsetOp(c, nil, 1, opInter, true) })
	t.Handle("zunionstore", func(c *command.Ctx) { zsetOp(c, c.Args[1], 2, opUnion, false) })
	t.Handle("zinterstore", func(c *command.Ctx) { zsetOp(c, c.Args[1], 2, opInter, false) })
	t.Handle("zdiffstore", func(c *command.Ctx) { zsetOp(c, c.Args[1], 2, opDiff, false) })
}

// source is one input: a sorted set, a set, or a missing key (id
// dict.None, empty).
type source struct {
	id     uint32
	kind   keyspace.Kind
	enc    keyspace.Encoding
	val    uint64
	weight float64
}

// length is the number of members.
func (s *source) length(ks *keyspace.Keyspace) int {
	switch {
	case s.id == dict.None:
		return 0
	case s.kind == keyspace.KindZSet:
		v := value{ks, s.enc, s.val}
		return v.length()
	}
	return set.Len(ks, s.enc, s.val)
}

// each calls fn with every member and its score until fn returns false.
// The member is valid only during the call.
func (s *source) each(ks *keyspace.Keyspace, fn func(m []byte, score float64) bool) {
	switch {
	case s.id == dict.None:
	case s.kind == keyspace.KindZSet:
		v := value{ks, s.enc, s.val}
		var buf [20]byte
		for cur := v.atRank(0, false); cur.valid(); cur.next() {
			if !fn(cur.member(buf[:0]), cur.score()) {
				return
			}
		}
	default:
		set.ForEach(ks, s.enc, s.val, func(m []byte) bool { return fn(m, 1) })
	}
}

// find returns the score of member m.
func (s *source) find(ks *keyspace.Keyspace, m []byte) (float64, bool) {
	switch {
	case s.id == dict.None:
		return 0, false
	case s.kind == keyspace.KindZSet:
		v := value{ks, s.enc, s.val}
		return v.score(m)
	}
	return 1, set.Has(ks, s.enc, s.val, m)
}

// aggregateInto combines val into *acc as Redis's zunionInterAggregate:
// a NaN sum (inf + -inf) becomes 0.
func aggregateInto(acc *float64, val float64, agg aggregate) {
	switch agg {
	case aggSum:
		*acc += val
		if math.IsNaN(*acc) {
			*acc = 0
		}
	case aggMin:
		if val < *acc {
			*acc = val
		}
	case aggMax:
		if val > *acc {
			*acc = val
		}
	}
}

// weighted is a member's first score: its input score times the input's
// weight, with NaN (0 * inf) as 0.
func weighted(score, weight float64) float64 {
	s := score * weight
	if math.IsNaN(s) {
		return 0
	}
	return s
}

// zsetOp parses and runs the set operation; numIdx is the argument
// holding numkeys, dst the destination of a *STORE form (else nil).
func zsetOp(c *command.Ctx, dst []byte, numIdx int, op setOp, cardOnly bool) {
	num, ok := c.Int(numIdx)
	if !ok {
		return
	}
	if num < 1 {
		c.Err("ERR at least 1 input key is needed for '" + c.Cmd.FullName() + "' command")
		return
	}
	if num > int64(len(c.Args)-numIdx-1) {
		c.Err(command.ErrSyntax)
		return
	}
	srcs := make([]source, num)
	j := numIdx + 1
	for i := range srcs {
		s := &srcs[i]
		s.weight = 1
		s.id = c.DB.LookupRead(c.Args[j])
		if s.id != dict.None {
			s.kind = c.DB.Kind(s.id)
			if s.kind != keyspace.KindZSet && s.kind != keyspace.KindSet {
				c.Err(command.ErrWrongType)
				return
			}
			s.enc, s.val = c.DB.Encoding(s.id), c.DB.Value(s.id)
		}
		j++
	}
	agg := aggSum
	withScores := false
	var limit int64
	for j < len(c.Args) {
		left := len(c.Args) - j
		switch {
		case op != opDiff && !cardOnly && left > len(srcs) && c.IsOpt(j, "weights"):
			j++
			for i := range srcs {
				f, ok := command.ParseFloat(c.Args[j])
				if !ok {
					c.Err("ERR weight value is not a float")
					return
				}
				srcs[i].weight = f
				j++
			}
		case op != opDiff && !cardOnly && left >= 2 && c.IsOpt(j, "aggregate"):
			switch {
			case c.IsOpt(j+1, "sum"):
				agg = aggSum
			case c.IsOpt(j+1, "min"):
				agg = aggMin
			case c.IsOpt(j+1, "max"):
				agg = aggMax
			default:
				c.Err(command.ErrSyntax)
				return
			}
			j += 2
		case dst == nil && !cardOnly && c.IsOpt(j, "withscores"):
			withScores = true
			j++
		case cardOnly && left >= 2 && c.IsOpt(j, "limit"):
			const errLimit = "ERR LIMIT can't be negative"
			n, ok := c.IntMsg(j+1, errLimit)
			if !ok {
				return
			}
			if n < 0 {
				c.Err(errLimit)
				return
			}
			limit = n
			j += 2
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	ks := c.KS
	if op != opDiff {
		// Smallest first: intersections stop early, and the aggregation
		// order (hence a sum's rounding) is Redis's.
		slices.SortStableFunc(srcs, func(a, b source) int { return a.length(ks) - b.length(ks) })
	}
	res := newValue(ks, true)
	out := res.sl()
	maxLen, totLen, card := 0, 0, int64(0)
	insert := func(m []byte, score float64) {
		out.insert(m, score)
		maxLen, totLen = max(maxLen, len(m)), totLen+len(m)
	}
	first := &srcs[0]
	switch op {
	case opInter:
		first.each(ks, func(m []byte, score float64) bool {
			acc := weighted(score, first.weight)
			for i := 1; i < len(srcs); i++ {
				s := &srcs[i]
				var val float64
				if s.id == first.id {
					val = score * s.weight
				} else if f, found := s.find(ks, m); found {
					val = f * s.weight
				} else {
					return true
				}
				aggregateInto(&acc, val, agg)
			}
			if cardOnly {
				card++
				return limit == 0 || card < limit
			}
			insert(m, acc)
			return true
		})
	case opUnion:
		// The result's dict accumulates the scores; nodes come last.
		d := out.d
		for i := range srcs {
			s := &srcs[i]
			s.each(ks, func(m []byte, score float64) bool {
				w := weighted(score, s.weight)
				if eid := d.Find(m); eid != dict.None {
					acc := math.Float64frombits(d.At(eid).Val)
					aggregateInto(&acc, w, agg)
					d.At(eid).Val = math.Float64bits(acc)
				} else {
					d.At(d.Insert(m)).Val = math.Float64bits(w)
					maxLen, totLen = max(maxLen, len(m)), totLen+len(m)
				}
				return true
			})
		}
		d.ForEach(func(eid uint32) bool {
			out.insertEntry(eid, math.Float64frombits(d.At(eid).Val))
			return true
		})
	case opDiff:
		first.each(ks, func(m []byte, score float64) bool {
			for i := 1; i < len(srcs); i++ {
				s := &srcs[i]
				if s.id == first.id {
					return false // the same key: nothing is left
				}
				if _, found := s.find(ks, m); found {
					return true
				}
			}
			insert(m, score)
			return true
		})
	}
	switch {
	case dst != nil:
		res.toListpackIfSmall(c.Cfg, maxLen, totLen)
		storeResult(c, dst, res, [...]string{"zunionstore", "zinterstore", "zdiffstore"}[op])
		return
	case cardOnly:
		c.W.Int(card)
	default:
		pairs := withScores && c.W.Resp > 2
		if withScores && !pairs {
			c.W.Array(2 * out.length)
		} else {
			c.W.Array(out.length)
		}
		for n := out.first(); n != 0; n = out.fwd(n, 0) {
			if pairs {
				c.W.Array(2)
			}
			c.W.Bulk(out.member(n))
			if withScores {
				c.W.Double(out.score[n])
			}
		}
	}
	res.free()
}
