package replication

import (
	"strconv"
	"strings"
	"testing"
)

// A replica started with replicaof and no data of any history asks for a
// full resync with PSYNC ? -1, as Redis does: the primary counts no
// failed partial resync.
func TestReplicaOfAtStartAsksForAFullSync(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c := newCluster(t)
		p := c.start("primary", primaryKind)
		r := c.start("replica", replicaKind, "replicaof 127.0.0.1 "+strconv.Itoa(p.port))
		c.waitSync(p, r)
		if n := p.infoInt("stats", "sync_partial_err"); n != 0 {
			c.errorf("the primary counted %d failed partial resyncs", n)
		}
		if !strings.Contains(r.log(), "Partial resynchronization not possible (no cached master)") {
			c.errorf("the replica's log does not say it asked for a full resync")
		}
	})
}
