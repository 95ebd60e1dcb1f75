package bitops_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Each script runs against both servers in RESP2 and in RESP3, comparing
// every reply byte for byte; OBJECT ENCODING checks the encodings the bit
// commands leave.

func TestSetbitGetbitMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
setbit b 7 1
get b
object encoding b
strlen b
setbit b 7 1
setbit b 7 0
setbit b 0 1
get b
setbit b 100 1
strlen b
getbit b 100
getbit b 99
getbit b 101
getbit b 100000
getbit b 0
getbit nokey 0
setbit b -1 1
setbit b x 1
setbit b 1.5 1
setbit b "" 1
setbit b 4294967295 2
setbit b 4294967296 1
setbit b 9223372036854775807 1
setbit b 1 2
setbit b 1 -1
setbit b 1 x
setbit b 1 ""
setbit b 1 01
setbit b 1 " 1"
getbit b -1
getbit b x
getbit b 4294967296
getbit b 4294967295
getbit nokey x
set i 1
getbit i 2
getbit i 7
getbit i 8
object encoding i
setbit i 7 0
object encoding i
get i
set e hello
object encoding e
setbit e 0 0
object encoding e
set w 255
setbit w 0 0
get w
setbit
setbit b 1
getbit b
getbit b 1 2
`)
	})
}

func TestBitcountMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
set s foobar
bitcount s
bitcount s 0 0
bitcount s 1 1
bitcount s 1 -2
bitcount s -2 -1
bitcount s 0 -1
bitcount s -100 100
bitcount s 5 2
bitcount s -1 -2
bitcount s -1 -2 bogus
bitcount s 0 0 bit
bitcount s 5 30 BIT
bitcount s 5 30 byte
bitcount s 0 -1 bit
bitcount s -5 -1 bit
bitcount s -50 -40 bit
bitcount s 1 1 bit
bitcount s 7 8 bit
bitcount s 9 9 bit
bitcount s 47 47 bit
bitcount s 48 100 bit
bitcount s 0 0 bogus
bitcount s 0
bitcount s 0 1 bit extra
bitcount s x 1
bitcount s 1 x
bitcount s 9223372036854775807 -9223372036854775808
bitcount s -9223372036854775808 9223372036854775807 bit
bitcount nokey
bitcount nokey 0
bitcount nokey x y z w
set i 12345
bitcount i
bitcount i 1 2
object encoding i
set e ""
bitcount e
bitcount e 0 -1
bitcount e 0 -1 bit
set big aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
bitcount big
bitcount big 3 70
bitcount big 19 601 bit
bitcount
`)
	})
}

func TestBitposMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
set s "\xff\xf0\x00"
bitpos s 0
bitpos s 1
bitpos s 1 2
bitpos s 0 2
bitpos s 0 0 0
bitpos s 0 0 1
bitpos s 1 2 -1
bitpos s 0 -1
bitpos s 1 -1
bitpos s 0 0 -1 bit
bitpos s 0 7 15 bit
bitpos s 0 13 13 bit
bitpos s 1 13 13 bit
bitpos s 0 3 5 bit
bitpos s 1 3 5 bit
bitpos s 1 9 bit
bitpos s 0 9 bit
bitpos s 0 9 23 bit
bitpos s 1 16 23 bit
bitpos s 0 16 23 bit
bitpos s 1 5 100 bit
bitpos s 0 12 20 byte
bitpos s 0 1 0
bitpos s 0 -1 -2 bit
bitpos s 0 0 0 bogus
bitpos s 0 0 x bit
bitpos s 0 x
bitpos s 0 0 x
bitpos s 0 0 0 bit extra
bitpos s 2
bitpos s -1
bitpos s x
bitpos s 1.0
bitpos nokey 1
bitpos nokey 0
bitpos nokey 0 x y z w
bitpos nokey 3
set ones "\xff\xff\xff"
bitpos ones 0
bitpos ones 0 0 -1
bitpos ones 0 1
bitpos ones 0 0 -1 bit
bitpos ones 0 3 bit
bitpos ones 0 3 20 bit
bitpos ones 1 3 20 bit
set zeros "\x00\x00\x00"
bitpos zeros 1
bitpos zeros 1 0 -1
bitpos zeros 1 3 20 bit
bitpos zeros 0 3 20 bit
bitpos zeros 0 0 -1
set e ""
bitpos e 0
bitpos e 1
bitpos e 0 0 -1
bitpos e 0 0 -1 bit
set i 12
bitpos i 1
bitpos i 0 1
bitpos i 1 3 12 bit
object encoding i
set big "\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01\xff\xff"
bitpos big 1
bitpos big 1 3
bitpos big 0 19
bitpos big 1 5 170 bit
bitpos big 0 159 170 bit
bitpos
bitpos s
`)
	})
}

func TestBitopMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
set a "\xff\x0f\xaa"
set b "\x0f\xf0"
set c 123
bitop and d a b
get d
object encoding d
bitop or d a b
get d
bitop xor d a b c
get d
bitop not d a
get d
bitop not d c
get d
bitop AND d a nokey
get d
bitop Or d nokey a
get d
bitop xor d a a
get d
bitop and a a b
get a
bitop not d nokey
exists d
set d x
bitop or d nokey1 nokey2
exists d
bitop not d a b
bitop not d
bitop nand d a
bitop "" d a
bitop and
bitop and d
set t v ex 100
bitop or t a
ttl t
get t
object encoding t
set longa aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
set longb bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
bitop and d longa longb
get d
bitop or d longa longb a
get d
bitop xor d longb longa
get d
bitop not d longb
get d
set z ""
bitop or d z
exists d
`)
	})
}

func TestBitfieldMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
bitfield bf
bitfield bf get u8 0
exists bf
bitfield bf set u8 0 255
get bf
object encoding bf
bitfield bf get u8 0 get i8 0 get u4 0 get i4 4 get u1 7
bitfield bf set i8 0 -100 get i8 0 get u8 0
bitfield bf incrby u2 100 1 overflow sat incrby u2 102 1
bitfield bf incrby u2 100 1 overflow sat incrby u2 102 1
bitfield bf incrby u2 100 1 overflow sat incrby u2 102 1
bitfield bf overflow fail incrby u2 100 10 get u2 100
bitfield bf overflow wrap incrby i5 100 15 incrby i5 100 15
bitfield bf overflow sat incrby i5 100 15 incrby i5 100 -100
bitfield bf overflow fail incrby i5 100 -100 set i5 100 100 set u5 100 100
bitfield bf overflow sat set u5 100 100 set u5 100 -1 set i5 100 -100 set i5 100 100
bitfield bf overflow wrap set u5 100 100 set u5 100 -1 set i5 100 -100 set i5 100 100
bitfield bf set i64 0 -9223372036854775808 get i64 0 incrby i64 0 -1
bitfield bf overflow sat incrby i64 0 -1 get i64 0
bitfield bf overflow sat set i64 0 9223372036854775807 incrby i64 0 1
bitfield bf overflow fail incrby i64 0 1 incrby i64 0 -1
bitfield bf overflow wrap incrby i64 0 1
bitfield bf set u63 0 9223372036854775807 incrby u63 0 1
bitfield bf overflow sat set u63 0 9223372036854775807 incrby u63 0 1 incrby u63 0 -9223372036854775808
bitfield bf set u63 0 0 overflow fail incrby u63 0 -1
bitfield bf set i1 3 -1 get i1 3 get u1 3 incrby i1 3 1
bitfield bf get u8 #0 get u8 #1 set u8 #2 200 get u8 16
bitfield bf get i16 #3
bitfield bf get u8 #-1
bitfield bf get u8 #x
bitfield bf get u8 #
bitfield bf get u8 ##1
bitfield bf get u8 #9223372036854775807
bitfield bf get u8 -1
bitfield bf get u8 x
bitfield bf get u8 4294967288
bitfield bf get u8 4294967296
bitfield bf get u64 0
bitfield bf get i65 0
bitfield bf get i0 0
bitfield bf get u0 0
bitfield bf get U8 0
bitfield bf get x8 0
bitfield bf get "" 0
bitfield bf get i 0
bitfield bf get i08 0
bitfield bf get i-8 0
bitfield bf set u8 0 x
bitfield bf set u8 0 1.5
bitfield bf incrby u8 0
bitfield bf set u8 0
bitfield bf get u8
bitfield bf overflow
bitfield bf overflow bogus get u8 0
bitfield bf overflow sat
bitfield bf overflow fail overflow wrap incrby u8 0 300
bitfield bf bogus
bitfield bf get u8 0 bogus
bitfield bf get u8 0 set u8 0 1 get
bitfield nk get u8 1000
exists nk
bitfield nk set u8 1000 0
strlen nk
bitfield nk2 get u8 0 set u1 0 0
strlen nk2
bitfield nk3 overflow fail incrby u8 100 1000
strlen nk3
bitfield nk4 incrby u8 100 0
strlen nk4
set i 1
bitfield i get u8 0
object encoding i
bitfield i set u8 0 50
object encoding i
get i
bitfield i get u8 #5000
bitfield_ro bf get u8 0 get i16 #1
bitfield_ro bf
bitfield_ro bf set u8 0 1
bitfield_ro bf get u8 0 incrby u8 0 1
bitfield_ro bf overflow sat get u8 0
bitfield_ro bf bogus
bitfield_ro nk9 get u8 0
bitfield_ro bf get u99 0
bitfield
bitfield_ro
`)
	})
}
