package set

import (
	"slices"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// operand is one key of SINTER, SUNION or SDIFF: its entry id (dict.None
// if missing, which counts as an empty set) and its set. The same key
// given twice has the same id.
type operand struct {
	id uint32
	v  value
}

// lookupAll looks up every key in order, as Redis does, so the first key
// of the wrong type wins. It writes WRONGTYPE and returns false if one is
// not a set.
func lookupAll(c *command.Ctx, names [][]byte) ([]operand, bool) {
	sets := make([]operand, len(names))
	for i, k := range names {
		id, ok := c.Read(k, keyspace.KindSet)
		if !ok {
			return nil, false
		}
		sets[i].id = id
		if id != dict.None {
			sets[i].v = load(c, id)
		}
	}
	return sets, true
}

// sinter is SINTER, SMEMBERS and SINTERSTORE (dst set), and SINTERCARD
// (cardOnly, stopping at limit unless it is 0). Members of the smallest
// set are tested against the others, and come in its order.
func sinter(c *command.Ctx, names [][]byte, dst []byte, cardOnly bool, limit int64) {
	sets, ok := lookupAll(c, names)
	if !ok {
		return
	}
	for _, s := range sets {
		if s.id != dict.None {
			continue
		}
		switch {
		case dst != nil:
			deleteDst(c, dst)
			c.W.Int(0)
		case cardOnly:
			c.W.Int(0)
		default:
			c.W.Set(0)
		}
		return
	}
	ks := c.KS
	// Stable, as the C library's qsort is for so few elements: ties keep
	// the order of the keys.
	slices.SortStableFunc(sets, func(a, b operand) int { return a.v.length(ks) - b.v.length(ks) })
	var result value
	var hdr protocol.Deferred
	if dst != nil {
		result = newIntset(ks)
	} else if !cardOnly {
		hdr = c.W.Defer()
	}
	var card int64
	first := sets[0]
	first.v.each(ks, func(s []byte, n int64, isInt bool) bool {
		for _, o := range sets[1:] {
			if o.id != first.id && !o.v.hasElem(ks, s, n, isInt) {
				return true
			}
		}
		card++
		switch {
		case cardOnly:
			return limit == 0 || card < limit
		case dst == nil:
			writeElem(c, s, n, isInt)
		default:
			result.addElem(ks, s, n, isInt, intsetLimit(c))
		}
		return true
	})
	switch {
	case cardOnly:
		c.W.Int(card)
	case dst != nil:
		storeResult(c, dst, result, "sinterstore")
	default:
		c.W.FillSet(hdr, int(card))
	}
}

// sintercard is SINTERCARD numkeys key [key ...] [LIMIT limit]; the
// arguments are checked before any key is looked up.
func sintercard(c *command.Ctx) {
	numkeys, ok := protocol.ParseInt(c.Args[1])
	if !ok || numkeys < 1 {
		c.Err("ERR numkeys should be greater than 0")
		return
	}
	if numkeys > int64(len(c.Args)-2) {
		c.Err("ERR Number of keys can't be greater than number of args")
		return
	}
	var limit int64
	for i := 2 + int(numkeys); i < len(c.Args); i++ {
		if !c.IsOpt(i, "limit") || i+1 == len(c.Args) {
			c.Err(command.ErrSyntax)
			return
		}
		i++
		if limit, ok = protocol.ParseInt(c.Args[i]); !ok || limit < 0 {
			c.Err("ERR LIMIT can't be negative")
			return
		}
	}
	sinter(c, c.Args[2:2+numkeys], nil, true, limit)
}

// unionDiff is SUNION and SDIFF (diff), and their *STORE forms (dst
// set). The result is built as a new set, starting as an intset, by the
// same sequence of adds and removes as Redis's, so that a stored result
// gets Redis's encoding and a replied one its order.
func unionDiff(c *command.Ctx, names [][]byte, dst []byte, diff bool) {
	sets, ok := lookupAll(c, names)
	if !ok {
		return
	}
	ks, lim := c.KS, intsetLimit(c)
	result := newIntset(ks)
	card := 0
	switch {
	case !diff:
		for _, o := range sets {
			if o.id == dict.None {
				continue
			}
			o.v.each(ks, func(s []byte, n int64, isInt bool) bool {
				if result.addElem(ks, s, n, isInt, lim) {
					card++
				}
				return true
			})
		}
	case sets[0].id == dict.None || repeatsFirst(sets):
		// Nothing from nothing, or a set minus itself.
	case diffBySubtracting(ks, sets):
		// Cheaper to copy the first set and remove the others' members.
		for j, o := range sets {
			if o.id == dict.None {
				continue
			}
			o.v.each(ks, func(s []byte, n int64, isInt bool) bool {
				if j == 0 {
					if result.addElem(ks, s, n, isInt, lim) {
						card++
					}
				} else if result.removeElem(ks, s, n, isInt) {
					card--
				}
				return true
			})
			if card == 0 {
				break
			}
		}
	default:
		// Test each member of the first set against the others.
		sets[0].v.each(ks, func(s []byte, n int64, isInt bool) bool {
			for _, o := range sets[1:] {
				if o.id != dict.None && o.v.hasElem(ks, s, n, isInt) {
					return true
				}
			}
			result.addElem(ks, s, n, isInt, lim)
			card++
			return true
		})
	}
	if dst != nil {
		event := "sunionstore"
		if diff {
			event = "sdiffstore"
		}
		storeResult(c, dst, result, event)
		return
	}
	c.W.Set(card)
	writeAll(c, result)
	result.free(ks)
}

// repeatsFirst reports whether the first key of SDIFF appears again, which
// makes the difference empty.
func repeatsFirst(sets []operand) bool {
	for _, o := range sets[1:] {
		if o.id == sets[0].id {
			return true
		}
	}
	return false
}

// diffBySubtracting chooses Redis's SDIFF algorithm: testing each member
// of the first set against every other set costs about half of
// len(first) per set; copying the first set and removing the others'
// members costs their total size.
func diffBySubtracting(ks *keyspace.Keyspace, sets []operand) bool {
	first := int64(sets[0].v.length(ks))
	var test, subtract int64
	for _, o := range sets {
		if o.id != dict.None {
			test += first
			subtract += int64(o.v.length(ks))
		}
	}
	return test/2 > subtract
}

// storeResult stores a non-empty result at dst as Redis's setKey does
// (overwriting any value and its TTL, firing "new" for a new key) and
// replies with its size; an empty result deletes dst instead.
func storeResult(c *command.Ctx, dst []byte, result value, event string) {
	n := result.length(c.KS)
	if n == 0 {
		result.free(c.KS)
		c.W.Int(0)
		deleteDst(c, dst)
		return
	}
	word := result.word(c.KS)
	if id := c.DB.LookupWrite(dst); id == dict.None {
		c.DB.Add(dst, keyspace.KindSet, result.enc, word)
		c.Notify(command.EvNew, "new", dst)
	} else {
		c.DB.Overwrite(id, keyspace.KindSet, result.enc, word)
		c.DB.Persist(id)
	}
	c.W.Int(int64(n))
	c.Changed(dst, command.EvSet, event)
}

// deleteDst deletes the destination of a *STORE whose result is empty.
// Like Redis's dbDelete it does not look at the key's TTL.
func deleteDst(c *command.Ctx, dst []byte) {
	if id := c.DB.Find(dst); id != dict.None {
		c.DB.Delete(id)
		c.Changed(dst, command.EvGeneric, "del")
	}
}
