package stream

import (
	"math"

	"github.com/redoubt-db/redoubt/command"
)

var xgroupHelp = []string{
	"CREATE <key> <groupname> <id|$> [option]",
	"    Create a new consumer group. Options are:",
	"    * MKSTREAM",
	"      Create the empty stream if it does not exist.",
	"    * ENTRIESREAD entries_read",
	"      Set the group's entries_read counter (internal use).",
	"CREATECONSUMER <key> <groupname> <consumer>",
	"    Create a new consumer in the specified group.",
	"DELCONSUMER <key> <groupname> <consumer>",
	"    Remove the specified consumer.",
	"DESTROY <key> <groupname>",
	"    Remove the specified group.",
	"SETID <key> <groupname> <id|$> [ENTRIESREAD entries_read]",
	"    Set the current group ID and entries_read counter.",
}

// xgroup is every XGROUP subcommand, checked in Redis's order: options,
// key, group, then the subcommand's own arguments.
func xgroup(c *command.Ctx) {
	sub := c.Args[1]
	if command.EqualFold(sub, "help") {
		command.Help(c.W, "XGROUP", xgroupHelp)
		return
	}
	create, setid := command.EqualFold(sub, "create"), command.EqualFold(sub, "setid")
	mkstream := false
	entriesRead := int64(-1)
	var s *stream
	var g *group
	ok := true
	n := len(c.Args)
	{
		for i := 5; i < n; {
			switch {
			case create && c.Is(i, "mkstream"):
				mkstream = true
				i++
			case (create || setid) && c.Is(i, "entriesread") && i+1 < n:
				var ok bool
				if entriesRead, ok = c.Int(i + 1); !ok {
					return
				}
				if entriesRead < -1 {
					c.Err("ERR value for ENTRIESREAD must be positive or -1")
					return
				}
				i += 2
			default:
				subcommandErr(c)
				return
			}
		}
		if s, ok = lookupCreate(c, c.Args[2], true); !ok {
			return
		}
		if !mkstream {
			if s == nil {
				c.Err("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
				return
			}
			if g = s.group(c.Args[3]); g == nil && !create && !command.EqualFold(sub, "destroy") {
				c.Err("NOGROUP No such consumer group '" + string(c.Args[3]) + "' for key name '" + string(c.Args[2]) + "'")
				return
			}
		}
	}
	key := c.Args[2]
	defer func() {
		if s != nil {
			s.account(c.KS.Arena)
		}
	}()
	switch {
	case create && n >= 5 && n <= 8:
		var id ID
		if string(c.Args[4]) == "$" {
			if s != nil {
				id = s.last
			}
		} else if id, ok = argID(c, 4, 0, true); !ok {
			return
		}
		if s == nil {
			s, _ = lookupCreate(c, key, false)
			c.SignalModified(c.DB, key)
		}
		if !s.addGroup(newGroup(string(c.Args[3]), id, entriesRead)) {
			c.Err("BUSYGROUP Consumer Group name already exists")
			return
		}
		c.W.OK()
		c.Dirty++
		c.Notify(command.EvStream, "xgroup-create", key)
	case setid && (n == 5 || n == 7):
		id := s.last
		if string(c.Args[4]) != "$" {
			if id, ok = argID(c, 4, 0, false); !ok {
				return
			}
		}
		g.last, g.entriesRead = id, entriesRead
		c.W.OK()
		c.Dirty++
		c.Notify(command.EvStream, "xgroup-setid", key)
	case command.EqualFold(sub, "destroy") && n == 4:
		if g == nil {
			c.W.Int(0)
			return
		}
		s.deleteGroup(c.Args[3])
		c.W.Int(1)
		c.Dirty++
		c.Notify(command.EvStream, "xgroup-destroy", key)
		// Clients blocked in XREADGROUP on the group get an error.
		c.SignalReady(key)
	case command.EqualFold(sub, "createconsumer") && n == 5:
		if g.createConsumer(c.Args[4], c.KS.Now()) == nil {
			c.W.Int(0)
			return
		}
		c.W.Int(1)
		c.Dirty++
		c.Notify(command.EvStream, "xgroup-createconsumer", key)
	case command.EqualFold(sub, "delconsumer") && n == 5:
		cn := g.consumer(c.Args[4], false, 0)
		if cn == nil {
			c.W.Int(0)
			return
		}
		pendingCount := cn.pel.len()
		g.deleteConsumer(cn)
		c.W.Int(int64(pendingCount))
		c.Dirty++
		c.Notify(command.EvStream, "xgroup-delconsumer", key)
	default:
		subcommandErr(c)
	}
}

// lookupGroup finds key's group for XACK, XPENDING, XCLAIM and
// XAUTOCLAIM; g is nil if either is missing.
func lookupGroup(c *command.Ctx) (s *stream, g *group, ok bool) {
	s, ok = lookupRead(c, c.Args[1])
	if !ok || s == nil {
		return nil, nil, ok
	}
	// The lookup counts as a read, as in Redis, but the group changes.
	c.DB.WillChange(c.Args[1])
	return s, s.group(c.Args[2]), true
}

func noGroupErr(c *command.Ctx) {
	c.Err("NOGROUP No such key '" + string(c.Args[1]) + "' or consumer group '" + string(c.Args[2]) + "'")
}

func xack(c *command.Ctx) {
	s, g, ok := lookupGroup(c)
	if !ok {
		return
	}
	if g == nil {
		c.W.Int(0)
		return
	}
	defer s.account(c.KS.Arena)
	for i := 3; i < len(c.Args); i++ {
		if _, ok := argID(c, i, 0, true); !ok {
			return
		}
	}
	var acked int64
	for i := 3; i < len(c.Args); i++ {
		id, _ := parseID(c.Args[i], 0, true, nil)
		if g.ack(id) {
			acked++
		}
	}
	c.Dirty += acked
	c.W.Int(acked)
}

// xpending is XPENDING key group [[IDLE min] start end count [consumer]].
func xpending(c *command.Ctx) {
	n := len(c.Args)
	if n != 3 && (n < 6 || n > 9) {
		c.Err(command.ErrSyntax)
		return
	}
	var start, end ID
	var count, minIdle int64
	var consumerName []byte
	if n >= 6 {
		si := 3
		if c.Is(3, "idle") {
			var ok bool
			if minIdle, ok = c.Int(4); !ok {
				return
			}
			if n < 8 {
				c.Err(command.ErrSyntax)
				return
			}
			si += 2
		}
		var ok bool
		if count, ok = c.Int(si + 2); !ok {
			return
		}
		count = max(count, 0)
		if start, ok = argInterval(c, si, 0, false); !ok {
			return
		}
		if end, ok = argInterval(c, si+1, math.MaxUint64, true); !ok {
			return
		}
		if si+3 < n {
			consumerName = c.Args[si+3]
		}
	}
	_, g, ok := lookupGroup(c)
	if !ok {
		return
	}
	if g == nil {
		noGroupErr(c)
		return
	}
	if n == 3 {
		pendingSummary(c, g)
		return
	}
	pel := &g.pel
	if consumerName != nil {
		cn := g.consumer(consumerName, false, 0)
		if cn == nil {
			c.W.Array(0)
			return
		}
		// Walk the consumer's IDs, reading the records from the group.
		d := c.W.Defer()
		written := 0
		cn.pel.each(start, func(id *ID) bool {
			if count == 0 || end.less(*id) {
				return false
			}
			if writePending(c, g, g.pel.get(*id), minIdle) {
				written++
				count--
			}
			return true
		})
		c.W.FillArray(d, written)
		return
	}
	d := c.W.Defer()
	written := 0
	pel.each(start, func(p *pending) bool {
		if count == 0 || end.less(p.id) {
			return false
		}
		if writePending(c, g, p, minIdle) {
			written++
			count--
		}
		return true
	})
	c.W.FillArray(d, written)
}

// writePending writes one XPENDING record unless it is idle for less than
// minIdle.
func writePending(c *command.Ctx, g *group, p *pending, minIdle int64) bool {
	idle := c.KS.Now() - p.time
	if minIdle != 0 && idle < minIdle {
		return false
	}
	c.W.Array(4)
	writeID(c, p.id)
	c.W.BulkString(g.byNum[p.consumer].name)
	c.W.Int(max(idle, 0))
	c.W.Int(int64(p.count))
	return true
}

func pendingSummary(c *command.Ctx, g *group) {
	c.W.Array(4)
	c.W.Int(int64(g.pel.len()))
	if g.pel.len() == 0 {
		c.W.Null()
		c.W.Null()
		c.W.NullArray()
		return
	}
	writeID(c, g.pel.first().id)
	writeID(c, g.pel.last().id)
	d := c.W.Defer()
	k := 0
	for _, cn := range g.consumers {
		if cn.pel.len() == 0 {
			continue
		}
		c.W.Array(2)
		c.W.BulkString(cn.name)
		c.W.BulkInt(int64(cn.pel.len()))
		k++
	}
	c.W.FillArray(d, k)
}

// claimOpts are XCLAIM's options.
type claimOpts struct {
	minIdle    int64
	deliveryAt int64 // -1 when neither IDLE nor TIME was given
	retryCount int64 // -1 when not given
	force      bool
	justID     bool
	lastID     ID
}

// xclaim is XCLAIM key group consumer min-idle-time id ... [options]. IDs
// are read while they parse; the first argument that does not parse
// starts the options.
func xclaim(c *command.Ctx) {
	s, g, ok := lookupGroup(c)
	if !ok {
		return
	}
	if g == nil {
		noGroupErr(c)
		return
	}
	defer s.account(c.KS.Arena)
	o := claimOpts{deliveryAt: -1, retryCount: -1}
	if o.minIdle, ok = c.IntMsg(4, "ERR Invalid min-idle-time argument for XCLAIM"); !ok {
		return
	}
	o.minIdle = max(o.minIdle, 0)
	j := 5
	for ; j < len(c.Args); j++ {
		if _, ok := parseID(c.Args[j], 0, true, nil); !ok {
			break
		}
	}
	lastIDArg := j - 1
	now := c.KS.Now()
	if !parseClaimOpts(c, j, now, &o) {
		return
	}
	// A new last ID counts as a change only if nothing else does.
	lastMoved := g.last.less(o.lastID)
	if lastMoved {
		g.last = o.lastID
	}
	if o.deliveryAt == -1 || o.deliveryAt < 0 || o.deliveryAt > now {
		o.deliveryAt = now
	}
	var cn *consumer
	d := c.W.Defer()
	claimed := 0
	for j := 5; j <= lastIDArg; j++ {
		id, _ := parseID(c.Args[j], 0, true, nil)
		p := g.pel.get(id)
		if !s.exists(c.KS.Arena, id) {
			if p != nil {
				// Replayed, this XCLAIM drops the entry as here.
				propagateClaim(c, c.Args[1], c.Args[2], g, c.Args[j], p)
				g.ack(id)
				c.Dirty++
				lastMoved = false
			}
			continue
		}
		if o.force && p == nil {
			g.pel.insert(pending{id: id, time: now, count: 1})
			p = g.pel.get(id)
		}
		if p == nil {
			continue
		}
		if p.consumer != 0 && o.minIdle > 0 && now-p.time < o.minIdle {
			continue
		}
		if cn == nil {
			cn = getOrCreateConsumer(c, g, c.Args[1], c.Args[3])
		}
		g.claim(p, cn)
		p.time = o.deliveryAt
		if o.retryCount >= 0 {
			p.count = uint64(o.retryCount)
		} else if !o.justID {
			p.count++
		}
		if o.justID {
			writeID(c, id)
		} else {
			writeOne(c, s, id)
		}
		claimed++
		propagateClaim(c, c.Args[1], c.Args[2], g, c.Args[j], p)
		c.Dirty++
		lastMoved = false
	}
	if lastMoved {
		propagateGroupID(c, c.Args[1], c.Args[2], g)
		c.Dirty++
	}
	c.W.FillArray(d, claimed)
	// XCLAIM propagates its effects, not itself (propagate.go).
	c.PreventPropagation()
}

func parseClaimOpts(c *command.Ctx, j int, now int64, o *claimOpts) bool {
	for ; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		var ok bool
		switch {
		case c.Is(j, "force"):
			o.force = true
		case c.Is(j, "justid"):
			o.justID = true
		case c.Is(j, "idle") && more:
			j++
			if o.deliveryAt, ok = c.IntMsg(j, "ERR Invalid IDLE option argument for XCLAIM"); !ok {
				return false
			}
			o.deliveryAt = now - o.deliveryAt
		case c.Is(j, "time") && more:
			j++
			if o.deliveryAt, ok = c.IntMsg(j, "ERR Invalid TIME option argument for XCLAIM"); !ok {
				return false
			}
		case c.Is(j, "retrycount") && more:
			j++
			if o.retryCount, ok = c.IntMsg(j, "ERR Invalid RETRYCOUNT option argument for XCLAIM"); !ok {
				return false
			}
		case c.Is(j, "lastid") && more:
			j++
			if o.lastID, ok = argID(c, j, 0, true); !ok {
				return false
			}
		default:
			c.Err("ERR Unrecognized XCLAIM option '" + string(c.Args[j]) + "'")
			return false
		}
	}
	return true
}

// xautoclaimMaxCount is the largest COUNT, as Redis bounds it to keep its
// allocation in range.
const xautoclaimMaxCount = math.MaxInt64 / 16

// xautoclaim is XAUTOCLAIM key group consumer min-idle-time start [COUNT
// n] [JUSTID]. It replies with the next start, the claimed entries, and
// the IDs it found deleted (and dropped from the PEL).
func xautoclaim(c *command.Ctx) {
	minIdle, ok := c.IntMsg(4, "ERR Invalid min-idle-time argument for XAUTOCLAIM")
	if !ok {
		return
	}
	minIdle = max(minIdle, 0)
	start, ok := argInterval(c, 5, 0, false)
	if !ok {
		return
	}
	count, justID := int64(100), false
	for j := 6; j < len(c.Args); j++ {
		switch {
		case c.Is(j, "count") && j+1 < len(c.Args):
			n, ok := autoclaimCount(c, j+1)
			if !ok {
				return
			}
			count = n
			j++
		case c.Is(j, "justid"):
			justID = true
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	s, g, ok := lookupGroup(c)
	if !ok {
		return
	}
	if g == nil {
		noGroupErr(c)
		return
	}
	defer s.account(c.KS.Arena)
	now := c.KS.Now()
	attempts := count * 10
	var claimed, deleted []ID
	var cn *consumer
	cur, more := start, true
	for attempts > 0 && count > 0 && more {
		p, found := g.pel.ceil(cur)
		if !found {
			more = false
			break
		}
		attempts--
		cur, more = p.id.next()
		if !s.exists(c.KS.Arena, p.id) {
			propagateClaimID(c, c.Args[1], c.Args[2], g, p.id, g.pel.get(p.id))
			g.ack(p.id)
			c.Dirty++
			deleted = append(deleted, p.id)
			count--
			continue
		}
		if minIdle > 0 && now-p.time < minIdle {
			continue
		}
		if cn == nil {
			cn = getOrCreateConsumer(c, g, c.Args[1], c.Args[3])
		}
		rec := g.pel.get(p.id)
		g.claim(rec, cn)
		rec.time = now
		if !justID {
			rec.count++
		}
		claimed = append(claimed, p.id)
		count--
		propagateClaimID(c, c.Args[1], c.Args[2], g, p.id, rec)
		c.Dirty++
	}
	// XAUTOCLAIM propagates its effects, not itself (propagate.go).
	c.PreventPropagation()
	// Where the next call should start: the first pending entry after
	// the last one looked at, 0-0 at the end.
	var next ID
	if more {
		if p, ok := g.pel.ceil(cur); ok {
			next = p.id
		}
	}
	c.W.Array(3)
	writeID(c, next)
	c.W.Array(len(claimed))
	for _, id := range claimed {
		if justID {
			writeID(c, id)
		} else {
			writeOne(c, s, id)
		}
	}
	c.W.Array(len(deleted))
	for _, id := range deleted {
		writeID(c, id)
	}
}

// autoclaimCount parses XAUTOCLAIM's COUNT, which must be in [1, max].
func autoclaimCount(c *command.Ctx, i int) (int64, bool) {
	n, ok := c.IntMsg(i, "ERR COUNT must be > 0")
	if !ok {
		return 0, false
	}
	if n < 1 || n > xautoclaimMaxCount {
		c.Err("ERR COUNT must be > 0")
		return 0, false
	}
	return n, true
}
