package str_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestRandomStringCommandsMatchRedis issues random sequences of string
// commands with random arguments, valid and not, over four keys, and
// compares every reply (and the encodings) with Redis's. Deadlines are
// far in the future or already past, so no reply depends on when each
// server ran a command; active expiry is off on both. Set STR_SEED to
// replay a run.
func TestRandomStringCommandsMatchRedis(t *testing.T) {
	rng, _ := difftest.Seeded(t, "STR_SEED", 0x5eed)
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }

	p := difftest.NewPair(t)
	p.Do("debug", "set-active-expire", "0")
	key := func() string { return pick("a", "b", "c", "d") }
	value := func() string {
		switch rng.IntN(10) {
		case 0:
			return strconv.FormatInt(rng.Int64()-rng.Int64(), 10)
		case 1:
			return strconv.Itoa(rng.IntN(20000) - 100)
		case 2:
			return strconv.FormatFloat(rng.NormFloat64()*1000, 'f', rng.IntN(6), 64)
		case 3:
			return strings.Repeat(pick("x", "ab", "\x00\xff"), rng.IntN(30))
		default:
			return pick("", "0", "1", "-1", "007", "-0", "9223372036854775807", "-9223372036854775808",
				"9223372036854775808", "hello", "1.5", "1e3", "0x10", "inf", " 1", "12345678901234567890",
				strings.Repeat("v", 44), strings.Repeat("w", 45), "abcdef", "acbdfe")
		}
	}
	integer := func() string {
		return pick("0", "1", "-1", "5", "-3", "100", "x", "", "1.5", "9223372036854775807",
			"-9223372036854775808", "9223372036854775808", strconv.Itoa(rng.IntN(100)-50))
	}
	float := func() string {
		switch rng.IntN(3) {
		case 0:
			return strconv.FormatFloat(rng.NormFloat64()*100, pick("f", "e", "g")[0], rng.IntN(12), 64)
		default:
			return pick("0.1", "-0.1", "1", "-1.5", "1e10", "3.0e-5", "0x1p3", "inf", "-inf", "nan", "abc",
				"1e400", "1e4933", "5e-4950", "", ".5", "1.", "+2", "0.000000000000000001")
		}
	}
	offset := func() string {
		return pick("0", "1", "3", "7", "10", "31", "-1", "x", "100", strconv.Itoa(rng.IntN(64)), "536870912")
	}
	ttlOpt := func() []string {
		switch rng.IntN(12) {
		case 0:
			return []string{"ex", pick("100", "1000", "0", "-1", "x", "9223372036854775807")}
		case 1:
			return []string{"px", pick("100000", "0", "9223372036854775807")}
		case 2:
			return []string{"exat", pick("4102444800", "1", "0")}
		case 3:
			return []string{"pxat", pick("4102444800123", "1", "-5")}
		case 4:
			return []string{"keepttl"}
		case 5:
			return []string{"persist"}
		case 6:
			return []string{pick("nx", "xx", "get", "NX", "Get")}
		case 7:
			return []string{"ex"}
		case 8:
			return []string{pick("bogus", "exat", "px")}
		}
		return nil
	}
	opts := func(args ...string) []string {
		for n := rng.IntN(3); n > 0; n-- {
			args = append(args, ttlOpt()...)
		}
		return args
	}

	const ops = 2500
	for i := 0; i < ops && !t.Failed(); i++ {
		k := key()
		switch rng.IntN(30) {
		case 0, 1, 2:
			p.Do(opts("set", k, value())...)
		case 3, 4:
			p.Do("get", k)
		case 5:
			p.Do("setnx", k, value())
		case 6:
			p.Do("setex", k, pick("100", "0", "-1", "x"), value())
		case 7:
			p.Do("psetex", k, pick("100000", "0", "x"), value())
		case 8:
			p.Do(opts("getex", k)...)
		case 9:
			p.Do("getdel", k)
		case 10:
			p.Do("getset", k, value())
		case 11:
			p.Do("mget", k, key(), "nokey")
		case 12:
			p.Do("mset", k, value(), key(), value())
		case 13:
			p.Do("msetnx", k, value(), key(), value())
		case 14, 15:
			p.Do("append", k, value())
		case 16:
			p.Do("strlen", k)
		case 17:
			p.Do(pick("incr", "decr"), k)
		case 18:
			p.Do(pick("incrby", "decrby"), k, integer())
		case 19, 20:
			p.Do("incrbyfloat", k, float())
		case 21:
			p.Do(pick("getrange", "substr"), k, integer(), integer())
		case 22:
			p.Do("setrange", k, offset(), pick("", "x", "hello", value()))
		case 23:
			args := []string{"lcs", k, key()}
			for n := rng.IntN(4); n > 0; n-- {
				args = append(args, pick("len", "idx", "withmatchlen", "minmatchlen", "bogus"))
				if rng.IntN(3) == 0 {
					args = append(args, integer())
				}
			}
			p.Do(args...)
		case 24:
			p.Do("object", "encoding", k)
		case 25:
			p.Do("ttl", k)
		case 26:
			p.Do("del", k)
		case 27:
			p.Do("exists", k)
		case 28:
			p.Do("setbit", k, pick("0", "7", "100", "-1", "x", "4294967296", strconv.Itoa(rng.IntN(300))), pick("0", "1", "2"))
		case 29:
			p.Do("bitop", pick("and", "or", "xor"), k, key(), key())
		}
	}
}
