package server

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
)

// The latency monitor (Redis's latency.c): with latency-monitor-threshold
// set, every event that takes at least that many milliseconds (a command,
// a fast command, an expire cycle) is recorded in the event's series of
// the last 160 seconds that had one, one sample per second (the worst of
// that second), with the worst since the last reset. LATENCY reads the
// series; LATENCY HISTOGRAM reads the commands' latency histograms, which
// latency-tracking keeps.

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
// (Redis's latencyAddSampleIfNeeded). The caller holds the engine lock.
func (s *Server) latencyAdd(event string, d time.Duration) {
	threshold := s.cfg.LatencyMonitorThresh
	ms := d.Milliseconds()
	if threshold <= 0 || ms < threshold {
		return
	}
	if s.latency == nil {
		s.latency = map[string]*latencySeries{}
	}
	ts := s.latency[event]
	if ts == nil {
		ts = &latencySeries{}
		s.latency[event] = ts
	}
	now := time.Now().Unix()
	ts.max = max(ts.max, ms)
	prev := &ts.samples[(ts.next+latencySeriesLen-1)%latencySeriesLen]
	if prev.time == now {
		prev.ms = max(prev.ms, ms)
		return
	}
	ts.samples[ts.next] = latencySample{time: now, ms: ms}
	ts.next = (ts.next + 1) % latencySeriesLen
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

func (s *Server) registerLatencyCommands(h func(string, srvHandler)) {
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
		default:
			fmt.Fprintf(&b, "- %s: see the event's series with LATENCY HISTORY %s.\n", name, name)
		}
	}
	return b.String()
}
