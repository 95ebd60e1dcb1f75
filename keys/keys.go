// Package keys implements the commands that work on keys whatever their
// type (Redis's db.c): DEL, UNLINK, EXISTS, TYPE, TOUCH, RENAME, MOVE,
// COPY, KEYS, SCAN, RANDOMKEY, DBSIZE and OBJECT.
//
// The handlers follow Redis's lookups exactly, because the lookup flavour
// is observable: read lookups count keyspace hits and misses, most of them
// refresh the key's LRU/LFU data, and every lookup deletes a key whose TTL
// has passed (firing "expired") before the command sees the keyspace.
// Keys created by RENAME, MOVE and COPY fire "new" as Redis's dbAdd does.
//
// SCAN walks the dict with its reverse-binary cursor and gathers entry ids
// first, then filters them (pattern, type, expiry) and writes the reply:
// ids, unlike key bytes, stay valid when filtering deletes an expired key.
package keys

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Register adds the generic key commands to t.
func Register(t *command.Table) {
	t.Handle("del", func(c *command.Ctx) { del(c, c.Cfg.LazyfreeLazyUserDel) })
	t.Handle("unlink", func(c *command.Ctx) { del(c, true) })
	t.Handle("exists", exists)
	t.Handle("type", typeCmd)
	t.Handle("touch", touch)
	t.Handle("dbsize", func(c *command.Ctx) { c.W.Int(int64(c.DB.Len())) })
	t.Handle("randomkey", randomkey)
	t.Handle("rename", func(c *command.Ctx) { rename(c, false) })
	t.Handle("renamenx", func(c *command.Ctx) { rename(c, true) })
	t.Handle("move", move)
	t.Handle("copy", copyCmd)
	t.Handle("keys", KeysCmd)
	t.Handle("scan", scan)
	t.Handle("object|encoding", objectEncoding)
	t.Handle("object|refcount", objectRefcount)
	t.Handle("object|idletime", objectIdletime)
	t.Handle("object|freq", objectFreq)
	t.Handle("object|help", objectHelp)
	t.Handle("object|hotkeys", objectHotkeys)
	t.Handle("dump", dump)
	t.Handle("restore", restore)
}

// del is DEL and UNLINK: an expired key is collected first (and does not
// count), then each live key is deleted, its value freed now or by the
// background step.
func del(c *command.Ctx, lazy bool) {
	var n int64
	for _, k := range c.Args[1:] {
		id := c.DB.Lookup(k, keyspace.Write|keyspace.NoTouch)
		if id == dict.None {
			continue
		}
		if lazy {
			c.DB.Unlink(id)
		} else {
			c.DB.Delete(id)
		}
		c.Changed(k, command.EvGeneric, "del")
		n++
	}
	c.W.Int(n)
}

func exists(c *command.Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		if c.DB.Lookup(k, keyspace.NoTouch) != dict.None {
			n++
		}
	}
	c.W.Int(n)
}

func typeCmd(c *command.Ctx) {
	id := c.DB.Lookup(c.Args[1], keyspace.NoTouch)
	if id == dict.None {
		c.W.Simple("none")
		return
	}
	c.W.Simple(c.DB.Kind(id).String())
}

// touch is a plain read lookup of each key: that is what refreshes the
// access data.
func touch(c *command.Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		if c.DB.LookupRead(k) != dict.None {
			n++
		}
	}
	c.W.Int(n)
}

func randomkey(c *command.Ctx) {
	id := c.DB.Random()
	if id == dict.None {
		c.W.Null()
		return
	}
	c.W.Bulk(c.DB.Key(id))
}

// deleteOverwritten removes a key that a RENAME or COPY replaces, freeing
// its value as lazyfree-lazy-server-del says.
func deleteOverwritten(c *command.Ctx, db *keyspace.DB, id uint32) {
	if c.Cfg.LazyfreeLazyServerDel {
		db.Unlink(id)
	} else {
		db.Delete(id)
	}
}
