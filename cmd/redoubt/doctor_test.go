package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// doctor audits the real redis-server and Redoubt alike: settings behind
// incidents are reported with exit status 1, --json is a list of
// findings, and an unreachable server is exit status 2.
func TestDoctor(t *testing.T) {
	dir := t.TempDir()
	redis, log := refredis.Start(t, dir, "busy-reply-threshold 0", "maxmemory-policy volatile-lru", "maxmemory 100mb")
	if redis == nil {
		t.Fatal(log)
	}
	for i := range 20 {
		redis.Do("SET", "k"+string(rune('a'+i)), "v")
	}
	var out, errOut bytes.Buffer
	code := run([]string{"doctor", redis.Addr()}, nil, &out, &errOut)
	if code != 1 {
		t.Fatalf("doctor on a Redis with busy-reply-threshold 0: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	for _, want := range []string{"incident 4", "busy-reply-threshold is 0", "incident A/B", "0 of 20 keys have a TTL", "incident 7",
		"[note] all servers — incident 9/10: the data directory was not checked"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor's report lacks %q:\n%s", want, out.String())
		}
	}
	// Redis keeps no access counts under an LRU policy: said, not guessed.
	mustContain(t, "the report", out.String(), "[note] "+redis.Addr()+" — incident 3: hot keys cannot be determined", "volatile-lru")

	addr := difftest.StartRedoubt(t, "datadir-guard no", "script-kill-rollback no", "dir "+filepath.Clean(t.TempDir()))
	out.Reset()
	code = run([]string{"doctor", addr, "--json"}, nil, &out, &errOut)
	var fs []finding
	if err := json.Unmarshal(out.Bytes(), &fs); err != nil {
		t.Fatalf("--json: %v\n%s", err, out.String())
	}
	incidents := map[string]bool{}
	for _, f := range fs {
		incidents[f.Incident] = true
		if f.Evidence == "" || f.Fix == "" {
			t.Errorf("a finding without evidence or fix: %+v", f)
		}
	}
	if code != 1 || !incidents["4"] || !incidents["10"] {
		t.Errorf("doctor on Redoubt without its guardrails: exit %d, findings %+v", code, fs)
	}

	out.Reset()
	if code := run([]string{"doctor", "127.0.0.1:1"}, nil, &out, &errOut); code != 2 {
		t.Errorf("doctor on nothing: exit %d", code)
	}
	mustContain(t, "the report on nothing", out.String(), "the server could not be audited", "cannot connect")
	if strings.Contains(out.String(), "No findings") {
		t.Errorf("a server that could not be audited is not 'no findings':\n%s", out.String())
	}
}

// A server set up as the guardrails want (a memory limit, the guard on,
// no stale file, no big or hot key) gets no finding from the checks of
// memory, keys, replication and the data directory, and exit 0: the
// doctor must not cry wolf.
func TestDoctorHealthy(t *testing.T) {
	dir := t.TempDir()
	redis, log := refredis.Start(t, dir, "maxmemory 100mb", "maxmemory-policy allkeys-lfu")
	if redis == nil {
		t.Fatal(log)
	}
	for i := range 200 {
		redis.Do("SET", "key:"+strconv.Itoa(i), "value", "EX", "3600")
	}
	redis.Do("HSET", "small", "a", "1", "b", "2")
	rdir := t.TempDir()
	addr := difftest.StartRedoubt(t, "maxmemory 100mb", "maxmemory-policy allkeys-lru", "dir "+rdir)
	pipelineCommand(t, addr, 200, "SET", "k", "v")
	for _, c := range []struct{ name, addr, dir string }{{"Redis", redis.Addr(), dir}, {"Redoubt", addr, rdir}} {
		r := runDoctor(t, c.addr, "--json", "--datadir", c.dir)
		if r.code != 0 {
			t.Errorf("%s: a healthy server: %s", c.name, r)
		}
		for _, f := range r.findings {
			if levelRank[f.Level] <= levelRank[levelInfo] && f.Incident != "7" {
				t.Errorf("%s: a healthy server has a finding: %+v", c.name, f)
			}
			if f.Level == levelUnchecked {
				t.Errorf("%s: a check did not run: %+v", c.name, f)
			}
		}
	}
}

func TestDoctorMemorySkew(t *testing.T) {
	if fs := memorySkew(map[string]int64{"a:1": 100, "b:1": 150}); len(fs) != 0 {
		t.Errorf("balanced nodes: %+v", fs)
	}
	fs := memorySkew(map[string]int64{"a:1": 100, "b:1": 350, "c:1": 120})
	if len(fs) != 1 || fs[0].Host != "b:1" || fs[0].Incident != "A" {
		t.Errorf("one full node: %+v", fs)
	}
	list := "id=1 addr=10.0.0.1:5000 idle=7200 cmd=get\nid=2 addr=10.0.0.1:5001 idle=4000 cmd=get\nid=3 addr=10.0.0.2:6000 idle=3700 cmd=set\nid=4 addr=10.0.0.3:7000 idle=5 cmd=client|list\n"
	if idle, total, top := idleClients(list, 3600); idle != 3 || total != 4 || top != "10.0.0.1 (2), 10.0.0.2 (1)" {
		t.Errorf("idle clients: %d of %d, top %q", idle, total, top)
	}
	keys, expires := keyspaceTotals(parseInfo("# Keyspace\r\ndb0:keys=10,expires=2,avg_ttl=0\r\ndb3:keys=5,expires=5,avg_ttl=9\r\n"))
	if keys != 15 || expires != 7 {
		t.Errorf("keyspace totals %d %d", keys, expires)
	}
}

// The options: --datadir goes with the server in the same position, and
// more of them than servers is a usage error.
func TestDoctorArgs(t *testing.T) {
	o, err := parseDoctorArgs([]string{"a:1", "--datadir", "/d1", "b:2", "--datadir=", "--sample=50", "--sample-time", "2s", "--timeout", "300ms", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(o.hosts, " ") != "a:1 b:2" || len(o.datadirs) != 2 || o.datadirs[0] != "/d1" || o.datadirs[1] != "" ||
		o.sample != 50 || o.sampleTime.String() != "2s" || o.timeout.String() != "300ms" || !o.asJSON {
		t.Errorf("parsed %+v", o)
	}
	for _, bad := range [][]string{{}, {"a:1", "--datadir", "x", "--datadir", "y"}, {"a:1", "--sample", "-1"}, {"a:1", "--timeout", "0s"}, {"a:1", "--bogus"}, {"a:1", "--sample"}} {
		if r := runDoctor(t, bad...); r.code != 2 || !strings.Contains(r.err, "Usage:") {
			t.Errorf("doctor %q: %s", bad, r)
		}
	}
}
