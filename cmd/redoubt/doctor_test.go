package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
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
	for _, want := range []string{"incident 4", "busy-reply-threshold is 0", "incident A/B", "0 of 20 keys have a TTL", "incident 7"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("doctor's report lacks %q:\n%s", want, out.String())
		}
	}

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

	if code := run([]string{"doctor", "127.0.0.1:1"}, nil, &out, &errOut); code != 2 {
		t.Errorf("doctor on nothing: exit %d", code)
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
