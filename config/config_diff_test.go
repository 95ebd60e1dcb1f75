package config_test

import (
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// sameSettings are given to both servers so that their configurations
// differ only by what the environment decides (port, dir).
var sameSettings = []string{"bind 127.0.0.1", `save ""`, "appendonly no"}

func configMap(t *testing.T, c *difftest.Conn, args ...string) map[string]string {
	t.Helper()
	v := c.DoValue(append([]string{"CONFIG", "GET"}, args...)...)
	m := map[string]string{}
	for i := 0; i+1 < len(v.Elems); i += 2 {
		m[v.Elems[i].Str] = v.Elems[i+1].Str
	}
	return m
}

func TestConfigGetAllMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t, sameSettings...)
	want, got := configMap(t, p.Redis, "*"), configMap(t, p.Redoubt, "*")
	if len(want) != 192 {
		t.Errorf("the reference lists %d parameters, expected 192", len(want))
	}
	// The port and the directory are each server's own.
	for name := range got {
		if config.IsExtension(name) {
			delete(got, name)
		}
	}
	for _, m := range []map[string]string{want, got} {
		if !filepath.IsAbs(m["dir"]) {
			t.Errorf("dir %q is not absolute", m["dir"])
		}
		if m["port"] == "" || m["port"] == "0" {
			t.Errorf("port %q", m["port"])
		}
		delete(m, "dir")
		delete(m, "port")
	}
	var names []string
	for name := range want {
		names = append(names, name)
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		w, wok := want[name]
		g, gok := got[name]
		switch {
		case !wok:
			t.Errorf("redoubt has %s (%q), redis does not", name, g)
		case !gok:
			t.Errorf("redoubt lacks %s (redis: %q)", name, w)
		case w != g:
			t.Errorf("%s: redis %q, redoubt %q", name, w, g)
		}
	}
}

func TestConfigGetPatterns(t *testing.T) {
	p := difftest.NewPair(t, sameSettings...)
	for _, args := range [][]string{
		{"maxmemory"},
		{"MAXMEMORY"},
		{"Slave-Read-Only"},
		{"slaveof"},
		{"replicaof", "slaveof"},
		{"maxmemory", "MAXMEMORY"},
		{"*max*"},
		{"*MAX*"},
		{"slave*"},
		{"*ziplist*"},
		{"lua-time-limit", "busy*"},
		{"hash-max-listpack-value", "hash-max-*"},
		{"maxmemory-policy", "maxmemory*"},
		{"[a-c]*"},
		{"tls-*"},
		{"nosuchparameter"},
		{"nosuch*"},
		// Hidden parameters answer to their name only.
		{"key-load-delay"},
		{"key-load-*"},
		{"watchdog-period", "use-exit-on-panic", "rdb-key-save-delay", "loading-process-events-interval-bytes", "lua-enable-deprecated-api"},
		{"lua-*"},
		{"*-period"},
	} {
		p.DoPairs(append([]string{"CONFIG", "GET"}, args...)...)
	}
}

// TestConfigSetErrors sends the same CONFIG SETs to both servers: each
// reply must be byte-identical, and after each one the parameters it
// names must have the same values (a failed CONFIG SET changes nothing).
func TestConfigSetErrors(t *testing.T) {
	p := difftest.NewPair(t, sameSettings...)
	for _, args := range [][]string{
		// Booleans.
		{"activerehashing", "maybe"},
		{"activerehashing", ""},
		{"activerehashing", "YES"},
		{"activerehashing", "No"},
		{"activedefrag", "yes"},
		{"activedefrag", "nope"},
		// Integers and their bounds.
		{"timeout", "abc"},
		{"timeout", "-1"},
		{"timeout", "2147483648"},
		{"timeout", "2147483647"},
		{"timeout", "+5"},
		{"timeout", "05"},
		{"timeout", " 5"},
		{"timeout", "1.5"},
		{"timeout", "99999999999999999999"},
		{"timeout", "0"},
		{"active-expire-effort", "11"},
		{"active-expire-effort", "0"},
		{"list-max-listpack-size", "-2147483649"},
		{"list-max-listpack-size", "-5"},
		{"slowlog-log-slower-than", "-2"},
		{"slowlog-log-slower-than", "-1"},
		{"slowlog-max-len", "-1"},
		{"maxclients", "0"},
		{"maxclients", "-1"},
		{"maxclients", "4294967296"},
		{"hash-max-listpack-entries", "-1"},
		{"set-max-intset-entries", "9223372036854775807"},
		{"set-max-intset-entries", "512"},
		{"tracking-table-max-keys", "1k"},
		{"busy-reply-threshold", "-1"},
		{"lua-time-limit", "abc"},
		{"lua-time-limit", "6000"},
		{"busy-reply-threshold", "5000"},
		{"hz", "-1"},
		{"hz", "1000"},
		{"hz", "0"},
		{"hz", "10"},
		// Memory values.
		{"maxmemory", "abc"},
		{"maxmemory", "-1"},
		{"maxmemory", "1kb"},
		{"maxmemory", "1K"},
		{"maxmemory", "2Mb"},
		{"maxmemory", "1gB"},
		{"maxmemory", "3b"},
		{"maxmemory", "1 mb"},
		{"maxmemory", "1.5mb"},
		{"maxmemory", "1tb"},
		{"maxmemory", ""},
		{"maxmemory", "mb"},
		{"maxmemory", "99999999999999999999999"},
		{"maxmemory", "18446744073709551615"},
		{"maxmemory", "0"},
		{"proto-max-bulk-len", "1000"},
		{"proto-max-bulk-len", "18446744073709551615"},
		{"proto-max-bulk-len", "2mb"},
		{"client-query-buffer-limit", "1k"},
		{"client-query-buffer-limit", "64mb"},
		{"hash-max-listpack-value", "1kb"},
		{"hash-max-ziplist-value", "-1"},
		{"repl-backlog-size", "0"},
		{"repl-backlog-size", "10mb"},
		{"auto-aof-rewrite-min-size", "1gb"},
		{"active-defrag-ignore-bytes", "0"},
		// Memory or percent.
		{"maxmemory-clients", "10%"},
		{"maxmemory-clients", "100%"},
		{"maxmemory-clients", "101%"},
		{"maxmemory-clients", "-1%"},
		{"maxmemory-clients", "%"},
		{"maxmemory-clients", "abc"},
		{"maxmemory-clients", "1mb"},
		{"maxmemory-clients", "0"},
		// Enums.
		{"maxmemory-policy", "lru"},
		{"maxmemory-policy", "ALLKEYS-LRU"},
		{"maxmemory-policy", "noeviction"},
		{"loglevel", "nothing"},
		{"loglevel", "verbose"},
		{"loglevel", "notice"},
		{"appendfsync", "sometimes"},
		{"appendfsync", "always"},
		{"appendfsync", "everysec"},
		{"sanitize-dump-payload", "clients"},
		{"sanitize-dump-payload", "maybe"},
		{"oom-score-adj", "relative"},
		{"oom-score-adj", "bogus"},
		{"oom-score-adj", "no"},
		{"acl-pubsub-default", "allchannels"},
		{"cluster-preferred-endpoint-type", "hostname"},
		{"propagation-error-behavior", "panic-on-replicas"},
		{"repl-diskless-load", "swapdb"},
		{"tls-auth-clients", "optional"},
		// Enums of flags.
		{"shutdown-on-sigint", "now default save"},
		{"shutdown-on-sigint", "save nosave"},
		{"shutdown-on-sigint", "save bogus"},
		{"shutdown-on-sigint", ""},
		{"shutdown-on-sigint", "force  now"},
		{"shutdown-on-sigterm", "NOSAVE NOW FORCE"},
		{"shutdown-on-sigterm", "default"},
		{"shutdown-on-sigint", "default"},
		// Strings.
		{"dbfilename", "a/b.rdb"},
		{"dbfilename", `a\b.rdb`},
		{"cluster-announce-hostname", "bad_host"},
		{"cluster-announce-hostname", strings.Repeat("h", 256)},
		{"cluster-announce-hostname", "good-host.example"},
		{"cluster-announce-hostname", ""},
		{"proc-title-template", "{title"},
		{"proc-title-template", "{nosuch}"},
		{"proc-title-template", "{title} {server-mode}"},
		{"proc-title-template", "{{ {port}"},
		{"proc-title-template", "{title} {listen-addr} {server-mode}"},
		{"ignore-warnings", "ARM64-COW-BUG"},
		{"replica-announce-ip", "10.0.0.1"},
		{"slave-announce-ip", ""},
		{"masteruser", "someone"},
		{"masterauth", "secret"},
		{"bind-source-addr", "127.0.0.1"},
		// Special parameters.
		{"save", "100"},
		{"save", "100 10 200"},
		{"save", "0 10"},
		{"save", "100 -1"},
		{"save", "abc 1"},
		{"save", "100 1x"},
		{"save", "100 10 200 20"},
		{"save", "100  10"},
		{"save", "100 "},
		{"save", "100 4294967295"},
		{"save", "+100 +1"},
		{"save", ""},
		{"save", "3600 1 300 100 60 10000"},
		{"client-output-buffer-limit", "normal 1mb 2mb"},
		{"client-output-buffer-limit", "master 1mb 2mb 60"},
		{"client-output-buffer-limit", "bogus 1mb 2mb 60"},
		{"client-output-buffer-limit", "normal 1xb 2mb 60"},
		{"client-output-buffer-limit", "normal 1mb 2mb -1"},
		{"client-output-buffer-limit", "normal 1mb 2mb 1.5"},
		{"client-output-buffer-limit", "NORMAL 1mb 2kb 60"},
		{"client-output-buffer-limit", "replica 1gb 512mb 30 pubsub 0 0 0"},
		{"client-output-buffer-limit", "slave 3 4 5"},
		{"client-output-buffer-limit", ""},
		{"client-output-buffer-limit", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60"},
		{"oom-score-adj-values", "0 200"},
		{"oom-score-adj-values", "0 200 2001"},
		{"oom-score-adj-values", "0 200 x"},
		{"oom-score-adj-values", "-2000 0 2000"},
		{"oom-score-adj-values", "0  200 800"},
		{"oom-score-adj-values", "0 200 800"},
		{"notify-keyspace-events", "Q"},
		{"notify-keyspace-events", "KEA"},
		{"notify-keyspace-events", "Anm"},
		{"notify-keyspace-events", "nmdtezxhsl$gKE"},
		{"notify-keyspace-events", "Ex"},
		{"notify-keyspace-events", ""},
		{"latency-tracking-info-percentiles", "50 abc"},
		{"latency-tracking-info-percentiles", "101"},
		{"latency-tracking-info-percentiles", "-1"},
		{"latency-tracking-info-percentiles", "nan"},
		{"latency-tracking-info-percentiles", "inf"},
		{"latency-tracking-info-percentiles", "0 99.99 100 12.5000"},
		{"latency-tracking-info-percentiles", "99.9999999"},
		{"latency-tracking-info-percentiles", "1e1 .5 +7"},
		{"latency-tracking-info-percentiles", ""},
		{"latency-tracking-info-percentiles", "50 99 99.9"},
		// Immutable, protected, unknown.
		{"daemonize", "yes"},
		{"databases", "1"},
		{"replicaof", "127.0.0.1 6380"},
		{"slaveof", "no one"},
		{"unixsocketperm", "777"},
		{"enable-debug-command", "no"},
		{"lua-enable-deprecated-api", "yes"},
		{"key-load-delay", "-5"},
		{"key-load-delay", "0"},
		{"logfile", "/tmp/x"},
		{"dir", "/tmp"},
		{"dbfilename", "x.rdb"},
		{"nosuch", "1"},
		{"NoSuch", "1"},
		// Several at once: all or nothing, errors in Redis's order.
		{"timeout", "100", "maxmemory", "bad"},
		{"timeout", "100", "maxmemory", "1mb", "hz", "x"},
		{"timeout", "100", "nosuch", "1", "daemonize", "yes"},
		{"timeout", "100", "daemonize", "yes", "nosuch", "1"},
		{"daemonize", "yes", "dir", "/tmp"},
		{"dir", "/tmp", "daemonize", "yes"},
		{"timeout", "100", "TIMEOUT", "200"},
		{"timeout", "100", "maxmemory", "1mb", "timeout", "200"},
		{"lua-time-limit", "100", "busy-reply-threshold", "200"},
		{"replica-read-only", "no", "slave-read-only", "yes"},
		{"slave-read-only", "no", "SLAVE-READ-ONLY", "yes"},
		{"hash-max-ziplist-entries", "100", "hash-max-listpack-entries", "200"},
		{"save", "10 1", "save", "20 2"},
		{"timeout", "100", "maxmemory", "1mb", "notify-keyspace-events", "KEA"},
		{"timeout", "0", "maxmemory", "0", "notify-keyspace-events", ""},
		{"timeout", "1"},
		{"timeout"},
		{"timeout", "1", "hz"},
	} {
		p.Do(append([]string{"CONFIG", "SET"}, args...)...)
		for i := 0; i < len(args); i += 2 {
			if !strings.EqualFold(args[i], "dir") { // each server has its own
				p.Do("CONFIG", "GET", args[i])
			}
		}
	}
}

// TestConfigSetApplyFailure makes the port's apply function fail on both
// servers: the error names the parameter, and every parameter of the
// CONFIG SET gets its old value back.
func TestConfigSetApplyFailure(t *testing.T) {
	p := difftest.NewPair(t, sameSettings...)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	p.Do("CONFIG", "SET", "timeout", "100", "port", port, "maxmemory", "1mb")
	p.Do("CONFIG", "GET", "timeout")
	p.Do("CONFIG", "GET", "maxmemory")
	p.Do("PING")
}

// TestConfigSetProtected changes protected parameters where
// enable-protected-configs allows it.
func TestConfigSetProtected(t *testing.T) {
	p := difftest.NewPair(t, append(sameSettings, "enable-protected-configs local")...)
	shared := t.TempDir()
	if err := os.Mkdir(filepath.Join(shared, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(shared, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"dir", shared},
		{"dir", filepath.Join(shared, "nosuch")},
		{"dir", file},
		{"dir", ""},
		{"dir", "sub"},
		{"dir", ".."},
		{"dir", shared, "timeout", "x"},
		{"dbfilename", "other.rdb"},
		{"dbfilename", "a/b"},
	} {
		p.Do(append([]string{"CONFIG", "SET"}, args...)...)
		p.Do("CONFIG", "GET", "dir")
		p.Do("CONFIG", "GET", "dbfilename")
	}
}
