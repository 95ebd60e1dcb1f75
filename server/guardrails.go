package server

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/evict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// The memory guardrails of incidents A and B: a full node under a
// volatile-* policy. In A, one big hash without a TTL filled the node
// and volatile-lru evicted the keys that had one, which "vanished right
// after SETEX"; in B, a client bug wrote 98% of the keys without a TTL,
// and volatile-lru ate the other 2% for days until writes failed. Redis
// says nothing until the OOM error. Here:
//
//   - INFO guardrails (asked for by name only) gives
//     the evictable keys under the policy, the eviction rate over the
//     last minute, and at that rate the seconds until nothing is left
//     to evict and writes fail (oom_forecast_seconds); MEMORY DOCTOR
//     says it in words, and the log warns, at most every five minutes,
//     when the forecast drops under oom-forecast-horizon;
//   - an eviction of a key used less than eviction-young-age seconds
//     ago is counted (evicted_young_keys) and, at most once a minute,
//     logged with the policy and the biggest keys without a TTL, which
//     are what fills the node.

// guardState is the guardrails' state, guarded by the engine lock.
type guardState struct {
	// marks are the evicted-keys counter at each cron tick of the last
	// minute, for the rate.
	marks []guardMark
	// youngEvicted counts evictions of keys used a moment before.
	youngEvicted                    int64
	lastYoungWarn, lastForecastWarn time.Time
	// lastHotDecay is when the hot keys' counts were last halved.
	lastHotDecay time.Time
	// authFailures counts AUTH and HELLO AUTH refused with WRONGPASS:
	// password guessing, or a client deployed with a stale password.
	// Redis 7.0 counts them nowhere (7.2 adds acl_access_denied_auth to
	// INFO stats), so INFO guardrails has it, not a Redis section.
	authFailures int64
}

type guardMark struct {
	t       time.Time
	evicted int64
}

// noteEviction is told of each eviction with the key's idle time in
// seconds (-1 when unknown, under an LFU policy).
func (s *Server) noteEviction(db *keyspace.DB, key []byte, idle int64) {
	g := &s.guard
	if idle < 0 || idle >= s.cfg.EvictionYoungAge {
		return
	}
	g.youngEvicted++
	if time.Since(g.lastYoungWarn) < time.Minute {
		return
	}
	g.lastYoungWarn = time.Now()
	s.log.Warningf("Evicted key '%s' (db %d) %d seconds after it was last used, under maxmemory-policy %s: %s",
		clipKey(key), db.ID, idle, s.cfg.MaxMemoryPolicy, s.bigKeysLine())
}

func upperFirst(s string) string { return strings.ToUpper(s[:1]) + s[1:] }

func clipKey(k []byte) string {
	if len(k) > 64 {
		return string(k[:64]) + "..."
	}
	return string(k)
}

// bigKeysLine names the biggest keys without a TTL (biggestPersistent): what
// fills a node whose volatile keys are evicted as soon as written.
func (s *Server) bigKeysLine() string {
	big := s.biggestPersistent(3)
	if len(big) == 0 {
		return "no key without a TTL was found"
	}
	parts := make([]string, len(big))
	for i, b := range big {
		parts[i] = fmt.Sprintf("'%s' (db %d, %s)", clipKey([]byte(b.key)), b.db, humanBytes(b.size))
	}
	return "the biggest keys without a TTL are " + strings.Join(parts, ", ")
}

type sizedKey struct {
	key  string
	db   int
	size int64
}

// biggestPersistent returns the n biggest keys without a TTL: every
// key of a database of up to walkAllKeys keys is looked at, and 1024
// sampled ones of a bigger one (the guardrail's warnings are rate
// limited, and MEMORY DOCTOR is asked by hand).
func (s *Server) biggestPersistent(n int) []sizedKey {
	// out keeps the n biggest seen, biggest first.
	var out []sizedKey
	consider := func(db *keyspace.DB, id uint32) {
		if db.Expire(id) >= 0 {
			return
		}
		size := int64(db.ValueSize(id) + keyEntrySize + len(db.Key(id)))
		if len(out) == n && size <= out[n-1].size {
			return
		}
		for _, o := range out {
			if o.db == db.ID && o.key == string(db.Key(id)) {
				return // sampled twice
			}
		}
		out = append(out, sizedKey{string(db.Key(id)), db.ID, size})
		sort.Slice(out, func(i, j int) bool { return out[i].size > out[j].size })
		out = out[:min(n, len(out))]
	}
	for _, db := range s.ks.DBs {
		if db.Len() <= walkAllKeys {
			db.Dict().ForEach(func(id uint32) bool {
				consider(db, id)
				return true
			})
			continue
		}
		for range 1024 {
			if id := db.SampleKey(); id != dict.None {
				consider(db, id)
			}
		}
	}
	return out
}

// walkAllKeys is the size up to which a database is walked whole for
// the biggest keys.
const walkAllKeys = 100000

// evictableKeys is how many keys the policy may evict.
func (s *Server) evictableKeys() int64 {
	p := evict.ParsePolicy(s.cfg.MaxMemoryPolicy)
	if p == evict.NoEviction || s.cfg.MaxMemory <= 0 {
		return 0
	}
	var n int64
	for _, db := range s.ks.DBs {
		if p.Volatile() {
			n += int64(db.ExpiresLen())
		} else {
			n += int64(db.Len())
		}
	}
	return n
}

// evictionRate is evictions per second over the last minute.
func (s *Server) evictionRate() float64 {
	g := &s.guard
	if len(g.marks) < 2 {
		return 0
	}
	first, last := g.marks[0], g.marks[len(g.marks)-1]
	secs := last.t.Sub(first.t).Seconds()
	if secs <= 0 {
		return 0
	}
	return float64(last.evicted-first.evicted) / secs
}

// oomForecast is the seconds until nothing is left to evict at the
// current rate, -1 when nothing is being evicted.
func (s *Server) oomForecast() int64 {
	rate := s.evictionRate()
	if rate <= 0 {
		return -1
	}
	return int64(float64(s.evictableKeys()) / rate)
}

// hotKeysLine lists the n hottest keys as db:key=count, the hottest
// first (incident 3: hot keys under any eviction policy).
func (s *Server) hotKeysLine(n int) string {
	if s.ks.Hot == nil {
		return ""
	}
	var b strings.Builder
	for i, h := range s.ks.Hot.Top(n) {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "db%d:%s=%d", h.DB, clipKey([]byte(h.Key)), h.Count)
	}
	return b.String()
}

// guardCron samples the eviction counter and warns when the forecast is
// under the horizon. The caller holds the engine lock.
func (s *Server) guardCron(t time.Time) {
	g := &s.guard
	if h := s.ks.Hot; h != nil && t.Sub(g.lastHotDecay) >= 10*time.Second {
		h.Decay()
		g.lastHotDecay = t
	}
	g.marks = append(g.marks, guardMark{t, s.evictState.evicted})
	i := 0
	for i < len(g.marks)-1 && t.Sub(g.marks[i].t) > time.Minute {
		i++
	}
	if i > 0 {
		g.marks = append(g.marks[:0], g.marks[i:]...)
	}
	f := s.oomForecast()
	if f < 0 || f > s.cfg.OOMForecastHorizon || t.Sub(g.lastForecastWarn) < 5*time.Minute {
		return
	}
	g.lastForecastWarn = t
	s.log.Warningf("At the current eviction rate (%.1f keys/s) the %d keys maxmemory-policy %s may evict last about %d seconds; then writes fail with OOM. %s",
		s.evictionRate(), s.evictableKeys(), s.cfg.MaxMemoryPolicy, f, s.bigKeysLine())
}

// infoGuardrails writes INFO's guardrails section.
func (s *Server) infoGuardrails(w *infoWriter) {
	w.field("evictable_keys", s.evictableKeys())
	w.field("eviction_rate_per_sec", s.evictionRate())
	w.field("oom_forecast_seconds", s.oomForecast())
	w.field("oom_forecast_horizon", s.cfg.OOMForecastHorizon)
	w.field("evicted_young_keys", s.guard.youngEvicted)
	w.field("hot_keys", s.hotKeysLine(10))
	w.field("big_keys_seen", s.bigKeys.seen)
	w.field("big_replies", s.bigKeys.replies)
	w.field("last_big_reply", s.bigKeys.lastReply)
	w.field("slow_keys_commands", s.bigKeys.slowKeys)
	w.field("last_slow_keys", s.bigKeys.lastSlowKeys)
	w.field("auth_failures", s.guard.authFailures)
	w.field("auth_failure_sources", len(s.authGuard.sources))
	w.field("auth_failure_top_sources", s.authSourcesLine(5))
	w.field("auth_backoff_refusals", s.authGuard.refusals)
	s.aclInfo(w)
}

// guardDoctor is what MEMORY DOCTOR says of the guardrails.
func (s *Server) guardDoctor() []string {
	var out []string
	if s.cfg.MaxMemory <= 0 {
		return nil
	}
	p := evict.ParsePolicy(s.cfg.MaxMemoryPolicy)
	if p.Volatile() && s.evictableKeys() == 0 {
		out = append(out, fmt.Sprintf("No key has a TTL, so %s can evict nothing: at maxmemory every write will fail with OOM. %s.", p, upperFirst(s.bigKeysLine())))
	} else if f := s.oomForecast(); f >= 0 {
		out = append(out, fmt.Sprintf("Eviction forecast: %d keys can still be evicted under %s, at %.1f keys/s: about %d seconds before writes fail with OOM. %s.",
			s.evictableKeys(), p, s.evictionRate(), f, upperFirst(s.bigKeysLine())))
	}
	if n := s.guard.youngEvicted; n > 0 {
		out = append(out, fmt.Sprintf("%d keys were evicted less than %d seconds after they were used: under %s that means keys without a TTL hold the memory; %s.",
			n, s.cfg.EvictionYoungAge, p, s.bigKeysLine()))
	}
	return out
}
