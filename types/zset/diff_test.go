package zset_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Listpack replies are compared byte for byte, and so are skiplist ones:
// both encodings keep Redis's order, score then member bytes.

func TestZAddMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
zadd z 1 a 2 b 3 c
zadd z 1.5 a -2 d +inf e -inf f 0 g -0 h
zadd z 1e400 x
zadd z nan x
zadd z 1 a 2
zadd z
zadd z nx xx 1 a
zadd z gt lt 1 a
zadd z nx gt 1 a
zadd z nx lt 1 a
zadd z incr 1 a 2 b
zadd z xx 10 newm
zadd z nx 10 a 11 newm
zadd z xx ch 10 a 11 b
zadd z gt ch 1 a 100 b
zadd z lt ch 1 a 100 b
zadd z incr 2.5 a
zadd z incr nx 1 a
zadd z incr xx 1 nokey
zadd z incr gt -100 a
zadd z ch 1 a
zrange z 0 -1 withscores
zadd z incr -inf e
zadd z incr +inf e
zadd z incr inf f
zadd z incr -inf f
zscore z e
zscore z f
zadd z 1 x 2
zadd z abc x
zadd z " 1" x
zadd z 1.0e3 x 123456789012345678 y 1.1 z 0.1 w
zrange z 0 -1 withscores
zincrby z 1 a
zincrby z x a
zincrby z nx a
zincrby nz 5 m
zincrby z -inf e
zincrby z inf e
zadd nx xx 1 m
exists nx
zadd new xx 1 m
exists new
set s v
zadd s 1 a
zincrby s 1 a
zadd s x a
zadd s nx xx 1 a
zscore z a
zscore z nomember
zscore nokey a
zscore s a
zmscore z a nomember b
zmscore nokey a b
zmscore s a
zcard z
zcard nokey
zcard s
zrank z a
zrevrank z a
zrank z nomember
zrank nokey a
zrank s a
object encoding z
`)
	})
}

func TestZRangeMatchesRedis(t *testing.T) {
	for _, big := range []bool{false, true} {
		settings := []string{}
		if big {
			settings = []string{"zset-max-listpack-entries 1"}
		}
		difftest.EachProtocol(t, settings, func(t *testing.T, p *difftest.Pair) {
			p.Script(`
zadd z 1 a 2 b 3 c 4 d 5 e 5 e2 5 e1 6 f -inf ninf +inf pinf
zadd l 0 a 0 b 0 c 0 d 0 e 0 f 0 g 0 aa 0 ab 0 123 0 12
object encoding z
zrange z 0 -1
zrange z 0 -1 withscores
zrange z 2 4 withscores
zrange z -3 -1
zrange z -100 100
zrange z 5 2
zrange z 100 200
zrange z 0 -1 rev withscores
zrange z 1 2 rev
zrevrange z 0 -1 withscores
zrevrange z 0 0
zrevrange z 0 -1 rev
zrange z 0 -1 limit 0 1
zrevrange z 0 -1 limit 0 1
zrange z a b
zrange z 0 1 foo
zrange z 0 1 withscores withscores
zrange nokey 0 -1
zrange nokey 0 -1 withscores
zrange z (1 5 byscore
zrange z (1 (5 byscore withscores
zrange z -inf +inf byscore withscores
zrange z -inf +inf byscore limit 2 3
zrange z -inf +inf byscore limit 2 -1
zrange z -inf +inf byscore limit -1 3
zrange z -inf +inf byscore limit 100 3
zrange z -inf +inf byscore limit 0 0
zrange z +inf -inf byscore rev withscores
zrange z 5 1 byscore rev limit 1 2 withscores
zrange z 5 5 byscore
zrange z (5 5 byscore
zrange z 6 1 byscore
zrange z x 1 byscore
zrange z 1 (x byscore
zrange z "" "" byscore
zrange z " 1" " 3" byscore
zrange z ( (3 byscore
zrange z 1e500 inf byscore withscores
zrange z -1e500 -inf byscore withscores
zrange z nan 1 byscore
zrange z 0 1 byscore bylex
zrange z 0 1 byscore byscore
zrange z 0 1 rev rev
zrange z 0 1 limit 1
zrange z 0 1 limit a 1
zrange z 0 1 byscore limit 1 a
zrangebyscore z 1 5
zrangebyscore z 1 5 withscores limit 1 2
zrangebyscore z 1 5 byscore
zrangebyscore z 1 5 rev
zrevrangebyscore z 5 1 withscores
zrevrangebyscore z 5 1 limit 1 1
zrevrangebyscore z (5 (1
zrevrangebyscore z 1 5
zrangebyscore z (1 x
zrange l - + bylex
zrange l [a [b bylex
zrange l (a [b bylex
zrange l [a (b bylex
zrange l - (b bylex limit 1 2
zrange l + - bylex rev
zrange l [c - bylex rev limit 0 2
zrange l - + bylex withscores
zrange l a b bylex
zrange l - +x bylex
zrange l -x + bylex
zrange l + + bylex
zrange l - - bylex
zrange l [b [a bylex
zrange l [1 [2 bylex
zrangebylex l - +
zrangebylex l [aa (c limit 1 10
zrevrangebylex l + -
zrevrangebylex l (c [a
zrevrangebylex l [a (c
zrangebylex l - + withscores
zcount z -inf +inf
zcount z (1 5
zcount z 5 5
zcount z (5 5
zcount z 7 10
zcount z x 1
zcount nokey 1 2
zlexcount l - +
zlexcount l [a (b
zlexcount l (a [b
zlexcount l + -
zlexcount l a b
zlexcount nokey - +
set s v
zrange s 0 -1
zrangebyscore s 0 1
zrangebylex s - +
zcount s 0 1
zlexcount s - +
zrange s x 1
`)
		})
	}
}

func TestZRemMatchesRedis(t *testing.T) {
	for _, big := range []bool{false, true} {
		settings := []string{}
		if big {
			settings = []string{"zset-max-listpack-entries 1"}
		}
		difftest.EachProtocol(t, settings, func(t *testing.T, p *difftest.Pair) {
			p.Script(`
zadd z 1 a 2 b 3 c 4 d 5 e 6 f 7 g 8 h 9 i 10 j
zrem z a x b
zrem z x
zrem nokey a
zrange z 0 -1 withscores
zremrangebyrank z 0 0
zremrangebyrank z -2 -1
zremrangebyrank z 5 2
zremrangebyrank z 100 200
zremrangebyrank z a 1
zrange z 0 -1 withscores
zremrangebyscore z (4 6
zremrangebyscore z 100 200
zremrangebyscore z x 1
zrange z 0 -1 withscores
zadd l 0 a 0 b 0 c 0 d 0 e
zremrangebylex l [b (d
zremrangebylex l a b
zremrangebylex l - (b
zrange l 0 -1
zremrangebylex l - +
exists l
zremrangebyscore z -inf +inf
exists z
zadd r 1 a 2 b
zremrangebyrank r 0 -1
exists r
zadd r 1 a
zrem r a
exists r
zremrangebyrank nokey 0 1
zremrangebyscore nokey 0 1
zremrangebylex nokey - +
set s v
zrem s a
zremrangebyrank s 0 1
zremrangebyscore s 0 1
zremrangebylex s - +
zremrangebyrank s x 1
`)
		})
	}
}

func TestZPopMatchesRedis(t *testing.T) {
	for _, big := range []bool{false, true} {
		settings := []string{}
		if big {
			settings = []string{"zset-max-listpack-entries 1"}
		}
		difftest.EachProtocol(t, settings, func(t *testing.T, p *difftest.Pair) {
			p.Script(`
zadd z 1 a 2 b 3 c 4 d 5 e 6 f 1.5 x
zpopmin z
zpopmax z
zpopmin z 2
zpopmax z 0
zpopmax z 1
zpopmin z -1
zpopmin z x
zpopmin z 1 2
zpopmin nokey
zpopmin nokey 2
zpopmax z 100
exists z
zadd z 1 a 2 b 3 c 4 d
zmpop 1 z min
zmpop 1 z max count 2
zmpop 2 nokey z min count 10
zmpop 1 z min
zmpop 0 z min
zmpop -1 z min
zmpop x z min
zmpop 2 z min
zmpop 1 z mid
zmpop 1 z min count 0
zmpop 1 z min count -1
zmpop 1 z min count x
zmpop 1 z min count 1 count 1
zmpop 1 z min foo
zmpop 1 z min count
zadd z 1 a 2 b
bzpopmin z 0
bzpopmax z 0
bzpopmin z x
bzpopmin z -1
zadd z 1 a 2 b 3 c
bzmpop 0 1 z min
bzmpop 0.5 1 z max count 10
bzmpop x 1 z min
bzmpop 0 0 z min
bzmpop 0 1 z min count 0
set s v
zpopmin s
zpopmin s 0
zmpop 1 s min
zmpop 2 nokey s min
bzpopmin s 0
bzmpop 0 1 s min
multi
bzpopmin nokey 0
bzmpop 0 1 nokey max
bzpopmax nokey 0.01
exec
`)
		})
	}
}

func TestZSetOpsMatchRedis(t *testing.T) {
	for _, big := range []bool{false, true} {
		settings := []string{}
		if big {
			settings = []string{"zset-max-listpack-entries 1"}
		}
		difftest.EachProtocol(t, settings, func(t *testing.T, p *difftest.Pair) {
			p.Script(`
zadd a 1 x 2 y 3 z
zadd b 10 y 20 z 30 w
zadd c -inf x inf y 1 z
zunion 2 a b
zunion 2 a b withscores
zunion 2 a b weights 2 3 withscores
zunion 2 a b aggregate min withscores
zunion 2 a b aggregate max withscores
zunion 3 a b c withscores
zunion 2 c c withscores
zunion 2 c c weights 1 -1 withscores
zunion 1 c weights 0 withscores
zinter 2 a b withscores
zinter 2 a b weights 1 0.5 aggregate max withscores
zinter 3 a b c withscores
zinter 2 a nokey withscores
zinter 2 a a withscores
zinter 2 c c weights 1 -1 withscores
zdiff 2 a b withscores
zdiff 2 b a
zdiff 2 a a
zdiff 3 a nokey b withscores
zdiff 1 nokey
zdiff 2 a b weights 1 2
zdiff 2 a b aggregate sum
zintercard 2 a b
zintercard 2 a b limit 1
zintercard 2 a b limit 0
zintercard 2 a b limit -1
zintercard 2 a b limit x
zintercard 2 a b withscores
zintercard 0 a
zintercard 3 a b
zunion 0 a
zunion -1 a
zunion x a
zunion 3 a b
zunion 2 a b weights 1
zunion 2 a b weights 1 x
zunion 2 a b aggregate foo
zunion 2 a b aggregate
zunion 2 a b foo
zunionstore d 2 a b
zrange d 0 -1 withscores
object encoding d
zunionstore d 2 a b withscores
zinterstore d 2 a b weights 2 2
zrange d 0 -1 withscores
zdiffstore d 2 a b
zrange d 0 -1 withscores
zinterstore d 2 a nokey
exists d
zinterstore d 2 a nokey
zunionstore a 2 a b
zrange a 0 -1 withscores
zunionstore d 0 a
zdiffstore d 1
set s v
zunion 2 a s
zunionstore d 2 a s
zunion 2 s a foo
zinter 1 s
zintercard 1 s
zunionstore s 1 a
type s
`)
		})
	}
}

func TestZRangeStoreMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
zadd z 1 a 2 b 3 c 4 d 5 e
zrangestore d z 0 -1
zrange d 0 -1 withscores
zrangestore d z 1 2 rev
zrange d 0 -1 withscores
zrangestore d z 1 3 byscore limit 1 1
zrange d 0 -1 withscores
zrangestore d z [a [c bylex
zrange d 0 -1 withscores
zrangestore d z 5 1 byscore rev
zrange d 0 -1 withscores
zrangestore d z 10 20 byscore
exists d
zrangestore d nokey 0 -1
zrangestore d z 0 -1 withscores
zrangestore d z 0 -1 limit 0 1
zrangestore z z 1 2
zrange z 0 -1 withscores
set s v
zrangestore d s 0 -1
zrangestore s z 0 -1
type s
config set zset-max-listpack-entries 2
zadd big 1 a 2 b 3 c 4 d
zrangestore d big 0 1
object encoding d
zrangestore d big 0 2
object encoding d
zrangestore d big 0 10 byscore
object encoding d
zrangestore d big 0 1 byscore
object encoding d
config set zset-max-listpack-entries 128
`)
	})
}

func TestZSetEncodingsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
config set zset-max-listpack-entries 4
config set zset-max-listpack-value 8
zadd z 1 a 2 b 3 c 4 d
object encoding z
zadd z 5 e
object encoding z
zrange z 0 -1 withscores
zadd v 1 12345678
object encoding v
zadd v 1 123456789
object encoding v
zadd w 1 123456789
object encoding w
zadd q 1 a 2 b 3 c 4 d
zadd q 5 a
object encoding q
zrem z a b c d
object encoding z
zadd u1 1 a 2 b
zadd u2 3 c
zunionstore d 2 u1 u2
object encoding d
zunionstore d 2 u1 z
object encoding d
zadd long 1 123456789
zunionstore d 2 u1 long
object encoding d
zinterstore d 2 long long
object encoding d
zdiffstore d 1 z
object encoding d
config set zset-max-listpack-entries 0
zadd zero 1 a
object encoding zero
config set zset-max-listpack-entries 128
config set zset-max-listpack-value 64
zadd sc 1.5 a 100 b -3 c 1e20 d 4611686018427387904 e 4611686018427387903 f -0 g inf h -inf i 0.1 j
object encoding sc
zscan sc 0
config set zset-max-listpack-entries 1
zadd sc 2 k
object encoding sc
zrange sc 0 -1 withscores
zscore sc g
config set zset-max-listpack-entries 128
`)
		p.DoUnordered("zscan", "sc", "0", "count", "100")
	})
}

// Scores are parsed as C's strtod parses them, hexadecimal included.
func TestScoreSyntaxMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		for _, s := range []string{"0x10", "0X1.8", "-0x1p3", "+0x.8", "0x", "0x_1", "0x1_0", "0x1p-1080", "0x0",
			"1e400", "-1e400", "1e-400", "4e-320", "0x1p-1070", "inf", "-Infinity", "nan", " 1", "1 ", "1e", ".5", "5.", "0x1p", "0xg"} {
			p.Do("zadd", "z", s, "m")
			p.Do("zscore", "z", "m")
			p.Do("zrangebyscore", "z", s, "+inf")
		}
	})
}
