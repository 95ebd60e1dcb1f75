package evict

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// plant plants n string keys k0..k(n-1) in db 0, key i idle for i
// seconds (LRU) or, with lfu, the first half with a high counter and the
// rest with a low one, and a deadline on every other key (key i expiring
// at 1e12+i ms).
func plant(t *testing.T, n int, lfu bool) *keyspace.Keyspace {
	t.Helper()
	ks := keyspace.New(16)
	ks.LFU = lfu
	db := ks.DBs[0]
	for i := range n {
		id := db.SetString([]byte("k"+strconv.Itoa(i)), []byte("v"), false)
		if lfu {
			freq := int64(1)
			if i < n/2 {
				freq = 200
			}
			db.SetAccess(id, -1, freq)
		} else {
			db.SetAccess(id, int64(i), -1)
		}
		if i%2 == 0 {
			db.SetExpire(id, 1e12+int64(i))
		}
	}
	return ks
}

// Evicting half of the keys one by one, the approximation keeps mostly
// the right ones: with 10 samples, few of the evicted keys come from the
// half that should stay (Redis's own approximation is as loose).
func TestPoliciesEvictTheRightKeys(t *testing.T) {
	const n = 2000
	for _, tc := range []struct {
		p   Policy
		lfu bool
		// bad reports whether evicting key i was a poor choice.
		bad func(i int) bool
	}{
		{AllKeysLRU, false, func(i int) bool { return i < n/2 }},              // recently used
		{AllKeysLFU, true, func(i int) bool { return i < n/2 }},               // frequently used
		{VolatileLRU, false, func(i int) bool { return i%2 == 1 || i < n/2 }}, // no TTL, or recent
		{VolatileTTL, false, func(i int) bool { return i%2 == 1 || i > n/2 }}, // no TTL, or far deadline
	} {
		t.Run(tc.p.String(), func(t *testing.T) {
			ks := plant(t, n, tc.lfu)
			var e Evictor
			evictions, poor := n/4, 0
			for range evictions {
				db, id, ok := e.Pick(ks, tc.p, 10)
				if !ok {
					t.Fatal("nothing to evict")
				}
				i, _ := strconv.Atoi(string(db.Key(id)[1:]))
				if tc.p.Volatile() && i%2 == 1 {
					t.Fatalf("evicted k%d, which has no TTL", i)
				}
				if tc.bad(i) {
					poor++
				}
				db.Delete(id)
			}
			if poor > evictions/10 {
				t.Fatalf("%d of %d evictions chose a key that should have stayed", poor, evictions)
			}
		})
	}
}

// The volatile policies find nothing to evict where no key has a TTL,
// and noeviction never evicts.
func TestNothingToEvict(t *testing.T) {
	ks := keyspace.New(16)
	ks.DBs[3].SetString([]byte("persistent"), []byte("v"), false)
	var e Evictor
	for _, p := range []Policy{VolatileLRU, VolatileLFU, VolatileRandom, VolatileTTL, NoEviction} {
		if _, id, ok := e.Pick(ks, p, 5); ok || id != dict.None {
			t.Fatalf("%s evicted a key without TTL", p)
		}
	}
	for _, p := range []Policy{AllKeysLRU, AllKeysLFU, AllKeysRandom} {
		db, id, ok := e.Pick(ks, p, 5)
		if !ok || db.ID != 3 || string(db.Key(id)) != "persistent" {
			t.Fatalf("%s did not find the only key", p)
		}
	}
}

func TestPolicyNames(t *testing.T) {
	for i, n := range names {
		if ParsePolicy(n) != Policy(i) || Policy(i).String() != n {
			t.Fatalf("policy %d: %q", i, n)
		}
	}
}
