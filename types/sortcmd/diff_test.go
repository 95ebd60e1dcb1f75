package sortcmd_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

func TestSortOptionsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l 3 1 2 10 -5 2.5 1e2 0x10 " 7" ""
sort l
sort l desc
sort l asc desc asc
sort l alpha
sort l alpha desc
sort l limit 0 3
sort l limit 2 3
sort l limit -5 3
sort l limit 3 -1
sort l limit 3 0
sort l limit 9 5
sort l limit 10 5
sort l limit 100 5
sort l limit -100 -100
sort l limit 9223372036854775807 9223372036854775807
sort l limit -9223372036854775808 9223372036854775807
sort l limit 1 x
sort l limit x 1
sort l limit 1
sort l limit 1.5 2
sort l desc limit 1 4 alpha
sort nokey
sort nokey alpha desc limit 0 10 get # by w_*
sort_ro l desc
sort_ro l limit 0 2 alpha
sort_ro l store dst
sort l store
sort l by
sort l get
sort l foo
sort l asc foo
sort l limit 0 x foo
sort l foo limit 0 x
set str v
sort str
sort str foo
sort str limit 0 x
hset hk f v
sort hk
sort_ro hk
rpush bad 1 x 2
sort bad
sort bad desc limit 0 1
sort bad alpha
sort bad store dst
exists dst
rpush bad2 1 nan 2
sort bad2
rpush bad3 1 1e400 -1e400 2
sort bad3
rpush bad4 "1 " 2
sort bad4
# Redis's strtod left errno at ERANGE; INCRBYFLOAT clears it (see
# TestSortUnderflowMatchesRedis).
incrbyfloat errno-reset 0
rpush ok inf -inf +inf 0 -0 -0.0 1e308 -1e308 0x1p3 infinity
sort ok
sort ok desc
`)
	})
}

func TestSortByAndGetMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l a b c d e f
mset w_a 3 w_b 1 w_c 2 w_d 1 w_e x w_f -1
mset o_a A o_b B o_c C o_d D o_e E
hset h_a f 9 g ga
hset h_b f 8 g gb
hset h_c f 10 g gc
hset h_d f 8
hset h_e f 1.5 g ge
sort l by w_*
sort l by o_* alpha
sort l by o_* alpha desc
sort l by o_* alpha limit 1 3
sort l by h_*->f
sort l by h_*->f desc limit 0 4
sort l by h_*->g alpha
sort l by h_*->g alpha desc limit 1 2
sort l by h_*->f get # get o_* get h_*->g get w_* get nope_*
sort l by h_*->f get # get o_* get h_*->g store dst
lrange dst 0 -1
sort l by nosort get o_*
sort l by nosort desc
sort l by nosort limit 1 2
sort l by nosort desc limit 1 2
sort l by nosort limit 4 10 desc
sort l by nosort limit 7 1
sort l by nosort store dst2
lrange dst2 0 -1
sort l by nosort limit 0 0 store dst2
exists dst2
sort l by w_* by nosort
sort l by nosort by o_* alpha
sort l by o_* by w_*
sort l get #
sort l get # get
sort l get const
sort l get const get #
sort l get o_*->
sort l by h_*-> alpha
sort l get h_*->f->g
sort l get *
sort l by *
sort l by * alpha
set a 5
set c 0
sort l by * get *
hset h*x f 1
sort l get h*x->f
sort l get #->f
sort l by o_*->f alpha
set str v
sort l by str_* alpha
sort l by str
`)
	})
}

// BY with ALPHA leaves ties unbroken, so their order is that of Redis's
// sorts: a stable one for the whole list, a partial quicksort when LIMIT
// narrows it. The lists are long enough for every pivot choice.
func TestSortAlphaByTiesMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		for _, n := range []int{5, 7, 8, 30, 41, 100, 300} {
			key := "l" + strconv.Itoa(n)
			args := []string{"rpush", key}
			for i := range n {
				args = append(args, strconv.Itoa(i*7919%n))
				if i%3 == 0 {
					p.Do("set", "w_"+strconv.Itoa(i*7919%n), strconv.Itoa(i%4))
				}
			}
			p.Do(args...)
			for _, extra := range [][]string{{}, {"desc"}, {"limit", "0", "5"}, {"limit", "3", "10"},
				{"limit", "1", "1000"}, {"desc", "limit", strconv.Itoa(n / 2), "7"}, {"limit", "0", "0"}, {"store", "dst"}} {
				p.Do(append([]string{"sort", key, "by", "w_*", "alpha"}, extra...)...)
				p.Do("lrange", "dst", "0", "-1")
			}
		}
	})
}

func TestSortSetsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
sadd ints 5 -3 10 7 0 100
sadd strs b a c 10 2 1.5
mset w_a 1 w_b 1 w_c 0 w_10 3
`)
		big := []string{"sadd", "big"}
		for i := range 300 {
			big = append(big, "m"+strconv.Itoa(i*37%300))
		}
		p.Do(big...)
		for _, key := range []string{"ints", "strs", "big", "nokey"} {
			p.Do("object", "encoding", key)
			p.Do("sort", key, "alpha")
			p.Do("sort", key, "alpha", "desc", "limit", "2", "3")
			p.Do("sort", key)
			p.Do("sort", key, "by", "w_*")
			p.Do("sort", key, "by", "w_*", "desc", "limit", "1", "3", "get", "#", "get", "w_*")
			p.DoUnordered("sort", key, "by", "nosort")
			p.Do("sort", key, "by", "nosort", "store", "dst")
			p.Do("lrange", "dst", "0", "-1")
			p.Do("sort", key, "by", "nosort", "desc", "limit", "1", "2", "store", "dst")
			p.Do("lrange", "dst", "0", "-1")
			p.Do("sort", key, "by", "nosort", "get", "w_*", "store", "dst")
			p.Do("lrange", "dst", "0", "-1")
			p.Do("sort", key, "alpha", "store", "dst")
			p.Do("lrange", "dst", "0", "-1")
		}
	})
}

func TestSortSortedSetsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
zadd z 1 a 5 b 2 c 10 d 3 e
object encoding z
sort z by nosort
object encoding z
sort z by nosort desc
sort z by nosort asc limit 0 1
sort z by nosort desc limit 0 1
sort z by nosort asc limit 0 2
sort z by nosort desc limit 0 2
sort z by nosort limit 5 10
sort z by nosort limit -10 100
sort z by nosort desc limit 2 2
sort z by nosort desc limit 4 9
sort z by nosort limit 1 0
sort z by nosort limit 1 2 store dst
lrange dst 0 -1
sort z alpha desc
sort z alpha
zadd n -100 a 100 b 0 c -inf d inf e
sort n by nosort
sort n by nosort desc limit 1 3 get #
zadd nums 1 3 2 1.5 3 -2 4 10
sort nums
sort nums desc limit 1 2
sort nums by nosort
zadd one 1 x
sort one by nosort limit 0 0
sort one by nosort limit 0 1
sort one by nosort limit 1 1
`)
		big := []string{"zadd", "bigz"}
		for i := range 200 {
			big = append(big, strconv.Itoa(i*13%200), "e"+strconv.Itoa(i))
		}
		p.Do(big...)
		p.Do("object", "encoding", "bigz")
		p.Do("sort", "bigz", "by", "nosort", "limit", "50", "20")
		p.Do("sort", "bigz", "by", "nosort", "desc", "limit", "150", "100")
		p.Do("sort", "bigz", "alpha", "limit", "10", "5")
	})
}

func TestSortStoreMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l 3 1 2
set s v
expire s 1000
sort l store s
type s
ttl s
lrange s 0 -1
object encoding s
hset h f v
sort l desc store h
lrange h 0 -1
sadd st x
sort l store st
zadd zs 1 x
sort l store zs
lrange zs 0 -1
sort l store l
lrange l 0 -1
sort l limit 0 0 store h
exists h
sort nokey store st
exists st
sort nokey store nokey2
exists nokey2
sort l get nope_* store dst
lrange dst 0 -1
llen dst
sort l store dst get # get nope_*
lrange dst 0 -1
`)
		// An empty result still deletes a watched key, failing EXEC.
		p.Script(`
lpush foo bar
watch foo
sort emptylist store foo
multi
ping
exec
watch nokey3
sort emptylist store nokey3
multi
ping
exec
watch foo2
sort l store foo2
multi
ping
exec
`)
		long := []string{"rpush", "long"}
		for i := range 600 {
			long = append(long, strings.Repeat("x", i%70)+strconv.Itoa(i))
		}
		p.Do(long...)
		p.Do("sort", "long", "alpha", "store", "dst")
		p.Do("object", "encoding", "dst")
		p.Do("lrange", "dst", "0", "-1")
	})
}

// ALPHA compares as strcoll without STORE, up to a NUL, and as whole
// byte strings with it.
func TestSortAlphaBytesMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("rpush", "l", "é", "z", "Z", "a", "a\x00c", "a\x00b", "\xff", "", "a\x00")
		p.Do("sort", "l", "alpha")
		p.Do("sort", "l", "alpha", "desc")
		p.Do("sort", "l", "alpha", "store", "dst")
		p.Do("lrange", "dst", "0", "-1")
		p.Do("mset", "w_a", "x\x00b", "w_z", "x\x00a", "w_Z", "x", "w_é", "\x80")
		p.Do("sort", "l", "by", "w_*", "alpha")
		p.Do("sort", "l", "by", "w_*", "alpha", "store", "dst")
		p.Do("lrange", "dst", "0", "-1")
		p.Do("rpush", "n", "2\x00x", "\x00", "1")
		p.Do("sort", "n")
		p.Do("sort", "l", "by", "w\x00_*")
		p.Do("sort", "l", "get", "#\x00x")
		p.Do("sort", "l", "get", "w_*\x00->f")
	})
}

// SORT, unlike other commands, refuses whatever strtod flags with
// ERANGE, tiny inexact results included. Redis never clears errno before
// its strtod, so after one of these errors the next SORT of non-integer
// weights fails too: INCRBYFLOAT, which clears it, is run in between.
func TestSortUnderflowMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		for _, v := range []string{"1e-310", "0x1p-1070", "2.2250738585072011e-308", "2.2250738585072012e-308",
			"2.2250738585072014e-308", "4.9406564584124654e-324", "2e-324", "0x1.fffffffffffffp-1023",
			"0x1.ffffffffffffffp-1023", "-1e-310", "0x0.0000000000001p-1022", "1e-400"} {
			p.Do("incrbyfloat", "errno-reset", "0")
			p.Do("del", "l")
			p.Do("rpush", "l", v, "1.5")
			p.Do("sort", "l")
		}
	})
}
