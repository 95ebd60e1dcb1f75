package server_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// REPLCONF rdb-filter-only's replies, and SYNC's refusal of a filtered
// replica that cannot read a streamed snapshot, are Redis's.
func TestReplconfFilterMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, args := range [][]string{
		{"REPLCONF", "rdb-filter-only", "keys"},
		{"REPLCONF", "rdb-filter-only", "functions bogus"},
		{"REPLCONF", "rdb-filter-only", `"functions`},
		{"REPLCONF", "rdb-filter-only"},
		{"REPLCONF", "rdb-filter-only", "FUNCTIONS"},
		{"REPLCONF", "rdb-filter-only", ""},
		{"SYNC"},
	} {
		p.Do(args...)
	}
}
