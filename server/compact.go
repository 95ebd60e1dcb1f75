package server

import "time"

// Memory compaction (incident 6, fragmentation): when the arena maps
// much more than its blobs hold, the cron drains its sparse pages
// (arena/compact.go, keyspace/compact.go), a bounded slice of each tick,
// so that resident memory follows the dataset down after churn instead
// of staying at its high-water mark. Redis's active defragmentation does
// this behind activedefrag, off by default and refused without its
// jemalloc; here it is Redoubt's own switch, memory-compaction, on by
// default, with activedefrag's thresholds: a pass starts once the arena's
// unused mapped bytes pass active-defrag-ignore-bytes (or an eighth of
// maxmemory, if smaller) and active-defrag-threshold-lower percent of
// what it holds, and takes from active-defrag-cycle-min percent of the
// time up to active-defrag-cycle-max as fragmentation reaches
// active-defrag-threshold-upper, or the arena's pages alone pass
// maxmemory.

// compactKeysPerStep is how many keys are visited between two looks at
// the clock.
const compactKeysPerStep = 256

type compactState struct {
	since time.Time     // the pass's start
	total time.Duration // the time of every pass so far
}

// compactCron runs a slice of compaction. The caller holds the engine
// lock; tick is the cron's period.
func (s *Server) compactCron(tick time.Duration) {
	ks := s.ks
	if !s.cfg.MemoryCompaction {
		ks.EndCompaction()
		return
	}
	frag := ks.Arena.Fragmentation()
	held := ks.Arena.Allocated()
	pct := int64(0)
	if held > 0 {
		pct = frag * 100 / held
	}
	if !ks.Compacting() {
		ignore := s.cfg.ActiveDefragIgnoreBytes
		if m := s.cfg.MaxMemory; m > 0 && m/8 < ignore {
			ignore = m / 8
		}
		if frag < ignore || pct < s.cfg.ActiveDefragThresholdLower || ks.BeginCompaction() == 0 {
			return
		}
		s.compact.since = time.Now()
	}
	// The share of the tick grows from cycle-min to cycle-max as the
	// fragmentation goes from threshold-lower to threshold-upper.
	lo, hi := s.cfg.ActiveDefragThresholdLower, max(s.cfg.ActiveDefragThresholdUpper, s.cfg.ActiveDefragThresholdLower+1)
	share := s.cfg.ActiveDefragCycleMin
	if m := s.cfg.MaxMemory; pct >= hi || (m > 0 && ks.Arena.Mapped() > m) {
		// Past maxmemory by the arena's pages alone, the process is
		// where incident 6 went: full speed.
		share = s.cfg.ActiveDefragCycleMax
	} else if pct > lo {
		share += (s.cfg.ActiveDefragCycleMax - s.cfg.ActiveDefragCycleMin) * (pct - lo) / (hi - lo)
	}
	start := time.Now()
	budget := tick * time.Duration(share) / 100
	for {
		if ks.CompactStep(compactKeysPerStep) {
			s.compact.total += time.Since(s.compact.since)
			s.compact.since = time.Time{}
			break
		}
		if time.Since(start) >= budget {
			break
		}
	}
	s.latencyAdd("active-defrag-cycle", time.Since(start))
}

// compactTimes are INFO's total_active_defrag_time and
// current_active_defrag_time, in ms.
func (s *Server) compactTimes() (total, current int64) {
	cur := time.Duration(0)
	if !s.compact.since.IsZero() {
		cur = time.Since(s.compact.since)
	}
	return (s.compact.total + cur).Milliseconds(), cur.Milliseconds()
}

// compactRunning is INFO's active_defrag_running: the share of the time
// a pass takes, or 0.
func (s *Server) compactRunning() int64 {
	if !s.ks.Compacting() {
		return 0
	}
	return s.cfg.ActiveDefragCycleMax
}
