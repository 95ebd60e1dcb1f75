package str_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/bitops"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/str"
)

// newHarness runs the string and bit commands in process
// (internal/cmdtest): to plant keys of types no package implements yet,
// to see notifications, and to measure the handlers alone.
func newHarness(t testing.TB) *cmdtest.Harness {
	return cmdtest.New(t, str.Register, bitops.Register)
}

// plantOther creates a key holding a value of a kind other than string,
// for WRONGTYPE paths.
func plantOther(h *cmdtest.Harness, key string, kind keyspace.Kind) {
	h.KS.DBs[0].Add([]byte(key), kind, keyspace.EncInt, 0)
}
