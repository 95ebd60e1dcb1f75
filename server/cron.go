package server

import (
	"time"

	"github.com/redoubt-db/redoubt/expire"
)

// The server's periodic work (Redis's serverCron), run hz times a second.
// Each task takes the engine lock for a bounded time and releases it, so
// clients' commands interleave with housekeeping.

const (
	// tableBudget is how many buckets or entries one cron tick may move
	// per database when rehashing or compacting.
	tableBudget = 1000
	// lazyFreeBudget is how many objects a tick frees from a FLUSHALL
	// ASYNC or UNLINK backlog.
	lazyFreeBudget = 100_000
	// opsSampleEvery is the period of the instantaneous metrics samples.
	opsSampleEvery = 100 * time.Millisecond
)

func (s *Server) cronLoop() {
	defer s.wg.Done()
	lastSample := time.Now()
	for {
		hz := s.hz()
		select {
		case <-s.quit:
			return
		case <-time.After(time.Second / time.Duration(hz)):
		}
		t := time.Now()
		// What the AOF holds is written (and, under everysec, fsynced
		// once a second) even when no reply waits for it; outside the
		// engine lock, so that a slow disk never stalls commands.
		if w := s.aofWriter(); w != nil {
			w.Flush(false)
		}
		s.eng.Lock()
		if s.cronPaused || s.loading.active {
			s.eng.Unlock()
			continue
		}
		if s.shutdownASAP.Load() != 0 {
			s.eng.Unlock()
			s.shutdownFromSignal()
			continue
		}
		s.eng.SetNow(t.UnixMilli())
		s.latencyDrain()
		s.expirePause()
		// A replica waits for its primary's DELs (Redis runs the
		// cycle on primaries only).
		if s.ks.ActiveExpire && !s.ks.Replica && !s.pause.active(t.UnixMilli()) {
			// The cycle is a unit of its own: the deletions it
			// propagates are not wrapped in MULTI/EXEC.
			start := time.Now()
			s.eng.Unit(t.UnixMilli(), func() { s.activeExpire(hz, s.eng.Now()) })
			s.latencyAdd("expire-cycle", time.Since(start))
		}
		if s.tracking.clients > 0 {
			s.trackingLimit()
			s.trackingBroadcast()
		}
		s.eng.Unlock()

		s.eng.Lock()
		s.cronTicks++
		if s.cfg.ActiveRehashing {
			s.rehashCron()
		}
		for _, db := range s.ks.DBs {
			db.Maintain(tableBudget)
		}
		s.ks.LazyFreeStep(lazyFreeBudget)
		m := s.memory()
		s.notePeak(m.used())
		s.evictCron()
		s.evictClients(nil)
		s.followGoMemoryLimit()
		s.compactCron(time.Second / time.Duration(hz))
		s.guardCron(t)
		s.closeIdleMigrateConns(t)
		s.replCron(t)
		s.saveCron(t)
		s.aofCron(t)
		s.eng.Unlock()

		s.clientsCron(t)
		if t.Sub(lastSample) >= opsSampleEvery {
			s.eng.Lock()
			s.stats.sample(t)
			s.eng.Unlock()
			lastSample = t
		}
	}
}

func (s *Server) hz() int {
	s.eng.Lock()
	defer s.eng.Unlock()
	return int(min(max(s.cfg.Hz, 1), 500))
}

// activeExpire runs the expire cycle within its CPU budget for this tick.
func (s *Server) activeExpire(hz int, now int64) {
	st := expire.Cycle(s.ks, expire.Params{
		Effort: int(s.cfg.ActiveExpireEffort),
		Hz:     hz,
		Now:    now,
		Stale:  s.ks.Stats.ExpiredStalePerc,
	})
	s.ks.Stats.ExpiredStalePerc = st.StalePerc
	if st.TimeCapReached {
		s.ks.Stats.ExpiredTimeCapReach++
	}
	s.ks.Stats.ExpireCycleMicros += st.Micros
}

// clientsCron closes clients idle for longer than timeout.
func (s *Server) clientsCron(t time.Time) {
	s.eng.Lock()
	defer s.eng.Unlock()
	// A client over its soft output limit is closed once the limit's
	// seconds pass even if nothing more is written to it (Redis 7.0's
	// clientsCron checks the limits too): only then would a subscriber
	// that stopped reading when the traffic stopped be let go.
	nowMs := t.UnixMilli()
	for _, c := range s.clients {
		if c.softLimitSince != 0 && s.overOutputLimit(c) {
			c.outputLimitReached()
		}
		s.resizeReplyBuf(c, nowMs)
	}
	timeout := s.cfg.Timeout
	if timeout <= 0 {
		return
	}
	limit := nowMs - timeout*1000
	for _, c := range s.clients {
		if c.flags&(flagPubSub|flagMonitor) != 0 {
			continue
		}
		if c.lastSeen.Load() < limit {
			s.log.Verbosef("Closing idle client")
			s.killClient(c)
		}
	}
}

// rehashCron rehashes one database's table for up to a millisecond, the
// first one with a rehash under way from where the last tick left off
// (Redis's incrementallyRehash): a table that grew while loading or under
// a burst of writes is done in seconds, not left holding two bucket
// arrays until enough writes have moved it a bucket at a time.
func (s *Server) rehashCron() {
	n := len(s.ks.DBs)
	for i := range n {
		j := (s.rehashDB + i) % n
		d := s.ks.DBs[j].Dict()
		if !d.Rehashing() {
			continue
		}
		s.rehashDB = j
		deadline := time.Now().Add(time.Millisecond)
		for d.Rehash(100) && time.Now().Before(deadline) {
		}
		return
	}
}
