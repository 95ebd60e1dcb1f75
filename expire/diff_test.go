package expire_test

import (
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Differential tables for the TTL commands, in RESP2 and RESP3. Relative
// TTLs are read back with TTL, whose rounding to seconds hides the few
// milliseconds between the two servers; absolute ones with PEXPIRETIME.

var statsFields = []string{"keyspace_hits", "keyspace_misses", "expired_keys"}

func script(t *testing.T, s string) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(s)
		p.SameInfo("stats", statsFields...)
		p.SameKeyspace("db0")
	})
}

func TestExpireBasics(t *testing.T) {
	script(t, `
expire nokey 100
pexpire nokey 100
expireat nokey 4102444800
pexpireat nokey 4102444800000
set a v
ttl a
pttl a
expiretime a
pexpiretime a
expire a 100
ttl a
expire a 200
ttl a
pexpire a 300000
ttl a
expireat a 4102444800
pexpiretime a
expiretime a
pexpireat a 4102444800123
pexpiretime a
expiretime a
pexpireat a 4102444800499
expiretime a
pexpireat a 4102444800500
expiretime a
get a
ttl nokey
pttl nokey
expiretime nokey
pexpiretime nokey
`)
}

func TestExpireInThePast(t *testing.T) {
	script(t, `
set a v
expire a 0
exists a
set a v
expire a -1
exists a
set a v
pexpire a -1000
exists a
set a v
expireat a 1
exists a
set a v
pexpireat a 0
exists a
set a v
pexpireat a -9223372036854775808
exists a
set a v
expire a -9223372036854775
exists a
set a v
expire a 100 nx
expire a -1 nx
expire a -1 gt
expire a -1 xx
exists a
dbsize
`)
}

func TestExpireErrors(t *testing.T) {
	script(t, `
set a v
expire a
expire
expire a x
expire a ""
expire a 1.5
expire a " 1"
expire a 9223372036854775807
expire a 9223372036854776
expire a -9223372036854776
expire a -9223372036854775
pexpire a 9223372036854775807
pexpire a 9223372036854775000
expireat a 9223372036854776
expireat a 9223372036854775
pexpiretime a
pexpireat a 9223372036854775807
pexpiretime a
expiretime a
ttl a
expire a 10 foo
expire a 10 nx xx
expire a 10 xx nx
expire a 10 nx gt
expire a 10 nx lt
expire a 10 gt lt
expire a 10 lt gt
expire a 10 nx nx
expire a 10 gt gt xx
expire a x foo
expire a x nx xx
expire a x gt lt
pexpire a 10 foo nx xx
expire a 10 gt foo lt
pexpireat a 10 NX XX
expireat a 10 "gt\x00x"
pexpire a 10 "\x00x"
ttl
ttl a b
persist
persist a b
expiretime
`)
}

func TestExpireConditions(t *testing.T) {
	script(t, `
set a v
expire a 100 xx
ttl a
expire a 100 gt
ttl a
expire a 100 lt
ttl a
expire a 100 nx
ttl a
expire a 200 nx
ttl a
expire a 300 xx
ttl a
set b v
pexpireat b 4102444800000 nx
pexpireat b 4102444800000 gt
pexpireat b 4102444800001 gt
pexpiretime b
pexpireat b 4102444800001 lt
pexpireat b 4102444800000 lt
pexpiretime b
pexpireat b 4102444801000 GT xx
pexpireat b 4102444800500 LT XX
pexpiretime b
expireat b 4102444900 xx gt
expiretime b
pexpireat b 4102444800000 nx
persist b
pexpireat b 4102444800000 xx
pexpireat b 4102444800000 lt
pexpiretime b
pexpireat b 4102444800000 gt
`)
}

func TestPersist(t *testing.T) {
	script(t, `
persist nokey
set a v
persist a
expire a 100
persist a
ttl a
persist a
pexpireat a 4102444800000
persist a
pexpiretime a
`)
}

// TestExpiredKeys: a key past its deadline, not yet collected, is missing
// for every TTL command, and the lookups collect it as Redis's do.
func TestExpiredKeys(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("debug", "set-active-expire", "0")
		for _, cmd := range [][]string{
			{"ttl", "k"}, {"pttl", "k"}, {"expiretime", "k"}, {"pexpiretime", "k"},
			{"persist", "k"}, {"expire", "k", "100"}, {"pexpireat", "k", "4102444800000"},
			{"expire", "k", "-1"}, {"expire", "k", "100", "xx"},
		} {
			p.Do("set", "k", "v")
			// Not 1ms: Redis deletes the key at once when its clock
			// passes the deadline while PEXPIRE itself runs.
			p.Do("pexpire", "k", "10")
			time.Sleep(20 * time.Millisecond)
			p.Do("dbsize")
			p.Do(cmd...)
			p.Do("dbsize")
		}
		p.SameInfo("stats", statsFields...)
	})
}

// TestLazyfreeExpire: with lazyfree-lazy-expire a deadline in the past
// unlinks the key instead; the reply is the same.
func TestLazyfreeExpire(t *testing.T) {
	difftest.EachProtocol(t, []string{"lazyfree-lazy-expire yes"}, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
set a v
expire a -1
exists a
`)
	})
}
