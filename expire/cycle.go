// Package expire implements key expiry: the TTL commands (EXPIRE and
// friends, TTL and friends, PERSIST) and the active expire cycle (Redis's
// expire.c). Lazy expiry, on access, is the keyspace's own business; the
// cycle finds the keys nobody reads.
//
// Redis samples its expires hash table bucket by bucket; the keyspace
// keeps keys with a TTL in a dense vector instead, so the cycle walks it
// round-robin (DB.SampleExpire) and needs none of Redis's precautions
// against sparse tables. Everything else follows activeExpireCycle: the
// batch size, the stale-key threshold that makes a database be sampled
// again, the CPU budget per tick, and the running estimates INFO reports.
package expire

import (
	"time"

	"github.com/redoubt-db/redoubt/keyspace"
)

// Params tune one run of the active cycle.
type Params struct {
	// Effort is active-expire-effort, 1 to 10.
	Effort int
	// Hz is how many times a second the cycle runs.
	Hz  int
	Now int64
	// Stale is the previous run's StalePerc.
	Stale float64
}

// Result reports what a run did.
type Result struct {
	Sampled, Expired int
	// StalePerc is the running estimate of expired-but-not-collected
	// keys among keys with a TTL (INFO expired_stale_perc).
	StalePerc      float64
	TimeCapReached bool
	// Micros is the run's duration; INFO expire_cycle_cpu_milliseconds is
	// their sum divided by 1000 (summing milliseconds would lose every run
	// shorter than a millisecond, which is nearly all of them).
	Micros int64
}

// Redis's ACTIVE_EXPIRE_CYCLE_* defaults, for effort 1.
const (
	keysPerLoop     = 20 // keys sampled per loop
	slowTimePerc    = 25 // % of CPU time a run may use
	acceptableStale = 10 // % of expired keys in a batch that is fine
)

// Cycle samples keys with a TTL in every database and deletes the expired
// ones, as Redis's slow cycle does: per database, take a batch of keys
// with a TTL, delete those past their deadline, and take another batch
// while more than 10% of the batch had expired; stop when the run has used
// its share of CPU time (25% of a tick at effort 1). Effort raises the
// batch size and the time share and lowers the threshold.
func Cycle(ks *keyspace.Keyspace, p Params) Result {
	effort := int64(min(max(p.Effort, 1), 10) - 1)
	perLoop := keysPerLoop + keysPerLoop/4*effort
	timePerc := slowTimePerc + 2*effort
	acceptable := acceptableStale - effort
	limit := time.Duration(timePerc * int64(time.Second) / int64(max(p.Hz, 1)) / 100)
	start := time.Now()

	var res Result
	iteration := 0
	for _, db := range ks.DBs {
		if res.TimeCapReached {
			break
		}
		for {
			iteration++
			n := int64(db.ExpiresLen())
			if n == 0 {
				db.AvgTTL = 0
				break
			}
			batch := min(n, perLoop)
			var sampled, expired, ttlSum, ttlN int64
			for sampled < batch && db.ExpiresLen() > 0 {
				ttl, gone := db.SampleExpire(p.Now)
				sampled++
				if gone {
					expired++
				} else if ttl > 0 {
					ttlSum += ttl
					ttlN++
				}
			}
			res.Sampled += int(sampled)
			res.Expired += int(expired)
			if ttlN > 0 {
				avg := ttlSum / ttlN
				if db.AvgTTL == 0 {
					db.AvgTTL = avg
				}
				// A running average giving the new sample a weight of 2%.
				db.AvgTTL = db.AvgTTL/50*49 + avg/50
			}
			if iteration&0xf == 0 && time.Since(start) > limit {
				res.TimeCapReached = true
				break
			}
			if expired*100/sampled <= acceptable {
				break
			}
		}
	}
	cur := 0.0
	if res.Sampled > 0 {
		cur = float64(res.Expired) / float64(res.Sampled)
	}
	// Running estimate, the new sample weighing 5%.
	res.StalePerc = cur*0.05 + p.Stale*0.95
	elapsed := time.Since(start)
	res.Micros = elapsed.Microseconds()
	return res
}
