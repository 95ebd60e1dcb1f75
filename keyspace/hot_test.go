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
