package server

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

// memUsage is what a client's buffers hold (CLIENT LIST's tot-mem): the
// query buffer, the output's blocks and the reply being built, counted
// by capacity, and the queued transaction. The caller holds the engine
// lock.
func (c *client) memUsage() int64 {
	return c.qbufCap.Load() + c.outMem.Load() + int64(c.reply.Cap()) + int64(c.multi.mem)
}

// The server keeps the total of the clients' memory (clientsMem) up to
// date as buffers change, so that INFO and eviction read it in O(1)
// instead of walking the clients. Each client adds what changed: its
// query buffer and output blocks (syncMem, from whichever goroutine
// changed them) and its queued transaction (addMultiMem, under the
// engine lock). The reply of the command running is left out: it is
// handed to the output when the command ends. A detached client counts
// no more (dropMem).

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

// addMultiMem publishes a change of the queued transaction's size.
func (c *client) addMultiMem(delta int64) {
	c.memMu.Lock()
	if !c.memGone {
		c.s.clientsMem.Add(delta)
		c.memMulti += delta
	}
	c.memMu.Unlock()
}

// dropMem takes the client out of the total for good.
func (c *client) dropMem() {
	c.memMu.Lock()
	c.memGone = true
	c.s.clientsMem.Add(-c.memCounted - c.memMulti)
	c.memCounted, c.memMulti = 0, 0
	c.memMu.Unlock()
}

// evictClients disconnects the biggest clients while the clients'
// memory is at or over maxmemory-clients. The caller holds the engine
// lock.
func (s *Server) evictClients() {
	limit := s.clientEvictLimit()
	if limit <= 0 {
		return
	}
	var total int64
	for _, c := range s.clients {
		if c.clientType() != "replica" {
			total += c.memUsage()
		}
	}
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
			return
		}
		s.log.Noticef("Evicting client: %s", victim.info())
		s.stats.evictedClients++
		s.killClient(victim)
		total -= most
	}
}
