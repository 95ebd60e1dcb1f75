package zset

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// ZPOPMIN, ZPOPMAX, ZMPOP and their blocking forms (Redis's
// genericZpopCommand and friends). The reply shapes differ by command and
// protocol; popShape names them.

type popShape int

const (
	// flat: member, score, ... (ZPOPMIN/ZPOPMAX in RESP2, or without a
	// count in RESP3).
	popFlat popShape = iota
	// nested: [member, score] ... (ZPOPMIN/ZPOPMAX with a count, RESP3).
	popNested
	// keyFlat: key, member, score (BZPOPMIN/BZPOPMAX).
	popKeyFlat
	// keyNested: [key, [[member, score] ...]] (ZMPOP/BZMPOP).
	popKeyNested
)

func registerPops(t *command.Table) {
	t.Handle("zpopmin", func(c *command.Ctx) { zpop(c, false) })
	t.Handle("zpopmax", func(c *command.Ctx) { zpop(c, true) })
	t.Handle("bzpopmin", func(c *command.Ctx) { bzpop(c, false) })
	t.Handle("bzpopmax", func(c *command.Ctx) { bzpop(c, true) })
	t.Handle("zmpop", func(c *command.Ctx) { zmpop(c, 1, false) })
	t.Handle("bzmpop", func(c *command.Ctx) { zmpop(c, 2, true) })
}

// zpop is ZPOPMIN/ZPOPMAX key [count].
func zpop(c *command.Ctx, max bool) {
	if len(c.Args) > 3 {
		c.Err(command.ErrSyntax)
		return
	}
	count := int64(-1) // a single pop, as opposed to a count of 1
	if len(c.Args) == 3 {
		n, ok := c.IntMsg(2, "ERR value is out of range, must be positive")
		if !ok {
			return
		}
		if n < 0 {
			c.Err("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	shape := popFlat
	if c.W.Resp > 2 && count != -1 {
		shape = popNested
	}
	key := c.Args[1]
	id, ok := c.ReadWrite(key, keyspace.KindZSet)
	switch {
	case !ok:
	case id == dict.None || count == 0:
		c.W.Array(0)
	default:
		pop(c, key, id, max, count, shape)
	}
}

// pop pops up to count members (count -1 meaning one) from the sorted
// set at key, replying in the given shape, and deletes the key once
// empty.
func pop(c *command.Ctx, key []byte, id uint32, max bool, count int64, shape popShape) {
	if count == -1 {
		count = 1
	}
	v := load(c, id)
	n := int(min(count, int64(v.length())))
	w := c.W
	switch shape {
	case popFlat:
		w.Array(2 * n)
	case popNested:
		w.Array(n)
	case popKeyFlat:
		w.Array(2*n + 1)
		w.Bulk(key)
	case popKeyNested:
		w.Array(2)
		w.Bulk(key)
		w.Array(n)
	}
	for i := 0; i < n; i++ {
		cur := v.atRank(0, max)
		if shape == popNested || shape == popKeyNested {
			w.Array(2)
		}
		cur.writeMember(w)
		w.Double(cur.score())
		v.popAt(&cur)
	}
	v.save(c, id)
	event := "zpopmin"
	word := wordZPopMin
	if max {
		event, word = "zpopmax", wordZPopMax
	}
	c.Removed(key, id, command.EvZSet, event, int64(n), v.length() == 0)
	// BZPOPMIN, ZMPOP and BZMPOP travel as the ZPOPMIN (ZPOPMAX) of what
	// they took: replayed, a blocking pop could block.
	switch shape {
	case popKeyFlat:
		c.Rewrite(word, key)
	case popKeyNested:
		c.Rewrite(word, key, c.FormatInt(int64(n)))
	}
}

var (
	wordZPopMin = []byte("ZPOPMIN")
	wordZPopMax = []byte("ZPOPMAX")
)

// popAt deletes the member a cursor from atRank points at.
func (v *value) popAt(cur *cursor) {
	if v.isListpack() {
		v.lpDelete(cur.off, 1)
		return
	}
	s := cur.sl
	s.remove(s.elem[cur.node])
}

// bzpop is BZPOPMIN/BZPOPMAX key [key ...] timeout.
func bzpop(c *command.Ctx, max bool) {
	last := len(c.Args) - 1
	deadline, ok := c.Timeout(last)
	if !ok {
		return
	}
	blockingPop(c, c.Args[1:last], deadline, max, -1, popKeyFlat)
}

// blockingPop pops from the first non-empty key of keys (when woken, from
// the key that woke it), or blocks the client on them; where blocking is
// not allowed it replies as a timeout.
func blockingPop(c *command.Ctx, ks [][]byte, deadline int64, max bool, count int64, shape popShape) {
	for _, key := range ks {
		if !c.ServesFrom(key) {
			continue
		}
		id := c.DB.LookupWrite(key)
		if id == dict.None {
			continue
		}
		if c.DB.Kind(id) != keyspace.KindZSet {
			// A key signalled ready that is no longer a sorted set does
			// not serve the client, which stays blocked, as in Redis.
			if c.Retry {
				continue
			}
			c.Err(command.ErrWrongType)
			return
		}
		pop(c, key, id, max, count, shape)
		return
	}
	if !c.Block(ks, deadline) {
		c.W.NullArray()
	}
}

// zmpop is ZMPOP numkeys key [key ...] MIN|MAX [COUNT count] and BZMPOP
// timeout numkeys ...: numkeys is argument numIdx.
func zmpop(c *command.Ctx, numIdx int, blocking bool) {
	const errNumKeys = "ERR numkeys should be greater than 0"
	numKeys, ok := c.IntMsg(numIdx, errNumKeys)
	if !ok {
		return
	}
	if numKeys < 1 {
		c.Err(errNumKeys)
		return
	}
	if numKeys >= int64(len(c.Args)-numIdx-1) {
		c.Err(command.ErrSyntax)
		return
	}
	whereIdx := numIdx + int(numKeys) + 1
	var max bool
	switch {
	case c.IsOpt(whereIdx, "min"):
	case c.IsOpt(whereIdx, "max"):
		max = true
	default:
		c.Err(command.ErrSyntax)
		return
	}
	count := int64(-1)
	for j := whereIdx + 1; j < len(c.Args); j++ {
		if count != -1 || !c.IsOpt(j, "count") || j == len(c.Args)-1 {
			c.Err(command.ErrSyntax)
			return
		}
		j++
		const errCount = "ERR count should be greater than 0"
		n, ok := c.IntMsg(j, errCount)
		if !ok {
			return
		}
		if n < 1 {
			c.Err(errCount)
			return
		}
		count = n
	}
	if count == -1 {
		count = 1
	}
	ks := c.Args[numIdx+1 : whereIdx]
	if blocking {
		deadline, ok := c.Timeout(1)
		if !ok {
			return
		}
		blockingPop(c, ks, deadline, max, count, popKeyNested)
		return
	}
	for _, key := range ks {
		id, ok := c.ReadWrite(key, keyspace.KindZSet)
		if !ok {
			return
		}
		if id != dict.None {
			pop(c, key, id, max, count, popKeyNested)
			return
		}
	}
	c.W.NullArray()
}
