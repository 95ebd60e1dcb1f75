package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// The memory checks: eviction that has nothing left to evict (A, B), the
// time until writes fail with OOM (B), the memory limit and
// fragmentation (6), skew across nodes (A).

// checkEvictionTTLs: incidents A and B, a volatile-* policy with few
// keys it may evict.
func checkEvictionTTLs(a *audit) {
	policy, ok := a.setting("maxmemory-policy")
	if !ok || a.info == nil {
		if !ok {
			a.unchecked("A/B", "the eviction policy", a.cfgErr)
		}
		return
	}
	keys, expires := keyspaceTotals(a.info)
	if strings.HasPrefix(policy, "volatile-") && keys > 0 && expires*10 < keys {
		a.add(levelWarning, "A/B", "a volatile-* policy with few keys it may evict",
			fmt.Sprintf("maxmemory-policy is %s but only %d of %d keys have a TTL: once memory is full, writes fail with OOM", policy, expires, keys),
			"give the keys TTLs, or use an allkeys-* policy")
	}
	// Redoubt counts the keys evicted right after they were used: the
	// "keys vanish after SETEX" of incident A.
	if n := infoNum(a.guard, "evicted_young_keys"); n > 0 {
		a.add(levelWarning, "A", "keys evicted right after they were used",
			fmt.Sprintf("evicted_young_keys:%d under %s: keys without a TTL hold the memory, so the ones with a TTL go as soon as they are written (MEMORY DOCTOR names the biggest keys without a TTL)", n, policy),
			"give the big keys a TTL or delete them, raise maxmemory, or use an allkeys-* policy")
	}
}

// reportTTLMemory: incident A by memory rather than by key count. The
// node of incident A had many keys with a TTL and one big hash without:
// by count most keys were evictable, by memory almost nothing was, and
// volatile-lru evicted each new key with a TTL right after it was
// written. From the key sample's MEMORY USAGE and PTTL: under a
// volatile-* policy, keys without a TTL holding nine tenths of the
// memory, on a node near full or already evicting.
func (a *audit) reportTTLMemory(w *keyWalk, policy string) {
	if why, ok := w.refused["PTTL"]; ok {
		a.unchecked("A", "the memory held by keys without a TTL", "PTTL: "+why)
		return
	}
	total := w.memTTL + w.memNoTTL
	max, _ := a.settingInt("maxmemory")
	keys, expires := keyspaceTotals(a.info)
	if !strings.HasPrefix(policy, "volatile-") || max <= 0 || total == 0 || w.memNoTTL*10 < total*9 {
		return
	}
	if expires*10 < keys {
		return // the count already tells (checkEvictionTTLs)
	}
	evicted, used := a.num("evicted_keys"), a.num("used_memory")
	if evicted == 0 && used*4 < max*3 {
		return
	}
	names := make([]string, len(w.noTTL))
	for i, k := range w.noTTL {
		names[i] = k.String()
	}
	a.add(levelWarning, "A", "keys without a TTL hold the memory a volatile-* policy would free",
		fmt.Sprintf("%d of %d keys have a TTL, but keys without one hold %d%% of the sampled memory (%s of %s; the biggest: %s); %s of maxmemory %s used, evicted_keys:%d: under %s each new key with a TTL is evicted soon after it is written",
			expires, keys, w.memNoTTL*100/total, human(w.memNoTTL), human(total), strings.Join(names, ", "), human(used), human(max), evicted, policy),
		"give the big keys a TTL or delete them (UNLINK), or use an allkeys-* policy; raising maxmemory only buys time")
}

// oomInput is what the time-to-OOM estimate reads.
type oomInput struct {
	policy         string
	maxmemory      int64
	keys, expires  int64
	used1, used2   int64   // used_memory at the two samples
	data1, data2   int64   // used_memory_dataset at the two samples
	evict1, evict2 int64   // evicted_keys at the two samples
	secs           float64 // between the samples; 0 without a second one
	oomErrors      int64   // errorstat_OOM's count
	// Redoubt's own forecast (INFO guardrails), when hasGuard.
	hasGuard       bool
	guardForecast  int64 // oom_forecast_seconds, -1 when not evicting
	guardRate      float64
	guardEvictable int64
}

// oomForecast estimates the seconds until writes fail with OOM under a
// volatile-* policy whose keys mostly have no TTL (incident B: 98% of the
// keys without one, the other 2% evicted for days, then every write
// refused). The basis says how the number was reached. ok is false when
// there is nothing to forecast: no volatile policy or limit, TTLs on most
// keys (new writes then bring new evictable keys), or no growth and no
// eviction seen.
func oomForecast(in oomInput) (secs float64, basis string, ok bool) {
	if !strings.HasPrefix(in.policy, "volatile-") || in.maxmemory <= 0 || in.keys == 0 || in.expires*10 >= in.keys {
		return 0, "", false
	}
	switch {
	case in.hasGuard && in.guardForecast >= 0:
		return float64(in.guardForecast), fmt.Sprintf("the server's forecast (oom_forecast_seconds): at %.1f evictions/s, the %d keys %s may still evict last about %s",
			in.guardRate, in.guardEvictable, in.policy, duration(float64(in.guardForecast))), true
	case in.secs > 0 && in.evict2 > in.evict1:
		rate := float64(in.evict2-in.evict1) / in.secs
		s := float64(in.expires) / rate
		return s, fmt.Sprintf("%.1f keys evicted per second (evicted_keys over %.1fs): the %d keys with a TTL last about %s", rate, in.secs, in.expires, duration(s)), true
	case in.used2 >= in.maxmemory && in.expires == 0:
		return 0, fmt.Sprintf("used_memory %s is at maxmemory %s and no key has a TTL: %s can evict nothing", human(in.used2), human(in.maxmemory), in.policy), true
	case in.secs > 0 && in.data2 > in.data1:
		// The growth of the data set, not of used_memory: the clients'
		// buffers (the doctor's own replies among them) come and go.
		growth := float64(in.data2-in.data1) / in.secs
		// What eviction can free: roughly the share of memory the keys
		// with a TTL hold, taken as their share of the keys.
		freeable := float64(in.used2) * float64(in.expires) / float64(in.keys)
		room := max(float64(in.maxmemory-in.used2)+freeable, 0)
		s := room / growth
		return s, fmt.Sprintf("used_memory grew %s/s over %.1fs (%s of maxmemory %s used); at that rate, with the %d keys with a TTL (about %s) evicted, it is full in about %s (a one-second sample: a burst misleads, run again to confirm)",
			human(int64(growth)), in.secs, human(in.used2), human(in.maxmemory), in.expires, human(int64(freeable)), duration(s)), true
	}
	return 0, "", false
}

// oomWeek is how far ahead a forecast is reported: incident B's outage
// came days after the bug that caused it.
const oomWeek = 7 * 86400

// checkOOMForecast: incident B, the time until writes fail with OOM.
func checkOOMForecast(a *audit) {
	policy, _ := a.setting("maxmemory-policy")
	max, _ := a.settingInt("maxmemory")
	if a.info == nil || !strings.HasPrefix(policy, "volatile-") || max <= 0 {
		return
	}
	in := oomInput{policy: policy, maxmemory: max, used1: a.num("used_memory"), used2: a.num("used_memory"),
		data1: dataset(a.info), data2: dataset(a.info),
		evict1: a.num("evicted_keys"), evict2: a.num("evicted_keys"), oomErrors: errorCount(a.info, "OOM")}
	in.keys, in.expires = keyspaceTotals(a.info)
	if a.info2 != nil {
		in.used2, in.data2, in.evict2, in.secs = infoNum(a.info2, "used_memory"), dataset(a.info2), infoNum(a.info2, "evicted_keys"), a.secs
		in.keys, in.expires = keyspaceTotals(a.info2)
	}
	if a.guard != nil {
		in.hasGuard = true
		in.guardForecast = infoNum(a.guard, "oom_forecast_seconds")
		in.guardRate = infoFloat(a.guard, "eviction_rate_per_sec")
		in.guardEvictable = infoNum(a.guard, "evictable_keys")
	}
	secs, basis, ok := oomForecast(in)
	if in.oomErrors > 0 {
		if !ok {
			basis = ""
		} else {
			basis = "; " + basis
		}
		a.add(levelCritical, "B", "writes are failing with OOM",
			fmt.Sprintf("%d commands were refused with OOM (errorstat_OOM) under %s with %d of %d keys with a TTL%s", in.oomErrors, policy, in.expires, in.keys, basis),
			"free memory now (delete or expire the biggest keys without a TTL: MEMORY DOCTOR, redis-cli --bigkeys), then fix the client that writes without a TTL, or switch to an allkeys-* policy")
		return
	}
	if !ok || secs >= oomWeek {
		return
	}
	level := levelWarning
	if secs < 3600 {
		level = levelCritical
	}
	a.add(level, "B", "writes will fail with OOM in about "+duration(secs), basis,
		"find the writes without a TTL (a client's duration bug?) and fix them, give the existing keys TTLs, or switch to an allkeys-* policy; raising maxmemory only buys time")
}

// dataset is INFO's used_memory_dataset, or used_memory where a server
// does not show it.
func dataset(info map[string]string) int64 {
	if _, ok := info["used_memory_dataset"]; ok {
		return infoNum(info, "used_memory_dataset")
	}
	return infoNum(info, "used_memory")
}

// errorCount is the count of INFO errorstats' errorstat_<prefix> line.
func errorCount(info map[string]string, prefix string) int64 {
	v := info["errorstat_"+prefix]
	n, _ := strconv.ParseInt(strings.TrimPrefix(v, "count="), 10, 64)
	return n
}

// checkMemory: incident 6, no memory limit, and fragmentation.
func checkMemory(a *audit) {
	if max, ok := a.settingInt("maxmemory"); ok && max == 0 {
		a.add(levelInfo, "6", "no memory limit",
			"maxmemory is 0: the server grows until the machine or the container kills it",
			"set maxmemory below the memory the server may use")
	}
	if a.info == nil {
		return
	}
	if ratio := infoFloat(a.info, "mem_fragmentation_ratio"); ratio > 1.5 && a.num("used_memory_rss") > 100<<20 {
		a.add(levelWarning, "6", "memory fragmentation",
			fmt.Sprintf("mem_fragmentation_ratio %.2f: the process holds %s for %s of data", ratio, a.info["used_memory_rss_human"], a.info["used_memory_human"]),
			"enable activedefrag, or restart the node after a failover")
	}
}

// memorySkew flags nodes whose memory differs much from the others'
// (incident A: one node full while the rest are not).
func memorySkew(used map[string]int64) []finding {
	if len(used) < 2 {
		return nil
	}
	hosts := make([]string, 0, len(used))
	for h := range used {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var lo, hi string
	for _, h := range hosts {
		if lo == "" || used[h] < used[lo] {
			lo = h
		}
		if hi == "" || used[h] > used[hi] {
			hi = h
		}
	}
	if used[lo] > 0 && used[hi] > 2*used[lo] {
		return []finding{{Host: hi, Level: levelWarning, Incident: "A", Title: "memory skew across nodes",
			Evidence: fmt.Sprintf("%s uses %d bytes, %s %d: one node fills first", hi, used[hi], lo, used[lo]),
			Fix:      "look for big keys on the fuller node (redis-cli --bigkeys) and spread them, or use hash tags less"}}
	}
	return nil
}
