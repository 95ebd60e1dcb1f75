package set_test

import (
	"bufio"
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// Intsets are sorted on both servers, so their replies are compared byte
// for byte; hashtable replies are compared unordered.

// script runs each line of a script through p.Do, or through
// p.DoUnordered if it starts with "~ " (replies in a hashtable's order).
func script(p *difftest.Pair, s string) {
	var ordered []string
	flush := func() {
		p.Script(strings.Join(ordered, "\n"))
		ordered = ordered[:0]
	}
	for _, line := range strings.Split(s, "\n") {
		if cmd, ok := strings.CutPrefix(strings.TrimSpace(line), "~ "); ok {
			flush()
			p.DoUnordered(strings.Fields(cmd)...)
		} else {
			ordered = append(ordered, line)
		}
	}
	flush()
}

func TestSetCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
sadd s 3 1 2 -5 1
sadd s 2
smembers s
scard s
scard nokey
sismember s 1
sismember s 4
sismember s a
sismember nokey 1
smismember s 1 4 a -5
smismember nokey 1 2
smembers nokey
object encoding s
srem s 1 4 a
srem nokey 1
srem s
smembers s
sadd s 9223372036854775807 -9223372036854775808 9223372036854775808 01 -0 " 1"
object encoding s
srem s 9223372036854775808 01 -0 " 1"
object encoding s
srem s -5 2 3 9223372036854775807 -9223372036854775808
exists s
sadd i 1 2 3
srem i 1 2 3 4
exists i
set str v
sadd str a
srem str a
sismember str a
smismember str a
scard str
smembers str
spop str
spop str 2
spop str x
spop str -1
srandmember str x
srandmember str -9223372036854775808
srandmember str
srandmember str 2
sscan str 0
smove str i a
sadd
sismember s
spop s 1 2
srandmember s 1 2
`)
	})
}

func TestSetEncodingsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
config set set-max-intset-entries 4
sadd a 1 2 3 4
object encoding a
sadd a 5
object encoding a
srem a 5 4 3
object encoding a
sadd b 1 2 3 4 5
object encoding b
sadd c x
object encoding c
srem c x
sadd c 1
object encoding c
sadd d 70000 -70000 5000000000
object encoding d
smembers d
config set set-max-intset-entries 0
sadd e 1
object encoding e
config set set-max-intset-entries 512
copy d d2
copy c c2
sadd d2 7
sadd c2 7
object encoding d2
object encoding c2
scard d
scard c
type d2
unlink c2
del d2
`)
		for _, k := range []string{"a", "b", "c", "d", "e"} {
			p.DoUnordered("smembers", k)
			p.Do("scard", k)
		}
		// Digests are Redoubt's own, but like Redis's they depend on the
		// members only, not on the encoding.
		p.Do("sadd", "di", "1", "2", "3")
		p.Do("sadd", "dh", "3", "x", "2", "1")
		p.Do("srem", "dh", "x")
		di := p.Redoubt.Do("debug", "digest-value", "di")
		if dh := p.Redoubt.Do("debug", "digest-value", "dh"); !bytes.Equal(di, dh) || di[0] != '*' {
			t.Errorf("digests of {1 2 3}: intset %q, hashtable %q", di, dh)
		}
	})
}

func TestSetAlgebraMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
config set set-max-intset-entries 8
sadd i1 1 2 3 4 5
sadd i2 4 5 6 7
sadd i3 5 7 9
sadd h1 a b 4 5
sadd h2 b c 5
sadd big 1 2 3 4 5 6 7 8 9 10 11
set str v
sinter i1 i2
sinter i1 i2 i3
sinter i1 nokey
sinter nokey i1
sinter i1 str
sinter nokey str
sinter i1 i1
~ sinter i1 h1
sintercard 2 i1 i2
sintercard 2 i1 i2 limit 1
sintercard 2 i1 i2 limit 0
sintercard 3 i1 i2 i3 LIMIT 5
sintercard 1 nokey
sintercard 2 i1 str
sintercard 0 i1
sintercard -1 i1
sintercard x i1
sintercard 3 i1 i2
sintercard 1 i1 limit
sintercard 1 i1 limit -1
sintercard 1 i1 limit x
sintercard 1 i1 foo 1
sintercard 1 str limit x
sintercard 2 i1 i1
sintercard 1 i1 limit 1 limit 0
sintercard 1 i1 LIMIT
sintercard 2 i1 limit 1
sinterstore dst i1 i2
object encoding dst
smembers dst
sinterstore dst i1 h1
object encoding dst
sinterstore dst h1 h2
object encoding dst
~ smembers dst
sinterstore dst i1 nokey
exists dst
sinterstore dst i1 i3 h2
exists dst
sinterstore dst i1 str
sunion i1 i2 i3
sunion i1 nokey
sunion nokey
sunion i1 str
sunionstore dst i1 i2
object encoding dst
smembers dst
sunionstore dst i1 i2 i3
object encoding dst
sunionstore dst nokey
exists dst
sunionstore str2 i1
type str2
sdiff i1 i2
sdiff i1 i2 i3
sdiff i1 nokey
sdiff nokey i1
sdiff i1 i1
sdiff i1 i2 i1
sdiff i1 str
sdiff nokey str
sdiffstore dst i1 i2
object encoding dst
smembers dst
sdiffstore dst i1 i1
exists dst
sdiffstore dst big i1
object encoding dst
smembers dst
sdiffstore dst big i1 i2 i3 h1 h2
object encoding dst
sadd mixed 1 2 x
sdiffstore dst mixed i1 i2 i3 h1
object encoding dst
smembers dst
sdiffstore dst mixed x
object encoding dst
sadd x x
sdiffstore dst mixed x
object encoding dst
# SDIFF copies the first set and removes the others' members when that
# is cheaper: the copy became a hashtable on the way.
sadd m7 1 2 3 4 5 6 x
sadd onlyx x
sadd only1 1
sdiffstore dst m7 onlyx only1
object encoding dst
sdiffstore dst m7 onlyx
object encoding dst
smembers dst
set withttl v
expire withttl 100
sunionstore withttl i1
ttl withttl
sinterstore i1 i1 i2
smembers i1
`)
		p.DoUnordered("sinter", "h1", "h2")
		p.DoUnordered("sunion", "h1", "i1", "h2")
		p.DoUnordered("sdiff", "h1", "h2")
		p.DoUnordered("sdiff", "h1", "i1", "big")
		p.DoUnordered("sunion", "big", "h1")
		p.DoUnordered("smembers", "big")
		p.DoUnordered("sdiff", "big", "i2")
	})
}

func TestSetMoveMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
sadd src 1 a b
sadd dst 2 3 4
smove src dst a
object encoding dst
smove src dst 1
smembers src
smove src dst x
smove nokey dst 1
smove src new b
object encoding new
exists src
sadd src 5
smove src new2 5
object encoding new2
smove nokey str 1
set str v
smove src str 1
sadd src 1
smove src str 1
smove str src 1
smove src src 1
smove src src 9
sadd dst 1
smove src dst 1
exists src
~ smembers dst
`)
	})
}

func TestSetPopAndRandMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
spop nokey
spop nokey 3
spop nokey 0
spop nokey -1
spop nokey x
srandmember nokey
srandmember nokey 3
srandmember nokey -3
srandmember nokey 0
srandmember nokey x
srandmember nokey -9223372036854775808
sadd one 7
spop one 0
spop one -1
spop one x
spop one 9223372036854775808
srandmember one
srandmember one 1
srandmember one -3
srandmember one 0
srandmember one 5
srandmember one -9223372036854775808
srandmember one 9223372036854775807
spop one
exists one
spop one
sadd one x
spop one 1
exists one
sadd ints 1 2 3
spop ints 3
exists ints
sadd ints 1 2 3
spop ints 5
sadd hs a b c
~ spop hs 3
exists hs
`)
		// Whole-set replies come in the encoding's order.
		p.Do("sadd", "ints", "5", "3", "1", "4", "2")
		p.Do("srandmember", "ints", "10")
		p.Do("sadd", "hs", "a", "b", "c")
		p.DoUnordered("srandmember", "hs", "3")
		// A hashtable left holding only integers comes back from SPOP of
		// the whole set in SUNION's order: a fresh intset's.
		p.Do("sadd", "hi", "3", "1", "x", "2")
		p.Do("srem", "hi", "x")
		p.Do("spop", "hi", "3")

		for _, members := range []int{20, 300} {
			for _, ht := range []bool{false, true} {
				for _, count := range []int{-5, 1, 3, members / 2, members - 1, -2 * members} {
					fill(p, "r", members, ht)
					checkRandom(t, p, "srandmember", "", members, count)
				}
				for _, count := range []int{1, 3, members / 2, members - 1, members - 3} {
					fill(p, "r", members, ht)
					checkRandom(t, p, "spop", "", members, count)
				}
			}
		}
	})
}

// fill makes key a set of the integers 0..n-1 on both servers: a
// hashtable if ht, which a member that is not an integer, added and
// removed, makes it; an intset otherwise (n is within the limit).
func fill(p *difftest.Pair, key string, n int, ht bool) {
	p.Do("del", key)
	args := []string{"sadd", key}
	for i := range n {
		args = append(args, strconv.Itoa(i))
	}
	if ht {
		args = append(args, "x")
	}
	p.Do(args...)
	p.Do("srem", key, "x")
	p.Do("object", "encoding", key)
}

// checkRandom runs SRANDMEMBER or SPOP with count on both servers' set r,
// whose size members are prefix0, prefix1 ..., and checks Redoubt's
// reply: its type (Redis's), its length, that every member exists and,
// for a positive count, is distinct. SPOP must remove exactly what it returns; what stays
// gets the encoding Redis gives it, which for integers does not depend on
// which were popped.
func checkRandom(t *testing.T, p *difftest.Pair, cmd, prefix string, size, count int) {
	t.Helper()
	args := []string{cmd, "r", strconv.Itoa(count)}
	raw := p.Redoubt.Do(args...)
	if want := p.Redis.Do(args...); raw[0] != want[0] {
		t.Fatalf("%s: reply type %q, want %q", difftest.Quote(args), raw[:1], want[:1])
	}
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	want := min(count, size)
	if count < 0 {
		want = -count
	}
	if len(v.Elems) != want {
		t.Fatalf("%s: %d members, want %d", difftest.Quote(args), len(v.Elems), want)
	}
	seen := map[string]bool{}
	for _, e := range v.Elems {
		n, err := strconv.Atoi(strings.TrimPrefix(e.Str, prefix))
		if !strings.HasPrefix(e.Str, prefix) || err != nil || n < 0 || n >= size {
			t.Fatalf("%s: unexpected member %q", difftest.Quote(args), e.Str)
		}
		if count > 0 && seen[e.Str] {
			t.Fatalf("%s: %q twice", difftest.Quote(args), e.Str)
		}
		seen[e.Str] = true
	}
	if cmd != "spop" {
		return
	}
	for m := range seen {
		if got := string(p.Redoubt.Do("sismember", "r", m)); got != ":0\r\n" {
			t.Fatalf("%s: %q still in the set", difftest.Quote(args), m)
		}
	}
	p.Do("scard", "r")
	p.Do("object", "encoding", "r")
}

func TestSetScanMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
sscan nokey 0
sadd i 1 2 10 11 -3
sscan i 0
sscan i 0 match 1*
sscan i 0 count 1
sscan i 0 count 0
sscan i 0 count x
sscan i 0 type string
sscan i x
sscan i -1
sadd h a b ab c
~ sscan h 0 match a* count 100
set s v
sscan s 0
sscan s x
`)
		// A hashtable is walked with a cursor: every member comes back at
		// least once, however many calls it takes.
		args := []string{"sadd", "big"}
		for i := range 1000 {
			args = append(args, "m"+strconv.Itoa(i))
		}
		p.Do(args...)
		seen := map[string]bool{}
		cursor := "0"
		for {
			v := p.Redoubt.DoValue("sscan", "big", cursor, "count", "50", "match", "m1*")
			cursor = v.Elems[0].Str
			for _, e := range v.Elems[1].Elems {
				seen[e.Str] = true
			}
			if cursor == "0" {
				break
			}
		}
		n := 0
		for i := range 1000 {
			if m := "m" + strconv.Itoa(i); strings.HasPrefix(m, "m1") {
				n++
				if !seen[m] {
					t.Fatalf("SSCAN missed %s", m)
				}
			}
		}
		if len(seen) != n {
			t.Fatalf("SSCAN MATCH m1* returned %d members, want %d", len(seen), n)
		}
	})
}

// TestSetNotificationsMatchRedis compares the keyspace events set
// commands fire, in order, on both servers.
func TestSetNotificationsMatchRedis(t *testing.T) {
	redis := difftest.StartRedis(t, "notify-keyspace-events KEAn")
	redoubt := difftest.StartRedoubt(t, "notify-keyspace-events KEAn")
	rc, oc := difftest.Dial(t, redis), difftest.Dial(t, redoubt)
	rsub, osub := difftest.Dial(t, redis), difftest.Dial(t, redoubt)
	rsub.Do("psubscribe", "__keyevent@*__:*")
	osub.Do("psubscribe", "__keyevent@*__:*")
	// events reads the events up to the one the marker key fires.
	events := func(c, sub *difftest.Conn) []string {
		c.Do("set", "marker", "x")
		var out []string
		for {
			v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(sub.ReadRaw())))
			if err != nil {
				t.Fatal(err)
			}
			ch, key := v.Elems[2].Str, v.Elems[3].Str
			if key == "marker" {
				return out
			}
			out = append(out, strings.TrimPrefix(ch, "__keyevent@0__:")+" "+key)
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(`
sadd s 1 2 3
sadd s 1
sadd s 4 x
srem s 9
srem s 1 2
spop s
srem s 3 4 x
sadd s 1 2 3 4 5 6 7 8 9 10
spop s 2
spop s 7
spop s 5
spop s 0
sadd a 1 2
smove a b 1
smove a b 9
smove a b 2
smove b b 1
sadd c 1
smove b c 1
sadd i 1 2
sadd j 2 3
sinterstore d i j
sinterstore d i nokey
sinterstore d i nokey
sunionstore d i j
sdiffstore d i j
sdiffstore d i i
sintercard 2 i j
sinter i j`), "\n") {
		args := strings.Fields(line)
		want, got := rc.Do(args...), oc.Do(args...)
		// SPOP's picks are random: only the events are compared.
		if args[0] != "spop" && !bytes.Equal(got, want) {
			t.Errorf("%s\n redis:   %q\n redoubt: %q", line, want, got)
		}
	}
	want, got := events(rc, rsub), events(oc, osub)
	if len(want) < 30 {
		t.Fatalf("Redis fired only %q", want)
	}
	if !slices.Equal(want, got) {
		t.Errorf("events\n redis:   %q\n redoubt: %q", want, got)
	}
}

// TestRandomSetCommandsMatchRedis issues random set commands over a few
// keys, with set-max-intset-entries lowered so that conversions happen,
// and compares replies (unordered where the order is a table's). Members
// are integers and strings, a few of them 64 or 65 bytes long, and bulk
// adds grow sets past 128 members, so that intsets become packed sets or
// dicts and packed sets become dicts; set-max-intset-entries switches
// between 12 and 200 so that intsets of more than 128 members convert
// too. Set SET_SEED to replay a run.
func TestRandomSetCommandsMatchRedis(t *testing.T) {
	rng, seed := difftest.Seeded(t, "SET_SEED", 0x5e75)
	pick := func(xs ...string) string { return xs[rng.IntN(len(xs))] }
	p := difftest.NewPair(t, "set-max-intset-entries 12")
	key := func() string { return pick("a", "b", "c", "d", "s") }
	long64, long65 := strings.Repeat("L", 64), strings.Repeat("L", 65)
	member := func() string {
		switch rng.IntN(10) {
		case 0:
			return pick("x", "y", "z", "", "01", "-0", "1.5", "9223372036854775808", "-9223372036854775808", "100000")
		case 1, 2:
			return "s" + strconv.Itoa(rng.IntN(160))
		case 3:
			if rng.IntN(8) == 0 {
				return pick(long64, long65, long64+"1")
			}
			return strconv.Itoa(rng.IntN(200) - 5)
		default:
			return strconv.Itoa(rng.IntN(30) - 5)
		}
	}
	keys := func(n int) []string {
		var ks []string
		for range n {
			ks = append(ks, key())
		}
		return ks
	}
	p.Do("set", "s", "string")
	for range 3000 {
		var args []string
		ordered := true
		switch rng.IntN(21) {
		case 0, 1, 2, 3:
			args = []string{"sadd", key()}
			for range 1 + rng.IntN(4) {
				args = append(args, member())
			}
		case 4, 5:
			args = []string{"srem", key(), member(), member()}
		case 6:
			args = []string{pick("sismember", "smismember"), key(), member()}
		case 7:
			args = []string{"smove", key(), key(), member()}
		case 8:
			args = []string{pick("smembers", "scard"), key()}
			ordered = false
		case 9:
			args = append([]string{pick("sinter", "sunion", "sdiff")}, keys(1+rng.IntN(3))...)
			ordered = false
		case 10:
			args = append([]string{pick("sinterstore", "sunionstore", "sdiffstore"), key()}, keys(1+rng.IntN(3))...)
		case 11:
			n := 1 + rng.IntN(3)
			args = append([]string{"sintercard", strconv.Itoa(n)}, keys(n)...)
			if rng.IntN(2) == 0 {
				args = append(args, "limit", strconv.Itoa(rng.IntN(4)))
			}
		case 12, 13:
			args = []string{"object", "encoding", key()}
		case 14:
			args = []string{"exists", key()}
		case 15:
			// Popping whole sets is deterministic.
			args = []string{"spop", key(), pick("1000", "0")}
			ordered = false
		case 16:
			// Bulk adds make sets outgrow the packed limits.
			args = []string{"sadd", key()}
			for range 10 + rng.IntN(60) {
				args = append(args, member())
			}
		case 17, 20:
			// Integers only, to grow intsets past 128 members.
			args = []string{"sadd", key()}
			for range 20 + rng.IntN(100) {
				args = append(args, strconv.Itoa(rng.IntN(300)))
			}
		case 18:
			args = []string{"config", "set", "set-max-intset-entries", pick("12", "200", "200")}
		case 19:
			// So is asking for more members than there are.
			args = []string{"srandmember", key(), "1000"}
			ordered = false
		}
		if ordered {
			p.Do(args...)
		} else {
			p.DoUnordered(args...)
		}
		if t.Failed() {
			t.Fatalf("SET_SEED=%d", seed)
		}
	}
}
