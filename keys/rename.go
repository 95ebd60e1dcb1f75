package keys

import (
	"bytes"
	"math"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

const errSameObject = "ERR source and destination objects are the same"

// rename is RENAME and RENAMENX. The value keeps its TTL and access data.
func rename(c *command.Ctx, nx bool) {
	src, dst := c.Args[1], c.Args[2]
	id := c.DB.LookupWrite(src)
	if id == dict.None {
		c.Err(command.ErrNoSuchKey)
		return
	}
	if bytes.Equal(src, dst) {
		if nx {
			c.W.Int(0)
		} else {
			c.W.OK()
		}
		return
	}
	if old := c.DB.LookupWrite(dst); old != dict.None {
		if nx {
			c.W.Int(0)
			return
		}
		deleteOverwritten(c, c.DB, old)
	}
	c.DB.Rename(id, dst)
	c.Notify(command.EvNew, "new", dst)
	c.SignalModified(c.DB, src)
	c.SignalModified(c.DB, dst)
	c.Notify(command.EvGeneric, "rename_from", src)
	c.Notify(command.EvGeneric, "rename_to", dst)
	c.Dirty++
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}

// dbArg parses a database index argument as Redis's getIntFromObject
// does (a C int), then checks it names a database.
func dbArg(c *command.Ctx, i int) (*keyspace.DB, bool) {
	n, ok := c.Int(i)
	if !ok {
		return nil, false
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		c.Err("ERR value is out of range, value must between -2147483648 and 2147483647")
		return nil, false
	}
	if n < 0 || n >= int64(len(c.KS.DBs)) {
		c.Err("ERR DB index is out of range")
		return nil, false
	}
	return c.KS.DBs[n], true
}

// move moves a key, with its TTL and access data, to another database
// where it does not exist yet.
func move(c *command.Ctx) {
	key := c.Args[1]
	dst, ok := dbArg(c, 2)
	if !ok {
		return
	}
	src := c.DB
	if dst == src {
		c.Err(errSameObject)
		return
	}
	id := src.LookupWrite(key)
	if id == dict.None || dst.LookupWrite(key) != dict.None {
		c.W.Int(0)
		return
	}
	src.MoveTo(id, dst, key)
	c.NotifyIn(dst, command.EvNew, "new", key)
	c.SignalModified(src, key)
	c.SignalModified(dst, key)
	c.Notify(command.EvGeneric, "move_from", key)
	c.NotifyIn(dst, command.EvGeneric, "move_to", key)
	c.Dirty++
	c.W.Int(1)
}

// copyCmd is COPY source destination [DB db] [REPLACE]: the destination
// gets its own copy of the value and the source's TTL.
func copyCmd(c *command.Ctx) {
	dst := c.DB
	replace := false
	for j := 3; j < len(c.Args); j++ {
		switch {
		case c.IsOpt(j, "replace"):
			replace = true
		case c.IsOpt(j, "db") && j+1 < len(c.Args):
			db, ok := dbArg(c, j+1)
			if !ok {
				return
			}
			dst = db
			j++
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	key, newkey := c.Args[1], c.Args[2]
	if dst == c.DB && bytes.Equal(key, newkey) {
		c.Err(errSameObject)
		return
	}
	id := c.DB.LookupRead(key)
	if id == dict.None {
		c.W.Int(0)
		return
	}
	if old := dst.LookupWrite(newkey); old != dict.None {
		if !replace {
			c.W.Int(0)
			return
		}
		deleteOverwritten(c, dst, old)
	}
	c.DB.CopyTo(id, dst, newkey)
	c.NotifyIn(dst, command.EvNew, "new", newkey)
	c.SignalModified(dst, newkey)
	c.NotifyIn(dst, command.EvGeneric, "copy_to", newkey)
	c.Dirty++
	c.W.Int(1)
}
