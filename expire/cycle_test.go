package expire_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keyspace"
)

const now = 1_000_000

// fill adds n keys named prefix<i> to db, each with deadline when (none if
// when < 0).
func fill(db *keyspace.DB, prefix string, n int, when int64) {
	for i := 0; i < n; i++ {
		id := db.SetString([]byte(prefix+strconv.Itoa(i)), []byte("v"), false)
		if when >= 0 {
			db.SetExpire(id, when)
		}
	}
}

func newKeyspace() *keyspace.Keyspace {
	ks := keyspace.New(16)
	ks.SetEnv(&keyspace.Clock{T: now})
	return ks
}

func TestCycleRemovesExpiredKeys(t *testing.T) {
	ks := newKeyspace()
	var fired []string
	ks.SetEnv(&keyspace.Clock{T: now, OnExpired: func(db *keyspace.DB, key []byte) { fired = append(fired, string(key)) }})
	fill(ks.DBs[0], "old", 300, now-1)
	fill(ks.DBs[0], "new", 100, now+4000)
	fill(ks.DBs[0], "forever", 50, -1)
	fill(ks.DBs[9], "old", 40, now-1)

	// Some runs may stop at their time limit; the keys must go in the end
	// whatever the machine's speed.
	total := 0
	for run := 0; run < 1000 && (ks.DBs[0].ExpiresLen() > 100 || ks.DBs[9].ExpiresLen() > 0); run++ {
		res := expire.Cycle(ks, expire.Params{Effort: 1, Hz: 10, Now: now})
		total += res.Expired
	}
	if got := ks.DBs[0].Len(); got != 150 {
		t.Errorf("db0 has %d keys, want 150", got)
	}
	if got := ks.DBs[0].ExpiresLen(); got != 100 {
		t.Errorf("db0 has %d keys with a TTL, want 100", got)
	}
	if got := ks.DBs[9].Len(); got != 0 {
		t.Errorf("db9 has %d keys, want 0", got)
	}
	if total != 340 || ks.Stats.ExpiredKeys != 340 || len(fired) != 340 {
		t.Errorf("expired %d, ExpiredKeys %d, hook fired %d times; want 340", total, ks.Stats.ExpiredKeys, len(fired))
	}
	for _, k := range fired {
		if !strings.HasPrefix(k, "old") {
			t.Errorf("the hook saw %q expire", k)
		}
	}
	// Every live TTL sampled is 4000ms; the first estimate is taken as is,
	// then averaged with the same value.
	if ks.DBs[0].AvgTTL != 4000 {
		t.Errorf("AvgTTL %d, want 4000", ks.DBs[0].AvgTTL)
	}
}

func TestCycleBatch(t *testing.T) {
	for _, tc := range []struct{ effort, want int }{{1, 20}, {0, 20}, {2, 25}, {10, 65}, {11, 65}} {
		ks := newKeyspace()
		fill(ks.DBs[3], "k", 200, now+1000)
		// Nothing is expired: one batch per database, then stop.
		res := expire.Cycle(ks, expire.Params{Effort: tc.effort, Hz: 10, Now: now})
		if res.Sampled != tc.want || res.Expired != 0 {
			t.Errorf("effort %d: sampled %d, expired %d; want %d, 0", tc.effort, res.Sampled, res.Expired, tc.want)
		}
	}
	// A database with fewer keys than a batch is sampled once per key.
	ks := newKeyspace()
	fill(ks.DBs[0], "k", 7, now+1000)
	if res := expire.Cycle(ks, expire.Params{Effort: 1, Hz: 10, Now: now}); res.Sampled != 7 {
		t.Errorf("sampled %d of 7 keys", res.Sampled)
	}
}

func TestCycleStaleEstimate(t *testing.T) {
	ks := newKeyspace()
	fill(ks.DBs[0], "k", 50, now-1)
	// Three batches: under the 16 iterations after which the time limit
	// is first checked, so the run cannot stop early.
	res := expire.Cycle(ks, expire.Params{Effort: 1, Hz: 10, Now: now, Stale: 0.5})
	// All sampled keys had expired: 5% of 1 plus 95% of the previous 0.5.
	if want := 0.05 + 0.95*0.5; res.StalePerc != want {
		t.Errorf("StalePerc %v, want %v", res.StalePerc, want)
	}
	if res.Expired != 50 || ks.DBs[0].Len() != 0 {
		t.Errorf("expired %d, %d keys left", res.Expired, ks.DBs[0].Len())
	}
	// Empty databases: the estimate decays and AvgTTL resets.
	ks.DBs[0].AvgTTL = 123
	res = expire.Cycle(ks, expire.Params{Effort: 1, Hz: 10, Now: now, Stale: 0.2})
	if res.Sampled != 0 || res.StalePerc != 0.2*0.95 || ks.DBs[0].AvgTTL != 0 {
		t.Errorf("empty keyspace: sampled %d, StalePerc %v, AvgTTL %d", res.Sampled, res.StalePerc, ks.DBs[0].AvgTTL)
	}
}

// TestActiveExpiry: keys with a TTL that nobody reads are removed by the
// server's cron, in every database, and counted in INFO. The same check
// runs against the real Redis, to show the expectations are Redis's.
func TestActiveExpiry(t *testing.T) {
	for name, addr := range map[string]string{"redoubt": difftest.StartRedoubt(t), "redis": difftest.StartRedis(t)} {
		t.Run(name, func(t *testing.T) {
			c := difftest.Dial(t, addr)
			for _, db := range []string{"0", "5", "15"} {
				c.Do("select", db)
				for i := 0; i < 200; i++ {
					k := "k" + strconv.Itoa(i)
					c.Do("set", k, "v")
					c.Do("pexpire", k, "100")
				}
				for i := 0; i < 10; i++ {
					c.Do("set", "keep"+strconv.Itoa(i), "v")
				}
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				info := difftest.InfoFields(t, c, "keyspace")
				if info["db0"] == "keys=10,expires=0,avg_ttl=0" && info["db5"] == info["db0"] && info["db15"] == info["db0"] {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("keys with a TTL still there: %v", info)
				}
				time.Sleep(20 * time.Millisecond)
			}
			if got := difftest.InfoFields(t, c, "stats")["expired_keys"]; got != "600" {
				t.Errorf("expired_keys %s, want 600", got)
			}
		})
	}
}

// TestActiveExpiryOff: DEBUG SET-ACTIVE-EXPIRE 0 leaves expired keys in
// place until something looks them up.
func TestActiveExpiryOff(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedoubt(t))
	c.Do("debug", "set-active-expire", "0")
	c.Do("set", "k", "v")
	c.Do("pexpire", "k", "1")
	// Long enough for several cron ticks at the default hz of 10.
	time.Sleep(300 * time.Millisecond)
	if got := string(c.Do("dbsize")); got != ":1\r\n" {
		t.Errorf("DBSIZE %q with active expiry off, want 1", got)
	}
	if got := string(c.Do("exists", "k")); got != ":0\r\n" {
		t.Errorf("EXISTS %q, want 0", got)
	}
	if got := string(c.Do("dbsize")); got != ":0\r\n" {
		t.Errorf("DBSIZE %q after the lookup, want 0", got)
	}
}
