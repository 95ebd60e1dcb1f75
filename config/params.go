package config

import (
	"errors"
	"math"
	"path/filepath"
	"strconv"
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
	MaxMemory              int64
	MaxMemoryPolicy        string
	MaxMemorySamples       int64
	LFULogFactor           int64
	LFUDecayTime           int64
	ActiveExpireEffort     int64
	LazyfreeLazyExpire     bool
	LazyfreeLazyUserDel    bool
	LazyfreeLazyUserFlush  bool
	LazyfreeLazyServerDel  bool
	NotifyKeyspaceEvents   string
	LatencyTracking        bool
	LatencyPercentiles     []float64
	BusyReplyThreshold     int64

	extra map[string]string
	// setAtStartup records parameters given in the config file or on the
	// command line (CONFIG REWRITE keeps them).
	setAtStartup map[string]bool
}

// table lists every parameter with its Redis 7.0 default.
func table() []*Param {
	return []*Param{
		intParam("port", "6379", 0, 65535, 0, func(v *Values) *int64 { return &v.Port }),
		specialParam("bind", "* -::*", MultiArg, func(v *Values) string { return strings.Join(v.Bind, " ") },
			func(v *Values, args []string) error {
				if len(args) > 16 {
					return errors.New("Too many bind addresses specified.")
				}
				// "bind" with no address, as CONFIG SET bind "", means all.
				if len(args) == 1 && args[0] == "" {
					args = nil
				}
				v.Bind = append([]string(nil), args...)
				return nil
			}),
		boolParam("protected-mode", true, func(v *Values) *bool { return &v.ProtectedMode }),
		stringParam("requirepass", "", nil, func(v *Values) *string { return &v.RequirePass }).flag(Sensitive),
		intParam("databases", "16", 1, math.MaxInt32, 0, func(v *Values) *int64 { return &v.Databases }).flag(Immutable),
		intParam("timeout", "0", 0, math.MaxInt32, 0, func(v *Values) *int64 { return &v.Timeout }),
		intParam("tcp-keepalive", "300", 0, math.MaxInt32, 0, func(v *Values) *int64 { return &v.TCPKeepalive }),
		intParam("tcp-backlog", "511", 0, math.MaxInt32, 0, func(v *Values) *int64 { return &v.TCPBacklog }).flag(Immutable),
		intParam("maxclients", "10000", 1, math.MaxInt32, 0, func(v *Values) *int64 { return &v.MaxClients }),
		intParam("hz", "10", 0, math.MaxInt32, 0, func(v *Values) *int64 { return &v.Hz }),
		boolParam("dynamic-hz", true, func(v *Values) *bool { return &v.DynamicHz }),
		specialParam("dir", "", Protected, func(v *Values) string { return v.Dir },
			func(v *Values, args []string) error {
				if len(args) != 1 {
					return errors.New("wrong number of arguments")
				}
				d, err := filepath.Abs(args[0])
				if err != nil {
					return err
				}
				v.Dir = d
				return nil
			}),
		stringParam("logfile", "", nil, func(v *Values) *string { return &v.LogFile }).flag(Immutable),
		enumParam("loglevel", "notice", []string{"debug", "verbose", "notice", "warning", "nothing"}, func(v *Values) *string { return &v.LogLevel }),
		boolParam("daemonize", false, func(v *Values) *bool { return &v.Daemonize }).flag(Immutable),
		stringParam("pidfile", "", nil, func(v *Values) *string { return &v.PidFile }).flag(Immutable),
		intParam("slowlog-log-slower-than", "10000", -1, math.MaxInt64, 0, func(v *Values) *int64 { return &v.SlowlogLogSlowerThan }),
		intParam("slowlog-max-len", "128", 0, math.MaxInt64, 0, func(v *Values) *int64 { return &v.SlowlogMaxLen }),
		intParam("latency-monitor-threshold", "0", 0, math.MaxInt64, 0, func(v *Values) *int64 { return &v.LatencyMonitorThresh }),
		intParam("proto-max-bulk-len", "536870912", 1024*1024, math.MaxInt64, memUnits, func(v *Values) *int64 { return &v.ProtoMaxBulkLen }).flag(DenyLoading),
		intParam("client-query-buffer-limit", "1073741824", 1024*1024, math.MaxInt64, memUnits, func(v *Values) *int64 { return &v.ClientQueryBufferLimit }),
		enumParam("enable-debug-command", "no", []string{"no", "yes", "local"}, func(v *Values) *string { return &v.EnableDebugCommand }).flag(Immutable),
		enumParam("enable-protected-configs", "no", []string{"no", "yes", "local"}, func(v *Values) *string { return &v.EnableProtectedConfigs }).flag(Immutable),
		intParam("maxmemory", "0", 0, math.MaxInt64, memUnits|unsigned, func(v *Values) *int64 { return &v.MaxMemory }),
		enumParam("maxmemory-policy", "noeviction", []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}, func(v *Values) *string { return &v.MaxMemoryPolicy }),
		intParam("maxmemory-samples", "5", 1, math.MaxInt32, 0, func(v *Values) *int64 { return &v.MaxMemorySamples }),
		intParam("lfu-log-factor", "10", 0, math.MaxInt32, 0, func(v *Values) *int64 { return &v.LFULogFactor }),
		intParam("lfu-decay-time", "1", 0, math.MaxInt32, 0, func(v *Values) *int64 { return &v.LFUDecayTime }),
		intParam("active-expire-effort", "1", 1, 10, 0, func(v *Values) *int64 { return &v.ActiveExpireEffort }),
		boolParam("lazyfree-lazy-expire", false, func(v *Values) *bool { return &v.LazyfreeLazyExpire }),
		boolParam("lazyfree-lazy-user-del", false, func(v *Values) *bool { return &v.LazyfreeLazyUserDel }),
		boolParam("lazyfree-lazy-user-flush", false, func(v *Values) *bool { return &v.LazyfreeLazyUserFlush }),
		boolParam("lazyfree-lazy-server-del", false, func(v *Values) *bool { return &v.LazyfreeLazyServerDel }),
		specialParam("notify-keyspace-events", "", 0, func(v *Values) string { return v.NotifyKeyspaceEvents },
			func(v *Values, args []string) error {
				if len(args) != 1 {
					return errors.New("wrong number of arguments")
				}
				flags, ok := ParseNotifyFlags(args[0])
				if !ok {
					return errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
				}
				v.NotifyKeyspaceEvents = NotifyFlagsString(flags)
				return nil
			}),
		boolParam("latency-tracking", true, func(v *Values) *bool { return &v.LatencyTracking }),
		specialParam("latency-tracking-info-percentiles", "50 99 99.9", MultiArg, func(v *Values) string {
			parts := make([]string, len(v.LatencyPercentiles))
			for i, p := range v.LatencyPercentiles {
				parts[i] = strconv.FormatFloat(p, 'f', -1, 64)
			}
			return strings.Join(parts, " ")
		}, func(v *Values, args []string) error {
			if len(args) == 1 && args[0] == "" {
				args = nil
			}
			ps := make([]float64, 0, len(args))
			for _, a := range args {
				f, err := strconv.ParseFloat(a, 64)
				if err != nil {
					return errors.New("Invalid latency-tracking-info-percentiles parameters")
				}
				if f < 0 || f > 100 {
					return errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
				}
				ps = append(ps, f)
			}
			v.LatencyPercentiles = ps
			return nil
		}),
		intParam("busy-reply-threshold", "5000", 0, math.MaxInt64, 0, func(v *Values) *int64 { return &v.BusyReplyThreshold }).alias("lua-time-limit"),
	}
}

// Notification flag letters of notify-keyspace-events, in the order Redis
// prints them. 'A' stands for "g$lshzxetd".
const notifyLetters = "g$lshzxetdmnKE"

// ParseNotifyFlags parses a notify-keyspace-events value into a bit set
// whose bit i is notifyLetters[i].
func ParseNotifyFlags(s string) (uint16, bool) {
	var f uint16
	for i := 0; i < len(s); i++ {
		if s[i] == 'A' {
			for _, ch := range "g$lshzxetd" {
				f |= 1 << strings.IndexRune(notifyLetters, ch)
			}
			continue
		}
		j := strings.IndexByte(notifyLetters, s[i])
		if j < 0 {
			return 0, false
		}
		f |= 1 << j
	}
	return f, true
}

// NotifyFlagsString renders flags as Redis does: 'A' for the whole class
// set, then the other letters.
func NotifyFlagsString(f uint16) string {
	var b strings.Builder
	all := uint16(0)
	for _, ch := range "g$lshzxetd" {
		all |= 1 << strings.IndexRune(notifyLetters, ch)
	}
	if f&all == all {
		b.WriteByte('A')
	}
	for i := 0; i < len(notifyLetters); i++ {
		if f&(1<<i) != 0 && !(f&all == all && all&(1<<i) != 0) {
			b.WriteByte(notifyLetters[i])
		}
	}
	return b.String()
}
