package hash_test

import (
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Small hashes stay listpacks, whose order is insertion order on both
// servers, so their replies are compared byte for byte; hashtable replies
// are compared as unordered pairs.

func TestHashCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
hset h f1 v1 f2 2 f3 -3 f4 ""
hset h f1 x f5 12345678901234567890
hset h
hset h f1
hmset h f6 v6 f7 v7
hget h f1
hget h nofield
hget nokey f
hmget h f1 nofield f2 f5
hmget nokey a b
hgetall h
hkeys h
hvals h
hlen h
hlen nokey
hexists h f1
hexists h nofield
hexists nokey f
hstrlen h f2
hstrlen h f3
hstrlen h f5
hstrlen h nofield
hsetnx h f1 new
hsetnx h f8 new
hget h f8
hdel h f1 nofield f2
hdel h nofield
hdel nokey f
object encoding h
hincrby h n 5
hincrby h n -10
hincrby h n x
hincrby h f8 1
hincrby h big 9223372036854775807
hincrby h big 1
hincrby h n 1.5
hincrbyfloat h fl 1.5
hincrbyfloat h fl -0.25
hincrbyfloat h fl 1e3
hincrbyfloat h n 0.1
hincrbyfloat h f8 1
hincrbyfloat h fl inf
hincrbyfloat h fl nan
hincrbyfloat h fl x
hincrbyfloat h fl 5.0e3
hincrbyfloat h i 10
hget h i
hgetall h
set s v
hset s f v
hget s f
hgetall s
hlen s
hdel s f
hincrby s f 1
hincrbyfloat s f 1
hrandfield s
hscan s 0
hincrby s f x
hdel h f3 f4 f5 f6 f7 f8 n big fl i
exists h
hset d f v
hdel d f
exists d
`)
	})
}

func TestHashEncodingsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
config set hash-max-listpack-entries 4
config set hash-max-listpack-value 8
hset h a 1 b 2 c 3 d 4
object encoding h
hset h e 5
object encoding h
hset v a 12345678
object encoding v
hset v b 123456789
object encoding v
hset w 123456789 a
object encoding w
hset x a 1
hincrbyfloat x a 1.25
object encoding x
hincrbyfloat x a 1000000.5
object encoding x
hset y a 1
hincrby y a 1000000000
object encoding y
hsetnx z a 1
hsetnx z longerthan8 1
object encoding z
hset q a 1 b 2 c 3 d 4
config set hash-max-listpack-entries 2
hset q a 5
object encoding q
config set hash-max-listpack-entries 128
config set hash-max-listpack-value 64
`)
		for _, k := range []string{"h", "v", "w", "x", "y", "z", "q"} {
			p.DoUnordered("hgetall", k)
			p.Do("hlen", k)
			p.DoUnordered("hkeys", k)
			p.DoUnordered("hvals", k)
			p.Do("hmget", k, "a", "b", "e", "nofield")
		}
	})
}

func TestHashRandFieldMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
hrandfield nokey
hrandfield nokey 5
hrandfield nokey -5 withvalues
hset one f v
hrandfield one
hrandfield one 0
hrandfield one 1
hrandfield one -3
hrandfield one -3 withvalues
hrandfield one 3 withvalues
hrandfield one 3 withvalue
hrandfield one 3 withvalues x
hrandfield one x
hrandfield one -9223372036854775808
hrandfield one -9223372036854775808 withvalues
hrandfield one -9223372036854770000 withvalues
hrandfield one 9223372036854775807
`)
		// Whole-hash replies come in the encoding's order.
		for _, big := range []bool{false, true} {
			args := []string{"hset", "h"}
			n := 10
			if big {
				n = 300
			}
			for i := range n {
				args = append(args, "f"+strconv.Itoa(i), "v"+strconv.Itoa(i))
			}
			p.Do("del", "h")
			p.Do(args...)
			p.DoUnordered("hrandfield", "h", "1000")
			p.DoUnordered("hrandfield", "h", strconv.Itoa(n), "withvalues")
			// Random picks: only their shape and membership can match.
			for _, count := range []int{-5, 3, n - 1, n / 2, -2 * n} {
				for _, wv := range []bool{false, true} {
					checkRandField(t, p, n, count, wv)
				}
			}
		}
	})
}

// checkRandField checks an HRANDFIELD h count reply on Redoubt: its
// length, that every field exists with its value, and that a positive
// count gives distinct fields.
func checkRandField(t *testing.T, p *difftest.Pair, size, count int, withValues bool) {
	t.Helper()
	args := []string{"hrandfield", "h", strconv.Itoa(count)}
	if withValues {
		args = append(args, "withvalues")
	}
	v := p.Redoubt.DoValue(args...)
	want := min(count, size)
	if count < 0 {
		want = -count
	}
	var pairs [][2]string
	for i := 0; i < len(v.Elems); i++ {
		e := v.Elems[i]
		switch {
		case e.Type == '*':
			pairs = append(pairs, [2]string{e.Elems[0].Str, e.Elems[1].Str})
		case withValues:
			pairs = append(pairs, [2]string{e.Str, v.Elems[i+1].Str})
			i++
		default:
			pairs = append(pairs, [2]string{e.Str, ""})
		}
	}
	if len(pairs) != want {
		t.Fatalf("%s: %d fields, want %d", difftest.Quote(args), len(pairs), want)
	}
	seen := map[string]bool{}
	for _, pr := range pairs {
		if !strings.HasPrefix(pr[0], "f") || withValues && pr[1] != "v"+pr[0][1:] {
			t.Fatalf("%s: unexpected pair %q", difftest.Quote(args), pr)
		}
		if count > 0 && seen[pr[0]] {
			t.Fatalf("%s: %q twice", difftest.Quote(args), pr[0])
		}
		seen[pr[0]] = true
	}
}

func TestHashScanMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
hscan nokey 0
hset h a 1 b 2 ab 3 c 4
hscan h 0
hscan h 0 match a*
hscan h 0 count 1
hscan h 0 count 0
hscan h 0 count x
hscan h 0 type string
hscan h 0 match
hscan h x
hscan h -1
set s v
hscan s 0
hscan s x
`)
		// A hashtable is walked with a cursor: every field comes back at
		// least once, however many calls it takes.
		args := []string{"hset", "big"}
		for i := range 1000 {
			args = append(args, "f"+strconv.Itoa(i), strconv.Itoa(i))
		}
		p.Do(args...)
		seen := map[string]string{}
		cursor := "0"
		for {
			v := p.Redoubt.DoValue("hscan", "big", cursor, "count", "50", "match", "f1*")
			cursor = v.Elems[0].Str
			for i := 0; i+1 < len(v.Elems[1].Elems); i += 2 {
				seen[v.Elems[1].Elems[i].Str] = v.Elems[1].Elems[i+1].Str
			}
			if cursor == "0" {
				break
			}
		}
		n := 0
		for i := range 1000 {
			f := "f" + strconv.Itoa(i)
			if strings.HasPrefix(f, "f1") {
				n++
				if seen[f] != strconv.Itoa(i) {
					t.Fatalf("HSCAN missed %s", f)
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("HSCAN MATCH f1* returned %d fields, want %d", len(seen), n)
		}
	})
}

// TestRandomHashCommandsMatchRedis issues random hash commands over a few
// keys, with the listpack limits lowered so that conversions happen, and
// compares replies (unordered where the order is the table's). Set
// HASH_SEED to replay a run.
func TestRandomHashCommandsMatchRedis(t *testing.T) {
	rng, seed := difftest.Seeded(t, "HASH_SEED", 0x4a54)
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	p := difftest.NewPair(t, "hash-max-listpack-entries 16", "hash-max-listpack-value 12")
	key := func() string { return pick("a", "b", "c", "s") }
	field := func() string {
		if rng.IntN(8) == 0 {
			return strings.Repeat("f", rng.IntN(20))
		}
		return "f" + strconv.Itoa(rng.IntN(24))
	}
	value := func() string {
		return pick("", "0", "1", "-7", "12", "1.5", "x", "9223372036854775807", strconv.Itoa(rng.IntN(1000)),
			strings.Repeat("v", rng.IntN(16)), "-0", "1e3")
	}
	p.Do("set", "s", "string")
	for range 3000 {
		var args []string
		ordered := true
		switch rng.IntN(13) {
		case 0, 1, 2:
			args = []string{pick("hset", "hmset"), key()}
			for range 1 + rng.IntN(3) {
				args = append(args, field(), value())
			}
		case 3:
			args = []string{"hsetnx", key(), field(), value()}
		case 4:
			args = []string{"hget", key(), field()}
		case 5:
			args = []string{"hmget", key(), field(), field()}
		case 6:
			args = []string{"hdel", key(), field(), field()}
		case 7:
			args = []string{"hincrby", key(), field(), pick("1", "-3", "100", "x", "9223372036854775807")}
		case 8:
			args = []string{"hincrbyfloat", key(), field(), pick("1", "-0.5", "1e2", "x", "3.25")}
		case 9:
			args = []string{pick("hlen", "hgetall", "hkeys", "hvals"), key()}
			ordered = false
		case 10:
			args = []string{pick("hexists", "hstrlen"), key(), field()}
		case 11:
			args = []string{"object", "encoding", key()}
		case 12:
			args = []string{"exists", key()}
		}
		if ordered {
			p.Do(args...)
		} else if args[0] == "hgetall" {
			p.DoPairs(args...)
		} else {
			p.DoUnordered(args...)
		}
		if t.Failed() {
			t.Fatalf("HASH_SEED=%d", seed)
		}
	}
	for _, k := range []string{"a", "b", "c"} {
		p.DoPairs("hgetall", k)
	}
}
