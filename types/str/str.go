// Package str implements the string commands (Redis's t_string.c).
package str

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Register adds the string commands to t.
func Register(t *command.Table) {
	t.Handle("get", get)
	t.Handle("set", set)
}

func get(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	c.W.Bulk(c.DB.String(id, c.Buf[:]))
}

func set(c *command.Ctx) {
	c.DB.SetString(c.Args[1], c.Args[2], false)
	c.Changed(c.Args[1], command.EvString, "set")
	c.W.OK()
}
