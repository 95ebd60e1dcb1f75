package server_test

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

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

// metricsOn turns the endpoint of a running server on, on a free port:
// asking for the port once the server listens keeps the port from being
// the one the server's own listener then picks.
func metricsOn(t *testing.T, c *difftest.Conn) int {
	t.Helper()
	for range 10 {
		port := difftest.FreePort(t)
		if r := string(c.Do("config", "set", "metrics-port", strconv.Itoa(port))); r == "+OK\r\n" {
			return port
		}
	}
	t.Fatal("no free port for the metrics endpoint")
	return 0
}

// scrapeFamilies scrapes the endpoint and parses it as Prometheus does.
func scrapeFamilies(t *testing.T, port int) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://127.0.0.1:" + strconv.Itoa(port) + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape: %s\n%s", resp.Status, b)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the scrape does not parse: %v", err)
	}
	return fams
}

// series are a family's samples by their labels, written name="value"
// in the labels' order.
func series(fams map[string]*dto.MetricFamily, name string) map[string]float64 {
	out := map[string]float64{}
	f := fams[name]
	if f == nil {
		return out
	}
	for _, m := range f.GetMetric() {
		var labels []string
		for _, l := range m.GetLabel() {
			labels = append(labels, l.GetName()+"="+strconv.Quote(l.GetValue()))
		}
		v := m.GetGauge().GetValue()
		if m.Counter != nil {
			v = m.GetCounter().GetValue()
		}
		out[strings.Join(labels, ",")] = v
	}
	return out
}

// The guardrails' series: big keys and replies, failed AUTHs (also in
// INFO guardrails), and the hottest keys, one series each, at most ten,
// with labels Prometheus accepts whatever the key's bytes.
func TestGuardrailMetrics(t *testing.T) {
	addr := difftest.StartRedoubt(t, "requirepass secret",
		"large-key-alarm-elements 100", "large-reply-alarm-bytes 1000", "hotkeys-sample-every 1")
	c := difftest.Dial(t, addr)
	c.Do("auth", "secret")
	port := metricsOn(t, c)
	c.Do("reset") // unauthenticated again
	for _, try := range [][]string{{"auth", "wrong"}, {"auth", "default", "wrong"}, {"hello", "3", "auth", "default", "wrong"}} {
		if r := string(c.Do(try...)); !strings.HasPrefix(r, "-WRONGPASS") {
			t.Fatalf("%v: %q", try, r)
		}
	}
	if r := string(c.Do("auth", "secret")); r != "+OK\r\n" {
		t.Fatalf("AUTH: %q", r)
	}
	fields := []string{"hset", "big"}
	for i := range 200 {
		fields = append(fields, "f"+strconv.Itoa(i), "v")
	}
	c.Do(fields...)
	c.Do("hgetall", "big")
	// Thirty keys are read, "hot" most; the endpoint reports ten.
	binary := "bin\xff\xfe" + strings.Repeat("k", 100)
	for i := range 30 {
		c.Do("set", "key"+strconv.Itoa(i), "v")
		c.Do("get", "key"+strconv.Itoa(i))
	}
	c.Do("set", binary, "v")
	c.Do("set", "hot", "v")
	// Two keys whose labels are the same: one series stands for both.
	c.Do("set", "dup\xff", "v")
	c.Do("set", "dup\xfe", "v")
	for range 100 {
		c.Do("get", "hot")
		c.Do("get", binary)
		c.Do("get", "dup\xff")
		c.Do("get", "dup\xfe")
	}

	fams := scrapeFamilies(t, port)
	for name, want := range map[string]float64{
		"redoubt_auth_failures_total": 3,
		"redoubt_big_keys_total":      1,
		"redoubt_big_replies_total":   1,
	} {
		if got := series(fams, name)[""]; got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	hot := series(fams, "redoubt_hot_key_sampled_accesses")
	if len(hot) > 10 || len(hot) < 2 {
		t.Errorf("%d hot key series, want 2 to 10: %v", len(hot), hot)
	}
	if hot[`db="db0",key="hot"`] == 0 {
		t.Errorf("the hottest key has no series: %v", hot)
	}
	// The first 64 bytes, the two that are not UTF-8 as one U+FFFD.
	if hot[`db="db0",key="bin`+"\ufffd"+strings.Repeat("k", 59)+`..."`] == 0 {
		t.Errorf("the binary key's clipped, valid UTF-8 label is missing: %v", hot)
	}
	if hot[`db="db0",key="dup`+"\ufffd"+`"`] == 0 {
		t.Errorf("the keys sharing a label have no series: %v", hot)
	}
	if got := infoField(string(c.Do("info", "guardrails")), "auth_failures"); got != "3" {
		t.Errorf("INFO guardrails auth_failures = %q", got)
	}
}

// one is a family's only sample, and its labels; the test fails if the
// family has not exactly one.
func one(t *testing.T, fams map[string]*dto.MetricFamily, name string) (string, float64) {
	t.Helper()
	s := series(fams, name)
	if len(s) != 1 {
		t.Fatalf("%s: %d series, want 1: %v", name, len(s), s)
	}
	for labels, v := range s {
		return labels, v
	}
	return "", 0
}

// Each acknowledging replica's lag in bytes and as a share of the
// backlog's size, labelled as redis_exporter labels its replica series;
// redis_exporter's backlog and resync series; redis_slave_info on the
// replica.
func TestReplicationLagMetrics(t *testing.T) {
	paddr := difftest.StartRedoubt(t, "repl-diskless-sync-delay 0")
	host, port, _ := strings.Cut(paddr, ":")
	raddr := difftest.StartRedoubt(t, "replicaof "+host+" "+port)
	p := difftest.Dial(t, paddr)
	pport, rport := metricsOn(t, p), metricsOn(t, difftest.Dial(t, raddr))
	p.Do("set", "k", "v")
	var fams map[string]*dto.MetricFamily
	deadline := time.Now().Add(10 * time.Second)
	for {
		fams = scrapeFamilies(t, pport)
		if len(series(fams, "redoubt_replica_lag_bytes")) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no replica acknowledges: %v", series(fams, "redis_connected_slave_offset_bytes"))
		}
		time.Sleep(50 * time.Millisecond)
	}
	labels, lag := one(t, fams, "redoubt_replica_lag_bytes")
	if !strings.HasPrefix(labels, `slave_ip="127.0.0.1",slave_port=`) {
		t.Errorf("redoubt_replica_lag_bytes labels: %s", labels)
	}
	_, offset := one(t, fams, "redis_connected_slave_offset_bytes")
	_, master := one(t, fams, "redis_master_repl_offset")
	if lag != master-offset {
		t.Errorf("lag %v, want master_repl_offset %v - the replica's offset %v", lag, master, offset)
	}
	_, size := one(t, fams, "redoubt_repl_backlog_size_bytes")
	if _, ratio := one(t, fams, "redoubt_replica_lag_backlog_size_ratio"); size <= 0 || ratio != lag/size {
		t.Errorf("lag ratio %v, want %v / %v", ratio, lag, size)
	}
	_, hist := one(t, fams, "redoubt_repl_backlog_history_bytes")
	for name, want := range map[string]float64{
		"redis_replication_backlog_bytes":      size,
		"redis_repl_backlog_history_bytes":     hist,
		"redis_repl_backlog_is_active":         1,
		"redis_repl_backlog_first_byte_offset": master - hist + 1,
	} {
		if _, got := one(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	stats := difftest.InfoFields(t, p, "stats")
	for name, field := range map[string]string{
		"redis_replica_resyncs_full":            "sync_full",
		"redis_replica_partial_resync_accepted": "sync_partial_ok",
		"redis_replica_partial_resync_denied":   "sync_partial_err",
	} {
		want, _ := strconv.ParseFloat(stats[field], 64)
		if _, got := one(t, fams, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	rf := scrapeFamilies(t, rport)
	if labels, v := one(t, rf, "redis_slave_info"); v != 1 || labels != `master_host="`+host+`",master_port="`+port+`",read_only="1"` {
		t.Errorf("redis_slave_info{%s} = %v", labels, v)
	}
	if got := series(rf, "redoubt_replica_lag_bytes"); len(got) != 0 {
		t.Errorf("a replica without replicas reports lags: %v", got)
	}
}
