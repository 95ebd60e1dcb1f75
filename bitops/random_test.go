package bitops_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestRandomBitCommandsMatchRedis issues random sequences of bit commands
// (and string commands that shape the values) with random arguments,
// valid and not, over four keys, comparing every reply with Redis's. Set
// BITOPS_SEED to replay a run.
func TestRandomBitCommandsMatchRedis(t *testing.T) {
	rng, _ := difftest.Seeded(t, "BITOPS_SEED", 0xb17)
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }

	p := difftest.NewPair(t)
	key := func() string { return pick("a", "b", "c", "d") }
	bytesVal := func() string {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			switch rng.IntN(4) {
			case 0:
				b[i] = 0
			case 1:
				b[i] = 0xff
			default:
				b[i] = byte(rng.UintN(256))
			}
		}
		return string(b)
	}
	index := func(limit int) string {
		switch rng.IntN(8) {
		case 0:
			return pick("x", "", "1.5", "9223372036854775807", "-9223372036854775808")
		case 1:
			return strconv.Itoa(-rng.IntN(limit + 5))
		}
		return strconv.Itoa(rng.IntN(limit + 5))
	}
	bitOffset := func() string {
		switch rng.IntN(10) {
		case 0:
			return pick("-1", "x", "4294967296", "#3", "#-1", "#x", "#")
		case 1:
			return "#" + strconv.Itoa(rng.IntN(20))
		}
		return strconv.Itoa(rng.IntN(400))
	}
	fieldType := func() string {
		switch rng.IntN(12) {
		case 0:
			return pick("u64", "i65", "u0", "x8", "I8", "i", "")
		case 1:
			return pick("i64", "u63", "i63")
		}
		return pick("i", "u") + strconv.Itoa(1+rng.IntN(16))
	}
	fieldValue := func() string {
		switch rng.IntN(6) {
		case 0:
			return pick("x", "9223372036854775807", "-9223372036854775808", "1.5")
		case 1:
			return strconv.FormatInt(rng.Int64()-rng.Int64(), 10)
		}
		return strconv.Itoa(rng.IntN(1000) - 500)
	}
	unit := func(args []string) []string {
		if rng.IntN(2) == 0 {
			args = append(args, pick("bit", "byte", "BIT", "bogus"))
		}
		return args
	}

	const ops = 2500
	for i := 0; i < ops && !t.Failed(); i++ {
		k := key()
		switch rng.IntN(20) {
		case 0, 1:
			p.Do("set", k, pick(bytesVal(), strconv.Itoa(rng.IntN(100000)-50), "", "foobar"))
		case 2:
			p.Do("append", k, bytesVal())
		case 3:
			p.Do("setrange", k, strconv.Itoa(rng.IntN(30)), bytesVal())
		case 4, 5:
			p.Do("setbit", k, pick(bitOffset(), strconv.Itoa(rng.IntN(100))), pick("0", "1", "2", "x"))
		case 6:
			p.Do("getbit", k, bitOffset())
		case 7, 8:
			switch rng.IntN(4) {
			case 0:
				p.Do("bitcount", k)
			case 1:
				p.Do("bitcount", k, index(40))
			default:
				p.Do(unit([]string{"bitcount", k, index(300), index(300)})...)
			}
		case 9, 10:
			args := []string{"bitpos", k, pick("0", "1", "0", "1", "2", "x")}
			switch rng.IntN(4) {
			case 0:
			case 1:
				args = append(args, index(40))
			case 2:
				args = append(args, index(40), index(40))
			default:
				args = unit(append(args, index(300), index(300)))
			}
			p.Do(args...)
		case 11, 12:
			op := pick("and", "or", "xor", "not", "nand")
			args := []string{"bitop", op, k, key()}
			if op != "not" || rng.IntN(5) == 0 {
				for n := rng.IntN(3); n > 0; n-- {
					args = append(args, pick(key(), "nokey"))
				}
			}
			p.Do(args...)
		case 13, 14, 15:
			cmd := pick("bitfield", "bitfield", "bitfield_ro")
			args := []string{cmd, k}
			for n := rng.IntN(5); n > 0; n-- {
				switch rng.IntN(9) {
				case 0, 1, 2:
					args = append(args, "get", fieldType(), bitOffset())
				case 3, 4:
					args = append(args, "set", fieldType(), bitOffset(), fieldValue())
				case 5, 6:
					args = append(args, "incrby", fieldType(), bitOffset(), fieldValue())
				case 7:
					args = append(args, "overflow", pick("wrap", "sat", "fail", "FAIL", "bogus"))
				case 8:
					args = append(args, pick("get", "set", "bogus", "incrby"))
				}
			}
			p.Do(args...)
		case 16:
			p.Do("get", k)
		case 17:
			p.Do("strlen", k)
		case 18:
			p.Do("object", "encoding", k)
		case 19:
			p.Do("del", k)
		}
	}
}
