package set_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
)

// TestNoAllocs: adding, removing and testing members of existing sets of
// every representation (intset, packed, dict) allocate nothing on the Go
// heap.
func TestNoAllocs(t *testing.T) {
	h := newHarness(t)
	for i := range 1000 {
		h.DoArgs(cmdtest.Args("sadd", "h", "m"+strconv.Itoa(i)))
	}
	h.DoArgs(cmdtest.Args("sadd", "i", "1", "2", "3"))
	h.DoArgs(cmdtest.Args("sadd", "p", "a", "b", "3", "c"))
	for _, tc := range []struct {
		key, member string
		enc         keyspace.Encoding
	}{{"h", "m1", keyspace.EncHashtable}, {"i", "8", keyspace.EncIntset}, {"p", "b", keyspace.EncPackedHashtable}, {"p", "new", keyspace.EncPackedHashtable}} {
		key := tc.key
		cmds := [][][]byte{
			cmdtest.Args("sadd", key, "7", tc.member),
			cmdtest.Args("sismember", key, "7"),
			cmdtest.Args("smismember", key, "7", tc.member, "x"),
			cmdtest.Args("scard", key),
			cmdtest.Args("srem", key, "7", tc.member),
			cmdtest.Args("srandmember", key),
		}
		run := func() {
			for _, c := range cmds {
				h.DoArgs(c)
			}
		}
		run() // warm the buffers
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("%s: %v allocations per run", key, n)
		}
		db := h.KS.DBs[0]
		if enc := db.Encoding(db.Find([]byte(key))); enc != tc.enc {
			t.Errorf("%s: encoding %v, want %v", key, enc, tc.enc)
		}
	}
	// One-member SPOP, its member added back.
	for _, c := range [][]string{{"i", "1", "2", "3"}, {"p", "a", "b", "3", "c"}} {
		pop, add := cmdtest.Args("spop", c[0]), cmdtest.Args(append([]string{"sadd"}, c...)...)
		run := func() {
			h.DoArgs(pop)
			h.DoArgs(add)
		}
		run()
		if n := testing.AllocsPerRun(100, run); n != 0 {
			t.Errorf("spop %s: %v allocations per run", c[0], n)
		}
	}
}
