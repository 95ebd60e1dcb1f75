package main

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// fillBigHash gives addr a hash of n fields, in HSETs of a thousand.
func fillBigHash(t *testing.T, addr, key string, n int) {
	t.Helper()
	for i := 0; i < n; i += 1000 {
		args := []string{"HSET", key}
		for j := i; j < min(i+1000, n); j++ {
			args = append(args, "field:"+strconv.Itoa(j), "v")
		}
		pipelineCommand(t, addr, 1, args...)
	}
}

// Incident 1: a 120,000-field hash among small keys is found, on Redis
// and on Redoubt, with its element count and memory.
func TestDoctorBigKeys(t *testing.T) {
	redis, log := refredis.Start(t, t.TempDir(), "maxmemory 200mb")
	if redis == nil {
		t.Fatal(log)
	}
	redoubt := difftest.StartRedoubt(t, "maxmemory 200mb")
	for _, c := range []struct{ name, addr string }{{"Redis", redis.Addr()}, {"Redoubt", redoubt}} {
		fillBigHash(t, c.addr, "big:hash", 120000)
		pipelineCommand(t, c.addr, 1, "RPUSH", "small:list", "a", "b", "c")
		for i := range 300 {
			pipelineCommand(t, c.addr, 1, "SET", "k:"+strconv.Itoa(i), "v")
		}
		r := runDoctor(t, c.addr, "--json")
		big := r.with("1", levelWarning)
		if r.code != 1 || len(big) != 1 {
			t.Fatalf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+"'s big key finding", big[0].Evidence, "db0:'big:hash' (hash, 120000 elements", "in memory", "302 of 302 keys sampled")
		if strings.Contains(big[0].Evidence, "small:list") {
			t.Errorf("%s: a small key reported big: %s", c.name, big[0].Evidence)
		}

		// The sample is bounded: --sample 20 looks at 20 keys, and says
		// that the rest went unseen.
		r = runDoctor(t, c.addr, "--json", "--sample", "20")
		var said string
		for _, f := range r.with("1") {
			said += f.Evidence
		}
		mustContain(t, c.name+"'s bounded sample", said, "20 of 302 keys sampled", "--sample 20 reached")
	}
}

// Incident 3: keys read thousands of times are hot; on Redis only under
// an LFU policy (OBJECT FREQ), on Redoubt under any policy (INFO
// guardrails); a hot key with a TTL is a warning (a stampede when it
// expires).
func TestDoctorHotKeys(t *testing.T) {
	lfu, log := refredis.Start(t, t.TempDir(), "maxmemory 100mb", "maxmemory-policy allkeys-lfu")
	if lfu == nil {
		t.Fatal(log)
	}
	lru, log := refredis.Start(t, t.TempDir(), "maxmemory 100mb", "maxmemory-policy allkeys-lru")
	if lru == nil {
		t.Fatal(log)
	}
	redoubt := difftest.StartRedoubt(t, "maxmemory 100mb", "maxmemory-policy allkeys-lru")
	for _, addr := range []string{lfu.Addr(), lru.Addr(), redoubt} {
		for i := range 100 {
			pipelineCommand(t, addr, 1, "SET", "cold:"+strconv.Itoa(i), "v")
		}
		pipelineCommand(t, addr, 1, "SET", "hot:session", "v", "EX", "3600")
		pipelineCommand(t, addr, 1, "SET", "hot:config", "v")
		// Each hot key in a block of its own: Redoubt counts one access
		// in eight, which strictly alternating keys would alias.
		pipelineCommand(t, addr, 20000, "GET", "hot:session")
		pipelineCommand(t, addr, 20000, "GET", "hot:config")
	}
	for _, c := range []struct{ name, addr string }{{"Redis allkeys-lfu", lfu.Addr()}, {"Redoubt allkeys-lru", redoubt}} {
		r := runDoctor(t, c.addr, "--json")
		hot := r.with("3", problems...)
		if len(hot) != 1 || hot[0].Level != levelWarning {
			t.Fatalf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+"'s hot keys", hot[0].Evidence, "db0:'hot:session' (about", "expires in", "db0:'hot:config' (about", "'hot:session' will expire")
		if strings.Contains(hot[0].Evidence, "cold:") {
			t.Errorf("%s: a cold key reported hot: %s", c.name, hot[0].Evidence)
		}
	}
	r := runDoctor(t, lru.Addr(), "--json")
	if hot := r.with("3"); len(hot) != 1 || hot[0].Level != levelNote || !strings.Contains(hot[0].Evidence, "only under an LFU policy") {
		t.Errorf("Redis allkeys-lru: hot keys should be said undeterminable: %s", r)
	}
}

// The hot_keys field of INFO guardrails, keys with commas and '=' too.
func TestParseHotKeys(t *testing.T) {
	got := parseHotKeys("db0:a=10,db3:b,c=d=7,db0:x:y=2")
	want := []struct {
		db   int
		key  string
		freq int64
	}{{0, "a", 10}, {3, "b,c=d", 7}, {0, "x:y", 2}}
	if len(got) != len(want) {
		t.Fatalf("%+v", got)
	}
	for i, w := range want {
		if got[i].db != w.db || got[i].key != w.key || got[i].freq != w.freq {
			t.Errorf("item %d: %+v, want %+v", i, got[i], w)
		}
	}
	if got := parseHotKeys(""); len(got) != 0 {
		t.Errorf("empty: %+v", got)
	}
}

// The LFU counter's estimate: Redis's LFULogIncr takes the step from
// counter c with probability 1/((c-5)*factor+1).
func TestLFUAccesses(t *testing.T) {
	for _, c := range []struct{ counter, factor, want int64 }{
		{5, 10, 0}, {6, 10, 1}, {7, 10, 12}, {25, 10, 1920}, {10, 0, 5},
	} {
		if got := lfuAccesses(c.counter, c.factor); got != c.want {
			t.Errorf("lfuAccesses(%d, %d) = %d, want %d", c.counter, c.factor, got, c.want)
		}
	}
}

// The bar is drawn in place, at most every tenth of a second, and
// erased at the end; without a terminal there is no bar at all.
func TestKeyBar(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(1000, 0)
	b := newKeyBar(&buf, "h:1", 100)
	b.now = func() time.Time { return now }
	b.start = now
	b.update(10)
	b.update(20) // too soon: not drawn
	now = now.Add(200 * time.Millisecond)
	b.update(50)
	b.update(100) // the end is always drawn
	b.finish()
	want := "\rh:1: sampling keys [###...........................] 10/100 0.0s" +
		"\rh:1: sampling keys [###############...............] 50/100 0.2s" +
		"\rh:1: sampling keys [##############################] 100/100 0.2s" +
		"\r\x1b[K"
	if buf.String() != want {
		t.Errorf("bar:\n%q\nwant\n%q", buf.String(), want)
	}
	var none *keyBar = newKeyBar(nil, "h:1", 100)
	none.update(5)
	none.finish()
	if newKeyBar(&buf, "h:1", 0) != nil {
		t.Error("a bar for no key")
	}
}
