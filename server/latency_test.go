package server_test

import (
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// The latency monitor's replies where they carry no time, compared with
// redis-server.
func TestLatencyMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
latency latest
latency history blabla
latency reset blabla
latency reset
latency graph blabla
latency help
latency help xxx
latency bogus
config resetstat
latency histogram blabla
`)
	p.Do("config", "resetstat")
	p.Do("set", "a", "b")
	p.Do("set", "c", "d")
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		v := c.DoValue("latency", "histogram", "set", "nosuch")
		if len(v.Elems) != 2 || v.Elems[0].Str != "set" || len(v.Elems[1].Elems) != 4 || v.Elems[1].Elems[1].Int != 2 {
			t.Errorf("%s: LATENCY HISTOGRAM set: %v", c.Addr(), v)
		}
	}
}

// Events past latency-monitor-threshold are recorded, one sample per
// second, and read back by every LATENCY subcommand.
func TestLatencyEvents(t *testing.T) {
	addr := difftest.StartRedoubt(t, "latency-monitor-threshold 5", "enable-debug-command yes")
	c := difftest.Dial(t, addr)
	c.Do("debug", "sleep", "0.02")
	c.Do("debug", "sleep", "0.03")
	latest := c.DoValue("latency", "latest")
	if len(latest.Elems) != 1 || latest.Elems[0].Elems[0].Str != "command" || latest.Elems[0].Elems[3].Int < 30 {
		t.Fatalf("LATENCY LATEST: %v", latest)
	}
	if h := c.DoValue("latency", "history", "command"); len(h.Elems) < 1 || len(h.Elems) > 2 {
		t.Errorf("LATENCY HISTORY: %v", h)
	}
	if g := string(c.Do("latency", "graph", "command")); !strings.Contains(g, "#") {
		t.Errorf("LATENCY GRAPH: %q", g)
	}
	if d := string(c.Do("latency", "doctor")); !strings.Contains(d, "command") {
		t.Errorf("LATENCY DOCTOR: %q", d)
	}
	if got := string(c.Do("latency", "reset")); got != ":1\r\n" {
		t.Errorf("LATENCY RESET: %q", got)
	}
	if got := string(c.Do("latency", "latest")); got != "*0\r\n" {
		t.Errorf("LATENCY LATEST after the reset: %q", got)
	}
}
