package list

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Blocking commands serve from the first of their keys holding a list.
// When none does they block; the server runs them again once a list is
// created at one of their keys, and they serve from that key or block
// again. Inside MULTI or a script they reply as if timed out.

// lookupBlocking finds key for a blocking command. A key of another kind
// is an error on the first run; on a retry it is passed over, as Redis
// serves a blocked client only from lists.
func lookupBlocking(c *command.Ctx, key []byte) (id uint32, ok bool) {
	id = c.DB.LookupWrite(key)
	if id == dict.None || c.DB.Kind(id) == keyspace.KindList {
		return id, true
	}
	if c.Retry {
		return dict.None, true
	}
	c.Err(command.ErrWrongType)
	return id, false
}

// blockingPop is BLPOP and BRPOP (count -1: the reply is [key, element])
// and BLMPOP (the reply is [key, [elements]]).
func blockingPop(c *command.Ctx, keys [][]byte, head bool, timeoutIdx int, count int64) {
	deadline, ok := c.Timeout(timeoutIdx)
	if !ok {
		return
	}
	for _, key := range keys {
		if !c.ServesFrom(key) {
			continue
		}
		id, ok := lookupBlocking(c, key)
		switch {
		case !ok:
			return
		case id == dict.None:
			continue
		case count != -1:
			popWithKey(c, key, id, head, count)
			return
		}
		q := open(c, id)
		p := q.end(head)
		c.W.Array(2)
		c.W.Bulk(key)
		writeElem(c, &q, p)
		q.del(p, true)
		removed(c, key, id, &q, head, 1)
		// Replayed, BLPOP could block: the pop travels.
		c.Rewrite(popWord(head), key)
		return
	}
	if !c.Block(keys, deadline) {
		c.W.NullArray()
	}
}

func blmove(c *command.Ctx) {
	from, to, ok := sides(c, 3)
	if ok {
		blockingMove(c, from, to, 5)
	}
}

// blockingMove is BLMOVE and BRPOPLPUSH: it blocks on the source only,
// whatever the destination holds.
func blockingMove(c *command.Ctx, from, to bool, timeoutIdx int) {
	deadline, ok := c.Timeout(timeoutIdx)
	if !ok {
		return
	}
	sid, ok := lookupBlocking(c, c.Args[1])
	switch {
	case !ok:
	case sid != dict.None:
		if !moveFrom(c, sid, from, to) {
			return
		}
		// Replayed, BLMOVE could block: the move travels. Served at
		// once it keeps the caller's words; served after blocking it
		// is spelled as Redis's blocked-client code spells it.
		switch {
		case timeoutIdx == 3:
			c.Rewrite(wordRPopLPush, c.Args[1], c.Args[2])
		case c.Retry:
			c.Rewrite(wordLMove, c.Args[1], c.Args[2], sideWord(from), sideWord(to))
		default:
			c.Rewrite(wordLMove, c.Args[1], c.Args[2], c.Args[3], c.Args[4])
		}
	case !c.Block(c.Args[1:2], deadline):
		c.W.Null()
	}
}

var (
	wordLPop      = []byte("LPOP")
	wordRPop      = []byte("RPOP")
	wordLMove     = []byte("LMOVE")
	wordRPopLPush = []byte("RPOPLPUSH")
	wordLeft      = []byte("left")
	wordRight     = []byte("right")
)

func popWord(head bool) []byte {
	if head {
		return wordLPop
	}
	return wordRPop
}

func sideWord(head bool) []byte {
	if head {
		return wordLeft
	}
	return wordRight
}
