// Package metrics serves a server's figures to Prometheus, under the
// metric names and labels of oliver006/redis_exporter, so that the
// dashboards and alerts built on that exporter work unchanged against
// Redoubt without running an exporter beside it; series that are
// Redoubt's own start with redoubt_.
//
// Redoubt's own series are about what Redis does not report:
//
//   - the replication backlog's cover (redoubt_repl_backlog_*), and each
//     acknowledging replica's lag in bytes (redoubt_replica_lag_bytes)
//     and as a share of the backlog's history
//     (redoubt_replica_lag_backlog_ratio: at 1 a cut link needs a full
//     resync) and of its size (redoubt_replica_lag_backlog_size_ratio,
//     the share the log warns about past 0.75), labelled slave_ip and
//     slave_port as redis_exporter labels its replica series;
//   - the guardrails of INFO guardrails: the memory forecast
//     (redoubt_evictable_keys, redoubt_oom_forecast_seconds,
//     redoubt_evicted_young_keys_total), big keys and replies
//     (redoubt_big_keys_total, redoubt_big_replies_total,
//     redoubt_slow_keys_commands_total), the hottest keys
//     (redoubt_hot_key_sampled_accesses, one series per key of the top
//     ten, labelled db and key; a key is clipped to 64 bytes and made
//     valid UTF-8 for its label) and failed AUTH and HELLO AUTH attempts
//     (redoubt_auth_failures_total);
//   - scripts (redoubt_script_busy, redoubt_script_kill_rollback) and the
//     latency monitor's worst spikes (redoubt_latency_spike_max_seconds).
//
// The package knows nothing of the server: at each scrape it asks a
// Source to fill a Snapshot (the server takes it under its engine lock)
// and turns it into metrics. Nothing is kept between scrapes.
package metrics

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Snapshot is what a scrape reports; the fields are named after the INFO
// fields they come from.
type Snapshot struct {
	UptimeSeconds       int64
	ConnectedClients    int64
	BlockedClients      int64
	UsedMemory          int64
	UsedMemoryRSS       int64
	MaxMemory           int64
	ConnectionsReceived int64
	RejectedConnections int64
	CommandsProcessed   int64
	NetInputBytes       int64
	NetOutputBytes      int64
	KeyspaceHits        int64
	KeyspaceMisses      int64
	ExpiredKeys         int64
	EvictedKeys         int64
	ConnectedSlaves     int64
	RDBChangesSinceSave int64
	RDBLastSaveTime     int64
	RDBLastBgsaveOK     bool
	AOFEnabled          bool
	AOFLastRewriteOK    bool
	CachedScripts       int64
	Commands            []CommandStats
	DBs                 []DBStats
	Errors              []ErrorStats
	// Replication: the stream's offset, the replicas of a primary, the
	// link of a replica (nil on a primary), the backlog.
	MasterReplOffset int64
	SecondReplOffset int64
	Replicas         []ReplicaStats
	Link             *LinkStats
	// BacklogSize and BacklogHistLen are the backlog's (0 without one);
	// ReplBacklogSize is INFO's repl_backlog_size (the configured size
	// without a backlog).
	BacklogSize      int64
	BacklogHistLen   int64
	BacklogCovers    int64
	BacklogActive    bool
	BacklogFirstByte int64
	ReplBacklogSize  int64
	// INFO stats' sync_full, sync_partial_ok, sync_partial_err.
	SyncFull, SyncPartialOK, SyncPartialErr int64
	// The memory guardrails (incidents A and B).
	EvictableKeys    int64
	OOMForecastSecs  int64
	EvictedYoungKeys int64
	// The other guardrails: big keys (incident 1), slow KEYS (7), hot
	// keys (3), failed authentications.
	BigKeysSeen      int64
	BigReplies       int64
	SlowKeysCommands int64
	HotKeys          []HotKey
	AuthFailures     int64
	// Redoubt's own series.
	ScriptBusy     bool
	LatencyLatest  []LatencyEvent
	ScriptRollback bool
}

// CommandStats is a command's INFO commandstats line.
type CommandStats struct {
	Name                    string
	Calls, Failed, Rejected int64
	Usec                    int64
}

// DBStats is a database's INFO keyspace line.
type DBStats struct {
	Index          int
	Keys, Expiring int64
}

// ErrorStats is an INFO errorstats line.
type ErrorStats struct {
	Code  string
	Count int64
}

// ReplicaStats is an INFO slaveN line.
type ReplicaStats struct {
	IP, Port, State string
	Offset          int64
	LagSeconds      int64
	// Acking says the replica is online and acknowledges the stream, so
	// that Offset is where it is (one still loading its snapshot, or
	// attached with the old SYNC, has no offset to compare).
	Acking bool
}

// LinkStats is a replica's link to its primary.
type LinkStats struct {
	Host, Port         string
	Up, SyncInProgress bool
	LastIOSeconds      int64
	SlaveReplOffset    int64
	ReadOnly           bool // slave_read_only
}

// HotKey is one of the hottest keys and its estimated sampled accesses
// (INFO guardrails' hot_keys).
type HotKey struct {
	DB    int
	Key   string
	Count uint64
}

// LatencyEvent is a latency monitor event's latest and worst samples.
type LatencyEvent struct {
	Event     string
	LatestMs  int64
	MaxMs     int64
	Timestamp int64
}

// Source fills a snapshot; it is called once per scrape.
type Source interface {
	MetricsSnapshot(s *Snapshot)
}

// Handler serves src's metrics in Prometheus's text format.
func Handler(src Source) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{src: src})
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

type collector struct{ src Source }

// names lists every metric the endpoint can serve (Names), descs their
// descriptions.
var (
	names []string
	descs []*prometheus.Desc
)

func desc(name, help string, labels ...string) *prometheus.Desc {
	d := prometheus.NewDesc(name, help, labels, nil)
	names = append(names, name)
	descs = append(descs, d)
	return d
}

// Names returns the name of every metric the endpoint can serve.
func Names() []string { return append([]string(nil), names...) }

var (
	descUp              = desc("redis_up", "Whether the server answered the scrape.")
	descUptime          = desc("redis_uptime_in_seconds", "uptime_in_seconds")
	descClients         = desc("redis_connected_clients", "connected_clients")
	descBlocked         = desc("redis_blocked_clients", "blocked_clients")
	descMemUsed         = desc("redis_memory_used_bytes", "used_memory")
	descMemRSS          = desc("redis_memory_used_rss_bytes", "used_memory_rss")
	descMemMax          = desc("redis_memory_max_bytes", "maxmemory")
	descConnsReceived   = desc("redis_connections_received_total", "total_connections_received")
	descConnsRejected   = desc("redis_rejected_connections_total", "rejected_connections")
	descCommandsTotal   = desc("redis_commands_processed_total", "total_commands_processed")
	descNetIn           = desc("redis_net_input_bytes_total", "total_net_input_bytes")
	descNetOut          = desc("redis_net_output_bytes_total", "total_net_output_bytes")
	descHits            = desc("redis_keyspace_hits_total", "keyspace_hits")
	descMisses          = desc("redis_keyspace_misses_total", "keyspace_misses")
	descExpired         = desc("redis_expired_keys_total", "expired_keys")
	descEvicted         = desc("redis_evicted_keys_total", "evicted_keys")
	descSlaves          = desc("redis_connected_slaves", "connected_slaves")
	descRDBChanges      = desc("redis_rdb_changes_since_last_save", "rdb_changes_since_last_save")
	descRDBLastSave     = desc("redis_rdb_last_save_timestamp_seconds", "rdb_last_save_time")
	descRDBStatus       = desc("redis_rdb_last_bgsave_status", "rdb_last_bgsave_status (1 ok)")
	descAOFEnabled      = desc("redis_aof_enabled", "aof_enabled")
	descAOFStatus       = desc("redis_aof_last_bgrewrite_status", "aof_last_bgrewrite_status (1 ok)")
	descScripts         = desc("redis_number_of_cached_scripts", "number_of_cached_scripts")
	descCmdCalls        = desc("redis_commands_total", "Calls of the command.", "cmd")
	descCmdDuration     = desc("redis_commands_duration_seconds_total", "Time spent in the command.", "cmd")
	descCmdFailed       = desc("redis_commands_failed_calls_total", "Calls of the command that replied an error.", "cmd")
	descCmdRejected     = desc("redis_commands_rejected_calls_total", "Calls of the command refused before it ran.", "cmd")
	descDBKeys          = desc("redis_db_keys", "Keys in the database.", "db")
	descDBExpiring      = desc("redis_db_keys_expiring", "Keys with a time to live in the database.", "db")
	descErrors          = desc("redis_errors_total", "Error replies, by error code.", "err")
	descLatencyLatest   = desc("redis_latency_spike_last", "The latest latency spike's start, Unix seconds.", "event_name")
	descLatencyDuration = desc("redis_latency_spike_duration_seconds", "The latest latency spike's duration.", "event_name")
	descReplOffset      = desc("redis_master_repl_offset", "master_repl_offset")
	descSlaveOffset     = desc("redis_connected_slave_offset_bytes", "Offset of connected slave", "slave_ip", "slave_port", "slave_state")
	descSlaveLag        = desc("redis_connected_slave_lag_seconds", "Lag of connected slave", "slave_ip", "slave_port", "slave_state")
	descLinkUp          = desc("redis_master_link_up", "master_link_status (1 up)", "master_host", "master_port")
	descLinkLastIO      = desc("redis_master_last_io_seconds_ago", "master_last_io_seconds_ago", "master_host", "master_port")
	descLinkOffset      = desc("redis_slave_repl_offset", "slave_repl_offset", "master_host", "master_port")
	descLinkSyncing     = desc("redis_master_sync_in_progress", "master_sync_in_progress", "master_host", "master_port")
	descBacklogSize     = desc("redoubt_repl_backlog_size_bytes", "The replication backlog's size now (it grows to cover repl-backlog-cover seconds).")
	descBacklogHist     = desc("redoubt_repl_backlog_history_bytes", "Stream bytes the backlog holds (repl_backlog_histlen).")
	descBacklogCovers   = desc("redoubt_repl_backlog_covers_seconds", "Seconds of stream the backlog holds: how long a replica may stay cut off and still continue partially.")
	descLagOfBacklog    = desc("redoubt_replica_lag_backlog_ratio", "A replica's lag as a share of the backlog's history: at 1 a cut link needs a full resync.", "slave_ip", "slave_port")
	descLagBytes        = desc("redoubt_replica_lag_bytes", "Stream bytes an acknowledging replica is behind master_repl_offset.", "slave_ip", "slave_port")
	descLagOfSize       = desc("redoubt_replica_lag_backlog_size_ratio", "An acknowledging replica's lag as a share of the backlog's size (repl-backlog-size, or more while repl-backlog-cover grew it); the log warns past 0.75.", "slave_ip", "slave_port")
	descSlaveInfo       = desc("redis_slave_info", "Information about the Redis slave", "master_host", "master_port", "read_only")
	descBacklogBytes    = desc("redis_replication_backlog_bytes", "repl_backlog_size")
	descBacklogActive   = desc("redis_repl_backlog_is_active", "repl_backlog_active")
	descBacklogFirst    = desc("redis_repl_backlog_first_byte_offset", "repl_backlog_first_byte_offset")
	descBacklogHistX    = desc("redis_repl_backlog_history_bytes", "repl_backlog_histlen")
	descSecondOffset    = desc("redis_second_repl_offset", "second_repl_offset")
	descSyncFull        = desc("redis_replica_resyncs_full", "sync_full")
	descSyncPartialOK   = desc("redis_replica_partial_resync_accepted", "sync_partial_ok")
	descSyncPartialErr  = desc("redis_replica_partial_resync_denied", "sync_partial_err")
	descBigKeys         = desc("redoubt_big_keys_total", "Keys noticed past large-key-alarm-elements or large-key-alarm-bytes when written (INFO guardrails big_keys_seen).")
	descBigReplies      = desc("redoubt_big_replies_total", "Replies over large-reply-alarm-bytes (INFO guardrails big_replies).")
	descSlowKeys        = desc("redoubt_slow_keys_commands_total", "KEYS commands that held the server 100 ms or more (INFO guardrails slow_keys_commands).")
	descHotKey          = desc("redoubt_hot_key_sampled_accesses", "One of the ten hottest keys: its sampled accesses (one in hotkeys-sample-every), halved every ten seconds.", "db", "key")
	descAuthFailures    = desc("redoubt_auth_failures_total", "AUTH and HELLO AUTH attempts refused with WRONGPASS (INFO guardrails auth_failures).")
	descEvictable       = desc("redoubt_evictable_keys", "Keys maxmemory-policy may still evict (only those with a TTL under volatile-*).")
	descOOMForecast     = desc("redoubt_oom_forecast_seconds", "At the last minute's eviction rate, seconds until nothing is left to evict and writes fail with OOM; -1 when nothing is evicted.")
	descYoungEvicted    = desc("redoubt_evicted_young_keys_total", "Evictions of keys used less than eviction-young-age seconds before (keys that vanish right after being written).")
	descScriptBusy      = desc("redoubt_script_busy", "1 while a script runs past busy-reply-threshold (other clients get -BUSY).")
	descScriptRollback  = desc("redoubt_script_kill_rollback", "1 when SCRIPT KILL rolls back a script that wrote (script-kill-rollback).")
	descLatencyMax      = desc("redoubt_latency_spike_max_seconds", "The worst latency spike of the event since the last LATENCY RESET.", "event_name")
)

// Describe sends every description, without collecting: Handler
// registers the collector when the endpoint starts, which CONFIG SET
// metrics-port does under the server's engine lock, and a collection
// there (prometheus.DescribeByCollect) would wait for that lock forever.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range descs {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	var s Snapshot
	c.src.MetricsSnapshot(&s)
	gauge := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), labels...)
	}
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge(descUp, 1)
	gauge(descUptime, s.UptimeSeconds)
	gauge(descClients, s.ConnectedClients)
	gauge(descBlocked, s.BlockedClients)
	gauge(descMemUsed, s.UsedMemory)
	gauge(descMemRSS, s.UsedMemoryRSS)
	gauge(descMemMax, s.MaxMemory)
	counter(descConnsReceived, s.ConnectionsReceived)
	counter(descConnsRejected, s.RejectedConnections)
	counter(descCommandsTotal, s.CommandsProcessed)
	counter(descNetIn, s.NetInputBytes)
	counter(descNetOut, s.NetOutputBytes)
	counter(descHits, s.KeyspaceHits)
	counter(descMisses, s.KeyspaceMisses)
	counter(descExpired, s.ExpiredKeys)
	counter(descEvicted, s.EvictedKeys)
	gauge(descSlaves, s.ConnectedSlaves)
	gauge(descRDBChanges, s.RDBChangesSinceSave)
	gauge(descRDBLastSave, s.RDBLastSaveTime)
	gauge(descRDBStatus, boolInt(s.RDBLastBgsaveOK))
	gauge(descAOFEnabled, boolInt(s.AOFEnabled))
	gauge(descAOFStatus, boolInt(s.AOFLastRewriteOK))
	gauge(descScripts, s.CachedScripts)
	for _, cmd := range s.Commands {
		counter(descCmdCalls, cmd.Calls, cmd.Name)
		ch <- prometheus.MustNewConstMetric(descCmdDuration, prometheus.CounterValue, float64(cmd.Usec)/1e6, cmd.Name)
		counter(descCmdFailed, cmd.Failed, cmd.Name)
		counter(descCmdRejected, cmd.Rejected, cmd.Name)
	}
	for _, db := range s.DBs {
		name := "db" + strconv.Itoa(db.Index)
		gauge(descDBKeys, db.Keys, name)
		gauge(descDBExpiring, db.Expiring, name)
	}
	for _, e := range s.Errors {
		counter(descErrors, e.Count, e.Code)
	}
	for _, ev := range s.LatencyLatest {
		gauge(descLatencyLatest, ev.Timestamp, ev.Event)
		ch <- prometheus.MustNewConstMetric(descLatencyDuration, prometheus.GaugeValue, float64(ev.LatestMs)/1000, ev.Event)
		ch <- prometheus.MustNewConstMetric(descLatencyMax, prometheus.GaugeValue, float64(ev.MaxMs)/1000, ev.Event)
	}
	gauge(descReplOffset, s.MasterReplOffset)
	gauge(descSecondOffset, s.SecondReplOffset)
	for _, r := range s.Replicas {
		gauge(descSlaveOffset, r.Offset, r.IP, r.Port, r.State)
		gauge(descSlaveLag, r.LagSeconds, r.IP, r.Port, r.State)
		if s.BacklogHistLen > 0 {
			lag := float64(s.MasterReplOffset-r.Offset) / float64(s.BacklogHistLen)
			ch <- prometheus.MustNewConstMetric(descLagOfBacklog, prometheus.GaugeValue, lag, r.IP, r.Port)
		}
		if !r.Acking {
			continue
		}
		lag := max(s.MasterReplOffset-r.Offset, 0)
		gauge(descLagBytes, lag, r.IP, r.Port)
		if s.BacklogSize > 0 {
			ch <- prometheus.MustNewConstMetric(descLagOfSize, prometheus.GaugeValue, float64(lag)/float64(s.BacklogSize), r.IP, r.Port)
		}
	}
	if l := s.Link; l != nil {
		gauge(descLinkUp, boolInt(l.Up), l.Host, l.Port)
		gauge(descLinkLastIO, l.LastIOSeconds, l.Host, l.Port)
		gauge(descLinkOffset, l.SlaveReplOffset, l.Host, l.Port)
		gauge(descLinkSyncing, boolInt(l.SyncInProgress), l.Host, l.Port)
		gauge(descSlaveInfo, 1, l.Host, l.Port, strconv.FormatInt(boolInt(l.ReadOnly), 10))
	}
	gauge(descBacklogSize, s.BacklogSize)
	gauge(descBacklogHist, s.BacklogHistLen)
	gauge(descBacklogCovers, s.BacklogCovers)
	gauge(descBacklogBytes, s.ReplBacklogSize)
	gauge(descBacklogActive, boolInt(s.BacklogActive))
	gauge(descBacklogFirst, s.BacklogFirstByte)
	gauge(descBacklogHistX, s.BacklogHistLen)
	gauge(descSyncFull, s.SyncFull)
	gauge(descSyncPartialOK, s.SyncPartialOK)
	gauge(descSyncPartialErr, s.SyncPartialErr)
	gauge(descEvictable, s.EvictableKeys)
	gauge(descOOMForecast, s.OOMForecastSecs)
	counter(descYoungEvicted, s.EvictedYoungKeys)
	counter(descBigKeys, s.BigKeysSeen)
	counter(descBigReplies, s.BigReplies)
	counter(descSlowKeys, s.SlowKeysCommands)
	counter(descAuthFailures, s.AuthFailures)
	seen := map[[2]string]bool{}
	for _, h := range s.HotKeys {
		labels := [2]string{"db" + strconv.Itoa(h.DB), keyLabel(h.Key)}
		// Two keys that differ only past the clip, or in bytes that
		// are not UTF-8, share a label: the hotter one (first) stands
		// for both, since a scrape must not carry a series twice.
		if seen[labels] {
			continue
		}
		seen[labels] = true
		ch <- prometheus.MustNewConstMetric(descHotKey, prometheus.GaugeValue, float64(h.Count), labels[0], labels[1])
	}
	gauge(descScriptBusy, boolInt(s.ScriptBusy))
	gauge(descScriptRollback, boolInt(s.ScriptRollback))
}

// keyLabelMax is how much of a key a label carries.
const keyLabelMax = 64

// keyLabel is a key as a label value: Prometheus's label values are
// UTF-8, and a long key would make every sample as long.
func keyLabel(key string) string {
	if len(key) > keyLabelMax {
		key = key[:keyLabelMax] + "..."
	}
	return strings.ToValidUTF8(key, "\uFFFD")
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
