package server

import (
	"math"
	"runtime/metrics"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/evict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/script"
)

// maxmemory (Redis's evict.c around package evict, which chooses the
// keys): before each command, while the memory counted for eviction is
// over maxmemory, keys are evicted under maxmemory-policy, each one a
// deletion propagated as DEL (UNLINK with lazyfree-lazy-eviction) with
// its "evicted" keyspace notification, as Redis sends it. A round is
// bounded in time by maxmemory-eviction-tenacity; the cron goes on where
// it stopped. When nothing can be evicted, the values queued for the
// lazy free are freed within the same time limit (Redis waits for its
// lazyfree thread there), and if memory is still over, commands that
// may grow the dataset (denyoom) are refused with Redis's OOM error.
//
// The memory counted is used_memory (the dataset's arena and tables,
// exact at every step, the clients' buffers and the server's own heap at
// start), less what Redis does not count for eviction: the replication
// backlog and the replicas' output buffers (mem_not_counted_for_evict).

const errOOM = "OOM command not allowed when used memory > 'maxmemory'."

// Results of performEvictions, as Redis's.
const (
	evictOK      = iota // under the limit, or nothing to do
	evictRunning        // over it, evicting, stopped by the time limit
	evictFail           // over it, and nothing more can be evicted
)

// evictState is eviction's state and statistics.
type evictState struct {
	e evict.Evictor
	// evicted counts evicted keys (evicted_keys).
	evicted int64
	// overSince is when used memory went over maxmemory (zero under
	// it); overTotal sums the finished spells (Redis's
	// total_eviction_exceeded_time).
	overSince time.Time
	overTotal time.Duration
	running   bool
	// now asks for an eviction round once the command ends (CONFIG SET
	// maxmemory).
	now bool
	// key is the evicted key's name, copied out of the arena before the
	// key is deleted; reused, so that eviction allocates nothing.
	key []byte
}

// notCountedForEvict is Redis's freeMemoryGetNotCountedMemory: the
// replicas' output, and the backlog's part past repl-backlog-size (its
// cover, or what a slow replica held back). The backlog up to its size
// is counted, as Redis 7.0 counts it: it is there to stay, so it causes
// eviction once rather than a loop. The stream held for a replica that
// is syncing lives outside used_memory, so it is not taken off either.
func (s *Server) notCountedForEvict() int64 {
	n := s.replicaPending()
	if extra := s.backlogMemory() - s.cfg.ReplBacklogSize; extra > 0 {
		n += extra
	}
	return n
}

// backlogMemory is what the replication backlog holds (part of
// used_memory, as in Redis).
func (s *Server) backlogMemory() int64 {
	if b := s.repl.backlog; b != nil {
		return int64(b.HistLen())
	}
	return 0
}

// replicaPending is the replicas' output not yet written, which the
// clients' buffers count.
func (s *Server) replicaPending() int64 {
	var n int64
	for _, c := range s.repl.replicas {
		n += c.pending.Load()
	}
	return n
}

// datasetMemory is the arena and the tables: what an eviction frees.
func (s *Server) datasetMemory() int64 {
	return s.ks.Arena.Allocated() + s.ks.Arena.Tables()
}

// evictUsed is the memory eviction compares with maxmemory: used_memory
// less what is not counted for eviction. The clients' buffers are the
// running total the clients keep (clientevict.go).
func (s *Server) evictUsed() int64 {
	used := s.startupHeap + s.datasetMemory() + s.backlogMemory() - s.notCountedForEvict()
	return max(used+s.clientsMemory(), 0)
}

var liveHeapSample = []metrics.Sample{{Name: "/gc/heap/live:bytes"}}

// liveHeap is the Go heap the last GC found live (used_memory's heap).
func liveHeap() int64 {
	metrics.Read(liveHeapSample)
	return int64(liveHeapSample[0].Value.Uint64())
}

// evictionTimeLimit is maxmemory-eviction-tenacity as a duration, as
// Redis's evictionTimeLimitUs.
func evictionTimeLimit(tenacity int64) time.Duration {
	switch {
	case tenacity <= 10:
		return time.Duration(50*tenacity) * time.Microsecond
	case tenacity < 100:
		return time.Duration(500*math.Pow(1.15, float64(tenacity-10))) * time.Microsecond
	}
	return time.Duration(math.MaxInt64)
}

// performEvictions evicts until used memory is under maxmemory, the time
// limit is reached, or nothing can be evicted. The caller holds the
// engine lock, outside any execution unit.
//
// start is when the command that asks began (the clock is read once per
// command, and eviction runs within two commands of the batch): the
// round's time limit counts from it, and the clock is read again only
// every 16 keys evicted, or with the latency monitor on.
func (s *Server) performEvictions(start time.Time) int {
	st := &s.evictState
	limit := s.cfg.MaxMemory
	if limit <= 0 || (s.repl.master != nil && s.cfg.ReplicaIgnoreMaxmemory) {
		st.running = false
		return evictOK
	}
	// Nothing is evicted while writes are held (CLIENT PAUSE WRITE, a
	// FAILOVER): it would be a write.
	if (s.pause.end != 0 || s.pause.held()) && s.pause.active(now()) {
		return evictOK
	}
	used := s.evictUsed()
	if used <= limit {
		s.evictionUnder()
		return evictOK
	}
	if start.IsZero() { // a client that never read the clock
		start = time.Now()
	}
	if st.overSince.IsZero() {
		st.overSince = start
	}
	policy := evict.ParsePolicy(s.cfg.MaxMemoryPolicy)
	if policy == evict.NoEviction {
		st.running = false
		return evictFail
	}
	tlimit := evictionTimeLimit(s.cfg.MaxMemoryEvictionTenacity)
	result := evictOK
	// Within a round only the dataset shrinks: the rest of the figure
	// is taken once, the dataset (two running counts) after each key.
	rest := used - s.datasetMemory()
	s.eng.Unit(start.UnixMilli(), func() {
		for n := 0; used > limit; n++ {
			db, id, ok := st.e.Pick(s.ks, policy, int(s.cfg.MaxMemorySamples))
			if !ok {
				result = evictFail
				return
			}
			s.evictKey(db, id)
			used = rest + s.datasetMemory()
			if n%16 == 15 && time.Since(start) > tlimit {
				result = evictRunning
				return
			}
		}
	})
	if result == evictFail && s.ks.LazyFreePending() > 0 {
		if s.evictLazyFreed(start, tlimit, rest, limit) {
			result = evictOK
		}
	}
	if s.cfg.LatencyMonitorThresh > 0 {
		s.latencyAdd("eviction-cycle", time.Since(start))
	}
	st.running = result == evictRunning
	if result == evictOK {
		s.evictionUnder()
	}
	return result
}

// lazyFreeEvictStep is how many elements one step of eviction's
// foreground lazy free frees before memory is looked at again (a value
// without a table, a list say, is freed whole, whatever its size).
const lazyFreeEvictStep = 1024

// evictLazyFreed is what Redis does when nothing is left to evict while
// its lazyfree thread still holds values (UNLINK, lazyfree-lazy-eviction
// queue the big ones): it waits for them to be freed, up to the
// eviction time limit, and answers OOM only if memory is still over.
// Redoubt's lazy free is a step of the cron, not a thread, so nothing
// would free them meanwhile: they are freed here, a step at a time,
// until memory is under the limit or the time is up. It reports whether
// memory got under the limit, and times the whole as Redis times its
// wait (eviction-lazyfree). The caller holds the engine lock.
func (s *Server) evictLazyFreed(start time.Time, tlimit time.Duration, rest, limit int64) bool {
	lstart := time.Now()
	defer func() { s.latencyAdd("eviction-lazyfree", time.Since(lstart)) }()
	for s.ks.LazyFreePending() > 0 && time.Since(start) < tlimit {
		freed := s.ks.LazyFreeStep(lazyFreeEvictStep)
		if rest+s.datasetMemory() <= limit {
			return true
		}
		// The time limit may be none (maxmemory-eviction-tenacity
		// 100): stop if a step freed nothing.
		if freed == 0 {
			break
		}
	}
	return false
}

// evictionUnder ends a spell over maxmemory.
func (s *Server) evictionUnder() {
	st := &s.evictState
	if !st.overSince.IsZero() {
		st.overTotal += time.Since(st.overSince)
		st.overSince = time.Time{}
	}
	st.running = false
}

// evictKey deletes a key chosen for eviction, with its effects.
func (s *Server) evictKey(db *keyspace.DB, id uint32) {
	st := &s.evictState
	st.key = append(st.key[:0], db.Key(id)...)
	key := st.key
	idle := int64(-1)
	if !s.ks.LFU {
		idle = db.IdleTime(id)
	}
	lazy := s.cfg.LazyfreeLazyEviction
	// The deletion alone is timed, as Redis times dbSyncDelete or
	// dbAsyncDelete (eviction-del): what freeing the value costs. As in
	// Redis, only with the latency monitor on.
	timed := s.cfg.LatencyMonitorThresh > 0
	var start time.Time
	if timed {
		start = time.Now()
	}
	if lazy {
		db.Unlink(id)
	} else {
		db.Delete(id)
	}
	if timed {
		s.latencyAdd("eviction-del", time.Since(start))
	}
	s.evictState.evicted++
	s.eng.PropagateDeletion(db.ID, key, lazy)
	s.eng.Notify(command.EvEvicted, "evicted", key, db.ID)
	s.keyChanged(db, key, false)
	s.noteEviction(db, key, idle)
}

// evictCron keeps the clients' sum for the counting, and goes on with
// an eviction the time limit stopped. The caller holds the engine lock.
func (s *Server) evictCron() {
	if s.evictState.running {
		s.performEvictions(time.Now())
	}
}

// oomRefusal is the OOM error for a command while memory is over the
// limit and cannot be freed (Redis's processCommand): commands that may
// grow the dataset, and anything queued in a transaction but EXEC,
// DISCARD, QUIT and RESET. Empty when the command may run.
func (s *Server) oomRefusal(c *client, cmd *command.Command) string {
	if s.cfg.MaxMemory <= 0 {
		return ""
	}
	oom := s.performEvictions(c.clock) == evictFail
	// A script remembers whether memory was over the limit when it
	// started: its first write that may grow the dataset fails then
	// (Redis's script_oom).
	switch cmd.Name {
	case "eval", "evalsha", "eval_ro", "evalsha_ro", "fcall", "fcall_ro":
		s.scripts.oom = oom
	}
	if !oom {
		return ""
	}
	deny := cmd.Has(command.DenyOOM) || (cmd.Name == "exec" && c.queuedDenyOOM())
	if flags, declared := s.scriptFlags(cmd, c.args); declared {
		deny = flags&(script.FlagAllowOOM|script.FlagNoWrites) == 0
	}
	if c.flags&flagMulti != 0 {
		switch cmd.Name {
		case "exec", "discard", "quit", "reset":
		default:
			deny = true
		}
	}
	if deny {
		return errOOM
	}
	return ""
}
