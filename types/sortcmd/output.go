package sortcmd

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/types/list"
)

// reply writes the elements, or for each one its GET values (null when
// missing).
func reply(c *command.Ctx, r *request, out []item) {
	if len(r.gets) == 0 {
		c.W.Array(len(out))
		for _, it := range out {
			c.W.Bulk(it.elem)
		}
		return
	}
	c.W.Array(len(out) * len(r.gets))
	var l lookuper
	for _, it := range out {
		for _, g := range r.gets {
			if v, found := l.lookup(c, g, it.elem); found {
				c.W.Bulk(v)
			} else {
				c.W.Null()
			}
		}
	}
}

// store saves what reply would write as a list at the STORE key (missing
// GET values as empty strings) and replies with its length. An empty
// result deletes the key instead.
func store(c *command.Ctx, r *request, out []item) {
	var elems [][]byte
	var l lookuper
	for _, it := range out {
		if len(r.gets) == 0 {
			elems = append(elems, it.elem)
		}
		for _, g := range r.gets {
			v, _ := l.lookup(c, g, it.elem)
			elems = append(elems, append([]byte{}, v...))
		}
	}
	n := int64(len(elems))
	switch {
	case n > 0:
		list.Store(c, r.store, elems)
		c.Changed(r.store, command.EvList, "sortstore")
		c.Dirty += n - 1 // Redis counts every element
	default:
		// As Redis's dbDelete, this ignores the key's TTL.
		if id := c.DB.Find(r.store); id != dict.None {
			c.DB.Delete(id)
			c.Changed(r.store, command.EvGeneric, "del")
		}
	}
	c.W.Int(n)
}
