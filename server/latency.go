package server

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/command"
)

// The latency monitor (Redis's latency.c): with latency-monitor-threshold
// set, every event that takes at least that many milliseconds is recorded
// in the event's series of the last 160 seconds that had one, one sample
// per second (the worst of that second), with the worst since the last
// reset. LATENCY reads the series; LATENCY HISTOGRAM reads the commands'
// latency histograms, which latency-tracking keeps.
//
// The events carry Redis 7.0's names where Redoubt does what Redis
// measures (latencyAddSampleIfNeeded in server.c, expire.c, evict.c,
// aof.c, rdb.c):
//
//   - command, fast-command: a command's call (call.go);
//   - expire-cycle: one active expire cycle (cron.go);
//   - eviction-cycle: one performEvictions round; eviction-del: the
//     deletion of one evicted key; eviction-lazyfree: freeing the values
//     lazyfree-lazy-eviction queued when nothing is left to evict
//     (evict.go);
//   - aof-write, with aof-write-pending-fsync, aof-write-active-child or
//     aof-write-alone beside it: one write(2) of the AOF buffer;
//     aof-fsync-always: the fsync of appendfsync always (package aof,
//     measured where the write happens, outside the engine lock);
//   - aof-fstat: the stat of an AOF file for its size; aof-rename: the
//     renames that put a rewritten base (and the first incremental
//     file) in place (aof.go);
//   - rdb-unlink-temp-file: removing the temporary file of a BGSAVE
//     whose job was killed (persistence.go).
//
// And one of Redoubt's own, as Redoubt has no fork: snapshot-step, one
// hold of the engine lock by the point-in-time walk of a BGSAVE, an AOF
// rewrite or a full resynchronisation (package snapshot), which is what
// a background save costs the other clients here, where Redis's cost is
// the fork.
//
// Redis 7.0's other events have no operation here to measure: fork
// (there is no fork), aof-rewrite-diff-write and the like (gone from
// Redis 7.0 with the multi-part AOF), expire-del (deletions in the
// expire cycle are inside expire-cycle), command-unblocking,
// while-blocked-cron, active-defrag-cycle and module-acquire-GIL.

const latencySeriesLen = 160

type latencySample struct {
	time int64 // Unix seconds
	ms   int64
}

type latencySeries struct {
	samples [latencySeriesLen]latencySample
	next    int // where the next sample goes
	max     int64
}

// latencyAdd records an event's duration if it reaches the threshold
// (Redis's latencyAddSampleIfNeeded: nothing while the threshold is 0).
// The caller holds the engine lock.
func (s *Server) latencyAdd(event string, d time.Duration) {
	threshold := s.cfg.LatencyMonitorThresh
	ms := d.Milliseconds()
	if threshold <= 0 || ms < threshold {
		return
	}
	s.latencyRecord(event, time.Now().Unix(), ms)
}

// latencyRecord adds a sample taken at Unix second now to the event's
// series (Redis's latencyAddSample). The caller holds the engine lock.
func (s *Server) latencyRecord(event string, now, ms int64) {
	if s.latency == nil {
		s.latency = map[string]*latencySeries{}
	}
	ts := s.latency[event]
	if ts == nil {
		ts = &latencySeries{}
		s.latency[event] = ts
	}
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.next+latencySeriesLen-1)%latencySeriesLen]
	if prev.time >= now && prev.time != 0 {
		// The same second (or a sample queued before one recorded
		// since): one sample per second, the worst.
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.next] = latencySample{time: now, ms: ms}
	ts.next = (ts.next + 1) % latencySeriesLen
}

// latencyQueue holds the samples of events measured without the engine
// lock: the AOF's writes and fsyncs happen in the client loops and the
// cron outside it, so that a slow disk never stalls commands, and must
// not wait for it to record a sample. They join the series under the
// lock (latencyDrain) at each cron tick and before anything reads the
// series.
type latencyQueue struct {
	// threshold is latency-monitor-threshold, for goroutines that do
	// not hold the engine lock (applyConfig keeps it).
	threshold atomic.Int64
	mu        sync.Mutex
	samples   []queuedSample
}

type queuedSample struct {
	event  string
	at, ms int64
}

// latencyQueueMax bounds the queue between two cron ticks; samples
// beyond it are dropped (a tick is a tenth of a second at the default
// hz, and each sample is a millisecond or more of the writer's time).
const latencyQueueMax = 1024

// latencyAddAsync is latencyAdd for goroutines that do not hold the
// engine lock.
func (s *Server) latencyAddAsync(event string, d time.Duration) {
	q := &s.latencyQ
	threshold := q.threshold.Load()
	ms := d.Milliseconds()
	if threshold <= 0 || ms < threshold {
		return
	}
	q.mu.Lock()
	if len(q.samples) < latencyQueueMax {
		q.samples = append(q.samples, queuedSample{event, time.Now().Unix(), ms})
	}
	q.mu.Unlock()
}

// latencyDrain moves the queued samples into the series. The caller
// holds the engine lock.
func (s *Server) latencyDrain() {
	q := &s.latencyQ
	q.mu.Lock()
	samples := q.samples
	q.samples = nil
	q.mu.Unlock()
	for _, sm := range samples {
		s.latencyRecord(sm.event, sm.at, sm.ms)
	}
}

// latencyStretch, set by tests only (export_test.go), lengthens the
// measured operation of the events it names. Some operations Redis
// measures never take a millisecond on a test machine (a stat, a
// rename, the unlink of a file still open), and a test with
// latency-monitor-threshold 1 could not see them recorded through their
// real code path otherwise.
var latencyStretch atomic.Pointer[map[string]time.Duration]

// stretchForTest sleeps as long as latencyStretch says for event.
func stretchForTest(event string) {
	if m := latencyStretch.Load(); m != nil {
		if d := (*m)[event]; d > 0 {
			time.Sleep(d)
		}
	}
}

// ordered returns the series' samples, oldest first.
func (ts *latencySeries) ordered() []latencySample {
	var out []latencySample
	for j := range latencySeriesLen {
		sm := ts.samples[(ts.next+j)%latencySeriesLen]
		if sm.time != 0 {
			out = append(out, sm)
		}
	}
	return out
}

func (ts *latencySeries) latest() latencySample {
	return ts.samples[(ts.next+latencySeriesLen-1)%latencySeriesLen]
}

func (s *Server) latencyEvents() []string {
	names := make([]string, 0, len(s.latency))
	for name := range s.latency {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func (s *Server) registerLatencyCommands(register func(string, srvHandler)) {
	// Every subcommand sees the samples measured outside the engine
	// lock so far, and RESET drops them too.
	h := func(name string, fn srvHandler) {
		register(name, func(s *Server, c *client, ctx *command.Ctx) {
			s.latencyDrain()
			fn(s, c, ctx)
		})
	}
	h("latency|latest", func(s *Server, c *client, ctx *command.Ctx) {
		names := s.latencyEvents()
		ctx.W.Array(len(names))
		for _, name := range names {
			ts := s.latency[name]
			last := ts.latest()
			ctx.W.Array(4)
			ctx.W.BulkString(name)
			ctx.W.Int(last.time)
			ctx.W.Int(last.ms)
			ctx.W.Int(ts.max)
		}
	})
	h("latency|history", func(s *Server, c *client, ctx *command.Ctx) {
		ts := s.latency[string(ctx.Args[2])]
		if ts == nil {
			ctx.W.Array(0)
			return
		}
		samples := ts.ordered()
		ctx.W.Array(len(samples))
		for _, sm := range samples {
			ctx.W.Array(2)
			ctx.W.Int(sm.time)
			ctx.W.Int(sm.ms)
		}
	})
	h("latency|reset", func(s *Server, c *client, ctx *command.Ctx) {
		n := 0
		if len(ctx.Args) == 2 {
			n = len(s.latency)
			s.latency = nil
		} else {
			for _, a := range ctx.Args[2:] {
				if _, ok := s.latency[string(a)]; ok {
					delete(s.latency, string(a))
					n++
				}
			}
		}
		ctx.W.Int(int64(n))
	})
	h("latency|graph", func(s *Server, c *client, ctx *command.Ctx) {
		ts := s.latency[string(ctx.Args[2])]
		if ts == nil {
			ctx.Err("ERR No samples available for event '" + string(ctx.Args[2]) + "'")
			return
		}
		ctx.W.Verbatim([]byte(latencyGraph(string(ctx.Args[2]), ts)), "txt")
	})
	h("latency|doctor", func(s *Server, c *client, ctx *command.Ctx) {
		ctx.W.Verbatim([]byte(s.latencyDoctor()), "txt")
	})
	h("latency|histogram", latencyHistogramCmd)
	h("latency|help", func(s *Server, c *client, ctx *command.Ctx) {
		help := []string{
			"LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
			"DOCTOR",
			"    Return a human readable latency analysis report.",
			"GRAPH <event>",
			"    Return an ASCII latency graph for the <event> class.",
			"HISTORY <event>",
			"    Return time-latency samples for the <event> class.",
			"LATEST",
			"    Return the latest latency samples for all events.",
			"RESET [<event> ...]",
			"    Reset latency data of one or more <event> classes.",
			"    (default: reset all data for all event classes)",
			"HISTOGRAM [COMMAND ...]",
			"    Return a cumulative distribution of latencies in the format of a histogram for the specified command names.",
			"    If no commands are specified then all histograms are replied.",
			"HELP",
			"    Prints this help.",
		}
		ctx.W.Array(len(help))
		for _, l := range help {
			ctx.W.Simple(l)
		}
	})
}

// latencyHistogramCmd is LATENCY HISTOGRAM [command ...]: for each
// command with calls, its count and the cumulative distribution of its
// latencies over power-of-two microsecond buckets.
func latencyHistogramCmd(s *Server, c *client, ctx *command.Ctx) {
	var cmds []*command.Command
	add := func(cmd *command.Command) {
		if cmd.Handler != nil && cmd.Stats.Latency.Count > 0 {
			cmds = append(cmds, cmd)
		}
		subs := make([]string, 0, len(cmd.Subs))
		for name := range cmd.Subs {
			subs = append(subs, name)
		}
		sort.Strings(subs)
		for _, name := range subs {
			if sub := cmd.Subs[name]; sub.Stats.Latency.Count > 0 {
				cmds = append(cmds, sub)
			}
		}
	}
	if len(ctx.Args) == 2 {
		for _, cmd := range s.cmds.All() {
			add(cmd)
		}
	} else {
		for _, name := range ctx.Args[2:] {
			cmd := s.cmds.Lookup(name)
			if cmd == nil {
				if parent, sub, ok := strings.Cut(string(name), "|"); ok {
					if p := s.cmds.Lookup([]byte(parent)); p != nil {
						cmd = p.LookupSub([]byte(sub))
					}
				}
				if cmd == nil {
					continue
				}
				if cmd.Stats.Latency.Count > 0 {
					cmds = append(cmds, cmd)
				}
				continue
			}
			add(cmd)
		}
	}
	w := ctx.W
	w.Map(len(cmds))
	for _, cmd := range cmds {
		h := &cmd.Stats.Latency
		w.BulkString(cmd.FullName())
		w.Map(2)
		w.BulkString("calls")
		w.Int(h.Count)
		w.BulkString("histogram_usec")
		d := w.Defer()
		n := 0
		var cum int64
		for i, b := range h.Buckets {
			if b == 0 {
				continue
			}
			cum += b
			// Bucket i holds latencies below 2^(i+1) µs.
			w.Int(int64(1) << (i + 1))
			w.Int(cum)
			n++
		}
		w.FillMap(d, n)
	}
}

// latencyGraph draws an event's samples as columns of '#', one per
// sample, scaled to the worst, with the samples' ages below.
func latencyGraph(event string, ts *latencySeries) string {
	samples := ts.ordered()
	var b strings.Builder
	last := ts.latest()
	fmt.Fprintf(&b, "%s - high %d ms, low %d ms (all time high %d ms)\n", event, maxSample(samples), minSample(samples), ts.max)
	b.WriteString(strings.Repeat("-", 80) + "\n")
	const rows = 8
	top := max(maxSample(samples), 1)
	for r := rows; r >= 1; r-- {
		for _, sm := range samples {
			if sm.ms*rows >= top*int64(r) {
				b.WriteByte('#')
			} else {
				b.WriteByte(' ')
			}
		}
		b.WriteByte('\n')
	}
	b.WriteString(strings.Repeat("-", len(samples)) + "\n")
	for _, sm := range samples {
		age := last.time - sm.time
		switch {
		case age < 60:
			b.WriteByte('s')
		case age < 3600:
			b.WriteByte('m')
		default:
			b.WriteByte('h')
		}
	}
	b.WriteString("\n(each column is a sample, newest on the right; s, m, h: taken seconds, minutes or hours before the newest)\n")
	return b.String()
}

func maxSample(samples []latencySample) int64 {
	var m int64
	for _, sm := range samples {
		m = max(m, sm.ms)
	}
	return m
}

func minSample(samples []latencySample) int64 {
	if len(samples) == 0 {
		return 0
	}
	m := samples[0].ms
	for _, sm := range samples {
		m = min(m, sm.ms)
	}
	return m
}

// latencyDoctor is LATENCY DOCTOR's report: what was seen, and what to
// do about each kind of event.
func (s *Server) latencyDoctor() string {
	var b strings.Builder
	names := s.latencyEvents()
	if s.cfg.LatencyMonitorThresh <= 0 {
		b.WriteString("The latency monitor is off (latency-monitor-threshold is 0), so there is nothing to report.\n" +
			"Turn it on with CONFIG SET latency-monitor-threshold <milliseconds>, for example 100, and ask again later.\n")
		return b.String()
	}
	if len(names) == 0 {
		fmt.Fprintf(&b, "No event took %d ms or more since the monitor was started or reset. Nothing to fix.\n", s.cfg.LatencyMonitorThresh)
		return b.String()
	}
	fmt.Fprintf(&b, "Events that took %d ms or more (latency-monitor-threshold):\n\n", s.cfg.LatencyMonitorThresh)
	for i, name := range names {
		ts := s.latency[name]
		samples := ts.ordered()
		var sum int64
		for _, sm := range samples {
			sum += sm.ms
		}
		avg := int64(0)
		if len(samples) > 0 {
			avg = sum / int64(len(samples))
		}
		fmt.Fprintf(&b, "%d. %s: %d latency spikes (average %d ms, worst %d ms, latest %d ms at %s).\n",
			i+1, name, len(samples), avg, ts.max, ts.latest().ms, time.Unix(ts.latest().time, 0).UTC().Format(time.RFC3339))
	}
	b.WriteString("\nWhat to do:\n")
	for _, name := range names {
		switch name {
		case "command":
			b.WriteString("- command: slow commands ran. SLOWLOG GET shows which; prefer commands whose cost does not grow with the data (SCAN over KEYS, UNLINK over DEL of big values, bounded ranges).\n")
		case "fast-command":
			b.WriteString("- fast-command: commands that should take microseconds took milliseconds: the machine is short of CPU, or the process was stopped (swap, a noisy neighbour). Check the load and that the dataset fits in RAM.\n")
		case "expire-cycle":
			b.WriteString("- expire-cycle: the active expiry deleted big keys or very many at once. Spread the expiry times, or set lazyfree-lazy-expire yes to free big values in the background.\n")
		case "eviction-cycle", "eviction-del":
			fmt.Fprintf(&b, "- %s: maxmemory evicted big keys or very many at once. Set lazyfree-lazy-eviction yes to free big values in the background, keep big collections out of an evictable keyspace, or give maxmemory more room.\n", name)
		case "eviction-lazyfree":
			b.WriteString("- eviction-lazyfree: nothing was left to evict and the values lazyfree-lazy-eviction had queued were freed in the foreground to get under maxmemory: the node is full of big keys. Give maxmemory more room or make the keys smaller.\n")
		case "aof-write", "aof-write-alone", "aof-write-active-child", "aof-write-pending-fsync":
			fmt.Fprintf(&b, "- %s: writing the AOF buffer to the file was slow: the disk is slow or busy (with a background save or rewrite for active-child, with the previous fsync for pending-fsync). Use a faster disk, or no-appendfsync-on-rewrite yes if losing the writes of a rewrite's duration on a crash is acceptable.\n", name)
		case "aof-fsync-always":
			b.WriteString("- aof-fsync-always: an fsync under appendfsync always was slow: every write waits for it. Use a disk with fast syncs, or appendfsync everysec.\n")
		case "aof-fstat", "aof-rename":
			fmt.Fprintf(&b, "- %s: a file system operation on the AOF directory was slow: the file system is busy or remote.\n", name)
		case "rdb-unlink-temp-file":
			b.WriteString("- rdb-unlink-temp-file: removing the temporary file of a killed background save was slow: the file system is busy.\n")
		case "snapshot-step":
			b.WriteString("- snapshot-step: one step of a background save, rewrite or full resynchronisation held the server that long: big keys are serialised whole under the lock. Split big keys, or schedule background saves off-peak.\n")
		default:
			fmt.Fprintf(&b, "- %s: see the event's series with LATENCY HISTORY %s.\n", name, name)
		}
	}
	return b.String()
}
