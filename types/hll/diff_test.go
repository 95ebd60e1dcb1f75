package hll_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// HyperLogLogs are strings, so after the same commands GET must return
// the same bytes on both servers: that checks hashing, register layout,
// sparse opcode edits, promotion and the cached cardinality at once.

func TestHLLCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
pfadd h
get h
object encoding h
pfcount h
pfadd h a b c
get h
pfadd h a b c
pfadd h ""
pfcount h
get h
pfcount h
pfadd h d e f g h i j k l m n o p
get h
pfcount h
pfcount nokey
pfadd n1
pfadd n1 x
pfcount h nokey
pfcount nokey1 nokey2
pfcount h n1
pfdebug encoding h
pfdebug decode h
pfdebug decode nokey
pfdebug foo nokey
pfdebug foo h
pfdebug todense h
pfdebug todense h
pfdebug encoding h
pfdebug decode h
get h
pfcount h
pfadd h z
get h
pfadd
pfcount
pfmerge
pfdebug encoding
pfselftest x
exists h
`)
	})
}

func TestHLLErrorsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
set s bar
set i 12345
hset l f v
pfadd s a
pfadd i a
pfadd l a
pfcount s
pfcount i
pfcount l
pfcount nokey l
pfcount nokey s
pfmerge s nokey
pfmerge nokey s
pfmerge l
pfmerge nokey l
pfdebug getreg s
pfdebug getreg l
pfdebug getreg i
pfdebug decode nokey
set short HYLL
pfcount short
set badenc HYLL\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff
pfcount badenc
set denselen HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xff
pfcount denselen
pfadd denselen a
set hdronly HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80
pfcount hdronly
pfadd hdronly a
pfcount hdronly hdronly
pfmerge dst hdronly
exists dst
pfdebug decode hdronly
pfdebug todense hdronly
pfdebug getreg hdronly
set short1 HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe
pfcount short1
pfadd short1 a
pfcount short1 nokey
pfmerge dst2 short1
exists dst2
set long1 HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff\x00
pfcount long1
pfcount long1 nokey
pfadd long1 a b c
get long1
set trunc HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f
pfcount trunc
pfadd trunc a b c
get trunc
pfdebug decode trunc
set valid HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff
object encoding valid
pfcount valid
object encoding valid
get valid
set cached HYLL\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x00\x7f\xff
pfcount cached
object encoding cached
pfdebug decode cached
set overval HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\xff\x7f\xfe
pfcount overval
pfadd overval a
pfdebug todense overval
`)
	})
}

// TestHLLPromotionMatchesRedis grows sparse HLLs past hll-sparse-max-bytes
// and past a VAL opcode's largest value, and checks the bytes at each step.
func TestHLLPromotionMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("config", "set", "hll-sparse-max-bytes", "200")
		for i := 0; i < 300; i += 7 {
			args := []string{"pfadd", "h"}
			for j := i; j < i+7; j++ {
				args = append(args, "e"+strconv.Itoa(j))
			}
			p.Do(args...)
			p.Do("get", "h")
			p.Do("pfdebug", "encoding", "h")
			p.Do("pfcount", "h")
		}
		p.Do("config", "set", "hll-sparse-max-bytes", "3000")
		// This element's run of zeros is 34: no VAL opcode holds it, so
		// adding it promotes a small HLL (and finds a corrupt one out).
		const long = "\x90\xc9\x9b\xb71000"
		p.Do("pfadd", "v", "a", "b", "c")
		p.Do("pfadd", "v", long)
		if enc := p.Do("pfdebug", "encoding", "v"); string(enc) != "+dense\r\n" {
			t.Fatalf("adding a run of 34 left the HLL %q", enc)
		}
		p.Do("pfcount", "v")
		p.Do("set", "bad", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xfe")
		p.Do("pfadd", "bad", long)
		p.Do("get", "bad")
		p.Do("get", "v")
		p.Do("config", "set", "hll-sparse-max-bytes", "0")
		p.Do("pfadd", "z", "a")
		p.Do("pfadd", "z", "b")
		p.Do("get", "z")
	})
}

func TestHLLMergeMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
pfadd a 1 2 3 4 5
pfadd b 4 5 6 7 8 9 10
pfadd c x y z
pfmerge d a b c
get d
pfcount d
pfdebug encoding d
pfmerge d
get d
pfmerge e
get e
pfmerge a a
get a
pfmerge c a b
get c
pfcount a b c nokey
pfdebug todense b
pfmerge f a b
pfdebug encoding f
get f
pfmerge a b
pfdebug encoding a
get a
pfmerge g nokey1 nokey2
get g
`)
		// A big sparse union outgrows the sparse limit while merging.
		for _, k := range []string{"m1", "m2", "m3"} {
			args := []string{"pfadd", k}
			for i := range 400 {
				args = append(args, k+"-"+strconv.Itoa(i))
			}
			p.Do(args...)
		}
		p.Do("pfmerge", "m", "m1", "m2", "m3")
		p.Do("pfdebug", "encoding", "m")
		p.Do("get", "m")
		p.Do("pfcount", "m")
		p.Do("pfcount", "m1", "m2", "m3")
	})
}

func TestHLLDebugMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
pfadd h a b c d e f g h i j
pfdebug getreg h
pfdebug encoding h
get h
pfadd h2 a b c
pfdebug DECODE h2
pfdebug ENCODING h2
pfdebug Todense h2
pfdebug getreg h2
pfdebug decode h2
pfdebug nosuch h2
pfselftest
`)
	})
}

// TestHLLSignalsMatchRedis compares, after each command, the events it
// published, the dirty counter and the keyspace hits and misses: what
// each command counts as a change or a lookup.
func TestHLLSignalsMatchRedis(t *testing.T) {
	difftest.CompareSignals(t, []string{
		"pfadd h a b c", "pfadd h a b c", "pfadd h d", "pfadd h", "pfcount h", "pfcount h", "pfcount h nokey",
		"pfmerge m h", "pfmerge m h", "pfmerge m2 nokey", "pfdebug todense h", "pfdebug todense h",
		"pfdebug getreg m", "pfdebug getreg m", "pfdebug encoding m", "pfadd n", "pfadd n", "pfcount nokey",
		"pfcount h", "set s x", "pfadd s a", "pfcount s", "pfmerge s", "pfmerge x s",
	})
}

// dense builds a dense HLL value with a stale cache and register i set to
// reg(i).
func dense(reg func(i int) uint8) string {
	b := []byte("HYLL\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80")
	var acc, bits uint
	for i := range 16384 {
		acc |= uint(reg(i)&63) << bits
		for bits += 6; bits >= 8; bits -= 8 {
			b = append(b, byte(acc))
			acc >>= 8
		}
	}
	return string(b)
}

// TestPlantedDenseHLLsMatchRedis counts dense values planted with SET,
// including register values no element can produce, where the estimate
// overflows.
func TestPlantedDenseHLLsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		for name, reg := range map[string]func(int) uint8{
			"all50": func(int) uint8 { return 50 },
			"all51": func(int) uint8 { return 51 },
			"all63": func(int) uint8 { return 63 },
			"all20": func(int) uint8 { return 20 },
			"mixed": func(i int) uint8 { return uint8(i * 7919 % 64) },
			"half":  func(i int) uint8 { return uint8(i % 2 * 40) },
			"one":   func(i int) uint8 { return uint8(max(0, 1-i)) },
			"low":   func(i int) uint8 { return uint8(i % 3) },
		} {
			p.Do("set", name, dense(reg))
			p.Do("pfcount", name)
			p.Do("pfcount", name)
			p.Do("getrange", name, "0", "15")
			p.Do("pfcount", name, "nokey")
			p.Do("pfadd", name, "a", "b", "c")
			p.Do("pfmerge", "m-"+name, name)
			p.Do("get", "m-"+name)
			p.Do("pfadd", "s-"+name, "x")
			p.Do("pfmerge", "s-"+name, name)
			p.Do("pfcount", "s-"+name)
			p.Do("get", name)
		}
	})
}

// A sparse body whose last opcode is an XZERO cut after its first byte,
// as SET can plant it: both servers read the missing byte as zero (the
// string's terminator), and a PFADD on the register it covers writes its
// VAL past the shortened end and loses it, leaving a value PFCOUNT calls
// corrupt. "e1674" hashes to register 16383, the last.
func TestTruncatedXZeroAsRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("set", "h", "HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x7f\xfe\x40")
	p.Do("pfadd", "h", "e1674")
	if got := string(p.Do("strlen", "h")); got != ":18\r\n" {
		t.Errorf("after PFADD the value is %s bytes long, want 18 (the VAL lost past the end)", got)
	}
	p.Do("get", "h")
	if got := string(p.Do("pfcount", "h")); got != "-INVALIDOBJ Corrupted HLL object detected\r\n" {
		t.Errorf("PFCOUNT: %q", got)
	}
}
