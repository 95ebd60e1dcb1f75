package server

import (
	"errors"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/metrics"
)

// The Prometheus endpoint (package metrics): off by default, on its own
// port (metrics-port) and address (metrics-bind), both settable with
// CONFIG SET. A scrape takes one snapshot of the figures under the
// engine lock, the same figures INFO shows, and costs the running
// commands one short hold of the lock.

type metricsServer struct {
	mu   sync.Mutex // guards srv, the HTTP goroutines' only shared state
	srv  *http.Server
	addr string
}

// startMetrics starts (or moves, or stops) the endpoint as the
// configuration says.
func (s *Server) startMetrics() error {
	m := &s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	addr := ""
	if s.cfg.MetricsPort > 0 {
		addr = net.JoinHostPort(s.cfg.MetricsBind, strconv.Itoa(int(s.cfg.MetricsPort)))
	}
	if addr == m.addr {
		return nil
	}
	var l net.Listener
	if addr != "" {
		var err error
		if l, err = net.Listen("tcp", addr); err != nil {
			return err
		}
	}
	if m.srv != nil {
		m.srv.Close()
		m.srv = nil
	}
	m.addr = addr
	if l == nil {
		return nil
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", metrics.Handler(s))
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go m.srv.Serve(l)
	s.log.Noticef("Serving Prometheus metrics on http://%s/metrics", addr)
	return nil
}

func (s *Server) stopMetrics() {
	m := &s.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.srv != nil {
		m.srv.Close()
		m.srv, m.addr = nil, ""
	}
}

func (s *Server) registerMetricsAppliers() {
	apply := func() error {
		if err := s.startMetrics(); err != nil {
			return errors.New("Unable to listen on the metrics port. Check server logs.")
		}
		return nil
	}
	s.cfg.OnApply("metrics-port", apply)
	s.cfg.OnApply("metrics-bind", apply)
}

// MetricsSnapshot implements metrics.Source: the figures are taken under
// the engine lock, or by the busy script that holds it.
func (s *Server) MetricsSnapshot(out *metrics.Snapshot) {
	s.eng.Do(func() { s.fillSnapshot(out) })
}

// hotKeysServed is how many of the hottest keys a scrape reports, each
// a series of its own: as many as INFO guardrails lists, and few enough
// that the key label stays bounded.
const hotKeysServed = 10

func (s *Server) fillSnapshot(out *metrics.Snapshot) {
	s.latencyDrain()
	m := s.memory()
	st := &s.stats
	netIn, netOut := st.netIn, st.netOut
	for _, c := range s.clients {
		netIn += c.netIn.Load()
		netOut += c.netOut.Load()
	}
	*out = metrics.Snapshot{
		UptimeSeconds:       int64(time.Since(s.startTime).Seconds()),
		ConnectedClients:    int64(len(s.clients)),
		BlockedClients:      int64(s.blockedClients + len(s.pause.clients)),
		UsedMemory:          m.used(),
		UsedMemoryRSS:       m.rss,
		MaxMemory:           s.cfg.MaxMemory,
		ConnectionsReceived: st.connectionsReceived,
		RejectedConnections: st.rejectedConns,
		CommandsProcessed:   st.commands,
		NetInputBytes:       netIn,
		NetOutputBytes:      netOut,
		KeyspaceHits:        s.ks.Stats.Hits,
		KeyspaceMisses:      s.ks.Stats.Misses,
		ExpiredKeys:         s.ks.Stats.ExpiredKeys,
		EvictedKeys:         s.evictState.evicted,
		RDBChangesSinceSave: st.dirty,
		RDBLastSaveTime:     s.lastSave,
		RDBLastBgsaveOK:     !s.persist.lastBgFailed,
		AOFEnabled:          s.aof.state != aofOff,
		AOFLastRewriteOK:    !s.aof.lastRwFailed,
		CachedScripts:       int64(s.scripts.vm.Scripts()),
		ScriptBusy:          s.busyScript() != nil,
		ScriptRollback:      s.cfg.ScriptKillRollback,
	}
	s.cmds.Each(func(cmd *command.Command) {
		if cmd.Stats.Calls > 0 || cmd.Stats.Failed > 0 || cmd.Stats.Rejected > 0 {
			out.Commands = append(out.Commands, metrics.CommandStats{Name: cmd.FullName(), Calls: cmd.Stats.Calls,
				Failed: cmd.Stats.Failed, Rejected: cmd.Stats.Rejected, Usec: cmd.Stats.Usec})
		}
	})
	for _, db := range s.ks.DBs {
		if n := db.Len(); n > 0 {
			out.DBs = append(out.DBs, metrics.DBStats{Index: db.ID, Keys: int64(n), Expiring: int64(db.ExpiresLen())})
		}
	}
	for code, n := range s.errStats {
		out.Errors = append(out.Errors, metrics.ErrorStats{Code: code, Count: n})
	}
	s.replicationMetrics(out)
	out.EvictableKeys, out.OOMForecastSecs, out.EvictedYoungKeys = s.evictableKeys(), s.oomForecast(), s.guard.youngEvicted
	out.BigKeysSeen, out.BigReplies, out.SlowKeysCommands = s.bigKeys.seen, s.bigKeys.replies, s.bigKeys.slowKeys
	out.AuthFailures = s.guard.authFailures
	if h := s.ks.Hot; h != nil {
		for _, k := range h.Top(hotKeysServed) {
			out.HotKeys = append(out.HotKeys, metrics.HotKey{DB: k.DB, Key: k.Key, Count: k.Count})
		}
	}
	for _, name := range s.latencyEvents() {
		ts := s.latency[name]
		last := ts.latest()
		out.LatencyLatest = append(out.LatencyLatest, metrics.LatencyEvent{Event: name, LatestMs: last.ms, MaxMs: ts.max, Timestamp: last.time})
	}
}

// replicationMetrics adds INFO replication's figures to a scrape.
func (s *Server) replicationMetrics(out *metrics.Snapshot) {
	r := &s.repl
	nowT := time.Now()
	out.ConnectedSlaves = int64(len(r.replicas))
	out.MasterReplOffset, out.SecondReplOffset = r.offset, r.secondOffset
	out.SyncFull, out.SyncPartialOK, out.SyncPartialErr = r.syncFull, r.syncPartialOK, r.syncPartialErr
	for _, c := range r.replicas {
		state := c.replicaStateName()
		// As INFO's slaveN lag: 0 until the replica first acknowledges.
		lag := int64(0)
		if !c.rs.ackTime.IsZero() {
			lag = int64(nowT.Sub(c.rs.ackTime).Seconds())
		}
		out.Replicas = append(out.Replicas, metrics.ReplicaStats{IP: c.replicaIP(), Port: strconv.Itoa(c.rs.listenPort),
			State: state, Offset: c.rs.ackOff, LagSeconds: lag, Acking: c.rs.state == replOnline && !c.rs.oldSync})
	}
	if lk := r.master; lk != nil {
		out.Link = &metrics.LinkStats{Host: lk.host, Port: strconv.Itoa(lk.port), Up: lk.state == linkConnected,
			SyncInProgress: lk.state == linkTransfer, LastIOSeconds: (now() - lk.lastIO.Load()) / 1000, SlaveReplOffset: r.offset,
			ReadOnly: s.cfg.ReplicaReadOnly}
	}
	out.ReplBacklogSize = s.cfg.ReplBacklogSize
	if b := r.backlog; b != nil {
		out.BacklogSize, out.BacklogHistLen = int64(b.Size()), int64(b.HistLen())
		out.BacklogCovers = s.backlogCoversSeconds(nowT)
		out.BacklogActive, out.BacklogFirstByte, out.ReplBacklogSize = true, b.First(), int64(b.Size())
	}
}
