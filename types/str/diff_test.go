package str_test

import (
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Each script runs against both servers in RESP2 and in RESP3, comparing
// every reply byte for byte. OBJECT ENCODING after the writes checks that
// values end in the encoding Redis gives them.

func TestGetSetMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
get nokey
set k v
get k
object encoding k
set k 123
object encoding k
get k
set k -9223372036854775808
object encoding k
set k 9223372036854775808
object encoding k
set k 0123
object encoding k
set k "-0"
object encoding k
set k " 1"
object encoding k
set k 12345678901234567890123
object encoding k
set k aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
object encoding k
set k aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
object encoding k
set k ""
get k
object encoding k
strlen k
set k v nx
set k v xx
get k
set k2 v xx
exists k2
set k2 v2 nx
get k2
set k v nx xx
set k v xx nx
set k v nx nx
set k v get
set k w GET get
set nokey2 v get
get nokey2
set k v bogus
set k v ex
set k v ex 10 px 100
set k v ex 10 exat 100
set k v ex 10 ex 20
ttl k
set k v px 10 pxat 100
set k v exat 10 pxat 100
set k v keepttl ex 10
set k v ex 10 keepttl
set k v persist
set k v ex 0
set k v ex -1
set k v ex abc
set k v ex 1.5
set k v px 0
set k v exat 0
set k v pxat 0
set k v pxat -5
set k v ex 9223372036854775807
set k v ex 9223372036854776
set k v ex 9223372036854775
set k v px 9223372036854775807
set k v exat 9223372036854775
set k v pxat 9223372036854775807
set k v ex 100
ttl k
set k v2 keepttl
ttl k
get k
set k v3
ttl k
set k v ex 100
set k v4 get xx keepttl
ttl k
set k v5 get nx
get k
set k v ex 100 get
ttl k
set k v EXAT 4102444800
expiretime k
set k v PXAT 4102444800123
pexpiretime k
set a
set a b c d
get
get a b
setnx sk 1
setnx sk 2
get sk
object encoding sk
setnx sk
setex ek 100 v
ttl ek
get ek
setex ek 0 v
setex ek -1 v
setex ek x v
setex ek 9223372036854776 v
psetex pk 100000 v
ttl pk
psetex pk 0 v
psetex pk abc v
psetex pk 9223372036854775807 v
setex ek 100 12
object encoding ek
setex ek 100
getset gs a
getset gs b
getset gs 42
object encoding gs
get gs
set ttlk v ex 100
getset ttlk w
ttl ttlk
getdel gd
set gd v
getdel gd
exists gd
getdel a b
`)
	})
}

func TestGetexMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
getex nokey
getex nokey ex 10
getex nokey ex bad
getex nokey bogus
set k v
getex k
ttl k
getex k ex 100
ttl k
getex k persist
ttl k
persist k
getex k persist
getex k px 100000
ttl k
getex k exat 4102444800
expiretime k
getex k pxat 4102444800555
pexpiretime k
getex k ex 0
getex k ex -5
getex k px abc
getex k ex 9223372036854775807
getex k ex 9223372036854776
getex k px 9223372036854775807
getex k ex 10 px 10
getex k ex 10 persist
getex k persist ex 10
getex k persist persist
getex k ex 10 ex 20
ttl k
getex k keepttl
getex k nx
getex k get
getex k ex
getex k exat 1
exists k
set k2 12
getex k2 pxat 1
exists k2
getex
`)
	})
}

func TestMultiKeyMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
mget a b c
mset a 1 b 2 c 3
mget a b c nokey
object encoding a
mset a
mset a 1 b
mset a 1 b 2 c
msetnx x 1 y 2
mget x y
msetnx x 1 z 2
exists z
msetnx z 1 z 2
get z
msetnx q
msetnx q 1 r
set t v ex 100
mset t w
ttl t
mset dup 1 dup 2
get dup
mget
`)
	})
}

func TestIncrDecrMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
incr n
incr n
object encoding n
decr n
decr n
decr n
incrby n 100
decrby n 50
incrby n -10
decrby n -10
incrby n abc
incrby n 1.5
incrby n ""
decrby n 9223372036854775808
decrby n -9223372036854775808
set n 9223372036854775806
incr n
incr n
get n
set n -9223372036854775807
decr n
decr n
decrby n 1
incrby n -1
set n 5
incrby n 9223372036854775807
set n -5
incrby n -9223372036854775807
incrby n -9223372036854775808
set s hello
incr s
decr s
incrby s 1
set s "  1"
incr s
set s 1.0
incr s
set s 00
incr s
set s ""
incr s
set n 10000
object encoding n
incr n
object encoding n
set n 9999
incr n
object encoding n
set r 12
append r 3
object encoding r
incr r
object encoding r
get r
set t 1 ex 100
incr t
ttl t
incr
incr a b
incrby a
incrby a 1 2
`)
	})
}

func TestIncrbyfloatMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
incrbyfloat f 1
object encoding f
get f
incrbyfloat f 0.1
incrbyfloat f 0.1
incrbyfloat f 0.1
set f 10.5
incrbyfloat f 0.1
object encoding f
set f 10
incrbyfloat f 0
object encoding f
incrbyfloat f -10
get f
incrbyfloat f -0.000000000000000001
incrbyfloat f 0.000000000000000006
incrbyfloat f 0.000000000000000004
incrbyfloat f -0.00000000000000001
set f 3.0e3
incrbyfloat f 1.0e3
set f 0x10
incrbyfloat f 0x1p-2
incrbyfloat f 0X1.8P1
incrbyfloat f 1e-5
incrbyfloat f 1E+2
incrbyfloat f .5
incrbyfloat f 5.
incrbyfloat f +1
incrbyfloat f -.25
set f 5.0e3
incrbyfloat f 2.0e2
incrbyfloat f 1e300
object encoding f
strlen f
incrbyfloat f -1e300
set f 1e4000
incrbyfloat f 1
incrbyfloat f -1e4000
set f 1.18973149535723176502e+4932
incrbyfloat f 0
incrbyfloat f 1e4932
set f 1e4933
incrbyfloat f 1
set f 1e-4940
incrbyfloat f 1
set f 1e-5000
incrbyfloat f 1
set f 0e-99999
incrbyfloat f 1
set f 0x1p-16445
incrbyfloat f 1
set f 0x1p-16446
incrbyfloat f 1
set f 0x1.0000001p-16446
incrbyfloat f 1
set f 0x0.8p-16445
incrbyfloat f 1
set f 0x0.80000000001p-16445
incrbyfloat f 1
set f 1.8225997659412373012e-4951
incrbyfloat f 1
set f 1.8225997659412373013e-4951
incrbyfloat f 1
set f 0x1.fffffffffffffffep16383
incrbyfloat f 0
set f 0x1.ffffffffffffffffp16383
incrbyfloat f 0
set f 0x1.fffffffffffffffe8p16383
incrbyfloat f 0
set f 1.18973149535723176508e4932
incrbyfloat f 0
set f 1.1897314953572317650e4932
incrbyfloat f 0
set f 0x.1p-16440
incrbyfloat f 1
set f 0x1P+1
incrbyfloat f 1
set f 1e+0005
incrbyfloat f 1
set f 1e99999999999999999999999
incrbyfloat f 1
set f 0e99999999999999999999999
incrbyfloat f 1
set f 1e-99999999999999999999999
incrbyfloat f 1
set f 0.000003814697265625
incrbyfloat f 0
set f 0.000011444091796875
incrbyfloat f 0
set f 1.00000000000000000005
incrbyfloat f 0
set f 123456789012345678901234567890
incrbyfloat f 1
set f 9223372036854775807
incrbyfloat f 1
set f -9223372036854775808
incrbyfloat f -1
incrbyfloat f 1.5e-7
set f inf
incrbyfloat f 1
set f 1
incrbyfloat f inf
incrbyfloat f -inf
incrbyfloat f Infinity
incrbyfloat f nan
incrbyfloat f -nan
incrbyfloat f NaN
incrbyfloat f abc
incrbyfloat f ""
incrbyfloat f " 1"
incrbyfloat f "1 "
incrbyfloat f 1e
incrbyfloat f 1e+
incrbyfloat f 0x
incrbyfloat f 0x1p
incrbyfloat f .
incrbyfloat f 1.2.3
incrbyfloat f 1_000
incrbyfloat f 0b101
incrbyfloat f 0o17
incrbyfloat f infin
get f
set f hello
incrbyfloat f 1
set f " 1.5"
incrbyfloat f 1
set f 1.5x
incrbyfloat f 1
set f 1.5
incrbyfloat f abc
set t 1 ex 100
incrbyfloat t 1.5
ttl t
incrbyfloat
incrbyfloat a
`)
		// Strings of up to MAX_LONG_DOUBLE_CHARS - 1 characters parse.
		p.Do("incrbyfloat", "g", "1"+strings.Repeat("0", 5118))
		p.Do("incrbyfloat", "g", "1"+strings.Repeat("0", 5119))
		p.Do("incrbyfloat", "g2", "0."+strings.Repeat("0", 5000)+"1")
		p.Do("incrbyfloat", "g3", "0."+strings.Repeat("1", 5100))
	})
}

func TestAppendStrlenRangeMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
append a hello
object encoding a
append a " world"
object encoding a
get a
strlen a
append n 123
object encoding n
append n ""
object encoding n
get n
strlen n
set i 12345
strlen i
append i 6
get i
append e ""
exists e
object encoding e
set s abc
append s ""
object encoding s
strlen nokey
getrange a 0 4
getrange a -5 -1
getrange a 0 -1
getrange a 6 100
getrange a -100 2
getrange a 5 3
getrange a -1 -5
getrange a -1 -1
getrange a 100 200
getrange a 0 -100
getrange a -100 -100
getrange a 9223372036854775807 -9223372036854775808
getrange a -9223372036854775808 9223372036854775807
getrange i 1 3
getrange nokey 0 -1
getrange a x 1
getrange a 1 x
getrange nokey x 1
substr a 0 4
substr a -3 -1
substr nokey 0 1
set empty ""
getrange empty 0 -1
getrange empty 0 0
getrange empty -1 0
setrange r 5 hi
get r
object encoding r
strlen r
setrange r 0 HELLO
get r
setrange r 10 ""
setrange nr 10 ""
exists nr
setrange r -1 x
setrange r x x
setrange r 1.5 x
setrange nr -1 ""
set i 12345
setrange i 1 x
object encoding i
get i
set i 12345
setrange i 1 ""
object encoding i
set em short
setrange em 0 S
object encoding em
setrange r 536870912 x
setrange r 9223372036854775807 x
setrange nr 536870912 x
setrange nr 536870912 ""
setrange r 536870912 ""
append
append a
strlen
getrange a 0
setrange a 0
`)
	})
}

// TestSizeLimitsMatchRedis lowers proto-max-bulk-len so that the size
// checks of APPEND, SETRANGE, SETBIT and LCS trigger with small values.
func TestSizeLimitsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	big := strings.Repeat("x", 600)
	p.Do("config", "set", "proto-max-bulk-len", "1048576")
	p.Do("set", "a", strings.Repeat("y", 1048000))
	p.Do("append", "a", big)
	p.Do("append", "a", strings.Repeat("z", 576))
	p.Do("strlen", "a")
	p.Do("append", "a", "z")
	p.Do("append", "a", "")
	p.Do("setrange", "b", "1048575", "x")
	p.Do("setrange", "b", "1048576", "x")
	p.Do("setrange", "b", "1048575", "xy")
	p.Do("setrange", "b", "0", "hello")
	p.Do("setrange", "b", "1048576", "")
	p.Do("setbit", "c", "8388607", "1")
	p.Do("setbit", "c", "8388608", "1")
	p.Do("getbit", "c", "8388608")
	p.Do("bitfield", "c", "get", "u8", "8388600")
	p.Do("bitfield", "c", "get", "u8", "8388608")
	p.Do("bitfield", "c", "get", "u8", "#1048575")
	p.Do("bitfield", "c", "get", "u8", "#1048576")
	p.Do("set", "l1", strings.Repeat("a", 500))
	p.Do("set", "l2", strings.Repeat("b", 520))
	p.Do("lcs", "l1", "l2", "len")
	p.Do("set", "l2", strings.Repeat("b", 525))
	p.Do("lcs", "l1", "l2", "len")
	p.Do("lcs", "l1", "l2", "idx", "len")
	p.Do("del", "a", "b", "c")
}

func TestLCSMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
mset a ohmytext b mynewtext
lcs a b
lcs a b len
lcs a b idx
lcs a b idx minmatchlen 4
lcs a b idx minmatchlen 4 withmatchlen
lcs a b idx withmatchlen
lcs a b IDX MINMATCHLEN -5 WITHMATCHLEN
lcs a b withmatchlen
lcs a b minmatchlen 2
lcs a b len withmatchlen
lcs a b len idx
lcs a b idx len
lcs a b minmatchlen
lcs a b minmatchlen x
lcs a b minmatchlen 1.5
lcs a b bogus
lcs a nokey
lcs nokey b idx
lcs nokey1 nokey2
lcs nokey1 nokey2 idx withmatchlen
lcs nokey1 nokey2 len
lcs a a idx withmatchlen
set i1 1234567
set i2 2345
lcs i1 i2 idx withmatchlen
lcs i1 i2
set x1 "ABCBDAB"
set x2 "BDCABA"
lcs x1 x2
lcs x1 x2 idx withmatchlen
lcs x2 x1 idx withmatchlen
set y1 "GAC"
set y2 "AGCAT"
lcs y1 y2 idx
lcs y2 y1 idx
lcs a
`)
	})
}

// TestEncodingsAfterEditsMatchRedis walks a key through the commands that
// change its encoding.
func TestEncodingsAfterEditsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
set k 1
object encoding k
incrbyfloat k 1
object encoding k
incr k
object encoding k
setbit k 0 0
object encoding k
get k
set k 12
setbit k 1 0
object encoding k
get k
set k 12
getbit k 2
object encoding k
set k hello
bitcount k
object encoding k
set k hello
bitfield k get u8 0
object encoding k
bitfield k set u8 0 104
object encoding k
set k 7
bitfield_ro k get u8 0
object encoding k
bitop not dst k
object encoding dst
bitop or dst2 k k
object encoding dst2
get dst2
set k 1
getex k ex 100
object encoding k
getset k 55
object encoding k
mset k 66 k2 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
object encoding k
object encoding k2
incrbyfloat k2b 1.5
incrbyfloat k2b 1e100
object encoding k2b
incrbyfloat k2c 1e25
object encoding k2c
strlen k2c
`)
}

// TestHitsAndMissesMatchRedis checks the lookups each command makes: read
// lookups count keyspace hits and misses, write lookups do not.
func TestHitsAndMissesMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("config", "resetstat")
	p.Script(`
set a 1
get a
get nokey
set a 2 get
set nokey 2 get
del nokey
getex a
getex nokey
getdel nokey
getset a 3
mget a nokey b
mset a 1
msetnx x 1
incr a
append a 1
strlen a
strlen nokey
getrange a 0 1
setrange a 0 x
lcs a nokey
setbit a 1 1
getbit a 1
getbit nokey 1
bitcount a
bitpos a 1
bitop and d a nokey
bitfield a get u8 0
bitfield a set u8 0 1
bitfield_ro nokey get u8 0
incrbyfloat a 1
`)
	p.SameInfo("stats", "keyspace_hits", "keyspace_misses")
}

// TestExpiredKeysMatchRedis runs commands on keys whose TTL has passed:
// every command must see them as missing, and count them as expired.
func TestExpiredKeysMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("debug", "set-active-expire", "0")
	p.Do("config", "resetstat")
	cmds := [][]string{
		{"get", "k"}, {"set", "k", "v", "nx"}, {"set", "k", "v", "xx"}, {"setnx", "k", "v"},
		{"getex", "k"}, {"getdel", "k"}, {"getset", "k", "v"}, {"mget", "k"}, {"msetnx", "k", "v"},
		{"append", "k", "v"}, {"strlen", "k"}, {"incr", "k"}, {"incrbyfloat", "k", "1"},
		{"getrange", "k", "0", "-1"}, {"setrange", "k", "1", "v"}, {"lcs", "k", "k"},
		{"setbit", "k", "1", "1"}, {"getbit", "k", "1"}, {"bitcount", "k"}, {"bitpos", "k", "0"},
		{"bitop", "or", "k", "k"}, {"bitop", "or", "d", "k"}, {"bitfield", "k", "incrby", "u8", "0", "1"},
		{"bitfield_ro", "k", "get", "u8", "0"},
	}
	for _, cmd := range cmds {
		p.Do("set", "k", "12", "px", "1")
		p.Do("set", "d", "x", "px", "1")
		p.Redis.Do("debug", "sleep", "0.005")
		p.Redoubt.Do("debug", "sleep", "0.005")
		p.Do(cmd...)
		p.Do("exists", "k")
		p.Do("del", "k", "d")
	}
	p.SameInfo("stats", "expired_keys")
}
