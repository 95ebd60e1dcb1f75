package main

import (
	"fmt"
	"strconv"
	"strings"
)

// Hot keys (incident 3), from the key walk's OBJECT FREQ under an LFU
// policy on Redis, or from Redoubt's INFO guardrails hot_keys under any
// policy (see doctor_keys.go).

// hotAccesses is how many recent accesses make a key hot: the same bar
// for Redis's LFU counter and Redoubt's sampled counts, each converted to
// an estimate of accesses.
const hotAccesses = 1000

// lfuAccesses estimates the accesses that brought Redis's logarithmic
// LFU counter from its initial 5 to c: each step from i is taken with
// probability 1/((i-5)*factor+1) (evict.c's LFULogIncr).
func lfuAccesses(c, factor int64) int64 {
	if c <= 5 {
		return 0
	}
	n := c - 5
	return n + factor*n*(n-1)/2
}

func (a *audit) reportHotKeys(w *keyWalk, policy string, lfu bool) {
	var hot []sampledKey
	var how string
	every, ok := a.settingInt("hotkeys-sample-every")
	if !ok {
		every = 8 // Redoubt's default, when CONFIG is refused
	}
	switch {
	case a.isRedoubt() && every > 0:
		for _, h := range parseHotKeys(a.guard["hot_keys"]) {
			if h.freq*every >= hotAccesses {
				h.freq *= every
				hot = append(hot, h)
			}
		}
		how = fmt.Sprintf("Redoubt's sampled counts (INFO guardrails hot_keys, one access in %d counted, halved every 10s)", every)
	case lfu:
		if why, ok := w.refused["OBJECT FREQ"]; ok {
			a.unchecked("3", "hot keys", "OBJECT FREQ: "+why)
			return
		}
		factor, ok := a.settingInt("lfu-log-factor")
		if !ok {
			factor = 10
		}
		for _, k := range w.hot {
			if n := lfuAccesses(k.freq, factor); n >= hotAccesses {
				k.freq = n
				hot = append(hot, k)
			}
		}
		how = fmt.Sprintf("OBJECT FREQ under %s (lfu-log-factor %d) on %s", policy, factor, w.coverage())
	case a.isRedoubt():
		a.add(levelNote, "3", "hot keys cannot be determined",
			"hotkeys-sample-every is 0, so Redoubt samples no accesses, and maxmemory-policy "+policy+" keeps no access counts",
			"CONFIG SET hotkeys-sample-every 8")
		return
	default:
		a.add(levelNote, "3", "hot keys cannot be determined",
			fmt.Sprintf("maxmemory-policy is %s: Redis counts accesses (OBJECT FREQ, redis-cli --hotkeys) only under an LFU policy", policy),
			"under allkeys-lfu or volatile-lfu (which also changes what is evicted) the doctor lists them; otherwise sample traffic briefly with MONITOR off-peak; Redoubt samples hot keys under any policy")
		return
	}
	if len(hot) == 0 {
		return
	}
	// A hot key with a TTL is incident 3's setting: when it expires,
	// every client that used it misses at once.
	level := levelInfo
	var withTTL []string
	names := make([]string, len(hot))
	for i := range hot {
		h := &hot[i]
		if a.selectDB(h.db) == nil {
			if v, err := a.c.do("PTTL", h.key); err == nil && v.Err() == nil {
				h.ttl = v.Int
			}
		}
		names[i] = fmt.Sprintf("db%d:'%s' (about %d recent accesses", h.db, clip(h.key, 64), h.freq)
		if h.ttl > 0 {
			names[i] += fmt.Sprintf(", expires in %s", duration(float64(h.ttl)/1000))
			withTTL = append(withTTL, fmt.Sprintf("'%s'", clip(h.key, 64)))
			level = levelWarning
		}
		names[i] += ")"
	}
	evidence := strings.Join(names, ", ") + "; from " + how
	fix := "a hot key loads one server (one shard of a cluster): cache it in the clients for a moment, or spread it over several keys"
	if len(withTTL) > 0 {
		evidence += ". " + strings.Join(withTTL, ", ") + " will expire: every client that reads it then misses at once"
		fix = "refresh hot keys before they expire (or drop their TTL and refresh them explicitly), and let one client rebuild a missing value (SET lock NX EX) while the others wait or serve the stale copy"
	}
	a.add(level, "3", plural(len(hot), "hot key"), evidence, fix)
}

// parseHotKeys reads INFO guardrails' hot_keys: db0:key=count,... A key
// may hold commas and '=': an item runs until it ends in =count and the
// next part starts with dbN:, and is cut at its last '='.
func parseHotKeys(s string) []sampledKey {
	var out []sampledKey
	var items []string
	for _, part := range strings.Split(s, ",") {
		if n := len(items); n > 0 && (!endsInCount(items[n-1]) || !startsWithDB(part)) {
			items[n-1] += "," + part
			continue
		}
		items = append(items, part)
	}
	for _, it := range items {
		dbKey, count, ok := cutLast(it, "=")
		dbName, key, ok2 := strings.Cut(dbKey, ":")
		n, err := strconv.ParseInt(count, 10, 64)
		db, err2 := strconv.Atoi(strings.TrimPrefix(dbName, "db"))
		if !ok || !ok2 || err != nil || err2 != nil {
			continue
		}
		out = append(out, sampledKey{db: db, key: key, freq: n, mem: -1, elems: -1, ttl: ttlUnknown})
	}
	return out
}

func startsWithDB(s string) bool {
	db, _, ok := strings.Cut(s, ":")
	if !ok || !strings.HasPrefix(db, "db") {
		return false
	}
	_, err := strconv.Atoi(db[2:])
	return err == nil
}

func endsInCount(s string) bool {
	_, count, ok := cutLast(s, "=")
	_, err := strconv.ParseUint(count, 10, 64)
	return ok && err == nil
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}
