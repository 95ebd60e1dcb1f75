package bitops

import (
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

const (
	opAnd = iota
	opOr
	opXor
	opNot
)

// bitop is BITOP op dest src...: missing sources are empty strings, the
// shorter ones zero-padded. An empty result deletes the destination.
func bitop(c *command.Ctx) {
	var op int
	switch {
	case c.Is(1, "and"):
		op = opAnd
	case c.Is(1, "or"):
		op = opOr
	case c.Is(1, "xor"):
		op = opXor
	case c.Is(1, "not"):
		op = opNot
	default:
		c.Err(command.ErrSyntax)
		return
	}
	if op == opNot && len(c.Args) != 4 {
		c.Err("ERR BITOP NOT must be called with a single source key.")
		return
	}
	target, keys := c.Args[2], c.Args[3:]
	srcs := make([][]byte, len(keys))
	var ints []byte // formatted int-encoded sources
	maxlen := 0
	for j, k := range keys {
		id := c.DB.LookupRead(k)
		if id == dict.None {
			continue
		}
		if c.DB.Kind(id) != keyspace.KindString {
			c.Err(command.ErrWrongType)
			return
		}
		if n, isInt := c.DB.Int(id); isInt {
			start := len(ints)
			ints = strconv.AppendInt(ints, n, 10)
			srcs[j] = ints[start:]
		} else {
			// Arena memory: it stays put while the result is allocated.
			srcs[j] = c.DB.String(id, nil)
		}
		maxlen = max(maxlen, len(srcs[j]))
	}

	if maxlen == 0 {
		// Redis deletes without an expiry check: a logically expired
		// destination is deleted (and reported) too.
		if id := c.DB.Find(target); id != dict.None {
			if c.Cfg.LazyfreeLazyServerDel {
				c.DB.Unlink(id)
			} else {
				c.DB.Delete(id)
			}
			c.Changed(target, command.EvGeneric, "del")
		}
		c.W.Int(0)
		return
	}

	ref, res := c.KS.Arena.Alloc(maxlen)
	clear(res[copy(res, srcs[0]):])
	switch op {
	case opNot:
		for i := range res {
			res[i] = ^res[i]
		}
	case opAnd:
		for _, s := range srcs[1:] {
			for i, x := range s {
				res[i] &= x
			}
			clear(res[len(s):])
		}
	case opOr:
		for _, s := range srcs[1:] {
			for i, x := range s {
				res[i] |= x
			}
		}
	case opXor:
		for _, s := range srcs[1:] {
			for i, x := range s {
				res[i] ^= x
			}
		}
	}
	isNew := c.DB.LookupWrite(target) == dict.None
	c.DB.Set(target, keyspace.KindString, keyspace.EncRaw, uint64(ref), false)
	if isNew {
		c.Notify(command.EvNew, "new", target)
	}
	c.Changed(target, command.EvString, "set")
	c.W.Int(int64(maxlen))
}
