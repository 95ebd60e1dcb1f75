package keys_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Differential tables: each script runs against the real Redis and
// Redoubt, in RESP2 and RESP3, and every reply must be byte-identical.
// Deadlines in scripts are absolute (PEXPIREAT) so that PEXPIRETIME does
// not depend on when each server ran the command.

// statsFields are the counters the lookups of these commands move.
var statsFields = []string{"keyspace_hits", "keyspace_misses", "expired_keys"}

func script(t *testing.T, s string) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(s)
		p.SameInfo("stats", statsFields...)
		p.SameKeyspace("db0", "db1", "db2")
	})
}

func TestDelUnlinkExists(t *testing.T) {
	script(t, `
set a 1
set b hello
set c xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
del a
del a
exists a b c b nokey
del b c a b
exists b c
set a 1
set b 2
unlink a b nokey
unlink a
exists a
del
unlink
exists
set a 1
del a a a
set x 1
pexpireat x 4102444800000
del x
exists x
`)
}

func TestTypeTouchDbsize(t *testing.T) {
	script(t, `
type nokey
set s hello
type s
touch s nokey s
touch nokey
touch
type
dbsize
dbsize extra
set t 1
dbsize
select 1
dbsize
set u 1
dbsize
select 0
dbsize
`)
}

func TestRename(t *testing.T) {
	script(t, `
rename nokey other
renamenx nokey other
set a 1
rename a a
renamenx a a
rename nokey nokey
renamenx nokey nokey
rename a b
get a
get b
object encoding b
set c hello
renamenx b c
get b
get c
rename b c
get c
exists b
set big xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
rename big c
object encoding c
renamenx c d
get d
rename d
rename d e f
# The TTL moves with the value; the target's own TTL does not stay.
pexpireat d 4102444800123
rename d e
pexpiretime e
pexpiretime d
set f v
pexpireat f 4102444800999
rename e f
pexpiretime f
set g v
rename g f
pexpiretime f
pexpireat f 4102444800555
renamenx f h
pexpiretime h
ttl f
`)
}

func TestMove(t *testing.T) {
	script(t, `
move nokey 1
set a hello
move a 0
move a 16
move a -1
move a 2147483648
move a -2147483649
move a 1x
move a ""
move a 9223372036854775808
move a 1
exists a
select 1
get a
object encoding a
select 0
set a other
move a 1
get a
select 1
move a 0
get a
select 0
get a
set t v
pexpireat t 4102444800777
move t 2
pexpiretime t
select 2
pexpiretime t
get t
persist t
move t 0
select 0
pexpiretime t
move
move a
move a 1 2
`)
}

func TestCopy(t *testing.T) {
	script(t, `
copy nokey other
set a 1
copy a a
copy a a db 0
copy a a db 1
copy a b
get b
object encoding b
copy a b
set a 2
copy a b replace
get b
copy a b REPLACE REPLACE
copy a b db
copy a b db x
copy a b db 16
copy a b db -1
copy a b db 4294967296
copy a b db 16 foo
copy a b foo
copy a b db 1 replace foo
copy a b replace db 1
copy a b "replace\x00junk" "db\x00" 1
select 1
get b
select 0
set s hello
copy s s2
object encoding s2
set s2 changed
get s
set r xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
copy r r2
object encoding r2
get r2
set n 12345678901
copy n n2
object encoding n2
get n2
set m -3
copy m m2
object encoding m2
set v x
pexpireat v 4102444800321
copy v v2
pexpiretime v2
pexpiretime v
copy v v3 db 2
select 2
pexpiretime v3
select 0
copy s v replace
pexpiretime v
get v
copy
copy a
`)
}

func TestObject(t *testing.T) {
	script(t, `
object encoding nokey
object refcount nokey
object idletime nokey
object freq nokey
set i 100
object encoding i
object refcount i
set j 10000
object refcount j
set k -1
object refcount k
object encoding k
set e hello
object encoding e
object refcount e
set l xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
object encoding l
set l xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
object encoding l
set big 12345678901234567890
object encoding big
set neg -9223372036854775808
object encoding neg
object freq i
object foo
object encoding
object encoding i extra
config set maxmemory-policy allkeys-lfu
object idletime i
object freq e
set i2 100
object refcount i2
set f v
object freq f
# The first access always bumps a fresh key's LFU counter.
get f
object freq f
config set maxmemory-policy allkeys-lru
set i3 100
object refcount i3
config set maxmemory-policy noeviction
object refcount i
`)
}

// TestObjectServerLevel covers the replies of OBJECT that the command
// table and the server produce rather than this package: the shared HELP
// footer and the arity of the bare container command.
func TestObjectServerLevel(t *testing.T) {
	script(t, `
object help
object
`)
}

func TestKeysAndRandomkey(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
keys *
randomkey
set only 1
randomkey
keys *
keys
keys a b
`)
		for _, k := range []string{"foo", "fob", "fxo", "bar", "f*o", `f\o`, "FOO", "f", "", "[x"} {
			p.Do("set", k, "v")
		}
		for _, pat := range []string{"*", "f*", "f?o", "f[ox]?", "f[^o]o", "f[a-z]o", `f\*o`, `f\\o`, "*o", "[", "[x", `\[x`, "", "F*", "fo[", "*[", "f\\", "**", "?"} {
			p.DoUnordered("keys", pat)
		}
		p.Script(`
dbsize
flushdb
randomkey
`)
		p.SameInfo("stats", statsFields...)
	})
}

// pastDeadlines waits until keys given "PEXPIRE key 30" are expired on both
// servers; with active expiry off, they stay in the table until touched.
func pastDeadlines() { time.Sleep(60 * time.Millisecond) }

// withExpired sets keys that are expired but not yet collected.
func withExpired(p *difftest.Pair, keys ...string) {
	for _, k := range keys {
		p.Do("set", k, "v")
		// Long enough that no server, however loaded, finds the deadline
		// already passed while running PEXPIRE itself: Redis then deletes
		// the key at once, which does not count as an expiry.
		p.Do("pexpire", k, "30")
	}
	pastDeadlines()
}

// TestExpiredKeys checks that every command treats a key past its
// deadline as missing, collects it (or not, for KEYS and DBSIZE) and
// counts it as Redis does.
func TestExpiredKeys(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("debug", "set-active-expire", "0")
		p.Do("set", "live", "v")
		withExpired(p, "e1", "e2", "e3", "e4")
		p.Script(`
dbsize
keys *
keys e*
dbsize
exists e1
dbsize
type e2
object encoding e3
dbsize
del e4 live
dbsize
`)
		withExpired(p, "src", "dst", "x")
		p.Script(`
rename src other
renamenx src other
set s v
rename s dst
get dst
dbsize
copy x y
set x2 v
copy x2 x
get x
move x 1
dbsize
`)
		withExpired(p, "t1", "t2")
		p.Script(`
touch t1 t2 x
ttl t1
pttl t2
persist t1
expire t2 100
dbsize
`)
		p.SameInfo("stats", statsFields...)
	})
}

// TestScanExpired covers SCAN's filters on expired keys: they are left out
// and collected, except the quirk of TYPE none, which finds them deleted
// by its own type lookup and so keeps them.
func TestScanExpired(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("debug", "set-active-expire", "0")
		p.Do("set", "live", "v")
		p.Do("set", "elive", "v")
		withExpired(p, "e1", "e2", "x1")
		p.Do("dbsize")
		p.DoUnordered("scan", "0", "count", "100", "match", "e*")
		p.Do("dbsize")
		p.DoUnordered("scan", "0", "count", "100")
		p.Do("dbsize")
		withExpired(p, "e1", "e2", "x1")
		p.DoUnordered("scan", "0", "count", "100", "type", "none")
		p.Do("dbsize")
		withExpired(p, "e1", "e2", "x1")
		p.DoUnordered("scan", "0", "count", "100", "match", "e*", "type", "STRING")
		p.Do("dbsize")
		p.DoUnordered("scan", "0", "count", "100", "type", "list")
		p.Do("dbsize")
		// RANDOMKEY collects expired keys until it meets a live one; with
		// none left it returns null.
		p.Do("del", "live", "elive")
		withExpired(p, "e1", "e2", "x1")
		p.Do("dbsize")
		p.Do("randomkey")
		p.Do("dbsize")
		p.SameInfo("stats", statsFields...)
	})
}

func TestScanArgs(t *testing.T) {
	script(t, `
scan 0
scan ""
scan 18446744073709551616
scan -18446744073709551616
scan 99999999999999999999999
scan 1x
scan x
scan " 1"
scan "\t1"
scan "1 "
scan +
scan -
scan 0x10
scan 1.5
scan 0 count 0
scan 0 count -1
scan 0 count x
scan 0 count 9223372036854775808
scan 0 count
scan 0 match
scan 0 type
scan 0 foo bar
scan 0 count 10 foo
scan 0 match * count 1 type string extra
scan
`)
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		// With nothing in the database every cursor ends the scan.
		for _, c := range []string{"7", "-1", "+3", "-0", "18446744073709551615", "-18446744073709551615", "0\x00junk", "\x00"} {
			p.Do("scan", c)
		}
		for i := 0; i < 5; i++ {
			p.Do("set", "k"+string(rune('a'+i)), "v")
		}
		p.Do("set", "n", "1")
		p.Do("set", "", "empty")
		// A table this small is covered by the first call.
		for _, args := range [][]string{
			{"scan", "0"},
			{"scan", "0", "count", "1000"},
			{"scan", "0", "match", "k*"},
			{"scan", "0", "MATCH", "*"},
			{"scan", "0", "match", "k[ab]", "COUNT", "1000"},
			{"scan", "0", "type", "string"},
			{"scan", "0", "TYPE", "String", "match", "n"},
			{"scan", "0", "type", "hash"},
			{"scan", "0", "type", "nonsense"},
			{"scan", "0", "type", ""},
			{"scan", "0", "match", ""},
			{"scan", "0", "type", "string\x00junk"},
			{"scan", "0", "count\x00junk", "1000", "match\x00", "k*"},
			{"scan", "0", "count", "9223372036854775807"},
		} {
			p.DoUnordered(args...)
		}
		p.SameInfo("stats", statsFields...)
	})
}

// TestScanFullIteration compares the keys a complete SCAN returns on a
// table that takes many calls; cursors themselves depend on each server's
// hash function, so only the set of keys is compared.
func TestScanFullIteration(t *testing.T) {
	p := difftest.NewPair(t)
	for i := 0; i < 300; i++ {
		k := "key:" + strings.Repeat("x", i%7) + string(rune('0'+i%10)) + ":" + strconv.Itoa(i)
		p.Do("set", k, "v")
	}
	for _, opts := range [][]string{nil, {"count", "3"}, {"match", "key:xx*"}, {"count", "50", "type", "string"}} {
		want := fullScan(t, p.Redis, opts)
		got := fullScan(t, p.Redoubt, opts)
		if len(want) != len(got) {
			t.Fatalf("SCAN %v: redis returned %d keys, redoubt %d", opts, len(want), len(got))
		}
		for k := range want {
			if !got[k] {
				t.Errorf("SCAN %v: redoubt did not return %q", opts, k)
			}
		}
	}
}

func fullScan(t *testing.T, c *difftest.Conn, opts []string) map[string]bool {
	seen := map[string]bool{}
	cursor := "0"
	for {
		v := c.DoValue(append([]string{"scan", cursor}, opts...)...)
		if len(v.Elems) != 2 {
			t.Fatalf("bad SCAN reply %v", v)
		}
		for _, k := range v.Elems[1].Elems {
			seen[k.Str] = true
		}
		cursor = v.Elems[0].Str
		if cursor == "0" {
			return seen
		}
	}
}
