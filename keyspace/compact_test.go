package keyspace_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/types/hash"
	"github.com/redoubt-db/redoubt/types/list"
	"github.com/redoubt-db/redoubt/types/set"
	"github.com/redoubt-db/redoubt/types/str"
	"github.com/redoubt-db/redoubt/types/stream"
	"github.com/redoubt-db/redoubt/types/zset"
)

// A compaction pass moves the blobs of values built of many (tables,
// skiplists, quicklists, streams) out of sparse pages too, a budget at a
// time: the pages they shared with deleted keys are given back, and every
// value reads the same after the pass.
func TestCompactionMovesValuesOfManyBlobs(t *testing.T) {
	h := cmdtest.New(t, str.Register, keys.Register, hash.Register, set.Register, zset.Register, list.Register, stream.Register)
	h.Quiet = true
	const (
		colls = 8
		elems = 600
	)
	reads := func() []string {
		var out []string
		for c := range colls {
			n := strconv.Itoa(c)
			for _, cmd := range [][]string{
				{"hgetall", "h" + n}, {"smembers", "s" + n}, {"zrange", "z" + n, "0", "-1", "withscores"},
				{"lrange", "l" + n, "0", "-1"}, {"xrange", "x" + n, "-", "+"},
				{"object", "encoding", "h" + n}, {"object", "encoding", "s" + n}, {"object", "encoding", "z" + n},
			} {
				out = append(out, string(h.Do(cmd...)))
			}
		}
		return out
	}
	// Each element is written between filler strings of about its size,
	// so the collections' blobs share their pages with the fillers.
	filler := 0
	fill := func(e string) {
		for _, v := range []string{"field-" + e, "value-" + e, "member-" + e} {
			h.Do("set", "f"+strconv.Itoa(filler), v)
			filler++
		}
	}
	for i := range elems {
		e := strconv.Itoa(i)
		for c := range colls {
			n := strconv.Itoa(c)
			h.Do("hset", "h"+n, "field-"+e, "value-"+e)
			fill(e)
			h.Do("sadd", "s"+n, "member-"+e)
			fill(e)
			h.Do("zadd", "z"+n, e, "member-"+e)
			fill(e)
			h.Do("rpush", "l"+n, "element-"+e)
			h.Do("xadd", "x"+n, "*", "f", e)
			fill(e)
		}
	}
	for i := range filler {
		h.Do("del", "f"+strconv.Itoa(i))
	}
	before := reads()
	a := h.KS.Arena
	frag := a.Fragmentation()
	if h.KS.BeginCompaction() == 0 {
		t.Fatal("no page to drain after deleting three quarters of the blobs")
	}
	steps := 0
	for !h.KS.CompactStep(64) {
		steps++
		// Values change between steps, as commands run between them.
		h.Do("hset", "h0", "field-"+strconv.Itoa(steps), "changed")
		h.Do("rpush", "l1", "more")
		before[0], before[1*8+3] = "", "" // h0 and l1 changed
	}
	if steps < colls*5 {
		t.Errorf("the pass took %d steps: the values were not gone through a budget at a time", steps)
	}
	after := reads()
	for i := range before {
		if before[i] != "" && before[i] != after[i] {
			t.Fatalf("read %d changed by the pass:\n%q\n%q", i, before[i], after[i])
		}
	}
	if n := a.Unreached(); n != 0 {
		t.Errorf("the pass left %d pages it could not empty (unused mapped bytes %d before the pass, %d after)", n, frag, a.Fragmentation())
	}
	// The hashes', sets' and sorted sets' elements shared their pages
	// with the fillers; lists' and streams' nodes may or may not have.
	if st := h.KS.CompactionStats; st.KeyHits < colls*3 {
		t.Errorf("%d keys had blobs moved, want at least the %d tables", st.KeyHits, colls*3)
	}
}
