package sortcmd_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestSortSignalsMatchRedis compares, after each command, the events it
// published, the dirty counter and the keyspace hits and misses: SORT
// counts every stored element as a change and every pattern as a lookup.
func TestSortSignalsMatchRedis(t *testing.T) {
	difftest.CompareSignals(t, []string{
		"rpush l 3 1 2", "mset w_1 1 w_2 2", "sort l", "sort l by w_* get # get w_* get nope_*",
		"sort l store dst", "sort l store dst", "sort l by nosort limit 0 0 store dst", "sort l limit 0 0 store dst",
		"sort nokey store dst", "set s v", "sort l get w_* store s", "zadd z 1 a", "sort z store z",
		"sort_ro l by w_*", "sort s store x", "sort l limit 0 x store y",
	})
}
