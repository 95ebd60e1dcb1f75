package replication

import (
	"fmt"
	"strconv"
	"testing"
)

// syncCounts are a primary's INFO stats counters of resynchronisations.
type syncCounts struct{ full, partialOK, partialErr int64 }

func counts(s *server) syncCounts {
	s.c.t.Helper()
	st := s.info("stats")
	n := func(f string) int64 {
		v, err := strconv.ParseInt(st[f], 10, 64)
		if err != nil {
			s.c.fatalf("%s: INFO stats %s = %q", s.name, f, st[f])
		}
		return v
	}
	return syncCounts{full: n("sync_full"), partialOK: n("sync_partial_ok"), partialErr: n("sync_partial_err")}
}

// wantPartial fails the test unless s served exactly one more partial
// resynchronisation since before, and no full one.
func (c *cluster) wantPartial(s *server, before syncCounts, what string) {
	c.t.Helper()
	after := counts(s)
	if after.partialOK != before.partialOK+1 || after.full != before.full {
		c.fatalf("%s: %s's sync_partial_ok went %d -> %d (want +1), sync_full %d -> %d (want unchanged), sync_partial_err %d -> %d",
			what, s.name, before.partialOK, after.partialOK, before.full, after.full, before.partialErr, after.partialErr)
	}
}

// writeSome writes n keys named prefix:i on s.
func writeSome(s *server, prefix string, n int) {
	s.c.t.Helper()
	for i := range n {
		s.do("SET", fmt.Sprintf("%s:%d", prefix, i), strconv.Itoa(i))
	}
	s.do("RPUSH", prefix+":list", "a", "b")
}

// TestPartialResync pins PSYNC after a dropped link: the replica keeps
// its cached master state and asks to continue from its offset, and the
// primary serves the missed writes from its backlog (+CONTINUE) instead
// of a full sync, whichever side closed the link (CLIENT KILL TYPE
// master on the replica, CLIENT KILL TYPE replica on the primary).
func TestPartialResync(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		writeSome(p, "before", 20)
		c.waitSync(p, r)

		for i, kill := range []struct {
			on   *server
			args []string
		}{
			{r, []string{"CLIENT", "KILL", "TYPE", "master"}},
			{p, []string{"CLIENT", "KILL", "TYPE", "replica"}},
		} {
			before := counts(p)
			if v := kill.on.do(kill.args...); v.Int != 1 {
				c.fatalf("%s: %s killed %s clients, want 1", kill.on.name, quote(kill.args), v)
			}
			writeSome(p, fmt.Sprintf("during%d", i), 20)
			c.waitSync(p, r)
			c.wantPartial(p, before, "after "+quote(kill.args)+" on the "+kill.on.name)
			c.sameData("primary", dataset(p), "replica", dataset(r))
		}
	})
}

// TestPromotion pins PSYNC2: a replica promoted with REPLICAOF NO ONE
// takes a new replication ID and keeps its old primary's as
// master_replid2, valid up to second_repl_offset, so that the old
// primary, turned into its replica, continues partially from it.
func TestPromotion(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		writeSome(p, "before", 20)
		c.waitSync(p, r)
		pi := p.info("replication")

		if v := r.do("REPLICAOF", "NO", "ONE"); v.Str != "OK" {
			c.fatalf("REPLICAOF NO ONE replied %s", v)
		}
		ri := r.info("replication")
		if ri["role"] != "master" {
			c.fatalf("after REPLICAOF NO ONE the replica's role is %q", ri["role"])
		}
		if ri["master_replid2"] != pi["master_replid"] {
			c.fatalf("promoted replica's master_replid2 %s, want the primary's master_replid %s", ri["master_replid2"], pi["master_replid"])
		}
		if ri["master_replid"] == pi["master_replid"] {
			c.fatalf("promoted replica kept the replication ID %s", ri["master_replid"])
		}
		off, _ := strconv.ParseInt(ri["master_repl_offset"], 10, 64)
		if want := strconv.FormatInt(off+1, 10); ri["second_repl_offset"] != want {
			c.fatalf("promoted replica's second_repl_offset %s, want its master_repl_offset + 1 = %s", ri["second_repl_offset"], want)
		}
		if ri["master_repl_offset"] != pi["master_repl_offset"] {
			c.fatalf("promoted replica's master_repl_offset %s, the primary's was %s", ri["master_repl_offset"], pi["master_repl_offset"])
		}
		r.name, p.name = "new primary", "old primary"

		// Writes on the new primary before and after the old one attaches.
		writeSome(r, "promoted", 10)
		before := counts(r)
		c.replicate(p, r)
		c.wantPartial(r, before, "old primary attaching to the promoted replica")
		writeSome(r, "after", 10)
		c.waitSync(r, p)
		if got := p.info("replication")["master_replid"]; got != ri["master_replid"] {
			c.fatalf("old primary's master_replid %s, want the new primary's %s", got, ri["master_replid"])
		}
		c.sameData("new primary", dataset(r), "old primary", dataset(p))
	})
}

// TestRestartedReplica pins that a replica's RDB carries the replication
// ID and offset (the repl-id and repl-offset aux fields): a replica that
// saves, shuts down and restarts on the same directory with replicaof in
// its configuration continues with a partial resync, receiving the writes
// made while it was down from the primary's backlog.
func TestRestartedReplica(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		writeSome(p, "before", 20)
		c.waitSync(p, r)
		r.do("SAVE")
		r.shutdown()

		writeSome(p, "while-down", 20)
		before := counts(p)
		r2 := c.startOn(r.dir, "restarted replica", replicaKind, "replicaof 127.0.0.1 "+strconv.Itoa(p.port))
		c.waitSync(p, r2)
		c.wantPartial(p, before, "restarted replica reconnecting")
		c.sameData("primary", dataset(p), "restarted replica", dataset(r2))
	})
}
