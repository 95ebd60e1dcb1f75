package server

import (
	"sync/atomic"
	"time"
)

// stats are the server-wide counters of INFO stats.
type stats struct {
	connectionsReceived int64
	rejectedConns       int64
	commands            int64
	rejectedCalls       int64
	// unexpectedErrors counts errors a replica's primary or the AOF
	// got (unexpected_error_replies).
	unexpectedErrors int64
	// evictedClients counts clients maxmemory-clients disconnected.
	evictedClients    int64
	totalErrorReplies int64
	errStatsOverflow  bool
	dirty             int64
	// jobs counts background saves and rewrites started (INFO
	// total_forks: each is a fork in Redis).
	jobs          int64
	netIn, netOut int64 // from closed clients; live ones are added on read
	// reads and writes count socket reads and writes, done outside the
	// engine lock.
	reads, writes atomic.Int64

	// Instantaneous metrics: a ring of samples taken every 100ms.
	samples   [16]opsSample
	sampleIdx int
	lastOps   opsSample
}

type opsSample struct {
	t                     time.Time
	commands, netIn, netO int64
}

// reset zeroes the counters (CONFIG RESETSTAT).
func (st *stats) reset() {
	st.connectionsReceived, st.rejectedConns, st.commands, st.rejectedCalls = 0, 0, 0, 0
	st.totalErrorReplies, st.errStatsOverflow, st.netIn, st.netOut = 0, false, 0, 0
	st.unexpectedErrors, st.evictedClients = 0, 0
	st.reads.Store(0)
	st.writes.Store(0)
	st.samples, st.sampleIdx, st.lastOps = [16]opsSample{}, 0, opsSample{}
}

// sample records the counters' progress for the instantaneous metrics.
func (st *stats) sample(t time.Time) {
	cur := opsSample{t: t, commands: st.commands, netIn: st.netIn, netO: st.netOut}
	st.samples[st.sampleIdx%len(st.samples)] = opsSample{
		t:        t,
		commands: st.rate(cur.commands-st.lastOps.commands, t),
		netIn:    st.rate(cur.netIn-st.lastOps.netIn, t),
		netO:     st.rate(cur.netO-st.lastOps.netO, t),
	}
	st.sampleIdx++
	st.lastOps = cur
}

func (st *stats) rate(delta int64, t time.Time) int64 {
	if st.lastOps.t.IsZero() {
		return 0
	}
	ms := t.Sub(st.lastOps.t).Milliseconds()
	if ms <= 0 {
		return 0
	}
	return delta * 1000 / ms
}

// instantaneous averages the samples of one metric.
func (st *stats) instantaneous(get func(opsSample) int64) int64 {
	var sum int64
	for _, s := range st.samples {
		sum += get(s)
	}
	return sum / int64(len(st.samples))
}
