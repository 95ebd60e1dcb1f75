package set_test

import (
	"bytes"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/set"
)

// Packed sets (small sets Redis 7.0 makes hashtables, kept in a listpack)
// must be invisible: these tests compare them with Redis at the packed
// limits (128 members of up to 64 bytes), and check in process that the
// representation changes where it should.

// seq returns prefix+i for i in [from, to).
func seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func cmd(name string, args ...[]string) []string {
	out := []string{name}
	for _, a := range args {
		out = append(out, a...)
	}
	return out
}

func TestPackedSetLimitsMatchRedis(t *testing.T) {
	l64, l65 := strings.Repeat("v", 64), strings.Repeat("w", 65)
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		// Exactly 128 members stay packed; the 129th converts.
		p.Do(cmd("sadd", []string{"p"}, seq("m", 0, 128))...)
		p.Do("object", "encoding", "p")
		p.Do("scard", "p")
		p.Do("sismember", "p", "m0")
		p.Do("sismember", "p", "m127")
		p.Do("sismember", "p", "m128")
		p.Do("smismember", "p", "m5", "x", "m127", "m128")
		p.DoUnordered("smembers", "p")
		p.Do("sadd", "p", "m127", "m128")
		p.Do("object", "encoding", "p")
		p.Do("scard", "p")
		p.Do("sismember", "p", "m128")
		p.DoUnordered("smembers", "p")
		p.Do("srem", "p", "m128", "m0", "nope")
		p.Do("scard", "p")
		p.DoUnordered("smembers", "p")

		// A member of 64 bytes fits, one of 65 does not.
		p.Do("sadd", "v", "a", l64)
		p.Do("object", "encoding", "v")
		p.Do("sismember", "v", l64)
		p.Do("sadd", "v", l65)
		p.Do("object", "encoding", "v")
		p.Do("sismember", "v", l65)
		p.DoUnordered("smembers", "v")
		p.Do("sadd", "w", l65, "a")
		p.Do("object", "encoding", "w")
		p.DoUnordered("smembers", "w")

		// Intsets becoming hashtables.
		for _, tc := range []struct {
			key    string
			n      int
			member string
		}{{"i127", 127, "x"}, {"i128", 128, "x"}, {"i129", 129, "x"}, {"i300", 300, "x"}, {"i3a", 3, l64}, {"i3b", 3, l65}} {
			p.Do(cmd("sadd", []string{tc.key}, seq("", 0, tc.n))...)
			p.Do("object", "encoding", tc.key)
			p.Do("sadd", tc.key, tc.member)
			p.Do("object", "encoding", tc.key)
			p.Do("scard", tc.key)
			p.Do("sismember", tc.key, "2")
			p.Do("sismember", tc.key, "02")
			p.Do("sismember", tc.key, tc.member)
			p.DoUnordered("smembers", tc.key)
			p.Do("sadd", tc.key, "y", "1000")
			p.Do("srem", tc.key, "1", "x", "01")
			p.DoUnordered("smembers", tc.key)
		}
		p.Do("config", "set", "set-max-intset-entries", "12")
		p.Do(cmd("sadd", []string{"i13"}, seq("", 0, 13))...)
		p.Do("object", "encoding", "i13")
		p.DoUnordered("smembers", "i13")
		p.Do("sadd", "i13", "x", "-7")
		p.Do("srem", "i13", "3")
		p.DoUnordered("smembers", "i13")
		p.Do("config", "set", "set-max-intset-entries", "200")
		p.Do(cmd("sadd", []string{"i201"}, seq("", 0, 201))...)
		p.Do("object", "encoding", "i201")
		p.DoUnordered("smembers", "i201")
		p.Do("config", "set", "set-max-intset-entries", "512")

		// A packed set holding integers.
		p.Do("sadd", "pi", "x", "1", "-5", "70000", "9223372036854775807", "01")
		p.Do("srem", "pi", "x")
		p.Do("object", "encoding", "pi")
		p.Do("smismember", "pi", "1", "01", "-5", "70000", "x", "9223372036854775807", "9223372036854775808")
		p.DoUnordered("smembers", "pi")
		p.Do("srem", "pi", "1", "01", "-5", "70000", "9223372036854775807")
		p.Do("exists", "pi")

		// COPY keeps an independent packed set.
		p.Do("sadd", "c", "a", "b", "3")
		p.Do("copy", "c", "c2")
		p.Do("sadd", "c2", "d")
		p.Do("srem", "c2", "a")
		p.DoUnordered("smembers", "c")
		p.DoUnordered("smembers", "c2")
		p.Do("object", "encoding", "c2")
		p.Do("type", "c2")
		if v := p.Redoubt.DoValue("memory", "usage", "c"); v.Int <= 0 {
			t.Errorf("MEMORY USAGE of a packed set: %v", v)
		}
		p.Do("del", "c", "c2")
		p.Do("exists", "c", "c2")
	})
}

func TestPackedSetCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(p, `
sadd a x y z 1 2
sadd b y z w 2 3
sadd c 1 2 3
sadd s1 1
sadd big `+strings.Join(seq("m", 0, 130), " ")+`
~ sinter a b
~ sinter b a c
sintercard 2 a b
sintercard 3 a b c
sintercard 2 a b limit 1
sinterstore d a b
object encoding d
~ smembers d
sinterstore d a c
object encoding d
smembers d
sinterstore d a big
exists d
~ sunion a b c
sunionstore d a b
object encoding d
~ smembers d
sunionstore d c s1
object encoding d
smembers d
sunionstore d a big
object encoding d
scard d
~ sdiff a b
~ sdiff b a c
sdiffstore d a b
object encoding d
~ smembers d
sdiffstore d a nokey1 nokey2
object encoding d
~ smembers d
sadd onlystr x y z
sdiffstore d a onlystr
object encoding d
smembers d
sdiffstore d big a
scard d
sdiffstore d a a
exists d
~ sunion big a
# SMOVE between representations.
smove a c x
object encoding c
~ smembers c
smove b c 3
smove b c w
~ smembers b
smove c s1 1
smembers s1
smove c s1 x
object encoding s1
~ smembers s1
smove a newp y
object encoding newp
smove a newi 1
object encoding newi
smove a a z
smove a a nope
smove a b z
exists a
~ smembers b
smove big b m0
~ smembers b
smove b big m0
scard big
`)
		// A packed set at 128 members receiving a 129th by SMOVE.
		p.Do("del", "full")
		p.Do(cmd("sadd", []string{"full"}, seq("f", 0, 128))...)
		p.Do("sadd", "one", "extra")
		p.Do("smove", "one", "full", "extra")
		p.Do("scard", "full")
		p.Do("exists", "one")
		p.DoUnordered("smembers", "full")
	})
}

func TestPackedSetPopAndRandMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("sadd", "w", "a", "b", "c", "4")
		p.DoUnordered("spop", "w", "4")
		p.Do("exists", "w")
		p.Do("sadd", "w", "a", "b", "c", "4")
		p.DoUnordered("srandmember", "w", "4")
		p.DoUnordered("srandmember", "w", "40")
		p.DoUnordered("spop", "w", "40")
		p.Do("sadd", "w", "a")
		p.Do("srandmember", "w")
		p.Do("srandmember", "w", "-3")
		p.Do("spop", "w")
		p.Do("exists", "w")
		// A packed set left holding only integers comes back from SPOP of
		// the whole set in SUNION's order: a fresh intset's.
		p.Do("sadd", "pi", "3", "1", "x", "2")
		p.Do("srem", "pi", "x")
		p.Do("spop", "pi", "3")
		for _, size := range []int{20, 128} {
			for _, count := range []int{-5, 1, 3, size / 2, size - 1, -2 * size} {
				fillStrings(p, size)
				checkRandom(t, p, "srandmember", "m", size, count)
			}
			for _, count := range []int{1, 3, size / 2, size - 1, size - 3} {
				fillStrings(p, size)
				checkRandom(t, p, "spop", "m", size, count)
			}
		}
	})
}

// fillStrings makes r the packed set of the members m0..m<n-1> on both
// servers.
func fillStrings(p *difftest.Pair, n int) {
	p.Do("del", "r")
	p.Do(cmd("sadd", []string{"r"}, seq("m", 0, n))...)
}

// TestPackedSetScanMatchesRedis: SSCAN returns a packed set whole, with
// cursor 0, where Redis walks its table; both yield the same members.
func TestPackedSetScanMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		members := append(seq("m", 0, 100), seq("", 0, 20)...)
		members = append(members, "x", "m", "-1")
		p.Do(cmd("sadd", []string{"s"}, members)...)
		for _, opts := range [][]string{nil, {"match", "m1*"}, {"match", "1*", "count", "5"}, {"count", "1000"}, {"match", "nomatch*"}} {
			args := append([]string{"sscan", "s", "0"}, opts...)
			v := p.Redoubt.DoValue(args...)
			if len(v.Elems) != 2 || v.Elems[0].Str != "0" {
				t.Fatalf("%s: %v, want cursor 0", difftest.Quote(args), v)
			}
			got := map[string]bool{}
			for _, e := range v.Elems[1].Elems {
				if got[e.Str] {
					t.Fatalf("%s: %q twice", difftest.Quote(args), e.Str)
				}
				got[e.Str] = true
			}
			want := map[string]bool{}
			cursor := "0"
			for {
				args[2] = cursor
				v := p.Redis.DoValue(args...)
				cursor = v.Elems[0].Str
				for _, e := range v.Elems[1].Elems {
					want[e.Str] = true
				}
				if cursor == "0" {
					break
				}
			}
			if len(got) != len(want) {
				t.Fatalf("%s: %d members, Redis %d", difftest.Quote(args), len(got), len(want))
			}
			for m := range want {
				if !got[m] {
					t.Fatalf("%s: missing %q", difftest.Quote(args), m)
				}
			}
		}
		p.Do("sscan", "s", "0", "count", "0")
		p.Do("sscan", "s", "x")
	})
}

// TestSetDigestIgnoresRepresentation: the same members digest the same as
// an intset, a packed set and a dict.
func TestSetDigestIgnoresRepresentation(t *testing.T) {
	long := strings.Repeat("L", 65)
	p := difftest.NewPair(t)
	for _, members := range [][]string{{"1", "2", "3"}, {"a", "b", "-4"}} {
		p.Do(cmd("sadd", []string{"i"}, members)...)
		p.Do(cmd("sadd", []string{"p"}, members, []string{"x"})...)
		p.Do("srem", "p", "x")
		p.Do(cmd("sadd", []string{"d"}, members, []string{long})...)
		p.Do("srem", "d", long)
		var digests [][]byte
		for _, k := range []string{"i", "p", "d"} {
			digests = append(digests, p.Redoubt.Do("debug", "digest-value", k))
		}
		if !bytes.Equal(digests[0], digests[1]) || !bytes.Equal(digests[1], digests[2]) {
			t.Errorf("digests of %v: %q", members, digests)
		}
		p.Do("del", "i", "p", "d")
	}
}

// newHarness runs the set commands in process (internal/cmdtest), quiet:
// the tests here look at representations and allocations.
func newHarness(t testing.TB) *cmdtest.Harness {
	h := cmdtest.New(t, set.Register)
	h.Quiet = true
	return h
}

func enc(h *cmdtest.Harness, key string) keyspace.Encoding {
	db := h.KS.DBs[0]
	return db.Encoding(db.Find([]byte(key)))
}

// TestPackedRepresentation checks where sets are packed and where they
// become dicts.
func TestPackedRepresentation(t *testing.T) {
	const (
		packed = keyspace.EncPackedHashtable
		dict   = keyspace.EncHashtable
		intset = keyspace.EncIntset
	)
	l64, l65 := strings.Repeat("v", 64), strings.Repeat("w", 65)
	h := newHarness(t)
	check := func(key string, want keyspace.Encoding) {
		t.Helper()
		if got := enc(h, key); got != want {
			t.Errorf("%s: %d, want %d", key, got, want)
		}
	}
	do := func(args ...string) string { return string(h.Do(args...)) }
	objects := h.KS.Objects()

	do(cmd("sadd", []string{"p"}, seq("m", 0, 128))...)
	check("p", packed)
	do("sadd", "p", l64)
	check("p", dict)
	do("srem", "p", "m0", "m1", l64)
	check("p", dict)
	if h.KS.Objects() != objects+1 {
		t.Errorf("%d objects, want %d", h.KS.Objects(), objects+1)
	}

	do("sadd", "v", l64)
	check("v", packed)
	do("sadd", "v", l65)
	check("v", dict)
	do("sadd", "w", l65)
	check("w", dict)

	for _, tc := range []struct {
		n          int
		member     string
		before, to keyspace.Encoding
	}{{127, "x", intset, packed}, {128, "x", intset, dict}, {129, "x", intset, dict}, {3, l64, intset, packed}, {3, l65, intset, dict}} {
		key := "i" + strconv.Itoa(tc.n) + tc.member[:1]
		do(cmd("sadd", []string{key}, seq("", 0, tc.n))...)
		check(key, tc.before)
		do("sadd", key, tc.member)
		check(key, tc.to)
	}
	h.Cfg.Values.SetMaxIntsetEntries = 12
	do(cmd("sadd", []string{"i13"}, seq("", 0, 13))...)
	check("i13", packed)
	do(cmd("sadd", []string{"i12"}, seq("", 0, 12))...)
	check("i12", intset)
	h.Cfg.Values.SetMaxIntsetEntries = 200
	do(cmd("sadd", []string{"i200"}, seq("", 0, 200))...)
	check("i200", intset)
	do("sadd", "i200", "200")
	check("i200", dict)
	h.Cfg.Values.SetMaxIntsetEntries = 512

	// Results built afresh.
	do("sadd", "a", "x", "y", "1")
	do("sadd", "b", "y", "1", "2")
	do("sinterstore", "d", "a", "b")
	check("d", packed)
	do("sunionstore", "d", "a", "b", "p")
	check("d", dict)
	do("sdiffstore", "d", "b", "a")
	check("d", intset)
	do("smove", "a", "b", "x")
	check("b", packed)
	do("smove", "a", "new", "y")
	check("new", packed)
	do(cmd("sadd", []string{"sp"}, seq("m", 0, 100))...)
	do("spop", "sp", "90")
	check("sp", packed)
	if got := do("scard", "sp"); got != ":10\r\n" {
		t.Errorf("scard after spop: %q", got)
	}
	// COPY's path: the copy is packed too, in the same order.
	db := h.KS.DBs[0]
	db.CopyTo(db.Find([]byte("b")), db, []byte("b2"))
	check("b2", packed)
	do("srem", "b", "y")
	if got := do("smembers", "b2"); got != "*4\r\n$1\r\ny\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\nx\r\n" {
		t.Errorf("smembers of a copy: %q", got)
	}
}

// TestPackedSetMemory builds many small string sets through the command
// handlers and reports their cost: arena bytes per set, and Go heap bytes
// per set, which must be none. Packed sets make no keyspace objects.
func TestPackedSetMemory(t *testing.T) {
	const n = 20000
	h := newHarness(t)
	args := cmd("sadd", []string{""}, seq("member:", 0, 10))
	build := func(prefix string, extra string) (arenaPer, heapPer float64, objects int) {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		a0, o0 := h.KS.Arena.Allocated(), h.KS.Objects()
		for i := range n {
			args[1] = prefix + strconv.Itoa(i)
			if extra != "" {
				args[2] = extra
			}
			h.DoArgs(cmdtest.Args(args...))
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		return float64(h.KS.Arena.Allocated()-a0) / n,
			(float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n,
			h.KS.Objects() - o0
	}
	arenaPer, heapPer, objects := build("set:", "")
	t.Logf("packed: %d sets of 10 members: %.1f arena bytes, %.1f Go heap bytes per set (keys included)", n, arenaPer, heapPer)
	if objects != 0 {
		t.Errorf("%d packed sets made %d keyspace objects", n, objects)
	}
	if enc := enc(h, "set:0"); enc != keyspace.EncPackedHashtable {
		t.Errorf("set:0 has encoding %d", enc)
	}
	arenaPer, heapPer, objects = build("dict:", strings.Repeat("x", 65))
	t.Logf("dict: %d sets of 10 members: %.1f arena bytes, %.1f Go heap bytes per set (keys included), %d objects", n, arenaPer, heapPer, objects)
}
