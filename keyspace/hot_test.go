package keyspace_test

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/keyspace"
)

// Three keys taking most accesses among many are the top of the
// summary, whatever the eviction policy.
func TestHotKeysFindTheHotOnes(t *testing.T) {
	ks := keyspace.New(16)
	ks.Hot = &keyspace.HotKeys{Every: 4}
	db := ks.DBs[0]
	const n = 100000
	for i := range n {
		db.SetString([]byte("k"+strconv.Itoa(i)), []byte("v"), false)
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 400000 {
		key := "k" + strconv.Itoa(rng.IntN(n))
		if i%3 == 0 {
			key = "k" + strconv.Itoa(7+rng.IntN(3)*1000) // k7, k1007, k2007
		}
		db.LookupRead([]byte(key))
		if i%100000 == 0 {
			ks.Hot.Decay()
		}
	}
	top := ks.Hot.Top(3)
	got := map[string]bool{}
	for _, h := range top {
		got[h.Key] = true
	}
	if len(top) != 3 || !got["k7"] || !got["k1007"] || !got["k2007"] {
		t.Fatalf("top 3: %+v", top)
	}
}

// Keys read in turn, with a period that divides the sampling's, are all
// seen: a fixed sampling period would count one of them only.
func TestHotKeysSeeKeysReadInTurn(t *testing.T) {
	ks := keyspace.New(16)
	ks.Hot = &keyspace.HotKeys{Every: 8}
	db := ks.DBs[0]
	keys := []string{"a", "b", "c", "d"}
	for _, k := range keys {
		db.SetString([]byte(k), []byte("v"), false)
	}
	for i := range 80000 {
		db.LookupRead([]byte(keys[i%len(keys)]))
	}
	top := ks.Hot.Top(4)
	if len(top) != 4 {
		t.Fatalf("top: %+v, want all four keys", top)
	}
	for _, h := range top {
		// 20000 reads each, one in 8 counted: about 2500.
		if h.Count < 1500 || h.Count > 3500 {
			t.Fatalf("key %s counted %d times of 20000 reads sampled one in 8: %+v", h.Key, h.Count, top)
		}
	}
}
