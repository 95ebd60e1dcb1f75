package server

import "github.com/redoubt-db/redoubt/protocol"

// Client eviction (Redis 7's maxmemory-clients): when the memory the
// normal and Pub/Sub clients hold together reaches the limit (bytes, or
// a percentage of maxmemory), the clients holding the most are
// disconnected, biggest first, until it is under: a client that reads
// slowly, or sends a huge pipeline, cannot take the server's memory.
// CLIENT NO-EVICT exempts a client; replicas and the primary's link are
// never evicted. Checked after each batch of commands and by the cron.

// clientEvictLimit is maxmemory-clients in bytes, 0 when off.
func (s *Server) clientEvictLimit() int64 {
	v := s.cfg.MaxMemoryClients
	if v < 0 { // a percentage, stored negated
		if s.cfg.MaxMemory <= 0 {
			return 0
		}
		return s.cfg.MaxMemory * -v / 100
	}
	return v
}

// memUsage is what a client holds (CLIENT LIST's tot-mem), counted as
// Redis's getClientMemoryUsage counts it: the query buffer (with a big
// argument's whole allocation from the moment its length is read), the
// output's blocks beyond the first, the reply buffer Redis would have
// in its place (replybufsize.go), the reply being built, the running
// command's arguments and lockedMem. The caller holds the engine lock.
func (c *client) memUsage() int64 {
	return c.qbufCap.Load() + c.omem() + c.rbSize.Load() + int64(c.reply.Cap()) + c.lockedSeen + c.argvOverhead()
}

// argvOverhead is what Redis adds for the arguments of the command
// running: their bytes and pointers. Redis's arguments are copies of the
// query buffer; here they alias it, but the figure is Redis's, so that
// tot-mem reads the same. A big argument is counted once, as the buffer
// it was read into (Redis moves that buffer into the argument).
func (c *client) argvOverhead() int64 {
	if c.args == nil {
		return 0
	}
	n := int64(c.argvMem()+len(c.args)*memArgPointer) - c.bigDone()
	return max(n, 0)
}

// Per-item overheads Redis adds for what a client keeps besides its
// buffers (sizes of its structures on 64-bit builds): a queued command
// (multiCmd) and its argument pointers, a watched key (listNode and
// watchedKey), a channel (dictEntry and a bucket), a pattern (listNode),
// a tracking prefix (raxNode times a pointer, Redis's own estimate).
const (
	memQueuedCmd  = 24
	memArgPointer = 8
	memWatchedKey = 24 + 32
	memChannel    = 24 + 8
	memPattern    = 24
	memPrefix     = 4 * 8
)

// lockedMem is what the client holds that only its own commands change,
// under the engine lock: the queued transaction, the watched keys, the
// Pub/Sub subscriptions and the tracking prefixes (Redis's
// multiStateMemOverhead, pubsubMemOverhead and the prefixes' rax). The
// channels and keys themselves are shared, and counted once, elsewhere.
func (c *client) lockedMem() int64 {
	n := int64(c.multi.mem) + int64(len(c.multi.queue))*memQueuedCmd
	n += int64(len(c.watched)) * memWatchedKey
	n += int64(len(c.subs.channels)+len(c.subs.shard))*memChannel + int64(len(c.subs.patterns))*memPattern
	n += int64(len(c.track.prefixes)) * memPrefix
	return n
}

// The server keeps the total of the clients' memory (clientsMem) up to
// date as buffers change, so that INFO and eviction read it in O(1)
// instead of walking the clients. Each client adds what changed: its
// query buffer and output blocks (syncMem, from whichever goroutine
// changed them) and lockedMem (syncLocked, after each of its commands).
// The reply of the command running is left out: it is handed to the
// output when the command ends. A detached client counts no more
// (dropMem).

// syncMem publishes the client's query buffer and output blocks. The
// output's first block is left out, as omem leaves it out: it stands for
// the 16 KiB static buffer Redis gives every client and counts as part
// of the client itself, so that replies that fit in it (invalidation
// messages a few keys long) do not move used_memory, nor make eviction
// evict again for the messages its evictions sent.
func (c *client) syncMem() {
	c.memMu.Lock()
	if !c.memGone {
		n := c.qbufCap.Load() + c.omem()
		c.s.clientsMem.Add(n - c.memCounted)
		c.memCounted = n
	}
	c.memMu.Unlock()
}

// syncLocked publishes a change of lockedMem. The caller holds the
// engine lock.
func (c *client) syncLocked() {
	n := c.lockedMem()
	if n == c.lockedSeen {
		return
	}
	c.lockedSeen = n
	c.memMu.Lock()
	if !c.memGone {
		c.s.clientsMem.Add(n - c.memLocked)
		c.memLocked = n
	}
	c.memMu.Unlock()
}

// dropMem takes the client out of the total for good.
func (c *client) dropMem() {
	c.memMu.Lock()
	c.memGone = true
	c.s.clientsMem.Add(-c.memCounted - c.memLocked)
	c.memCounted, c.memLocked = 0, 0
	c.memMu.Unlock()
}

// evictClients disconnects the biggest clients while the clients'
// memory is at or over maxmemory-clients. It runs before each command
// (Redis's processCommand does the same, so a command's own arguments
// count and a client evicted by them does not run it), after each batch
// and from the cron. clientsMem plus a standard block per client (the
// most a reply buffer is) and the arguments of the command about to run
// (cur's, if not nil) bounds the total in O(1); only when it reaches
// the limit are the clients walked, and a walk that finds nothing to
// evict (replicas or no-evict clients hold the memory) is not repeated
// before the next cron tick unless the limit changes or the bound grows.
// The caller holds the engine lock.
func (s *Server) evictClients(cur *client) {
	limit := s.clientEvictLimit()
	if limit <= 0 {
		return
	}
	bound := s.clientsMem.Load() + int64(len(s.clients))*protocol.ChunkSize
	if cur != nil {
		bound += cur.argvOverhead() + int64(cur.reply.Cap())
	}
	idle := &s.evictClientsIdle
	if bound < limit || (idle.tick == s.cronTicks+1 && idle.limit == limit && bound <= idle.bound) {
		return
	}
	// A client that cannot be evicted counts as at rest, without the
	// command it may be running: Redis refreshes such a client's figure
	// only from its cron.
	var total int64
	for _, c := range s.clients {
		if c.clientType() == "replica" {
			continue
		}
		total += c.memUsage()
		if c.flags&(flagNoEvict|flagPrimary) != 0 {
			total -= c.argvOverhead() + int64(c.reply.Cap())
		}
	}
	evicted := false
	for total >= limit {
		var victim *client
		var most int64
		for _, c := range s.clients {
			if c.flags&(flagNoEvict|flagReplica|flagPrimary) != 0 || c.closing.Load() == closeASAP {
				continue
			}
			if m := c.memUsage(); victim == nil || m > most {
				victim, most = c, m
			}
		}
		if victim == nil || most == 0 {
			break
		}
		s.log.Noticef("Evicting client: %s", victim.info())
		s.stats.evictedClients++
		s.killClient(victim)
		total -= most
		evicted = true
	}
	if !evicted {
		*idle = evictIdle{tick: s.cronTicks + 1, limit: limit, bound: bound}
	}
}

// evictIdle remembers a walk of the clients that evicted none: its cron
// tick (plus one, so that the zero value matches none), limit and bound.
type evictIdle struct {
	tick         uint64
	limit, bound int64
}
