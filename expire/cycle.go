// Package expire implements key expiry: the TTL commands and the active
// expire cycle (Redis's expire.c). Lazy expiry, on access, is the
// keyspace's own business; this package finds keys nobody reads.
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
	Millis         int64
}

const (
	keysPerLoop    = 20 // keys sampled per loop at effort 1
	slowTimePerc   = 25 // % of CPU the cycle may use at effort 1
	acceptableStal = 25 // loop again while more than this % were expired
)

// Cycle samples keys with a TTL in every database and deletes the expired
// ones, as Redis's slow cycle does: per database, take a batch of keys
// with a TTL, delete those past their deadline, and take another batch
// while more than a quarter of a batch had expired; stop when the run has
// used its share of CPU time (25% of a tick at effort 1).
func Cycle(ks *keyspace.Keyspace, p Params) Result {
	effort := min(max(p.Effort, 1), 10) - 1
	perLoop := keysPerLoop + keysPerLoop/4*effort
	timePerc := slowTimePerc + 2*effort
	acceptable := acceptableStal - effort
	limit := time.Duration(int64(time.Second) * int64(timePerc) / int64(max(p.Hz, 1)) / 100)
	start := time.Now()

	var res Result
	var totalSampled, totalExpired int
	for _, db := range ks.DBs {
		if res.TimeCapReached {
			break
		}
		var ttlSum int64
		var ttlN int64
		for iter := 0; ; iter++ {
			n := db.ExpiresLen()
			if n == 0 {
				db.AvgTTL = 0
				break
			}
			sampled, expired := 0, 0
			for sampled < min(perLoop, n) {
				ttl, gone := db.SampleExpire(p.Now)
				sampled++
				if gone {
					expired++
				} else if ttl > 0 {
					ttlSum += ttl
					ttlN++
				}
				if db.ExpiresLen() == 0 {
					break
				}
			}
			totalSampled += sampled
			totalExpired += expired
			if ttlN > 0 {
				avg := ttlSum / ttlN
				// Redis's moving average: 2% of the new sample each loop.
				db.AvgTTL = db.AvgTTL/50*49 + avg/50
			}
			if iter%16 == 0 && time.Since(start) > limit {
				res.TimeCapReached = true
				break
			}
			if sampled == 0 || expired*100 <= sampled*acceptable {
				break
			}
		}
	}
	res.Sampled, res.Expired = totalSampled, totalExpired
	cur := 0.0
	if totalSampled > 0 {
		cur = float64(totalExpired) / float64(totalSampled)
	}
	res.StalePerc = cur*0.05 + p.Stale*0.95
	res.Millis = time.Since(start).Milliseconds()
	return res
}
