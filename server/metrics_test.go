package server_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

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
