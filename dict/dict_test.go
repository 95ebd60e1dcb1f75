package dict

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/arena"
)

func key(i int) []byte { return []byte(fmt.Sprintf("key:%d", i)) }

// check verifies that the table holds exactly the shadow set, each key
// with the value stored at insertion.
func check(t *testing.T, d *Dict, shadow map[string]uint64) {
	t.Helper()
	if d.Len() != len(shadow) {
		t.Fatalf("Len %d, want %d", d.Len(), len(shadow))
	}
	for k, v := range shadow {
		id := d.Find([]byte(k))
		if id == None {
			t.Fatalf("key %q missing", k)
		}
		if d.At(id).Val != v {
			t.Fatalf("key %q has value %d, want %d", k, d.At(id).Val, v)
		}
	}
	n := 0
	d.ForEach(func(id uint32) bool { n++; return true })
	if n != len(shadow) {
		t.Fatalf("ForEach saw %d keys, want %d", n, len(shadow))
	}
}

func TestRandomOpsAgainstMap(t *testing.T) {
	d := New(arena.New())
	shadow := map[string]uint64{}
	moved := 0
	d.OnMove = func(from, to uint32) { moved++ }
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 200_000; i++ {
		k := key(rng.IntN(20_000))
		switch op := rng.IntN(10); {
		case op < 6:
			if d.Find(k) == None {
				id := d.Insert(k)
				v := rng.Uint64()
				d.At(id).Val = v
				shadow[string(k)] = v
			}
		case op < 9:
			if id := d.Find(k); id != None {
				d.Delete(id)
				delete(shadow, string(k))
			}
		default:
			d.Compact(3)
			d.Rehash(2)
		}
		if i%50_000 == 0 {
			check(t, d, shadow)
		}
	}
	check(t, d, shadow)
	for d.Compact(100) {
	}
	check(t, d, shadow)
	if moved == 0 {
		t.Fatal("compaction never moved an entry")
	}
}

// TestShrinksAfterDeletes checks that deleting most keys gives back both
// bucket array and slabs.
func TestShrinksAfterDeletes(t *testing.T) {
	d := New(arena.New())
	for i := 0; i < 100_000; i++ {
		d.Insert(key(i))
	}
	full := d.MemoryUsage()
	for i := 0; i < 99_000; i++ {
		d.Delete(d.Find(key(i)))
	}
	for d.Compact(1000) || d.Rehash(1000) {
	}
	if got := d.MemoryUsage(); got > full/20 {
		t.Fatalf("memory %d after deleting 99%% (was %d)", got, full)
	}
	main, _ := d.Buckets()
	if main > 4096 {
		t.Fatalf("%d buckets left for %d keys", main, d.Len())
	}
}

// TestScanGuarantee checks Redis's SCAN contract: keys present for the
// whole scan are returned, while the table grows and shrinks between calls.
func TestScanGuarantee(t *testing.T) {
	for _, mode := range []string{"grow", "shrink"} {
		d := New(arena.New())
		stable := map[string]bool{}
		for i := 0; i < 5000; i++ {
			d.Insert(key(i))
			stable[string(key(i))] = true
		}
		if mode == "shrink" {
			for i := 5000; i < 100_000; i++ {
				d.Insert(key(i))
			}
		}
		seen := map[string]bool{}
		next := 5000
		if mode == "shrink" {
			next = 100_000
		}
		cursor := uint64(0)
		for {
			cursor = d.Scan(cursor, func(id uint32) { seen[string(d.Key(id))] = true })
			// Churn between calls: grow or shrink through several resizes.
			for j := 0; j < 20; j++ {
				if mode == "grow" && next < 100_000 {
					d.Insert(key(next))
					next++
				} else if next > 5000 {
					next--
					d.Delete(d.Find(key(next)))
				}
			}
			if cursor == 0 {
				break
			}
		}
		for k := range stable {
			if !seen[k] {
				t.Fatalf("%s: key %s present throughout was not returned", mode, k)
			}
		}
	}
}

func TestRandomReachesEveryKey(t *testing.T) {
	d := New(arena.New())
	for i := 0; i < 100; i++ {
		d.Insert(key(i))
	}
	for i := 0; i < 100; i += 2 {
		d.Delete(d.Find(key(i)))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		id := d.Random(func(n uint32) uint32 { return uint32(rng.IntN(int(n))) })
		seen[string(d.Key(id))] = true
	}
	if len(seen) != 50 {
		t.Fatalf("random sampling reached %d of 50 keys", len(seen))
	}
}

func BenchmarkFind(b *testing.B) {
	d := New(arena.New())
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = key(i)
		d.Insert(keys[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if d.Find(keys[i&(1<<16-1)]) == None {
			b.Fatal("missing")
		}
	}
}

func BenchmarkInsertDelete(b *testing.B) {
	d := New(arena.New())
	keys := make([][]byte, 1<<16)
	for i := range keys {
		keys[i] = key(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(1<<16-1)]
		if id := d.Find(k); id != None {
			d.Delete(id)
		} else {
			d.Insert(k)
		}
	}
}

// TestGroupsCoverAPausedTable: whether the table was rehashing when it
// was paused, and even if it starts to grow while paused, every key is in
// exactly one group, the one its hash names.
func TestGroupsCoverAPausedTable(t *testing.T) {
	rehashing := 0
	for _, keys := range []int{1, 5, 65, 100, 1000, 1025, 4097, 5000} {
		a := arena.New()
		d := New(a)
		for i := range keys {
			d.Insert([]byte("k" + strconv.Itoa(i)))
		}
		if d.Rehashing() {
			rehashing++
		}
		d.Pause()
		mask := d.GroupMask()
		// Grow a lot while paused: the table may start a rehash it cannot
		// make progress on.
		for i := range keys * 7 {
			d.Insert([]byte("new" + strconv.Itoa(i)))
		}
		seen := map[uint32]int{}
		for g := uint64(0); g <= mask; g++ {
			d.EachInGroup(mask, g, func(id uint32) {
				seen[id]++
				if uint64(d.Hash(d.Key(id)))&mask != g {
					t.Fatalf("%q found in group %d", d.Key(id), g)
				}
			})
		}
		if len(seen) != d.Len() {
			t.Fatalf("%d keys, %d in groups", d.Len(), len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("%q in %d groups", d.Key(id), n)
			}
		}
		d.Resume()
	}
	if rehashing == 0 {
		t.Fatal("no case paused a table in the middle of a rehash")
	}
}

// MemoryUsage's running count of slab slots agrees with the slabs
// through growth, deletions that release slabs, and Clear.
func TestMemoryUsageFollowsTheSlabs(t *testing.T) {
	a := arena.New()
	defer a.Release()
	d := New(a)
	check := func(when string) {
		t.Helper()
		n := 0
		for _, c := range d.chunks {
			n += len(c)
		}
		if d.slots != n {
			t.Fatalf("%s: %d slots counted, %d in the slabs", when, d.slots, n)
		}
	}
	var ids []uint32
	for i := range 20000 {
		ids = append(ids, d.Insert([]byte("k"+strconv.Itoa(i))))
		if i%997 == 0 {
			check("growing")
		}
	}
	check("grown")
	for i := len(ids) - 1; i >= 1000; i-- {
		d.Delete(ids[i])
	}
	check("after deleting the top ids")
	d.Clear()
	check("cleared")
}

// Free ids are reused lowest first, however they are scattered over the
// id space (the two-level bitmap finds them): each insert takes the
// lowest hole of a model set.
func TestReusesLowestFreeID(t *testing.T) {
	d := New(arena.New())
	const n = 300_000
	for i := range n {
		d.Insert(key(i))
	}
	rng := rand.New(rand.NewPCG(5, 6))
	holes := map[uint32]bool{}
	next := n
	for round := range 20_000 {
		// Delete a random live key, as eviction does, then insert.
		id := uint32(rng.IntN(int(d.hi)))
		if !d.Live(id) {
			continue
		}
		d.Delete(id)
		holes[id] = true
		for h := range holes {
			if h >= d.hi { // the top of the id space was trimmed
				delete(holes, h)
			}
		}
		if round%3 == 0 {
			continue // let holes pile up
		}
		want := ^uint32(0)
		for h := range holes {
			want = min(want, h)
		}
		if got := d.Insert(key(next)); got != want {
			t.Fatalf("round %d: insert took id %d, the lowest free is %d", round, got, want)
		}
		next++
		delete(holes, want)
	}
}

// Aux words live beside the slabs, made only for the slabs that need
// them: they follow their entries through Compact, a deleted entry's
// is gone (the id's next key reads 0), and a table none of whose
// entries has one holds none.
func TestAuxFollowsItsEntry(t *testing.T) {
	d := New(arena.New())
	const n = 20_000
	for i := range n {
		d.Insert(key(i))
	}
	plain := d.MemoryUsage()
	want := map[string]uint32{}
	for i := 0; i < n; i += 7 {
		id := d.Find(key(i))
		d.SetAux(id, uint32(i+1))
		want[string(key(i))] = uint32(i + 1)
	}
	if d.MemoryUsage() <= plain {
		t.Fatal("the Aux words are not counted")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range n / 2 {
		k := key(rng.IntN(n))
		if id := d.Find(k); id != None {
			d.Delete(id)
			delete(want, string(k))
		}
	}
	for i := n; i < n+n/4; i++ { // reuse the freed ids
		if id := d.Insert(key(i)); d.Aux(id) != 0 {
			t.Fatalf("a new entry at id %d has Aux %d", id, d.Aux(id))
		}
	}
	for d.Compact(1000) {
	}
	for k, v := range want {
		if got := d.Aux(d.Find([]byte(k))); got != v {
			t.Fatalf("%s: Aux %d, want %d", k, got, v)
		}
	}
	empty := New(arena.New())
	for i := range n {
		empty.Insert(key(i))
	}
	for _, a := range empty.aux {
		if a != nil {
			t.Fatal("a table without Aux words made an array for them")
		}
	}
}

// Expand sizes an empty table at once, so that adding the keys it was
// sized for rehashes nothing; on a table with keys it starts a rehash to
// the new size, and every key stays found through it.
func TestExpand(t *testing.T) {
	d := New(arena.New())
	d.Expand(100_000)
	for i := range 100_000 {
		d.Insert(key(i))
		if d.Rehashing() {
			t.Fatalf("rehashing after %d keys in a table expanded for 100,000", i+1)
		}
	}
	if main, _ := d.Buckets(); main != 131072 {
		t.Fatalf("%d buckets, want 131072", main)
	}
	d.Expand(1_000_000)
	if !d.Rehashing() {
		t.Fatal("Expand of a table with keys started no rehash")
	}
	for d.Rehash(100) {
		if d.Find(key(12345)) == None {
			t.Fatal("a key went missing during the rehash")
		}
	}
	for i := range 100_000 {
		if d.Find(key(i)) == None {
			t.Fatalf("key %d missing after the rehash", i)
		}
	}
}

// The arena's count of the tables' memory follows every table built on
// it through inserts, deletes, rehashes, compaction, Aux words, Drain
// and Clear, and comes back to nothing once the tables are cleared.
func TestTablesMemoryReported(t *testing.T) {
	a := arena.New()
	ds := []*Dict{New(a), New(a), New(a)}
	rng := rand.New(rand.NewPCG(9, 10))
	sum := func() int64 {
		var n int64
		for _, d := range ds {
			n += d.MemoryUsage()
		}
		return n
	}
	for i := range 60_000 {
		d := ds[rng.IntN(len(ds))]
		k := key(rng.IntN(20_000))
		switch op := rng.IntN(10); {
		case op < 6:
			if d.Find(k) == None {
				id := d.Insert(k)
				if i%3 == 0 {
					d.SetAux(id, 1)
				}
			}
		case op < 9:
			if id := d.Find(k); id != None {
				d.Delete(id)
			}
		default:
			d.Compact(50)
			d.Rehash(10)
		}
		if i%5000 == 0 && a.Tables() != sum() {
			t.Fatalf("step %d: the arena counts %d bytes of tables, they hold %d", i, a.Tables(), sum())
		}
	}
	ds[0].Expand(100_000)
	if a.Tables() != sum() {
		t.Fatalf("after Expand: %d counted, %d held", a.Tables(), sum())
	}
	for ds[1].Drain(1000, func(*Entry) {}) > 0 {
	}
	if a.Tables() != sum() {
		t.Fatalf("after Drain: %d counted, %d held", a.Tables(), sum())
	}
	for _, d := range ds {
		d.Clear()
	}
	if a.Tables() != 0 {
		t.Fatalf("%d bytes counted after every table was cleared", a.Tables())
	}
}
