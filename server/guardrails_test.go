package server_test

import (
	"bufio"
	"bytes"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Drill for incident A (seed 001): under volatile-lru a big hash without
// a TTL fills the node, and keys written with SETEX vanish right after:
// each new one evicts the ones written just before. Both servers do it
// (the Redis behaviour stays); Redoubt also counts the young evictions
// and MEMORY DOCTOR names the hash.
func TestDrillIncidentAVolatileKeysVanish(t *testing.T) {
	value := strings.Repeat("v", 1000)
	for _, s := range evictServers(t, "volatile-lru", 8<<20) {
		limit := infoInt(s.c, "memory", "maxmemory")
		// The big hash, to 400 KB under the limit.
		for i := 0; ; i++ {
			s.c.Do("hset", "big", "field"+strconv.Itoa(i), value)
			if i%50 == 0 && infoInt(s.c, "memory", "used_memory") > limit-400<<10 {
				break
			}
		}
		const sessions = 3000
		for i := range sessions {
			if r := s.c.Do("setex", "session:"+strconv.Itoa(i), "3600", value); r[0] == '-' {
				t.Fatalf("%s: SETEX refused: %q", s.name, r)
			}
		}
		kept := 0
		for i := range sessions {
			if exists(s.c, "session:"+strconv.Itoa(i)) {
				kept++
			}
		}
		if kept > sessions/2 {
			t.Fatalf("%s: %d of %d SETEX keys kept: the incident did not reproduce", s.name, kept, sessions)
		}
		if !exists(s.c, "big") {
			t.Fatalf("%s: the hash without a TTL was evicted", s.name)
		}
		t.Logf("%s: %d of %d SETEX keys left", s.name, kept, sessions)
		if s.name != "redoubt" {
			continue
		}
		g := string(s.c.Do("info", "guardrails"))
		if infoField(g, "evicted_young_keys") == "0" || infoField(g, "evicted_young_keys") == "" {
			t.Fatalf("young evictions not counted:\n%s", g)
		}
		if doctor := string(s.c.Do("memory", "doctor")); !strings.Contains(doctor, "'big'") {
			t.Fatalf("MEMORY DOCTOR does not name the hash:\n%q", doctor)
		}
	}
}

// Drill for incident B (seed 002): 98% of the keys are written without a
// TTL under volatile-lru; eviction eats the 2% that have one, and then
// writes fail with the exact OOM error on both servers. Redoubt forecasts
// the time left while it happens.
func TestDrillIncidentBForecast(t *testing.T) {
	value := strings.Repeat("v", 500)
	var errs [][]byte
	for _, s := range evictServers(t, "volatile-lru", 6<<20) {
		var reply []byte
		forecast := false
		start := time.Now()
		for i := 0; ; i++ {
			key := "k" + strconv.Itoa(i)
			if i%50 == 0 {
				reply = s.c.Do("set", key, value, "ex", "86400")
			} else {
				reply = s.c.Do("set", key, value)
			}
			if reply[0] == '-' {
				break
			}
			if i%10 == 0 && infoInt(s.c, "stats", "evicted_keys") > 0 {
				// Once evictions begin, a modest pace, as in the
				// incident, so that there is a rate to forecast from:
				// each write now evicts one of the few volatile keys.
				time.Sleep(50 * time.Millisecond)
				if s.name == "redoubt" {
					f, _ := strconv.Atoi(infoField(string(s.c.Do("info", "guardrails")), "oom_forecast_seconds"))
					if f > 0 {
						forecast = true
					}
				}
			}
			if time.Since(start) > 30*time.Second {
				t.Fatalf("%s: writes never refused", s.name)
			}
		}
		errs = append(errs, reply)
		if s.name == "redoubt" {
			if !forecast {
				t.Fatalf("no OOM forecast while the volatile keys were evicted")
			}
			if doctor := string(s.c.Do("memory", "doctor")); !strings.Contains(doctor, "can evict nothing") {
				t.Fatalf("MEMORY DOCTOR at the end:\n%q", doctor)
			}
		}
	}
	if !bytes.Equal(errs[0], errs[1]) || !bytes.HasPrefix(errs[0], []byte("-OOM command not allowed")) {
		t.Fatalf("the writes failed with\n redis:   %q\n redoubt: %q", errs[0], errs[1])
	}
}

// Drill for incident 1 (the 523,000-field hash whose HGETALL held every
// client): both servers answer the same HGETALL; Redoubt has noticed the
// key when it grew, counts the big reply with the client that asked, and
// MEMORY DOCTOR names the key.
func TestDrillIncident1BigKey(t *testing.T) {
	for _, s := range evictServers(t, "noeviction", 1<<40) {
		s.c.Do("config", "set", "maxmemory", "0")
		const fields, per = 500000, 1000
		for i := 0; i < fields; i += per {
			args := []string{"hset", "big"}
			for j := i; j < i+per; j++ {
				args = append(args, "f"+strconv.Itoa(j), "v")
			}
			s.c.Send(args...)
		}
		for i := 0; i < fields; i += per {
			s.c.ReadRaw()
		}
		reply := s.c.Do("hgetall", "big")
		if !bytes.HasPrefix(reply, []byte("*1000000\r\n")) {
			t.Fatalf("%s: HGETALL answered %q...", s.name, reply[:min(len(reply), 20)])
		}
		if s.name != "redoubt" {
			continue
		}
		g := string(s.c.Do("info", "guardrails"))
		if infoField(g, "big_keys_seen") != "1" || infoField(g, "big_replies") != "1" {
			t.Fatalf("big key or reply not counted:\n%s", g)
		}
		if last := infoField(g, "last_big_reply"); !strings.Contains(last, "hgetall big") || !strings.Contains(last, "127.0.0.1:") {
			t.Fatalf("last_big_reply does not name the command and the client: %q", last)
		}
		if doctor := string(s.c.Do("memory", "doctor")); !strings.Contains(doctor, "'big'") {
			t.Fatalf("MEMORY DOCTOR does not name the big key:\n%q", doctor)
		}
	}
}

// Drill for incident 3 (a hot key whose expiry sent every client to the
// database): under noeviction Redis cannot tell which keys are hot
// (OBJECT FREQ needs an LFU policy, and both servers refuse it alike);
// Redoubt's INFO guardrails lists the 3 hot keys among 100,000.
func TestDrillIncident3HotKeys(t *testing.T) {
	var freqs [][]byte
	for _, s := range evictServers(t, "noeviction", 1<<40) {
		s.c.Do("config", "set", "maxmemory", "0")
		s.c.Do("debug", "populate", "100000", "key")
		rng := rand.New(rand.NewPCG(7, 8))
		for i := range 60000 {
			key := "key:" + strconv.Itoa(rng.IntN(100000))
			if i%3 == 0 {
				key = "key:" + strconv.Itoa(11+rng.IntN(3)*111) // key:11, key:122, key:233
			}
			s.c.Send("get", key)
			if i%1000 == 999 {
				for range 1000 {
					s.c.ReadRaw()
				}
			}
		}
		freqs = append(freqs, s.c.Do("object", "freq", "key:11"))
		if s.name != "redoubt" {
			continue
		}
		hot := infoField(string(s.c.Do("info", "guardrails")), "hot_keys")
		top := strings.Split(hot, ",")
		if len(top) < 3 {
			t.Fatalf("hot_keys: %q", hot)
		}
		for _, want := range []string{"db0:key:11=", "db0:key:122=", "db0:key:233="} {
			found := false
			for _, h := range top[:3] {
				found = found || strings.HasPrefix(h, want)
			}
			if !found {
				t.Fatalf("%s is not among the top 3 of %q", want, hot)
			}
		}
		// OBJECT HOTKEYS gives the same top 3, as key, database, count.
		v := s.c.DoValue("object", "hotkeys", "count", "3")
		var got []string
		for _, e := range v.Elems {
			if len(e.Elems) != 3 || e.Elems[1].Int != 0 || e.Elems[2].Int <= 0 {
				t.Fatalf("OBJECT HOTKEYS entry %v", e)
			}
			got = append(got, e.Elems[0].Str)
		}
		slices.Sort(got)
		if want := []string{"key:11", "key:122", "key:233"}; !slices.Equal(got, want) {
			t.Fatalf("OBJECT HOTKEYS COUNT 3: %v, not %v", got, want)
		}
		for _, bad := range [][]string{{"count", "0"}, {"count"}, {"counts", "3"}, {"count", "x"}} {
			if r := s.c.Do(append([]string{"object", "hotkeys"}, bad...)...); r[0] != '-' {
				t.Fatalf("OBJECT HOTKEYS %v: %q", bad, r)
			}
		}
	}
	if !bytes.Equal(freqs[0], freqs[1]) {
		t.Fatalf("OBJECT FREQ under noeviction:\n redis:   %q\n redoubt: %q", freqs[0], freqs[1])
	}
}

// The drill for incident 7 (KEYS * over 5 million keys blocked Redis for
// 28 s): KEYS * over 1,000,000 keys gives Redis's reply, while another
// client's PINGs are answered between the walk's steps (on Redis they
// wait for the whole KEYS); a KEYS that ran 100 ms or more is counted
// and named with its client. The PINGs' p99 is printed for both.
func TestDrillIncident7SlowKeysNamed(t *testing.T) {
	var replies [][]string
	for _, s := range evictServers(t, "noeviction", 1<<40) {
		s.c.Do("config", "set", "maxmemory", "0")
		s.c.Do("debug", "populate", "1000000", "key")
		var raw []byte
		pings := pingDuring(t, s.c.Addr(), func() { raw = s.c.Do("keys", "*") })
		replies = append(replies, keysOf(t, raw))
		slices.Sort(pings)
		var p99, worst time.Duration
		if len(pings) > 0 {
			p99, worst = pings[len(pings)*99/100], pings[len(pings)-1]
		}
		t.Logf("%s: %d PINGs answered during KEYS * over 1,000,000 keys, p99 %v, longest %v", s.name, len(pings), p99, worst)
		if s.name != "redoubt" {
			continue
		}
		if len(pings) < 10 {
			t.Errorf("Redoubt answered %d PINGs during its KEYS: other clients waited for it", len(pings))
		}
		// The guardrail reports the KEYS if it ran 100 ms or more, as the
		// slow log measured it.
		entry := s.c.DoValue("slowlog", "get", "1")
		took := entry.Elems[0].Elems[2].Int
		g := string(s.c.Do("info", "guardrails"))
		slow, _ := strconv.Atoi(infoField(g, "slow_keys_commands"))
		if took < 100000 {
			if slow != 0 {
				t.Fatalf("a KEYS of %d us counted as slow", took)
			}
			continue
		}
		if last := infoField(g, "last_slow_keys"); slow != 1 || !strings.Contains(last, "KEYS *") || !strings.Contains(last, "127.0.0.1:") {
			t.Fatalf("KEYS of %d us: slow_keys_commands %d, last_slow_keys %q", took, slow, last)
		}
	}
	if len(replies[0]) != 1000000 || !slices.Equal(replies[0], replies[1]) {
		t.Fatalf("KEYS *: redis %d keys, redoubt %d, equal %v", len(replies[0]), len(replies[1]), slices.Equal(replies[0], replies[1]))
	}
}

// pingDuring sends PINGs to addr from a connection of its own, one at a
// time, while run runs, and returns the round trips of those answered
// before run returned.
func pingDuring(t *testing.T, addr string, run func()) []time.Duration {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	var mu sync.Mutex
	var rtts []time.Duration
	running := false
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		r := bufio.NewReader(nc)
		for {
			select {
			case <-done:
				return
			default:
			}
			start := time.Now()
			nc.SetDeadline(start.Add(60 * time.Second))
			if _, err := nc.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
				return
			}
			if _, err := r.ReadString('\n'); err != nil {
				return
			}
			mu.Lock()
			select {
			case <-done: // answered after run returned
			default:
				if running {
					rtts = append(rtts, time.Since(start))
				}
			}
			mu.Unlock()
		}
	}()
	time.Sleep(20 * time.Millisecond) // the pinger is going
	mu.Lock()
	running = true
	mu.Unlock()
	run()
	mu.Lock()
	close(done)
	mu.Unlock()
	<-stopped
	return rtts
}
