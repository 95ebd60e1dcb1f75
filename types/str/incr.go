package str

import (
	"github.com/redoubt-db/redoubt/longdouble"
	"math"
	"math/big"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

func incrby(c *command.Ctx) {
	n, ok := c.Int(2)
	if !ok {
		return
	}
	incrDecr(c, n)
}

func decrby(c *command.Ctx) {
	n, ok := c.Int(2)
	if !ok {
		return
	}
	if n == math.MinInt64 {
		c.Err("ERR decrement would overflow")
		return
	}
	incrDecr(c, -n)
}

// incrDecr adds incr to the integer at key (0 if missing). The result is
// stored int-encoded, keeping the key's TTL.
func incrDecr(c *command.Ctx, incr int64) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindString)
	if !ok {
		return
	}
	var v int64
	if id != dict.None {
		if v, ok = parseInt(c, id); !ok {
			c.Err(command.ErrNotInt)
			return
		}
	}
	if incr < 0 && v < 0 && incr < math.MinInt64-v || incr > 0 && v > 0 && incr > math.MaxInt64-v {
		c.Err(command.ErrOverflow)
		return
	}
	v += incr
	if id == dict.None {
		c.DB.Add(key, keyspace.KindString, keyspace.EncInt, uint64(v))
		c.Notify(command.EvNew, "new", key)
	} else {
		c.DB.Overwrite(id, keyspace.KindString, keyspace.EncInt, uint64(v))
	}
	c.Changed(key, command.EvString, "incrby")
	c.W.Int(v)
}

// incrbyfloat adds in long double arithmetic and stores the result as its
// human-friendly decimal string.
func incrbyfloat(c *command.Ctx) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindString)
	if !ok {
		return
	}
	var v, incr big.Float
	v.SetPrec(longdouble.Prec)
	if id != dict.None {
		if n, isInt := c.DB.Int(id); isInt {
			v.SetInt64(n)
		} else if !longdouble.Parse(&v, c.DB.String(id, c.Buf[:])) {
			c.Err(command.ErrNotFloat)
			return
		}
	}
	if !longdouble.Parse(&incr, c.Args[2]) {
		c.Err(command.ErrNotFloat)
		return
	}
	if !longdouble.Add(&v, &v, &incr) {
		c.Err("ERR increment would produce NaN or Infinity")
		return
	}
	out := longdouble.Append(c.Buf[:0], &v)
	e, val := stringObject(c.KS, out)
	if id == dict.None {
		c.DB.Add(key, keyspace.KindString, e, val)
		c.Notify(command.EvNew, "new", key)
	} else {
		c.DB.Overwrite(id, keyspace.KindString, e, val)
	}
	c.Changed(key, command.EvString, "incrbyfloat")
	c.W.Bulk(out)
	// The result travels, not the increment, so that replicas and a
	// reloaded AOF cannot round differently.
	c.Rewrite(command.WordSet, key, out, command.WordKeepTTL)
}

// parseInt is Redis's getLongLongFromObject on a string key: the integer
// of an int-encoded value, or the strict parse of the string.
func parseInt(c *command.Ctx, id uint32) (int64, bool) {
	if n, ok := c.DB.Int(id); ok {
		return n, true
	}
	return protocol.ParseInt(c.DB.String(id, c.Buf[:]))
}
