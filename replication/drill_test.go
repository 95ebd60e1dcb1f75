package replication

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The drills of this file reproduce, over TCP against real processes,
// the replication incidents of the catalogue (/work/shared/INCIDENTS.md)
// and the post-mortems behind them: each runs once with redis-server as
// primary and replica, which shows the incident, and once with
// redoubt-server, which must show the same Redis behaviour where the
// catalogue says "same as Redis" and its guardrail where it says
// "beyond Redis". The network between replica and primary is a proxy
// (proxy_test.go) that the drill cuts and heals.

// TestDrillIncident2BacklogStorm is incident 2, "replication backlog
// overflow triggers full resync storm": the post-mortem's primary had
// the default 1 MB repl-backlog-size, a 15-second network interruption
// at 100 MB/s of writes let far more than a backlog's worth go by, and
// the replicas, unable to find their offset in the backlog (PSYNC
// failed), each needed a full resynchronisation, whose snapshot and the
// writes piling up meanwhile fed the next one.
//
// Scaled down, with the DEFAULT backlog settings in both runs: the
// replica follows the primary through a proxy; after the initial sync
// the link is cut for 10 seconds, during which about 2.5 MB of writes
// (SETs of 1 KB values) go by, more than twice the 1 MB backlog; then
// the link heals. Redis must serve a full resynchronisation (sync_full
// grows): that is the incident. Redoubt, whose backlog grows to hold at
// least the last repl-backlog-cover seconds (60) of stream while
// repl-backlog-size is at its default, must continue the replica from
// its backlog (sync_partial_ok grows, sync_full does not). Both must
// converge.
func TestDrillIncident2BacklogStorm(t *testing.T) {
	const (
		cutFor    = 10 * time.Second
		burstKeys = 2500
		valueSize = 1024
	)
	for _, kind := range kinds {
		t.Run(kind+"->"+kind, func(t *testing.T) {
			c := newCluster(t)
			p := c.start("primary", kind)
			r := c.start("replica", kind)
			px := newProxy(t, p.addr)
			if v := r.do("REPLICAOF", "127.0.0.1", px.portString()); v.Str != "OK" {
				c.fatalf("REPLICAOF replied %s", v)
			}
			writeSome(p, "before", 100)
			c.waitSync(p, r)
			pi := p.info("replication")
			if pi["repl_backlog_size"] != "1048576" {
				c.fatalf("primary: repl_backlog_size %s before the burst, want the default 1048576", pi["repl_backlog_size"])
			}
			before := counts(p)
			off := p.infoInt("replication", "master_repl_offset")

			px.cut()
			cutAt := time.Now()
			c.waitFor("the replica to see its link down", func() (bool, string) {
				up, st := linkUp(r)
				return !up, st
			})
			w := p.conn()
			value := strings.Repeat("v", valueSize)
			for i := range burstKeys {
				w.do("SET", "burst:"+strconv.Itoa(i), value)
			}
			missed := p.infoInt("replication", "master_repl_offset") - off
			if missed <= 2<<20 {
				c.fatalf("the burst wrote %d bytes of stream, want more than 2 MB", missed)
			}
			during := p.info("replication")
			if up, st := linkUp(r); up {
				c.fatalf("the replica's link is up during the cut (%s)", st)
			}
			time.Sleep(time.Until(cutAt.Add(cutFor))) // the rest of the 10-second cut
			px.heal()
			healedAt := time.Now()
			c.waitSync(p, r)
			back := time.Since(healedAt)
			after := counts(p)
			end := p.info("replication")
			accepted, refused := px.counts()
			t.Logf("%s: %d bytes of stream during the %v cut; primary repl_backlog_size %s -> %s right after the burst (first byte %s, histlen %s, covers %q s), %s at the end (first byte %s); sync_full %d -> %d, sync_partial_ok %d -> %d, sync_partial_err %d -> %d; replica in sync %v after the heal; proxy: %d connections forwarded, %d refused during the cut",
				kind, missed, cutFor, pi["repl_backlog_size"], during["repl_backlog_size"], during["repl_backlog_first_byte_offset"],
				during["repl_backlog_histlen"], during["repl_backlog_covers_seconds"], end["repl_backlog_size"],
				end["repl_backlog_first_byte_offset"], before.full, after.full, before.partialOK, after.partialOK,
				before.partialErr, after.partialErr, back.Round(time.Millisecond), accepted, refused)
			switch kind {
			case redisKind:
				// The incident: the 1 MB backlog was overrun.
				if after.full <= before.full {
					c.fatalf("redis: sync_full %d -> %d after %d bytes went by a 1 MB backlog, want a full resync (the incident)",
						before.full, after.full, missed)
				}
			case redoubtKind:
				// The guardrail: the backlog grew to hold the burst, and
				// kept it (the cut is far shorter than repl-backlog-cover).
				var problems []string
				if after.partialOK < before.partialOK+1 || after.full != before.full {
					problems = append(problems, fmt.Sprintf("sync_partial_ok %d -> %d (want at least +1), sync_full %d -> %d (want unchanged)",
						before.partialOK, after.partialOK, before.full, after.full))
				}
				if first, _ := strconv.ParseInt(during["repl_backlog_first_byte_offset"], 10, 64); first > off+1 {
					problems = append(problems, fmt.Sprintf("right after the burst the backlog started at offset %d, past the replica's %d: it had dropped %d bytes of stream written seconds before, well within repl-backlog-cover",
						first, off+1, first-off-1))
				}
				if n, _ := strconv.ParseInt(during["repl_backlog_size"], 10, 64); n < missed {
					problems = append(problems, fmt.Sprintf("repl_backlog_size %d right after the burst, less than the %d bytes it had to hold", n, missed))
				}
				if len(problems) > 0 {
					c.fatalf("redoubt: the backlog's cover did not carry the replica over the %v cut (replica at offset %d, %d bytes written since):\n%s",
						cutFor, off, missed, strings.Join(problems, "\n"))
				}
			}
			c.sameData("primary", dataset(p), "replica", dataset(r))
		})
	}
}

// fenceResult is what one run of the incident-5 drill measured.
type fenceResult struct {
	// window is the time from the cut to the first NOREPLICAS (zero if
	// none came).
	window time.Duration
	// before, after and fenced count the writes acknowledged before the
	// cut, after it but before the first NOREPLICAS, and after the first
	// NOREPLICAS while the link was still down.
	before, after, fenced int
	// refusal is the first NOREPLICAS error's text.
	refusal string
	// others are the other errors, by text.
	others map[string]int
	// longest is the longest time between two acknowledgements during
	// the cut.
	longest time.Duration
	// cutFor is how long the link was down.
	cutFor time.Duration
}

func (f fenceResult) String() string {
	w := "none"
	if f.window > 0 {
		w = f.window.Round(time.Millisecond).String()
	}
	return fmt.Sprintf("link down %v; NOREPLICAS after %s; acknowledged: %d before the cut, %d after it before NOREPLICAS, %d after NOREPLICAS; longest wait between acknowledgements during the cut %v; other errors %v",
		f.cutFor.Round(time.Millisecond), w, f.before, f.after, f.fenced, f.longest.Round(time.Millisecond), f.others)
}

// fenceRate is the drill writer's pace: a SET every millisecond, so
// that the counts measure time and do not depend on each server's speed.
const fenceRate = 1000

// A fenceEvent is one reply the drill's writer got.
type fenceEvent struct {
	at  time.Time
	err string // "" for OK
}

// runFence runs one incident-5 scenario: a primary of kind with
// min-replicas-to-write minReplicas and min-replicas-max-lag maxLag, and
// a replica of kind through a proxy. After the sync a writer keeps
// SETting at fenceRate; then the link breaks, stalled (partition: the
// connections stay open and no byte crosses, as when packets are
// dropped) or cut (the connections close), and stays down until the
// primary refused writes for a second, or for hold if it never does.
// The link then heals and the replica must be back in sync.
func runFence(t *testing.T, kind string, minReplicas, maxLag int, stall bool, hold time.Duration) fenceResult {
	c := newCluster(t)
	p := c.start("primary", kind, "min-replicas-to-write "+strconv.Itoa(minReplicas), "min-replicas-max-lag "+strconv.Itoa(maxLag))
	r := c.start("replica", kind)
	px := newProxy(t, p.addr)
	if v := r.do("REPLICAOF", "127.0.0.1", px.portString()); v.Str != "OK" {
		c.fatalf("REPLICAOF replied %s", v)
	}
	c.waitSync(p, r)
	// A primary counts its good replicas once a second: wait until it
	// takes writes.
	c.waitFor("the primary to take writes", func() (bool, string) {
		v := p.conn().doErr("SET", "probe", "1")
		return v.Str == "OK", v.String()
	})

	cl, err := dial(p.addr)
	if err != nil {
		c.fatalf("%v", err)
	}
	var (
		mu     sync.Mutex
		events []fenceEvent
		stop   = make(chan struct{})
		done   = make(chan struct{})
		ioErr  error
	)
	go func() {
		defer close(done)
		defer cl.close()
		start := time.Now()
		for n := 1; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			v, err := cl.do("SET", "fence:"+strconv.Itoa(n), strconv.Itoa(n))
			at := time.Now()
			if err != nil {
				ioErr = err
				return
			}
			e := fenceEvent{at: at}
			if v.Type != '+' || v.Str != "OK" {
				e.err = v.String()
				if v.Type == '-' {
					e.err = v.Str
				}
			}
			mu.Lock()
			events = append(events, e)
			mu.Unlock()
			if ahead := time.Duration(n)*time.Second/fenceRate - time.Since(start); ahead > 0 {
				time.Sleep(ahead)
			}
		}
	}()
	halt := func() {
		select {
		case <-stop:
		default:
			close(stop)
		}
		<-done
	}
	t.Cleanup(halt)
	c.waitFor("the writer's first acknowledgements", func() (bool, string) {
		mu.Lock()
		defer mu.Unlock()
		return len(events) >= 300, fmt.Sprintf("%d replies", len(events))
	})

	cutAt := time.Now()
	if stall {
		px.stall()
	} else {
		px.cut()
	}
	// Keep the link down until the primary refused writes for a second,
	// or for hold.
	var firstRefusal time.Time
	for time.Since(cutAt) < hold {
		mu.Lock()
		for i := len(events) - 1; i >= 0 && events[i].at.After(cutAt); i-- {
			if strings.HasPrefix(events[i].err, "NOREPLICAS") {
				firstRefusal = events[i].at
			}
		}
		mu.Unlock()
		if !firstRefusal.IsZero() && time.Since(firstRefusal) > time.Second {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	halt()
	healAt := time.Now()
	px.heal()
	if ioErr != nil {
		c.fatalf("the writer's connection to the primary failed: %v", ioErr)
	}

	res := fenceResult{others: map[string]int{}, cutFor: healAt.Sub(cutAt)}
	lastAck := cutAt
	for _, e := range events {
		switch {
		case e.err == "" && !e.at.After(cutAt):
			res.before++
		case e.err == "" && res.refusal == "":
			res.after++
		case e.err == "":
			res.fenced++
		case strings.HasPrefix(e.err, "NOREPLICAS") && res.refusal == "":
			res.refusal = e.err
			res.window = e.at.Sub(cutAt)
		case !strings.HasPrefix(e.err, "NOREPLICAS"):
			res.others[e.err]++
		}
		if e.err == "" && e.at.After(cutAt) {
			res.longest = max(res.longest, e.at.Sub(lastAck))
			lastAck = e.at
		}
	}
	if res.refusal == "" {
		res.longest = max(res.longest, healAt.Sub(lastAck))
	}

	// After the heal the replica is back (after a stall the held bytes
	// are delivered; after a cut it reconnects), the primary takes
	// writes again, and the replica is in sync.
	c.waitFor("the primary to take writes after the heal", func() (bool, string) {
		v := p.conn().doErr("SET", "probe", "2")
		return v.Str == "OK", v.String()
	})
	c.waitSync(p, r)
	if pn, rn := p.do("DBSIZE").Int, r.do("DBSIZE").Int; pn != rn {
		c.fatalf("after the heal the primary holds %d keys, the replica %d", pn, rn)
	}
	return res
}

// TestDrillIncident5SplitBrainFence is incident 5, "cluster split-brain
// causes dual-write data loss": a network partition cut the primary off
// from the rest, the clients kept writing to it for about 40 s while a
// new primary was elected elsewhere, and when the network recovered the
// old primary was made a replica and its writes of the partition window
// were overwritten by the full resync. The post-mortem's fix is
// min-replicas-to-write (with min-replicas-max-lag): a primary that has
// not heard from enough replicas for max-lag seconds refuses writes with
// NOREPLICAS, which bounds the window in which acknowledged writes can
// be lost.
//
// The drill measures that bound for both servers, with
// min-replicas-to-write 1 and min-replicas-max-lag 2, the replica
// following through a proxy, and a writer SETting once a millisecond:
//
//   - partition: the proxy stalls (the connections stay open, no byte
//     crosses), so the primary only notices the replica's missing
//     REPLCONF ACKs. The first NOREPLICAS must come within max-lag + 2 s
//     of the cut (Redis counts lag in whole seconds and refreshes its
//     count of good replicas once a second), with exactly Redis's error
//     text, and no write may be acknowledged after it while the link is
//     down.
//   - reset: the proxy closes the connections, so the primary loses the
//     replica at once and must refuse writes at once (within the same
//     bound).
//   - unfenced: the control, min-replicas-to-write 0: writes keep being
//     acknowledged through the whole partition (max-lag + 2 s), as in the
//     incident.
//
// The two servers' windows must agree within the 2 s of Redis's
// granularity.
func TestDrillIncident5SplitBrainFence(t *testing.T) {
	const maxLag = 2
	bound := time.Duration(maxLag+2) * time.Second
	const refusal = "NOREPLICAS Not enough good replicas to write."
	results := map[string]map[string]fenceResult{}
	for _, kind := range kinds {
		t.Run(kind+"->"+kind, func(t *testing.T) {
			results[kind] = map[string]fenceResult{}
			for _, sc := range []struct {
				name        string
				minReplicas int
				stall       bool
			}{
				{"partition", 1, true},
				{"reset", 1, false},
				{"unfenced", 0, true},
			} {
				t.Run(sc.name, func(t *testing.T) {
					hold := bound + 3*time.Second // measure past the bound, to report it
					if sc.minReplicas == 0 {
						hold = bound
					}
					res := runFence(t, kind, sc.minReplicas, maxLag, sc.stall, hold)
					results[kind][sc.name] = res
					t.Logf("%s %s: %v", kind, sc.name, res)
					if sc.minReplicas == 0 {
						if res.refusal != "" || len(res.others) > 0 || res.fenced > 0 {
							t.Errorf("without min-replicas-to-write a write was refused during the partition: %v (first refusal %q)", res, res.refusal)
						}
						if res.longest > time.Second {
							t.Errorf("without min-replicas-to-write the writes stalled for %v during the partition: %v", res.longest, res)
						}
						return
					}
					if res.refusal == "" {
						t.Fatalf("no NOREPLICAS within %v of the cut: %v", res.cutFor, res)
					}
					if res.refusal != refusal {
						t.Errorf("the refusal is %q, want %q", res.refusal, refusal)
					}
					if res.window > bound {
						t.Errorf("NOREPLICAS came %v after the cut, want within min-replicas-max-lag + 2 s = %v: %v", res.window, bound, res)
					}
					if res.fenced > 0 {
						t.Errorf("%d writes acknowledged after the first NOREPLICAS while the link was down: %v", res.fenced, res)
					}
					if len(res.others) > 0 {
						t.Errorf("errors other than NOREPLICAS: %v", res.others)
					}
				})
			}
		})
	}
	redis, redoubt := results[redisKind], results[redoubtKind]
	for _, sc := range []string{"partition", "reset"} {
		a, b := redis[sc], redoubt[sc]
		if a.window == 0 || b.window == 0 {
			continue // reported above
		}
		t.Logf("%s: window redis %v (%d writes acknowledged), redoubt %v (%d writes acknowledged)",
			sc, a.window.Round(time.Millisecond), a.after, b.window.Round(time.Millisecond), b.after)
		if d := a.window - b.window; d > 2*time.Second || d < -2*time.Second {
			t.Errorf("%s: NOREPLICAS came %v after the cut with redis, %v with redoubt: more than 2 s apart", sc, a.window, b.window)
		}
	}
}
