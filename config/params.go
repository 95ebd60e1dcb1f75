package config

import (
	"errors"
	"strings"
)

// Values are the settings the server acts on, typed. Parameters accepted
// only for compatibility keep their validated value in extra.
type Values struct {
	Port                   int64
	Bind                   []string
	ProtectedMode          bool
	RequirePass            string
	Databases              int64
	Timeout                int64
	TCPKeepalive           int64
	TCPBacklog             int64
	MaxClients             int64
	Hz                     int64
	DynamicHz              bool
	Dir                    string
	LogFile                string
	LogLevel               string
	Daemonize              bool
	PidFile                string
	SlowlogLogSlowerThan   int64
	SlowlogMaxLen          int64
	LatencyMonitorThresh   int64
	ProtoMaxBulkLen        int64
	ClientQueryBufferLimit int64
	EnableDebugCommand     string
	EnableProtectedConfigs string
	EnableModuleCommand    string
	MaxMemory              int64
	MaxMemoryPolicy        string
	MaxMemorySamples       int64
	// MaxMemoryClients is a size, or minus a percentage of maxmemory.
	MaxMemoryClients      int64
	LFULogFactor          int64
	LFUDecayTime          int64
	ActiveExpireEffort    int64
	ReplPingReplicaPeriod int64
	LazyfreeLazyEviction  bool
	// ActiveRehashing lets the cron rehash the databases' tables a
	// millisecond per tick, as Redis's activerehashing does.
	ActiveRehashing       bool
	LazyfreeLazyExpire    bool
	LazyfreeLazyUserDel   bool
	LazyfreeLazyUserFlush bool
	LazyfreeLazyServerDel bool
	ReplicaLazyFlush      bool
	// NotifyKeyspaceEvents holds every flag set, 'A' standing for all the
	// classes; CONFIG GET shows it as Redis does (without 'n' after 'A').
	NotifyKeyspaceEvents string
	LatencyTracking      bool
	LatencyPercentiles   []float64
	BusyReplyThreshold   int64
	// ShutdownOnSigint and ShutdownOnSigterm are "default" or SHUTDOWN
	// flags such as "save now".
	ShutdownOnSigint  string
	ShutdownOnSigterm string
	ShutdownTimeout   int64
	// TrackingTableMaxKeys bounds client-side caching's key table.
	TrackingTableMaxKeys int64
	// IoThreads is the number of event loops serving clients.
	IoThreads int64
	// AuthFailureBackoff is the first back-off, in milliseconds, of a
	// source whose AUTH failed (server/authguard.go); 0 turns it off.
	AuthFailureBackoff int64
	// TLS: the port, the certificates and keys (the server's, the
	// client side's for outgoing links, the CAs), and the handshake's
	// parameters; tls-auth-clients is no, yes or optional.
	TLSPort                                     int64
	TLSCertFile, TLSKeyFile, TLSKeyFilePass     string
	TLSClientCertFile, TLSClientKeyFile         string
	TLSClientKeyFilePass, TLSDHParamsFile       string
	TLSCACertFile, TLSCACertDir, TLSAuthClients string
	TLSProtocols, TLSCiphers, TLSCipherSuites   string
	TLSSessionCacheSize, TLSSessionCacheTimeout int64
	TLSPreferServerCiphers, TLSSessionCaching   bool
	TLSReplication, TLSCluster                  bool
	// IoPoller is how the event loops watch their sockets: "epoll",
	// "portable" (Go's own poller, on any platform) or "auto".
	IoPoller string
	// Save points; none means no snapshotting.
	Save []SavePoint
	// Encoding thresholds of the data types.
	ListMaxListpackSize    int64
	ListCompressDepth      int64
	StreamNodeMaxEntries   int64
	HashMaxListpackEntries int64
	SetMaxIntsetEntries    int64
	ZsetMaxListpackEntries int64
	HashMaxListpackValue   int64
	StreamNodeMaxBytes     int64
	ZsetMaxListpackValue   int64
	HllSparseMaxBytes      int64
	// The append-only file (multi-part, as Redis 7.0 writes it).
	AppendOnly                bool
	AppendFsync               string // always, everysec or no
	AppendFilename            string
	AppendDirname             string
	AOFUseRDBPreamble         bool
	AOFLoadTruncated          bool
	AOFTimestampEnabled       bool
	AOFRewriteIncrementalSync bool
	NoAppendfsyncOnRewrite    bool
	AOFDisableAutoGC          bool
	AlwaysShowLogo            bool
	// NodeName names the node in the data directory's identity marker,
	// and DatadirGuard refuses to start on (or write to) a directory
	// holding data this node did not load or write (package datadir).
	NodeName     string
	DatadirGuard bool
	// ScriptKillRollback lets SCRIPT KILL stop a script that wrote by
	// rolling its writes back (server/scriptundo.go); ScriptUndoMaxBytes
	// bounds the copies the rollback keeps.
	ScriptKillRollback bool
	ScriptUndoMaxBytes int64
	// MemoryCompaction drains the arena's sparse pages when it maps much
	// more than its blobs hold (server/compact.go), by the thresholds of
	// Redis's active defragmentation (active-defrag-*).
	MemoryCompaction           bool
	ActiveDefragIgnoreBytes    int64
	ActiveDefragThresholdLower int64
	ActiveDefragThresholdUpper int64
	ActiveDefragCycleMin       int64
	ActiveDefragCycleMax       int64
	// ScriptMemoryLimit stops a script whose Lua state grew by more
	// than this many bytes (0: no limit).
	ScriptMemoryLimit int64
	// MetricsPort and MetricsBind place the Prometheus endpoint (port
	// 0: off).
	MetricsPort int64
	MetricsBind string
	// KeyLoadDelay slows loading per key (microseconds; negative: one
	// key in -n sleeps 1 µs), and LoadingEventsInterval is how many
	// bytes are loaded between two services of other clients: both
	// hidden, for tests, as in Redis.
	KeyLoadDelay int64
	// WatchdogPeriod logs the stacks of a command running longer (ms).
	WatchdogPeriod           int64
	LoadingEventsInterval    int64
	AutoAOFRewritePercentage int64
	AutoAOFRewriteMinSize    int64
	// RDBCompression compresses long strings in DUMP payloads and RDB files.
	RDBCompression bool
	// DBFilename is the RDB file's name in Dir.
	DBFilename string
	// StopWritesOnBgsaveError refuses writes (MISCONF) while the last
	// background save failed and save points are configured.
	StopWritesOnBgsaveError bool
	// RDBKeySaveDelay slows background saves by this many microseconds
	// per key (a hidden setting for tests).
	RDBKeySaveDelay int64
	// RDBChecksum seals RDB files with a CRC-64 and checks it on load.
	RDBChecksum bool

	// ClientOutputBufferLimits are the normal, replica and pubsub limits.
	ClientOutputBufferLimits [3]OutputBufferLimit
	OOMScoreAdjValues        [3]int64
	// Replication (see server/replication.go and server/replica.go).
	ReplBacklogSize, ReplBacklogTTL                    int64
	ReplBacklogCover, ReplBacklogCoverLimit            int64
	OOMForecastHorizon, EvictionYoungAge               int64
	BigKeyAlarmElements, BigKeyAlarmBytes              int64
	BigReplyAlarmBytes                                 int64
	HotKeysSampleEvery                                 int64
	ReplDisklessSync                                   bool
	ReplDisklessSyncDelay, ReplDisklessSyncMaxReplicas int64
	ReplDisklessLoad                                   string
	ReplTimeout                                        int64
	ReplDisableTCPNoDelay                              bool
	ReplicaReadOnly, ReplicaServeStaleData             bool
	ReplicaAnnounced                                   bool
	ReplicaAnnounceIP                                  string
	ReplicaAnnouncePort, ReplicaPriority               int64
	MasterAuth, MasterUser                             string
	MinReplicasToWrite, MinReplicasMaxLag              int64
	ReplicaIgnoreMaxmemory                             bool
	MaxMemoryEvictionTenacity                          int64
	PropagationErrorBehavior                           string
	// ReplicaOfHost is empty on a master.
	ReplicaOfHost    string
	ReplicaOfPort    int64
	ClusterEnabled   bool
	UnixSocket       string
	UnixSocketPerm   int64
	ACLFile          string
	ACLLogMaxLen     int64
	ACLPubsubDefault string

	extra map[string]any
	// notify is notify-keyspace-events as a bit set of notifyFlags.
	notify int
	// readingFile is true while a config file is loaded: the first save
	// line then replaces the default save points, later ones add to them.
	readingFile, saveLoaded bool
}

// A SavePoint snapshots the dataset after Seconds if Changes keys changed.
type SavePoint struct {
	Seconds int64
	Changes int64
}

// OutputBufferLimit is a client class's output buffer limit: disconnect at
// Hard bytes, or after Soft bytes for SoftSeconds. Zero disables a limit.
type OutputBufferLimit struct {
	Hard, Soft  uint64
	SoftSeconds int64
}

// Output buffer limit classes, in Redis's order.
var obufClasses = []string{"normal", "slave", "pubsub"}

// table lists every parameter of Redis 7.0 with its default, in the order
// of Redis's config.c.
func table() []*Param {
	protectedAction := items("no", "yes", "local")
	shutdownFlags := []enumItem{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}
	validShutdown := func(f int) error {
		if f&1 != 0 && f&2 != 0 {
			return errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
		}
		return nil
	}
	notBaseName := func(what string) func(*Values, string) error {
		return func(_ *Values, s string) error {
			if strings.ContainsAny(s, `/\`) {
				return errors.New(what)
			}
			return nil
		}
	}
	notEmptyBaseName := func(name, what string) func(*Values, string) error {
		return func(v *Values, s string) error {
			if s == "" {
				return errors.New(name + " can't be empty")
			}
			return notBaseName(name+" can't be a path, just a "+what)(v, s)
		}
	}
	return []*Param{
		// Booleans.
		boolParam("rdbchecksum", true, func(v *Values) *bool { return &v.RDBChecksum }).flag(Immutable),
		boolParam("daemonize", false, func(v *Values) *bool { return &v.Daemonize }).flag(Immutable),
		boolParam("io-threads-do-reads", false, nil).flag(Immutable),
		boolParam("datadir-guard", true, func(v *Values) *bool { return &v.DatadirGuard }).flag(Extension),
		boolParam("script-kill-rollback", true, func(v *Values) *bool { return &v.ScriptKillRollback }).flag(Extension),
		boolParam("memory-compaction", true, func(v *Values) *bool { return &v.MemoryCompaction }).flag(Extension),
		stringParam("node-name", "", true, validNodeName, func(v *Values) *string { return &v.NodeName }).flag(Immutable | Extension),
		boolParam("always-show-logo", false, func(v *Values) *bool { return &v.AlwaysShowLogo }).flag(Immutable),
		boolParam("protected-mode", true, func(v *Values) *bool { return &v.ProtectedMode }),
		boolParam("rdbcompression", true, func(v *Values) *bool { return &v.RDBCompression }),
		boolParam("rdb-del-sync-files", false, nil),
		boolParam("activerehashing", true, func(v *Values) *bool { return &v.ActiveRehashing }),
		boolParam("stop-writes-on-bgsave-error", true, func(v *Values) *bool { return &v.StopWritesOnBgsaveError }),
		boolParam("set-proc-title", true, nil).flag(Immutable),
		boolParam("dynamic-hz", true, func(v *Values) *bool { return &v.DynamicHz }),
		boolParam("lazyfree-lazy-eviction", false, func(v *Values) *bool { return &v.LazyfreeLazyEviction }),
		boolParam("lazyfree-lazy-expire", false, func(v *Values) *bool { return &v.LazyfreeLazyExpire }),
		boolParam("lazyfree-lazy-server-del", false, func(v *Values) *bool { return &v.LazyfreeLazyServerDel }),
		boolParam("lazyfree-lazy-user-del", false, func(v *Values) *bool { return &v.LazyfreeLazyUserDel }),
		boolParam("lazyfree-lazy-user-flush", false, func(v *Values) *bool { return &v.LazyfreeLazyUserFlush }),
		boolParam("repl-disable-tcp-nodelay", false, func(v *Values) *bool { return &v.ReplDisableTCPNoDelay }),
		boolParam("repl-diskless-sync", true, func(v *Values) *bool { return &v.ReplDisklessSync }),
		boolParam("aof-rewrite-incremental-fsync", true, func(v *Values) *bool { return &v.AOFRewriteIncrementalSync }),
		boolParam("no-appendfsync-on-rewrite", false, func(v *Values) *bool { return &v.NoAppendfsyncOnRewrite }),
		boolParam("cluster-require-full-coverage", true, nil),
		boolParam("rdb-save-incremental-fsync", true, nil),
		boolParam("aof-load-truncated", true, func(v *Values) *bool { return &v.AOFLoadTruncated }),
		boolParam("aof-use-rdb-preamble", true, func(v *Values) *bool { return &v.AOFUseRDBPreamble }),
		boolParam("aof-timestamp-enabled", false, func(v *Values) *bool { return &v.AOFTimestampEnabled }),
		boolParam("cluster-replica-no-failover", false, nil).alias("cluster-slave-no-failover"),
		boolParam("replica-lazy-flush", false, func(v *Values) *bool { return &v.ReplicaLazyFlush }).alias("slave-lazy-flush"),
		boolParam("replica-serve-stale-data", true, func(v *Values) *bool { return &v.ReplicaServeStaleData }).alias("slave-serve-stale-data"),
		boolParam("replica-read-only", true, func(v *Values) *bool { return &v.ReplicaReadOnly }).alias("slave-read-only"),
		boolParam("replica-ignore-maxmemory", true, func(v *Values) *bool { return &v.ReplicaIgnoreMaxmemory }).alias("slave-ignore-maxmemory"),
		boolParam("jemalloc-bg-thread", true, nil),
		// Like a Redis built without its own jemalloc, Redoubt cannot
		// defragment.
		boolParam("activedefrag", false, nil).refuseYes("Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"),
		boolParam("syslog-enabled", false, nil).flag(Immutable),
		boolParam("cluster-enabled", false, func(v *Values) *bool { return &v.ClusterEnabled }).flag(Immutable),
		boolParam("appendonly", false, func(v *Values) *bool { return &v.AppendOnly }).flag(DenyLoading),
		boolParam("cluster-allow-reads-when-down", false, nil),
		boolParam("cluster-allow-pubsubshard-when-down", true, nil),
		boolParam("crash-log-enabled", true, nil),
		boolParam("crash-memcheck-enabled", true, nil),
		boolParam("use-exit-on-panic", false, nil).flag(Hidden),
		boolParam("disable-thp", true, nil).flag(Immutable),
		boolParam("cluster-allow-replica-migration", true, nil),
		boolParam("replica-announced", true, func(v *Values) *bool { return &v.ReplicaAnnounced }),
		boolParam("latency-tracking", true, func(v *Values) *bool { return &v.LatencyTracking }),
		boolParam("aof-disable-auto-gc", false, func(v *Values) *bool { return &v.AOFDisableAutoGC }),
		boolParam("replica-ignore-disk-write-errors", false, nil),
		// A hidden switch of Debian's 7.0.15 (the reference), from a
		// security fix to Lua's deprecated API.
		boolParam("lua-enable-deprecated-api", false, nil).flag(Immutable | Hidden),

		// Strings.
		stringParam("aclfile", "", false, nil, func(v *Values) *string { return &v.ACLFile }).flag(Immutable),
		stringParam("unixsocket", "", true, nil, func(v *Values) *string { return &v.UnixSocket }).flag(Immutable),
		stringParam("pidfile", "", true, nil, func(v *Values) *string { return &v.PidFile }).flag(Immutable),
		stringParam("replica-announce-ip", "", true, nil, func(v *Values) *string { return &v.ReplicaAnnounceIP }).alias("slave-announce-ip"),
		stringParam("masteruser", "", true, nil, func(v *Values) *string { return &v.MasterUser }).flag(Sensitive),
		stringParam("cluster-announce-ip", "", true, nil, nil),
		stringParam("cluster-config-file", "nodes.conf", false, nil, nil).flag(Immutable),
		stringParam("cluster-announce-hostname", "", true, validHostname, nil),
		stringParam("syslog-ident", "redis", false, nil, nil).flag(Immutable),
		stringParam("dbfilename", "dump.rdb", false, notBaseName("dbfilename can't be a path, just a filename"), func(v *Values) *string { return &v.DBFilename }).flag(Protected),
		stringParam("appendfilename", "appendonly.aof", false, notEmptyBaseName("appendfilename", "filename"), func(v *Values) *string { return &v.AppendFilename }).flag(Immutable),
		stringParam("appenddirname", "appendonlydir", false, notEmptyBaseName("appenddirname", "dirname"), func(v *Values) *string { return &v.AppendDirname }).flag(Immutable),
		stringParam("server_cpulist", "", true, nil, nil).flag(Immutable),
		stringParam("bio_cpulist", "", true, nil, nil).flag(Immutable),
		stringParam("aof_rewrite_cpulist", "", true, nil, nil).flag(Immutable),
		stringParam("bgsave_cpulist", "", true, nil, nil).flag(Immutable),
		stringParam("ignore-warnings", "", false, nil, nil),
		stringParam("proc-title-template", "{title} {listen-addr} {server-mode}", false, validProcTitle, nil),
		stringParam("bind-source-addr", "", true, nil, nil),
		stringParam("logfile", "", false, nil, func(v *Values) *string { return &v.LogFile }).flag(Immutable),
		stringParam("masterauth", "", true, nil, func(v *Values) *string { return &v.MasterAuth }).flag(Sensitive),
		stringParam("requirepass", "", true, nil, func(v *Values) *string { return &v.RequirePass }).flag(Sensitive),

		// Enums.
		enumParam("io-poller", "auto", items("auto", "epoll", "portable"), 0, nil, func(v *Values) *string { return &v.IoPoller }).flag(Immutable | Extension),
		enumParam("supervised", "no", []enumItem{{"upstart", 1}, {"systemd", 2}, {"auto", 3}, {"no", 0}}, 0, nil, nil).flag(Immutable),
		enumParam("syslog-facility", "local0", items("user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"), 0, nil, nil).flag(Immutable),
		enumParam("repl-diskless-load", "disabled", items("disabled", "on-empty-db", "swapdb"), DenyLoading, nil, func(v *Values) *string { return &v.ReplDisklessLoad }),
		enumParam("loglevel", "notice", items("debug", "verbose", "notice", "warning"), 0, nil, func(v *Values) *string { return &v.LogLevel }),
		enumParam("maxmemory-policy", "noeviction", items("volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"), 0, nil, func(v *Values) *string { return &v.MaxMemoryPolicy }),
		enumParam("appendfsync", "everysec", items("everysec", "always", "no"), 0, nil, func(v *Values) *string { return &v.AppendFsync }),
		enumParam("oom-score-adj", "no", []enumItem{{"no", 0}, {"yes", 1}, {"relative", 1}, {"absolute", 2}}, 0, nil, nil).applyGroup("oom-score-adj"),
		enumParam("acl-pubsub-default", "resetchannels", items("allchannels", "resetchannels"), 0, nil, func(v *Values) *string { return &v.ACLPubsubDefault }),
		enumParam("sanitize-dump-payload", "no", items("no", "yes", "clients"), 0, nil, nil),
		enumParam("enable-protected-configs", "no", protectedAction, 0, nil, func(v *Values) *string { return &v.EnableProtectedConfigs }).flag(Immutable),
		enumParam("enable-debug-command", "no", protectedAction, 0, nil, func(v *Values) *string { return &v.EnableDebugCommand }).flag(Immutable),
		enumParam("enable-module-command", "no", protectedAction, 0, nil, func(v *Values) *string { return &v.EnableModuleCommand }).flag(Immutable),
		enumParam("cluster-preferred-endpoint-type", "ip", items("ip", "hostname", "unknown-endpoint"), 0, nil, nil),
		enumParam("propagation-error-behavior", "ignore", items("ignore", "panic", "panic-on-replicas"), 0, nil, func(v *Values) *string { return &v.PropagationErrorBehavior }),
		enumParam("shutdown-on-sigint", "default", shutdownFlags, MultiArg, validShutdown, func(v *Values) *string { return &v.ShutdownOnSigint }),
		enumParam("shutdown-on-sigterm", "default", shutdownFlags, MultiArg, validShutdown, func(v *Values) *string { return &v.ShutdownOnSigterm }),

		// Integers.
		intParam("databases", 16, 1, intMax, 0, func(v *Values) *int64 { return &v.Databases }).flag(Immutable),
		intParam("port", 6379, 0, 65535, 0, func(v *Values) *int64 { return &v.Port }),
		intParam("io-threads", 1, 1, 128, 0, func(v *Values) *int64 { return &v.IoThreads }).flag(Immutable),
		intParam("auto-aof-rewrite-percentage", 100, 0, intMax, 0, func(v *Values) *int64 { return &v.AutoAOFRewritePercentage }),
		intParam("cluster-replica-validity-factor", 10, 0, intMax, 0, nil).alias("cluster-slave-validity-factor"),
		intParam("list-max-listpack-size", -2, intMin, intMax, 0, func(v *Values) *int64 { return &v.ListMaxListpackSize }).alias("list-max-ziplist-size"),
		intParam("tcp-keepalive", 300, 0, intMax, 0, func(v *Values) *int64 { return &v.TCPKeepalive }),
		intParam("cluster-migration-barrier", 1, 0, intMax, 0, nil),
		intParam("active-defrag-cycle-min", 1, 1, 99, 0, func(v *Values) *int64 { return &v.ActiveDefragCycleMin }),
		intParam("active-defrag-cycle-max", 25, 1, 99, 0, func(v *Values) *int64 { return &v.ActiveDefragCycleMax }),
		intParam("active-defrag-threshold-lower", 10, 0, 1000, 0, func(v *Values) *int64 { return &v.ActiveDefragThresholdLower }),
		intParam("active-defrag-threshold-upper", 100, 0, 1000, 0, func(v *Values) *int64 { return &v.ActiveDefragThresholdUpper }),
		intParam("lfu-log-factor", 10, 0, intMax, 0, func(v *Values) *int64 { return &v.LFULogFactor }),
		intParam("lfu-decay-time", 1, 0, intMax, 0, func(v *Values) *int64 { return &v.LFUDecayTime }),
		intParam("replica-priority", 100, 0, intMax, 0, func(v *Values) *int64 { return &v.ReplicaPriority }).alias("slave-priority"),
		intParam("repl-diskless-sync-delay", 5, 0, intMax, 0, func(v *Values) *int64 { return &v.ReplDisklessSyncDelay }),
		intParam("maxmemory-samples", 5, 1, intMax, 0, func(v *Values) *int64 { return &v.MaxMemorySamples }),
		intParam("maxmemory-eviction-tenacity", 10, 0, 100, 0, func(v *Values) *int64 { return &v.MaxMemoryEvictionTenacity }),
		intParam("timeout", 0, 0, intMax, 0, func(v *Values) *int64 { return &v.Timeout }),
		intParam("replica-announce-port", 0, 0, 65535, 0, func(v *Values) *int64 { return &v.ReplicaAnnouncePort }).alias("slave-announce-port"),
		intParam("tcp-backlog", 511, 0, intMax, 0, func(v *Values) *int64 { return &v.TCPBacklog }).flag(Immutable),
		intParam("cluster-port", 0, 0, 65535, 0, nil).flag(Immutable),
		intParam("cluster-announce-bus-port", 0, 0, 65535, 0, nil).applyGroup("cluster-announce-port"),
		intParam("cluster-announce-port", 0, 0, 65535, 0, nil).applyGroup("cluster-announce-port"),
		intParam("cluster-announce-tls-port", 0, 0, 65535, 0, nil).applyGroup("cluster-announce-port"),
		intParam("repl-timeout", 60, 1, intMax, 0, func(v *Values) *int64 { return &v.ReplTimeout }),
		intParam("repl-ping-replica-period", 10, 1, intMax, 0, func(v *Values) *int64 { return &v.ReplPingReplicaPeriod }).alias("repl-ping-slave-period"),
		intParam("list-compress-depth", 0, 0, intMax, 0, func(v *Values) *int64 { return &v.ListCompressDepth }),
		intParam("rdb-key-save-delay", 0, intMin, intMax, 0, func(v *Values) *int64 { return &v.RDBKeySaveDelay }).flag(Hidden),
		intParam("key-load-delay", 0, intMin, intMax, 0, func(v *Values) *int64 { return &v.KeyLoadDelay }).flag(Hidden),
		intParam("active-expire-effort", 1, 1, 10, 0, func(v *Values) *int64 { return &v.ActiveExpireEffort }),
		hzParam(),
		intParam("min-replicas-to-write", 0, 0, intMax, 0, func(v *Values) *int64 { return &v.MinReplicasToWrite }).alias("min-slaves-to-write").applyGroup("min-replicas"),
		intParam("min-replicas-max-lag", 10, 0, intMax, 0, func(v *Values) *int64 { return &v.MinReplicasMaxLag }).alias("min-slaves-max-lag").applyGroup("min-replicas"),
		intParam("watchdog-period", 0, 0, intMax, 0, func(v *Values) *int64 { return &v.WatchdogPeriod }).flag(Hidden),
		intParam("shutdown-timeout", 10, 0, intMax, 0, func(v *Values) *int64 { return &v.ShutdownTimeout }),
		intParam("repl-diskless-sync-max-replicas", 0, 0, intMax, 0, func(v *Values) *int64 { return &v.ReplDisklessSyncMaxReplicas }),
		intParam("maxclients", 10000, 1, uintMax, unsigned, func(v *Values) *int64 { return &v.MaxClients }),
		intParam("unixsocketperm", 0, 0, 0o777, octal|unsigned, func(v *Values) *int64 { return &v.UnixSocketPerm }).flag(Immutable),
		intParam("socket-mark-id", 0, 0, uintMax, unsigned, nil).flag(Immutable),
		intParam("active-defrag-max-scan-fields", 1000, 1, longMax, 0, nil),
		intParam("slowlog-max-len", 128, 0, longMax, 0, func(v *Values) *int64 { return &v.SlowlogMaxLen }),
		intParam("acllog-max-len", 128, 0, longMax, 0, func(v *Values) *int64 { return &v.ACLLogMaxLen }),
		intParam("busy-reply-threshold", 5000, 0, longMax, 0, func(v *Values) *int64 { return &v.BusyReplyThreshold }).alias("lua-time-limit"),
		intParam("cluster-node-timeout", 15000, 0, longMax, 0, nil),
		intParam("slowlog-log-slower-than", 10000, -1, longMax, 0, func(v *Values) *int64 { return &v.SlowlogLogSlowerThan }),
		intParam("latency-monitor-threshold", 0, 0, longMax, 0, func(v *Values) *int64 { return &v.LatencyMonitorThresh }),
		intParam("proto-max-bulk-len", 512<<20, 1<<20, longMax, memUnits, func(v *Values) *int64 { return &v.ProtoMaxBulkLen }),
		intParam("script-undo-limit", 64<<10, 0, longMax, memUnits, func(v *Values) *int64 { return &v.ScriptUndoMaxBytes }).flag(Extension),
		intParam("metrics-port", 0, 0, 65535, 0, func(v *Values) *int64 { return &v.MetricsPort }).flag(Extension),
		stringParam("metrics-bind", "127.0.0.1", false, nil, func(v *Values) *string { return &v.MetricsBind }).flag(Extension),
		intParam("script-memory-limit", 1<<30, 0, longMax, memUnits, func(v *Values) *int64 { return &v.ScriptMemoryLimit }).flag(Extension),
		intParam("stream-node-max-entries", 100, 0, longMax, 0, func(v *Values) *int64 { return &v.StreamNodeMaxEntries }),
		intParam("repl-backlog-size", 1<<20, 1, longMax, memUnits, func(v *Values) *int64 { return &v.ReplBacklogSize }),
		intParam("maxmemory", 0, 0, ullongMax, memUnits|unsigned, func(v *Values) *int64 { return &v.MaxMemory }),
		intParam("cluster-link-sendbuf-limit", 0, 0, ullongMax, memUnits|unsigned, nil),
		intParam("hash-max-listpack-entries", 512, 0, longMax, unsigned, func(v *Values) *int64 { return &v.HashMaxListpackEntries }).alias("hash-max-ziplist-entries"),
		intParam("set-max-intset-entries", 512, 0, longMax, unsigned, func(v *Values) *int64 { return &v.SetMaxIntsetEntries }),
		intParam("zset-max-listpack-entries", 128, 0, longMax, unsigned, func(v *Values) *int64 { return &v.ZsetMaxListpackEntries }).alias("zset-max-ziplist-entries"),
		intParam("active-defrag-ignore-bytes", 100<<20, 1, longMax, memUnits|unsigned, func(v *Values) *int64 { return &v.ActiveDefragIgnoreBytes }),
		intParam("hash-max-listpack-value", 64, 0, longMax, memUnits|unsigned, func(v *Values) *int64 { return &v.HashMaxListpackValue }).alias("hash-max-ziplist-value"),
		intParam("stream-node-max-bytes", 4096, 0, longMax, memUnits|unsigned, func(v *Values) *int64 { return &v.StreamNodeMaxBytes }),
		intParam("zset-max-listpack-value", 64, 0, longMax, memUnits|unsigned, func(v *Values) *int64 { return &v.ZsetMaxListpackValue }).alias("zset-max-ziplist-value"),
		intParam("hll-sparse-max-bytes", 3000, 0, longMax, memUnits|unsigned, func(v *Values) *int64 { return &v.HllSparseMaxBytes }),
		intParam("tracking-table-max-keys", 1000000, 0, longMax, unsigned, func(v *Values) *int64 { return &v.TrackingTableMaxKeys }),
		intParam("client-query-buffer-limit", 1<<30, 1<<20, longMax, memUnits|unsigned, func(v *Values) *int64 { return &v.ClientQueryBufferLimit }),
		intParam("maxmemory-clients", 0, -100, longMax, memUnits|percent, func(v *Values) *int64 { return &v.MaxMemoryClients }),
		intParam("repl-backlog-ttl", 3600, 0, longMax, 0, func(v *Values) *int64 { return &v.ReplBacklogTTL }),
		// Incident 2's guardrail: the backlog grows to hold this many
		// seconds of stream, up to repl-backlog-cover-limit (0: Redis's
		// fixed repl-backlog-size).
		intParam("repl-backlog-cover", 60, 0, 86400, 0, func(v *Values) *int64 { return &v.ReplBacklogCover }).flag(Extension),
		// Incidents A and B's guardrails (server/guardrails.go).
		// Incident 1's guardrail (server/bigkeys.go); 0 turns one off.
		intParam("large-key-alarm-elements", 100000, 0, longMax, 0, func(v *Values) *int64 { return &v.BigKeyAlarmElements }).flag(Extension),
		intParam("large-key-alarm-bytes", 64<<20, 0, longMax, memUnits, func(v *Values) *int64 { return &v.BigKeyAlarmBytes }).flag(Extension),
		intParam("large-reply-alarm-bytes", 8<<20, 0, longMax, memUnits, func(v *Values) *int64 { return &v.BigReplyAlarmBytes }).flag(Extension),
		// Incident 3's guardrail: one access in this many is counted
		// for the hot keys (0: off).
		intParam("failed-auth-backoff", 0, 0, 60000, 0, func(v *Values) *int64 { return &v.AuthFailureBackoff }).flag(Extension),
		intParam("hotkeys-sample-every", 8, 0, intMax, 0, func(v *Values) *int64 { return &v.HotKeysSampleEvery }).flag(Extension),
		intParam("oom-forecast-horizon", 3600, 0, longMax, 0, func(v *Values) *int64 { return &v.OOMForecastHorizon }).flag(Extension),
		intParam("eviction-young-age", 60, 0, longMax, 0, func(v *Values) *int64 { return &v.EvictionYoungAge }).flag(Extension),
		intParam("repl-backlog-cover-limit", 256<<20, 1, longMax, memUnits, func(v *Values) *int64 { return &v.ReplBacklogCoverLimit }).flag(Extension),
		intParam("auto-aof-rewrite-min-size", 64<<20, 0, longMax, memUnits, func(v *Values) *int64 { return &v.AutoAOFRewriteMinSize }),
		intParam("loading-process-events-interval-bytes", 2<<20, 1024, intMax, 0, func(v *Values) *int64 { return &v.LoadingEventsInterval }).flag(Hidden),

		// TLS (server/tls.go).
		intParam("tls-port", 0, 0, 65535, 0, func(v *Values) *int64 { return &v.TLSPort }),
		intParam("tls-session-cache-size", 20*1024, 0, intMax, 0, func(v *Values) *int64 { return &v.TLSSessionCacheSize }).applyGroup("tls"),
		intParam("tls-session-cache-timeout", 300, 0, intMax, 0, func(v *Values) *int64 { return &v.TLSSessionCacheTimeout }).applyGroup("tls"),
		boolParam("tls-cluster", false, func(v *Values) *bool { return &v.TLSCluster }).applyGroup("tls"),
		boolParam("tls-replication", false, func(v *Values) *bool { return &v.TLSReplication }).applyGroup("tls"),
		enumParam("tls-auth-clients", "yes", items("no", "yes", "optional"), 0, nil, func(v *Values) *string { return &v.TLSAuthClients }).applyGroup("tls"),
		boolParam("tls-prefer-server-ciphers", false, func(v *Values) *bool { return &v.TLSPreferServerCiphers }).applyGroup("tls"),
		boolParam("tls-session-caching", true, func(v *Values) *bool { return &v.TLSSessionCaching }).applyGroup("tls"),
		stringParam("tls-cert-file", "", true, nil, func(v *Values) *string { return &v.TLSCertFile }).applyGroup("tls").alwaysApply(),
		stringParam("tls-key-file", "", true, nil, func(v *Values) *string { return &v.TLSKeyFile }).applyGroup("tls").alwaysApply(),
		stringParam("tls-key-file-pass", "", true, nil, func(v *Values) *string { return &v.TLSKeyFilePass }).applyGroup("tls"),
		stringParam("tls-client-cert-file", "", true, nil, func(v *Values) *string { return &v.TLSClientCertFile }).applyGroup("tls").alwaysApply(),
		stringParam("tls-client-key-file", "", true, nil, func(v *Values) *string { return &v.TLSClientKeyFile }).applyGroup("tls").alwaysApply(),
		stringParam("tls-client-key-file-pass", "", true, nil, func(v *Values) *string { return &v.TLSClientKeyFilePass }).applyGroup("tls"),
		stringParam("tls-dh-params-file", "", true, nil, func(v *Values) *string { return &v.TLSDHParamsFile }).applyGroup("tls").alwaysApply(),
		stringParam("tls-ca-cert-file", "", true, nil, func(v *Values) *string { return &v.TLSCACertFile }).applyGroup("tls").alwaysApply(),
		stringParam("tls-ca-cert-dir", "", true, nil, func(v *Values) *string { return &v.TLSCACertDir }).applyGroup("tls").alwaysApply(),
		stringParam("tls-protocols", "", true, nil, func(v *Values) *string { return &v.TLSProtocols }).applyGroup("tls"),
		stringParam("tls-ciphers", "", true, nil, func(v *Values) *string { return &v.TLSCiphers }).applyGroup("tls"),
		stringParam("tls-ciphersuites", "", true, nil, func(v *Values) *string { return &v.TLSCipherSuites }).applyGroup("tls"),

		// Parameters with a syntax of their own.
		dirParam(),
		saveParam(),
		obufParam(),
		oomValuesParam(),
		notifyParam(),
		bindParam(),
		replicaOfParam(),
		percentilesParam(),
	}
}

// validNodeName accepts a node-name the identity marker can record: no
// spaces or control characters.
func validNodeName(_ *Values, s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return errors.New("node-name cannot contain spaces or control characters")
		}
	}
	return nil
}
