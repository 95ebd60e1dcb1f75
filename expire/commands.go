package expire

import (
	"math"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Register adds the TTL commands to t.
func Register(t *command.Table) {
	t.Handle("expire", func(c *command.Ctx) { expire(c, false, 1000) })
	t.Handle("pexpire", func(c *command.Ctx) { expire(c, false, 1) })
	t.Handle("expireat", func(c *command.Ctx) { expire(c, true, 1000) })
	t.Handle("pexpireat", func(c *command.Ctx) { expire(c, true, 1) })
	t.Handle("ttl", func(c *command.Ctx) { ttl(c, false, false) })
	t.Handle("pttl", func(c *command.Ctx) { ttl(c, true, false) })
	t.Handle("expiretime", func(c *command.Ctx) { ttl(c, false, true) })
	t.Handle("pexpiretime", func(c *command.Ctx) { ttl(c, true, true) })
	t.Handle("persist", persist)
}

// Conditions of EXPIRE and its variants.
const (
	condNX = 1 << iota
	condXX
	condGT
	condLT
)

// parseConditions reads the NX|XX|GT|LT options that follow the time.
func parseConditions(c *command.Ctx) (int, bool) {
	flags := 0
	for i := 3; i < len(c.Args); i++ {
		switch {
		case c.IsOpt(i, "nx"):
			flags |= condNX
		case c.IsOpt(i, "xx"):
			flags |= condXX
		case c.IsOpt(i, "gt"):
			flags |= condGT
		case c.IsOpt(i, "lt"):
			flags |= condLT
		default:
			c.Err("ERR Unsupported option " + string(command.CString(c.Args[i])))
			return 0, false
		}
	}
	if flags&condNX != 0 && flags&(condXX|condGT|condLT) != 0 {
		c.Err("ERR NX and XX, GT or LT options at the same time are not compatible")
		return 0, false
	}
	if flags&condGT != 0 && flags&condLT != 0 {
		c.Err("ERR GT and LT options at the same time are not compatible")
		return 0, false
	}
	return flags, true
}

// expire is EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT: the time is relative
// to now unless abs, in units of unit milliseconds. A deadline that is not
// in the future deletes the key at once.
func expire(c *command.Ctx, abs bool, unit int64) {
	flags, ok := parseConditions(c)
	if !ok {
		return
	}
	when, ok := c.Int(2)
	if !ok {
		return
	}
	if when > math.MaxInt64/unit || when < math.MinInt64/unit {
		c.Err("ERR invalid expire time in '" + c.Cmd.FullName() + "' command")
		return
	}
	when *= unit
	if !abs {
		base := c.KS.Now()
		if when > math.MaxInt64-base {
			c.Err("ERR invalid expire time in '" + c.Cmd.FullName() + "' command")
			return
		}
		when += base
	}
	key := c.Args[1]
	id := c.DB.LookupWrite(key)
	if id == dict.None {
		c.W.Int(0)
		return
	}
	if flags != 0 {
		cur := c.DB.Expire(id) // -1: no TTL, which counts as infinite
		if (flags&condNX != 0 && cur != -1) ||
			(flags&condXX != 0 && cur == -1) ||
			(flags&condGT != 0 && (cur == -1 || when <= cur)) ||
			(flags&condLT != 0 && cur != -1 && when >= cur) {
			c.W.Int(0)
			return
		}
	}
	// A replica keeps the key, deadline in the past, until the master's
	// delete arrives.
	if c.KS.AlreadyExpired(when) {
		if c.Cfg.LazyfreeLazyExpire {
			c.DB.Unlink(id)
		} else {
			c.DB.Delete(id)
		}
		c.Changed(key, command.EvGeneric, "del")
		c.Rewrite(command.DelWord(c.Cfg.LazyfreeLazyExpire), key)
		c.W.Int(1)
		return
	}
	c.DB.SetExpire(id, when)
	c.W.Int(1)
	c.Changed(key, command.EvGeneric, "expire")
	// Propagated as PEXPIREAT with the absolute deadline, options kept,
	// so that replicas and a reloaded AOF expire the key at the same
	// moment; PEXPIREAT itself travels as it came.
	if !abs || unit != 1 {
		args := c.PropagatedArgs()
		var tmp [8][]byte
		out := append(tmp[:0], args...)
		out[0], out[2] = command.WordPExpireAt, c.FormatInt(when)
		c.Rewrite(out...)
	}
}

// ttl is TTL, PTTL, EXPIRETIME and PEXPIRETIME: -2 for a missing key, -1
// for a key without a TTL, else the time left (or the deadline, if abs),
// never negative, in milliseconds or rounded to seconds.
func ttl(c *command.Ctx, ms, abs bool) {
	id := c.DB.Lookup(c.Args[1], keyspace.NoTouch)
	if id == dict.None {
		c.W.Int(-2)
		return
	}
	when := c.DB.Expire(id)
	if when == -1 {
		c.W.Int(-1)
		return
	}
	t := when
	if !abs {
		t -= c.KS.Now()
	}
	t = max(t, 0)
	if !ms {
		// Unsigned, so that rounding a deadline near the int64 limit does
		// not wrap (Redis's compiled code gives the unsigned result).
		t = int64((uint64(t) + 500) / 1000)
	}
	c.W.Int(t)
}

func persist(c *command.Ctx) {
	key := c.Args[1]
	id := c.DB.LookupWrite(key)
	if id == dict.None || !c.DB.Persist(id) {
		c.W.Int(0)
		return
	}
	c.Changed(key, command.EvGeneric, "persist")
	c.W.Int(1)
}
