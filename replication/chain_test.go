package replication

import (
	"fmt"
	"strings"
	"testing"
)

// TestChainedReplicas pins sub-replication: a replica proxies its
// primary's replication stream byte for byte to its own replicas, so P →
// R1 → R2 ends with R2 holding P's dataset at P's offset under P's
// replication ID. The middle node runs as each kind, the two ends as the
// other; all-Redis is the control.
func TestChainedReplicas(t *testing.T) {
	for _, chain := range [][3]string{
		{redisKind, redisKind, redisKind},
		{redisKind, redoubtKind, redisKind},
		{redoubtKind, redisKind, redoubtKind},
		{redoubtKind, redoubtKind, redoubtKind},
	} {
		t.Run(strings.Join(chain[:], "->"), func(t *testing.T) {
			c := newCluster(t)
			p := c.start("P", chain[0])
			r1 := c.start("R1", chain[1])
			r2 := c.start("R2", chain[2])
			writeSome(p, "before", 20)
			c.replicate(r1, p)
			c.replicate(r2, r1)

			writeSome(p, "after", 20)
			p.do("MULTI")
			p.do("INCR", "tx")
			p.do("HSET", "txh", "a", "b")
			p.do("EXEC")
			c.waitSync(p, r1)
			c.waitSync(r1, r2)
			c.waitFor("R2 to be at P's replication ID and offset", func() (bool, string) {
				r2i := r2.info("replication")
				pi := p.info("replication")
				return pi["master_repl_offset"] == r2i["master_repl_offset"] && pi["master_replid"] == r2i["master_replid"],
					fmt.Sprintf("R2 at %s:%s, P at %s:%s", r2i["master_replid"], r2i["master_repl_offset"],
						pi["master_replid"], pi["master_repl_offset"])
			})
			if n := r1.info("replication")["connected_slaves"]; n != "1" {
				c.fatalf("R1's connected_slaves %s, want 1", n)
			}
			c.sameData("P", dataset(p), "R2", dataset(r2))
		})
	}
}
