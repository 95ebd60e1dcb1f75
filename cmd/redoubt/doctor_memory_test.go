package main

import (
	"bufio"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

// writeWithoutTTL writes new 1 KB keys without a TTL to addr until stop
// is closed (or 30 s pass): incident B's client, whose TTLs overflowed to
// none. Replies, OOM errors included, are read and dropped.
func writeWithoutTTL(t *testing.T, addr string) (stop func()) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	done, finished := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(finished)
		defer c.Close()
		r := bufio.NewReader(c)
		value := strings.Repeat("x", 1024)
		end := time.Now().Add(30 * time.Second)
		for n := 0; time.Now().Before(end); {
			select {
			case <-done:
				return
			default:
			}
			var buf []byte
			for range 50 {
				buf = protocol.AppendCommand(buf, "SET", "session:"+strconv.Itoa(n), value)
				n++
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := c.Write(buf); err != nil {
				return
			}
			for range 50 {
				if _, err := protocol.ReadValue(r); err != nil {
					return
				}
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	return func() { close(done); <-finished }
}

// Incident B: under volatile-lru with no key with a TTL and memory
// growing, the doctor forecasts when writes fail, on Redis (from
// used_memory_dataset's growth between two INFO) and on Redoubt.
func TestDoctorTimeToOOM(t *testing.T) {
	redis, log := refredis.Start(t, t.TempDir(), "maxmemory 200mb", "maxmemory-policy volatile-lru")
	if redis == nil {
		t.Fatal(log)
	}
	redoubt := difftest.StartRedoubt(t, "maxmemory 200mb", "maxmemory-policy volatile-lru")
	for _, c := range []struct{ name, addr string }{{"Redis", redis.Addr()}, {"Redoubt", redoubt}} {
		pipelineCommand(t, c.addr, 1, "SET", "first", "v")
		stop := writeWithoutTTL(t, c.addr)
		r := runDoctor(t, c.addr, "--json", "--sample", "0")
		stop()
		oom := r.with("B", levelWarning, levelCritical)
		if len(oom) != 1 {
			t.Fatalf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+"'s forecast", oom[0].Title+oom[0].Evidence, "writes will fail with OOM in about", "used_memory grew", "of maxmemory 200.00M used")
	}
}

// The forecast's arithmetic, and when there is none.
func TestOOMForecast(t *testing.T) {
	base := oomInput{policy: "volatile-lru", maxmemory: 1000 << 20, keys: 1000, expires: 20,
		used1: 500 << 20, used2: 501 << 20, data1: 400 << 20, data2: 401 << 20, secs: 1}
	secs, basis, ok := oomForecast(base)
	// (1000M - 501M + 501M*2%) / 1M/s
	if want := 499.0 + 501*0.02; !ok || secs < want-1 || secs > want+1 || !strings.Contains(basis, "grew 1.00M/s") {
		t.Errorf("growth: %v %q %v, want about %v", secs, basis, ok, want)
	}
	// Evicting: the keys with a TTL last expires/rate.
	in := base
	in.evict1, in.evict2, in.secs = 100, 110, 2
	if secs, _, ok := oomForecast(in); !ok || secs != 4 {
		t.Errorf("evicting: %v %v", secs, ok)
	}
	// Redoubt's own forecast wins.
	in.hasGuard, in.guardForecast, in.guardRate, in.guardEvictable = true, 42, 0.5, 21
	if secs, basis, ok := oomForecast(in); !ok || secs != 42 || !strings.Contains(basis, "oom_forecast_seconds") {
		t.Errorf("Redoubt's: %v %q %v", secs, basis, ok)
	}
	// Full with nothing evictable: now.
	in = base
	in.expires, in.used2 = 0, in.maxmemory
	if secs, _, ok := oomForecast(in); !ok || secs != 0 {
		t.Errorf("full: %v %v", secs, ok)
	}
	for name, in := range map[string]oomInput{
		"allkeys":       {policy: "allkeys-lru", maxmemory: 1 << 30, keys: 10, used2: 2, data2: 2, secs: 1},
		"no limit":      {policy: "volatile-lru", keys: 10, used2: 2, data2: 2, secs: 1},
		"TTLs on most":  {policy: "volatile-lru", maxmemory: 1 << 30, keys: 10, expires: 9, used2: 2, data2: 2, secs: 1},
		"no growth":     {policy: "volatile-lru", maxmemory: 1 << 30, keys: 10, used1: 5, used2: 5, data1: 5, data2: 5, secs: 1},
		"one sample":    {policy: "volatile-lru", maxmemory: 1 << 30, keys: 10, used1: 5, used2: 5, data1: 5, data2: 5},
		"shrinking":     {policy: "volatile-lru", maxmemory: 1 << 30, keys: 10, data1: 9, data2: 5, secs: 1},
		"Redoubt quiet": {policy: "volatile-lru", maxmemory: 1 << 30, keys: 10, hasGuard: true, guardForecast: -1, secs: 1},
	} {
		if secs, basis, ok := oomForecast(in); ok {
			t.Errorf("%s: a forecast %v %q", name, secs, basis)
		}
	}
}

// Incident A: most keys have a TTL, but one big hash without a TTL holds
// the memory of a nearly full node; volatile-lru can free almost nothing.
// The key count says all is well; the sampled memory says otherwise.
func TestDoctorTTLMemory(t *testing.T) {
	redis, log := refredis.Start(t, t.TempDir(), "maxmemory 8mb", "maxmemory-policy volatile-lru")
	if redis == nil {
		t.Fatal(log)
	}
	redoubt := difftest.StartRedoubt(t, "maxmemory 8mb", "maxmemory-policy volatile-lru")
	for _, c := range []struct{ name, addr string }{{"Redis", redis.Addr()}, {"Redoubt", redoubt}} {
		value := strings.Repeat("v", 100)
		for i := 0; ; i++ {
			if used, _ := strconv.ParseInt(infoField(t, c.addr, "memory", "used_memory"), 10, 64); used >= 13<<19 {
				break // 6.5 MB of 8
			}
			if i == 1000 {
				t.Fatalf("%s: the hash does not fill the node", c.name)
			}
			args := []string{"HSET", "catalogue"}
			for j := range 200 {
				args = append(args, "item:"+strconv.Itoa(i*200+j), value)
			}
			pipelineCommand(t, c.addr, 1, args...)
		}
		for i := range 300 {
			pipelineCommand(t, c.addr, 1, "SETEX", "session:"+strconv.Itoa(i), "3600", "s")
		}
		r := runDoctor(t, c.addr, "--json")
		a := r.with("A", levelWarning)
		if len(a) != 1 || len(r.with("A/B")) != 0 {
			t.Fatalf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+"'s finding", a[0].Evidence, "300 of 301 keys have a TTL", "the biggest: db0:'catalogue' (hash")
	}
}
