package server_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

func scrape(t *testing.T, port int) string {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// metricValue finds a series' value in a scrape, "" when absent.
func metricValue(scrape, series string) string {
	for _, line := range strings.Split(scrape, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			return v
		}
	}
	return ""
}

// The endpoint reports, under redis_exporter's names, the figures INFO
// shows; it follows CONFIG SET metrics-port, and answers during a busy
// script (which it reports).
func TestMetricsEndpoint(t *testing.T) {
	port := difftest.FreePort(t)
	addr := difftest.StartRedoubt(t, "metrics-port "+strconv.Itoa(port), "busy-reply-threshold 20")
	c := difftest.Dial(t, addr)
	for i := range 5 {
		c.Do("set", "k"+strconv.Itoa(i), "v", "ex", "100")
	}
	c.Do("set", "plain", "v")
	c.Do("get", "k0")
	c.Do("get", "nokey")
	c.Do("incr", "plain")
	got := scrape(t, port)
	for series, want := range map[string]string{
		"redis_up":                                      "1",
		`redis_db_keys{db="db0"}`:                       "6",
		`redis_db_keys_expiring{db="db0"}`:              "5",
		`redis_commands_total{cmd="set"}`:               "6",
		`redis_commands_failed_calls_total{cmd="incr"}`: "1",
		`redis_errors_total{err="ERR"}`:                 "1",
		"redis_keyspace_hits_total":                     "1",
		"redis_keyspace_misses_total":                   "1",
		"redis_connected_clients":                       "1",
		"redoubt_script_busy":                           "0",
	} {
		if v := metricValue(got, series); v != want {
			t.Errorf("%s = %q, want %q", series, v, want)
		}
	}
	info := string(c.Do("info", "stats"))
	if v := metricValue(got, "redis_commands_processed_total"); v == "" || !strings.Contains(info, "total_commands_processed:") {
		t.Errorf("redis_commands_processed_total = %q", v)
	}

	// During a busy script the scrape is served by the script.
	looper := difftest.Dial(t, addr)
	looper.Send("eval", "while true do end", "0")
	for !strings.HasPrefix(string(c.Do("ping")), "-BUSY") {
	}
	if v := metricValue(scrape(t, port), "redoubt_script_busy"); v != "1" {
		t.Errorf("redoubt_script_busy during a busy script: %q", v)
	}
	c.Do("script", "kill")
	looper.ReadRaw()

	c.Do("config", "set", "metrics-port", "0")
	if _, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics"); err == nil {
		t.Error("the endpoint still answers after CONFIG SET metrics-port 0")
	}
}

// The replication series carry redis_exporter's names and labels on both
// sides of a link, and Redoubt's backlog series say how long a replica
// may stay cut off.
func TestReplicationMetrics(t *testing.T) {
	pport, rport := difftest.FreePort(t), difftest.FreePort(t)
	paddr := difftest.StartRedoubt(t, "metrics-port "+strconv.Itoa(pport), "repl-diskless-sync-delay 0")
	host, port, _ := strings.Cut(paddr, ":")
	raddr := difftest.StartRedoubt(t, "metrics-port "+strconv.Itoa(rport), "replicaof "+host+" "+port)
	p, r := difftest.Dial(t, paddr), difftest.Dial(t, raddr)
	p.Do("set", "k", "v")
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(string(r.Do("info", "replication")), "master_link_status:up") || string(r.Do("get", "k")) != "$1\r\nv\r\n" {
		if time.Now().After(deadline) {
			t.Fatalf("the replica did not sync: %s", r.Do("info", "replication"))
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Do("set", "k2", "v") // the stream moves once a replica is attached
	ps, rs := scrape(t, pport), scrape(t, rport)
	if v := metricValue(ps, "redis_connected_slaves"); v != "1" {
		t.Errorf("primary: redis_connected_slaves = %q", v)
	}
	if v := metricValue(ps, "redis_master_repl_offset"); v == "" || v == "0" {
		t.Errorf("primary: redis_master_repl_offset = %q", v)
	}
	if !strings.Contains(ps, "redis_connected_slave_offset_bytes{slave_ip=\"127.0.0.1\"") || !strings.Contains(ps, "redoubt_repl_backlog_covers_seconds") {
		t.Errorf("primary: replica or backlog series missing:\n%s", ps)
	}
	if v := metricValue(rs, `redis_master_link_up{master_host="`+host+`",master_port="`+port+`"}`); v != "1" {
		t.Errorf("replica: redis_master_link_up = %q\n%s", v, rs)
	}
}
