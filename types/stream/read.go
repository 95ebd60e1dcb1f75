package stream

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// blockedCount is how many entries a blocked XREAD without COUNT gets
// when woken, as Redis's XREAD_BLOCKED_DEFAULT_COUNT.
const blockedCount = 1000

// readArgs are the parsed options of XREAD and XREADGROUP.
type readArgs struct {
	block      bool
	deadline   int64
	count      int64
	streamsArg int
	nstreams   int
	groupName  []byte
	consumer   []byte
	noack      bool
}

func parseReadArgs(c *command.Ctx, xreadgroup bool, r *readArgs) bool {
	for i := 1; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch {
		case c.Is(i, "block") && more > 0:
			if c.InScript {
				// A script cannot block; Redis says so rather than
				// answering as if the timeout had passed.
				c.Err("ERR " + string(c.Args[0]) + " command is not allowed with BLOCK option from scripts")
				return false
			}
			i++
			d, ok := c.TimeoutMillis(i)
			if !ok {
				return false
			}
			r.block, r.deadline = true, d
		case c.Is(i, "count") && more > 0:
			i++
			n, ok := c.Int(i)
			if !ok {
				return false
			}
			r.count = max(n, 0)
		case c.Is(i, "streams") && more > 0:
			r.streamsArg = i + 1
			n := len(c.Args) - r.streamsArg
			if n%2 != 0 {
				c.Err("ERR Unbalanced XREAD list of streams: for each stream key an ID or '$' must be specified.")
				return false
			}
			r.nstreams = n / 2
			i = len(c.Args)
		case c.Is(i, "group") && more >= 2:
			if !xreadgroup {
				c.Err("ERR The GROUP option is only supported by XREADGROUP. You called XREAD instead.")
				return false
			}
			r.groupName, r.consumer = c.Args[i+1], c.Args[i+2]
			i += 2
		case c.Is(i, "noack"):
			if !xreadgroup {
				c.Err("ERR The NOACK option is only supported by XREADGROUP. You called XREAD instead.")
				return false
			}
			r.noack = true
		default:
			c.Err(command.ErrSyntax)
			return false
		}
	}
	if r.streamsArg == 0 {
		c.Err(command.ErrSyntax)
		return false
	}
	if xreadgroup && r.groupName == nil {
		c.Err("ERR Missing GROUP option for XREADGROUP")
		return false
	}
	return true
}

// xread is XREAD and XREADGROUP. A blocked call runs again when one of
// its keys is signalled (c.Retry): it then serves that stream alone if it
// has entries past the ID it waits for, as Redis 7.0 does, and blocks
// again otherwise.
func xread(c *command.Ctx, xreadgroup bool) {
	// XREADGROUP propagates what it delivers, not itself (propagate.go).
	c.PreventPropagation()
	var r readArgs
	if !parseReadArgs(c, xreadgroup, &r) {
		return
	}
	keys := c.Args[r.streamsArg : r.streamsArg+r.nstreams]
	idArgs := c.Args[r.streamsArg+r.nstreams:]
	var idsBuf [8]ID
	ids := idsBuf[:0]
	var groupsBuf [8]*group
	groups := groupsBuf[:0]
	for i, key := range keys {
		if !c.ServesFrom(key) {
			ids = append(ids, ID{})
			if xreadgroup {
				groups = append(groups, nil)
			}
			continue
		}
		s, ok := readLookup(c, key)
		if !ok {
			return
		}
		var g *group
		if xreadgroup {
			if s != nil {
				g = s.group(r.groupName)
			}
			if g == nil {
				switch {
				case !c.Retry:
					c.Err("NOGROUP No such key '" + string(key) + "' or consumer group '" + string(r.groupName) + "' in XREADGROUP with GROUP option")
				case s == nil:
					c.Err("UNBLOCKED the stream key no longer exists")
				default:
					c.Err("NOGROUP the consumer group this client was blocked on no longer exists")
				}
				return
			}
			groups = append(groups, g)
		}
		arg := idArgs[i]
		switch {
		case len(arg) == 1 && arg[0] == '$':
			if xreadgroup {
				c.Err("ERR The $ ID is meaningless in the context of XREADGROUP: you want to read the history of this consumer by specifying a proper ID, or use the > ID to get new messages. The $ ID would just return an empty result set.")
				return
			}
			var id ID
			if s != nil {
				id = s.last
			}
			ids = append(ids, id)
		case len(arg) == 1 && arg[0] == '>':
			if !xreadgroup {
				c.Err("ERR The > ID can be specified only when calling XREADGROUP using the GROUP <group> <consumer> option.")
				return
			}
			ids = append(ids, maxID)
		default:
			id, ok := argID(c, r.streamsArg+r.nstreams+i, 0, true)
			if !ok {
				return
			}
			ids = append(ids, id)
		}
	}
	if c.Retry {
		retryRead(c, &r, keys, ids, groups)
		return
	}
	d := c.W.Defer()
	served := 0
	for i, key := range keys {
		s, _ := lookupRead(c, key)
		if s == nil {
			continue
		}
		var g *group
		if xreadgroup {
			g = groups[i]
		}
		gt := ids[i]
		history := g != nil && gt != maxID
		switch {
		case history:
		case g != nil:
			if s.length == 0 || !g.last.less(s.lastLive(c.KS.Arena)) {
				continue
			}
			gt = g.last
		case s.length == 0 || !gt.less(s.lastLive(c.KS.Arena)):
			continue
		}
		served++
		serveStream(c, s, key, g, &r, gt, r.count, history)
	}
	if served > 0 {
		if c.W.Resp == 2 {
			c.W.FillArray(d, served)
		} else {
			c.W.FillMap(d, served)
		}
		return
	}
	if !r.block {
		c.W.NullArray()
		return
	}
	// The IDs that "$" stood for must outlive this call: the retry reads
	// them from the arguments.
	for i, arg := range idArgs {
		if len(arg) == 1 && arg[0] == '$' {
			c.Args[r.streamsArg+r.nstreams+i] = ids[i].append(nil)
		}
	}
	if !c.Block(keys, r.deadline) {
		c.W.NullArray()
	}
}

// readLookup finds a stream for XREAD. On a retry a key that now holds
// another kind is treated as missing: the client stays blocked, as in
// Redis, instead of getting WRONGTYPE.
func readLookup(c *command.Ctx, key []byte) (*stream, bool) {
	if !c.Retry {
		return lookupRead(c, key)
	}
	id := c.DB.LookupRead(key)
	if id == dict.None || c.DB.Kind(id) != keyspace.KindStream {
		return nil, true
	}
	return getStream(c, id), true
}

// retryRead serves a woken XREAD or XREADGROUP the stream that woke it if
// it has new entries, or blocks it again.
func retryRead(c *command.Ctx, r *readArgs, keys [][]byte, ids []ID, groups []*group) {
	for i, key := range keys {
		if !c.ServesFrom(key) {
			continue
		}
		s, _ := readLookup(c, key)
		if s == nil {
			continue
		}
		gt := ids[i]
		var g *group
		if len(groups) > 0 {
			g = groups[i]
			gt = g.last
		}
		if !gt.less(s.last) {
			continue
		}
		if c.W.Resp == 2 {
			c.W.Array(1)
			c.W.Array(2)
		} else {
			c.W.Map(1)
		}
		count := r.count
		if count == 0 {
			count = blockedCount
		}
		serveStream(c, s, key, g, r, gt, count, false)
		return
	}
	c.Block(keys, r.deadline)
}

// serveStream writes one stream's part of an XREAD reply: the key and
// its entries after gt. For XREADGROUP it delivers them to the consumer,
// or with history replays the consumer's pending entries.
func serveStream(c *command.Ctx, s *stream, key []byte, g *group, r *readArgs, gt ID, count int64, history bool) {
	if c.W.Resp == 2 && !c.Retry {
		c.W.Array(2)
	}
	c.W.Bulk(key)
	start, _ := gt.next()
	if g == nil {
		writeRange(c, s, start, maxID, count, false)
		return
	}
	defer s.account(c.KS.Arena)
	isNew := g.consumer(r.consumer, false, 0) == nil
	cn := getOrCreateConsumer(c, g, key, r.consumer)
	if isNew && r.noack {
		// With NOACK no XCLAIM will name the consumer.
		propagateConsumer(c, key, r.groupName, r.consumer)
	}
	if history {
		writeHistory(c, s, g, cn, start, count)
	} else {
		deliverRange(c, s, key, g, r.groupName, cn, start, count, r.noack)
	}
	c.Dirty++
}

// deliverRange serves new entries to a consumer: the group's last ID
// moves past them and, unless noack, they become pending.
func deliverRange(c *command.Ctx, s *stream, key []byte, g *group, groupName []byte, cn *consumer, start ID, count int64, noack bool) {
	d := c.W.Defer()
	var n int64
	lastMoved := false
	for it := s.iter(c.KS.Arena, start, maxID, false); it.next(); {
		id := it.e.id
		if g.last.less(id) {
			s.advance(g, id)
			lastMoved = true
		}
		writeEntry(c, &it)
		if !noack {
			g.deliver(cn, id, c.KS.Now())
			propagateClaimID(c, key, groupName, g, id, g.pel.get(id))
		}
		if n++; n == count {
			break
		}
	}
	c.W.FillArray(d, int(n))
	// Without pending entries, no XCLAIM carries the group's last ID.
	if noack && lastMoved {
		propagateGroupID(c, key, groupName, g)
	}
}

// writeHistory replays a consumer's pending entries from start: each
// counts as delivered again; an entry deleted since is sent as a null.
func writeHistory(c *command.Ctx, s *stream, g *group, cn *consumer, start ID, count int64) {
	d := c.W.Defer()
	var n int64
	cn.pel.each(start, func(id *ID) bool {
		if count > 0 && n == count {
			return false
		}
		if s.exists(c.KS.Arena, *id) {
			writeOne(c, s, *id)
			p := g.pel.get(*id)
			p.time = c.KS.Now()
			p.count++
		} else {
			c.W.Array(2)
			writeID(c, *id)
			c.W.NullArray()
		}
		n++
		return true
	})
	c.W.FillArray(d, int(n))
}
