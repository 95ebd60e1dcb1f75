package server_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Without cluster mode the cluster commands answer as Redis's do when
// cluster-enabled is no.
func TestClusterDisabledMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
cluster info
cluster help
cluster keyslot foo
cluster reset hard
cluster bogus
cluster
readonly
readwrite
asking
eval "return redis.pcall('cluster', 'info')" 0
eval "return redis.pcall('cluster', 'reset')" 0
command info cluster|info readonly
`)
}
