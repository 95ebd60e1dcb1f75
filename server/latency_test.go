package server_test

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/server"
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

// latestEvents are the events LATENCY LATEST lists.
func latestEvents(c *difftest.Conn) map[string]bool {
	got := map[string]bool{}
	for _, e := range c.DoValue("latency", "latest").Elems {
		got[e.Elems[0].Str] = true
	}
	return got
}

// wantEvents fails the test unless LATENCY LATEST lists every event.
func wantEvents(t *testing.T, c *difftest.Conn, events ...string) {
	t.Helper()
	got := latestEvents(c)
	for _, e := range events {
		if !got[e] {
			t.Errorf("LATENCY LATEST does not list %s: %v", e, got)
		}
	}
}

// fillHash writes n fields to a hash, a thousand per HSET.
func fillHash(t *testing.T, c *difftest.Conn, key string, n int) {
	t.Helper()
	for i := 0; i < n; {
		args := []string{"hset", key}
		for j := 0; j < 1000 && i < n; j, i = j+1, i+1 {
			args = append(args, "field:"+strconv.Itoa(i), "value:"+strconv.Itoa(i))
		}
		if r := c.Do(args...); r[0] != ':' {
			t.Fatalf("HSET: %q", r)
		}
	}
}

// overLimit sets maxmemory half-way between the memory used before a
// big key was written (before) and now, so that the next command evicts
// it.
func overLimit(c *difftest.Conn, before int64) {
	now := infoInt(c, "memory", "used_memory")
	c.Do("config", "set", "maxmemory", strconv.FormatInt((before+now)/2, 10))
}

// Eviction's events, as Redis's performEvictions records them: the
// round (eviction-cycle) and the deletion of each key (eviction-del),
// here of a hash whose 300,000 fields take milliseconds to free.
func TestLatencyEvictionEvents(t *testing.T) {
	addr := difftest.StartRedoubt(t, "latency-monitor-threshold 1", "maxmemory-policy allkeys-lru")
	c := difftest.Dial(t, addr)
	before := infoInt(c, "memory", "used_memory")
	fillHash(t, c, "big", 300000)
	overLimit(c, before)
	c.Do("set", "small", "v")
	if exists(c, "big") {
		t.Fatalf("the hash was not evicted: %s", c.Do("info", "memory"))
	}
	wantEvents(t, c, "eviction-cycle", "eviction-del")
	if got := latestEvents(c); got["eviction-lazyfree"] {
		t.Errorf("eviction-lazyfree without lazyfree-lazy-eviction: %v", got)
	}
}

// With lazyfree-lazy-eviction the evicted hash's fields are queued for
// the lazy free; with nothing else to evict, memory is still over the
// limit, and the queue is freed at once, until memory is under the limit
// (Redis waits for its lazyfree thread), rather than refusing the command
// with OOM: eviction-lazyfree.
func TestLatencyEvictionLazyfree(t *testing.T) {
	addr := difftest.StartRedoubt(t, "latency-monitor-threshold 1", "maxmemory-policy allkeys-lru",
		"lazyfree-lazy-eviction yes", "maxmemory-eviction-tenacity 100")
	c := difftest.Dial(t, addr)
	before := infoInt(c, "memory", "used_memory")
	fillHash(t, c, "big", 300000)
	overLimit(c, before)
	if r := string(c.Do("set", "small", "v")); r != "+OK\r\n" {
		t.Fatalf("SET after the lazy eviction: %q", r)
	}
	wantEvents(t, c, "eviction-lazyfree", "eviction-cycle")
	// The foreground free stopped once memory was under the limit; the
	// cron frees the rest of the hash.
	waitLazyDone(t, c)
}

// The AOF's write and fsync events under appendfsync always, and the
// write's sub-event while a background save runs (slowed down by
// rdb-key-save-delay so that it still runs).
func TestLatencyAOFWriteEvents(t *testing.T) {
	addr := difftest.StartRedoubt(t, "latency-monitor-threshold 1", "appendonly yes", "appendfsync always")
	c := difftest.Dial(t, addr)
	big := strings.Repeat("x", 16<<20)
	c.Do("set", "big", big)
	wantEvents(t, c, "aof-write", "aof-write-alone", "aof-fsync-always")
	if got := latestEvents(c); got["aof-write-active-child"] || got["aof-write-pending-fsync"] {
		t.Errorf("a write with no job nor fsync under way: %v", got)
	}

	for i := range 10 {
		c.Do("set", "k"+strconv.Itoa(i), "v")
	}
	c.Do("config", "set", "rdb-key-save-delay", "200000")
	if r := string(c.Do("bgsave")); !strings.HasPrefix(r, "+Background saving started") {
		t.Fatalf("BGSAVE: %q", r)
	}
	c.Do("set", "big2", big)
	wantEvents(t, c, "aof-write-active-child")
	if infoField(string(c.Do("info", "persistence")), "rdb_bgsave_in_progress") != "1" {
		t.Fatal("the background save ended before the write: the write's event is not the one tested")
	}
}

// The rewrite's renames (aof-rename) and its stat of the new base
// (aof-fstat), stretched: on a test machine they take microseconds.
func TestLatencyAOFRewriteEvents(t *testing.T) {
	t.Cleanup(server.StretchLatency(map[string]time.Duration{"aof-rename": 2 * time.Millisecond, "aof-fstat": 2 * time.Millisecond}))
	addr := difftest.StartRedoubt(t, "latency-monitor-threshold 1", "appendonly yes")
	c := difftest.Dial(t, addr)
	c.Do("latency", "reset") // the stat of the first base, at start
	c.Do("set", "k", "v")
	c.Do("bgrewriteaof")
	waitInfo(t, c, "persistence", "aof_rewrites", "1")
	waitInfo(t, c, "persistence", "aof_rewrite_in_progress", "0")
	wantEvents(t, c, "aof-rename", "aof-fstat")
}

// waitInfo waits until an INFO field has a value.
func waitInfo(t *testing.T, c *difftest.Conn, section, field, want string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for infoField(string(c.Do("info", section)), field) != want {
		if time.Now().After(deadline) {
			t.Fatalf("INFO %s: %s is not %s:\n%s", section, field, want, c.Do("info", section))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// startWithStandIn starts a server whose background jobs have a
// stand-in process (a shell script that waits, as redoubt-server's own
// binary does in JobArg mode), so that a test can kill it.
func startWithStandIn(t *testing.T, settings ...string) (addr, dir string) {
	t.Helper()
	dir = t.TempDir()
	standIn := filepath.Join(t.TempDir(), "stand-in")
	if err := os.WriteFile(standIn, []byte("#!/bin/sh\nexec cat >/dev/null\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	cfg := config.New()
	all := append([]string{`save ""`, "dir " + dir}, settings...)
	if err := cfg.Load(strings.Join(all, "\n")); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Port = int64(l.Addr().(*net.TCPAddr).Port)
	srv, err := server.New(cfg, server.Options{LogOutput: io.Discard, Listener: l, JobBinary: standIn})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return l.Addr().String(), dir
}

// A background save's walk holds the engine lock a step at a time
// (snapshot-step, Redoubt's own event: a step that serialises a 32 MB
// value takes milliseconds); a save whose job is killed has its
// temporary file removed at once (rdb-unlink-temp-file, stretched: the
// unlink of an open file takes microseconds).
func TestLatencySnapshotEvents(t *testing.T) {
	t.Cleanup(server.StretchLatency(map[string]time.Duration{"rdb-unlink-temp-file": 2 * time.Millisecond}))
	addr, dir := startWithStandIn(t, "latency-monitor-threshold 1")
	c := difftest.Dial(t, addr)
	c.Do("set", "big", strings.Repeat("x", 32<<20))
	c.Do("bgsave")
	waitInfo(t, c, "persistence", "rdb_bgsave_in_progress", "0")
	if st := infoField(string(c.Do("info", "persistence")), "rdb_last_bgsave_status"); st != "ok" {
		t.Fatalf("rdb_last_bgsave_status: %s", st)
	}
	wantEvents(t, c, "snapshot-step")

	for i := range 20 {
		c.Do("set", "k"+strconv.Itoa(i), "v")
	}
	c.Do("config", "set", "rdb-key-save-delay", "100000")
	c.Do("bgsave")
	var tmp string
	deadline := time.Now().Add(10 * time.Second)
	for tmp == "" {
		if time.Now().After(deadline) {
			t.Fatal("no temporary file of the background save")
		}
		names, _ := filepath.Glob(filepath.Join(dir, "temp-*.rdb"))
		if len(names) > 0 {
			tmp = names[0]
		}
		time.Sleep(5 * time.Millisecond)
	}
	pid, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(filepath.Base(tmp), "temp-"), ".rdb"))
	if err != nil {
		t.Fatalf("temporary file %s: %v", tmp, err)
	}
	standIn, err := os.FindProcess(pid)
	if err == nil {
		err = standIn.Kill()
	}
	if err != nil {
		t.Fatalf("killing the stand-in %d: %v", pid, err)
	}
	waitInfo(t, c, "persistence", "rdb_bgsave_in_progress", "0")
	wantEvents(t, c, "rdb-unlink-temp-file")
	if _, err := os.Stat(tmp); !os.IsNotExist(err) {
		t.Errorf("the killed save's temporary file is still there: %v", err)
	}
}
