package str

import (
	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// appendCmd creates a missing key from the argument (encoded as SET would)
// and otherwise grows the value in place, which makes it "raw".
func appendCmd(c *command.Ctx) {
	key, arg := c.Args[1], c.Args[2]
	id, ok := c.ReadWrite(key, keyspace.KindString)
	if !ok {
		return
	}
	var total int
	if id == dict.None {
		e, v := c.KS.StringValue(arg)
		c.DB.Add(key, keyspace.KindString, e, v)
		c.Notify(command.EvNew, "new", key)
		total = len(arg)
	} else {
		old := c.DB.StringLen(id)
		if tooBig(c, int64(old), int64(len(arg))) {
			return
		}
		b := c.DB.MutableString(id, old+len(arg))
		copy(b[old:], arg)
		total = len(b)
	}
	c.Changed(key, command.EvString, "append")
	c.W.Int(int64(total))
}

func strlen(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(c.DB.StringLen(id)))
}

// getrange is GETRANGE and SUBSTR: inclusive indexes, negative ones
// counting from the end, clamped to the string.
func getrange(c *command.Ctx) {
	start, ok := c.Int(2)
	if !ok {
		return
	}
	end, ok := c.Int(3)
	if !ok {
		return
	}
	id, ok := c.Read(c.Args[1], keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Bulk(nil)
		return
	}
	s := c.DB.String(id, c.Buf[:])
	n := int64(len(s))
	if start < 0 && end < 0 && start > end {
		c.W.Bulk(nil)
		return
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	start, end = max(start, 0), max(end, 0)
	if end >= n {
		end = n - 1
	}
	if start > end || n == 0 {
		c.W.Bulk(nil)
		return
	}
	c.W.Bulk(s[start : end+1])
}

// setrange writes the argument at an offset, zero-padding the value. An
// empty argument changes nothing (and creates no key).
func setrange(c *command.Ctx) {
	key, arg := c.Args[1], c.Args[3]
	offset, ok := c.Int(2)
	if !ok {
		return
	}
	if offset < 0 {
		c.Err("ERR offset is out of range")
		return
	}
	id, ok := c.ReadWrite(key, keyspace.KindString)
	if !ok {
		return
	}
	var b []byte
	if id == dict.None {
		if len(arg) == 0 {
			c.W.Int(0)
			return
		}
		if tooBig(c, offset, int64(len(arg))) {
			return
		}
		var ref arena.Ref
		ref, b = c.KS.Arena.Alloc(int(offset) + len(arg))
		clear(b[:offset])
		c.DB.Add(key, keyspace.KindString, keyspace.EncRaw, uint64(ref))
		c.Notify(command.EvNew, "new", key)
	} else {
		old := c.DB.StringLen(id)
		if len(arg) == 0 {
			c.W.Int(int64(old))
			return
		}
		if tooBig(c, offset, int64(len(arg))) {
			return
		}
		b = c.DB.MutableString(id, max(old, int(offset)+len(arg)))
	}
	copy(b[offset:], arg)
	c.Changed(key, command.EvString, "setrange")
	c.W.Int(int64(len(b)))
}
