package list_test

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestRandomListCommandsMatchRedis issues random list commands over a few
// keys, with small nodes so that they split and merge, and compares every
// reply byte for byte. Blocking commands run inside MULTI, where they do
// not block. Set LIST_SEED to replay a run.
func TestRandomListCommandsMatchRedis(t *testing.T) {
	seed := difftest.Seed(t, "LIST_SEED")
	for _, fill := range []string{"4", "1", "-1"} {
		t.Run("fill"+fill, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 0x1157))
			p := difftest.NewPair(t, "list-max-listpack-size "+fill)
			randomListCommands(t, p, rng, seed)
		})
	}
}

func randomListCommands(t *testing.T, p *difftest.Pair, rng *rand.Rand, seed uint64) {
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	key := func() string { return pick("a", "b", "c", "s") }
	value := func() string {
		switch rng.IntN(8) {
		case 0:
			return strings.Repeat("z", rng.IntN(300))
		case 1:
			return pick("", "0", "-1", "9223372036854775807", "-9223372036854775808", "12345678901234567890", "1.5", "01")
		}
		return strconv.Itoa(rng.IntN(12))
	}
	index := func() string { return strconv.Itoa(rng.IntN(30) - 15) }
	side := func() string { return pick("left", "right", "LEFT", "Right") }
	p.Do("set", "s", "string")
	for range 2500 {
		var args []string
		switch rng.IntN(20) {
		case 0, 1, 2, 3:
			args = []string{pick("lpush", "rpush", "lpushx", "rpushx"), key()}
			for range 1 + rng.IntN(4) {
				args = append(args, value())
			}
		case 4:
			args = []string{pick("lpop", "rpop"), key()}
			if rng.IntN(2) == 0 {
				args = append(args, strconv.Itoa(rng.IntN(5)))
			}
		case 5:
			args = []string{"lrange", key(), index(), index()}
		case 6:
			args = []string{"lindex", key(), index()}
		case 7:
			args = []string{"lset", key(), index(), value()}
		case 8:
			args = []string{"ltrim", key(), index(), index()}
		case 9:
			args = []string{"lrem", key(), strconv.Itoa(rng.IntN(7) - 3), value()}
		case 10:
			args = []string{"linsert", key(), pick("before", "after"), value(), value()}
		case 11:
			args = []string{"lpos", key(), value()}
			if rng.IntN(2) == 0 {
				args = append(args, "rank", pick("1", "2", "-1", "-3"))
			}
			if rng.IntN(2) == 0 {
				args = append(args, "count", pick("0", "1", "3"))
			}
			if rng.IntN(3) == 0 {
				args = append(args, "maxlen", pick("0", "2", "10"))
			}
		case 12:
			args = []string{"lmove", key(), key(), side(), side()}
		case 13:
			args = []string{"rpoplpush", key(), key()}
		case 14:
			args = []string{"lmpop", "2", key(), key(), side()}
			if rng.IntN(2) == 0 {
				args = append(args, "count", strconv.Itoa(1+rng.IntN(4)))
			}
		case 15:
			args = []string{"llen", key()}
		case 16:
			p.Do("multi")
			p.Do(pick("blpop", "brpop"), key(), key(), "0")
			p.Do("blmove", key(), key(), side(), side(), "0")
			p.Do("blmpop", "0", "1", key(), side(), "count", "2")
			args = []string{"exec"}
		case 17:
			args = []string{"object", "encoding", key()}
		case 18:
			args = []string{"exists", key()}
		case 19:
			args = []string{"lrange", key(), "0", "-1"}
		}
		p.Do(args...)
		if t.Failed() {
			t.Fatalf("LIST_SEED=%d", seed)
		}
	}
	for _, k := range []string{"a", "b", "c"} {
		p.Do("lrange", k, "0", "-1")
	}
}
