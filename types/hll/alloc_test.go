package hll_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/types/hll"
)

// TestDenseAddDoesNotAllocate checks that PFADD to a dense HLL and PFCOUNT
// (cached or not) update the stored value in place without allocating.
func TestDenseAddDoesNotAllocate(t *testing.T) {
	h := cmdtest.New(t, hll.Register)
	h.Quiet = true
	h.DoArgs(cmdtest.Args("pfadd", "h", "seed"))
	h.DoArgs(cmdtest.Args("pfdebug", "todense", "h"))
	var adds [][][]byte
	for i := range 1000 {
		adds = append(adds, cmdtest.Args("pfadd", "h", "e"+strconv.Itoa(i), "f"+strconv.Itoa(i)))
	}
	count := cmdtest.Args("pfcount", "h")
	i := 0
	allocs := testing.AllocsPerRun(500, func() {
		h.DoArgs(adds[i%len(adds)])
		h.DoArgs(count)
		h.DoArgs(count)
		i++
	})
	if allocs != 0 {
		t.Fatalf("PFADD/PFCOUNT on a dense HLL: %v allocations per run", allocs)
	}
	if string(h.DoArgs(count)) == ":0\r\n" {
		t.Fatalf("the adds were not counted")
	}
}
