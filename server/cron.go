package server

import (
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/keyspace"
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
		s.mu.Lock()
		if s.cronPaused {
			s.mu.Unlock()
			continue
		}
		s.ks.Now = t.UnixMilli()
		s.expirePause()
		if s.ks.ActiveExpire && !s.pause.active(s.ks.Now) {
			s.activeExpire(hz)
		}
		if s.tracking.clients > 0 {
			s.trackingLimit()
			s.trackingBroadcast()
		}
		s.mu.Unlock()

		s.mu.Lock()
		for _, db := range s.ks.DBs {
			db.Maintain(tableBudget)
		}
		s.ks.LazyFreeStep(lazyFreeBudget)
		s.notePeak(s.memory().used())
		s.closeIdleMigrateConns(t)
		s.saveCron(t)
		s.mu.Unlock()

		s.clientsCron(t)
		if t.Sub(lastSample) >= opsSampleEvery {
			s.mu.Lock()
			s.stats.sample(t)
			s.mu.Unlock()
			lastSample = t
		}
	}
}

func (s *Server) hz() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(min(max(s.cfg.Hz, 1), 500))
}

// activeExpire runs the expire cycle within its CPU budget for this tick.
func (s *Server) activeExpire(hz int) {
	st := expire.Cycle(s.ks, expire.Params{
		Effort: int(s.cfg.ActiveExpireEffort),
		Hz:     hz,
		Now:    s.ks.Now,
		Stale:  s.ks.Stats.ExpiredStalePerc,
	})
	s.ks.Stats.ExpiredStalePerc = st.StalePerc
	if st.TimeCapReached {
		s.ks.Stats.ExpiredTimeCapReach++
	}
	s.ks.Stats.ExpireCycleMicros += st.Micros
}

// keyExpired is the keyspace hook for keys deleted because their TTL
// passed: it fires the "expired" notification and, as any change, fails
// the transactions watching the key.
func (s *Server) keyExpired(db *keyspace.DB, key []byte) {
	s.Notify(command.EvExpired, "expired", key, db.ID)
	s.keyModified(db, key)
}

// clientsCron closes clients idle for longer than timeout.
func (s *Server) clientsCron(t time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	timeout := s.cfg.Timeout
	if timeout <= 0 {
		return
	}
	limit := t.UnixMilli() - timeout*1000
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
