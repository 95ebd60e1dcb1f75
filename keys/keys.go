// Package keys implements the commands that work on keys whatever their
// type (Redis's db.c): DEL, EXISTS, TYPE, RENAME, SCAN and the rest.
package keys

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
)

// Register adds the generic key commands to t.
func Register(t *command.Table) {
	t.Handle("del", del)
}

func del(c *command.Ctx) {
	var n int64
	for _, k := range c.Args[1:] {
		if id := c.DB.LookupWrite(k); id != dict.None {
			c.DB.Delete(id)
			c.Changed(k, command.EvGeneric, "del")
			n++
		}
	}
	c.W.Int(n)
}
