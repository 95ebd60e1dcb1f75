package intset_test

import (
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/intset"
)

const (
	rdbSetIntset = 11
	rdbVersion   = 10
)

var redisSettings = []string{"rdbcompression no", "sanitize-dump-payload yes", "set-max-intset-entries 100000"}

// dumpIntset returns the intset of a set key's DUMP payload.
func dumpIntset(t *testing.T, c *difftest.Conn, key string) []byte {
	t.Helper()
	v := c.DoValue("DUMP", key)
	p := []byte(v.Str)
	if v.Type != '$' || v.Null || len(p) < 12 {
		t.Fatalf("DUMP %s: %q", key, v.Str)
	}
	if p[0] != rdbSetIntset {
		t.Fatalf("DUMP %s: RDB type %d, not an intset", key, p[0])
	}
	if ver := binary.LittleEndian.Uint16(p[len(p)-10:]); ver != rdbVersion {
		t.Fatalf("DUMP %s: RDB version %d", key, ver)
	}
	body := p[1 : len(p)-10]
	// The RDB string length: 6 or 14 bits, or 32 bits big-endian.
	var n, h int
	switch {
	case body[0]>>6 == 0:
		n, h = int(body[0]&0x3F), 1
	case body[0]>>6 == 1:
		n, h = int(body[0]&0x3F)<<8|int(body[1]), 2
	case body[0] == 0x80:
		n, h = int(binary.BigEndian.Uint32(body[1:])), 5
	default:
		t.Fatalf("DUMP %s: unexpected string encoding %#x", key, body[0])
	}
	if h+n != len(body) {
		t.Fatalf("DUMP %s: string of %d bytes in a body of %d", key, n, len(body))
	}
	return body[h:]
}

// payload wraps an intset as a DUMP payload with a zero checksum, which
// the tests tell Redis not to check.
func payload(is []byte) string {
	p := []byte{rdbSetIntset}
	switch n := len(is); {
	case n < 1<<6:
		p = append(p, byte(n))
	case n < 1<<14:
		p = append(p, byte(n>>8)|0x40, byte(n))
	default:
		p = binary.BigEndian.AppendUint32(append(p, 0x80), uint32(n))
	}
	p = append(p, is...)
	p = binary.LittleEndian.AppendUint16(p, rdbVersion)
	return string(append(p, make([]byte, 8)...))
}

// TestRedisBytes runs SADD and SREM on Redis and on an intset and compares
// the bytes after each: encoding upgrades from both ends, removals that
// keep the wide encoding, and adds of values already there.
func TestRedisBytes(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	is := intset.New()
	check := func(what string) {
		t.Helper()
		want := dumpIntset(t, c, "s")
		if err := intset.Validate(want, true); err != nil {
			t.Fatalf("%s: Validate rejects Redis's intset: %v", what, err)
		}
		if !bytes.Equal(is, want) {
			t.Fatalf("%s: intsets differ\nredis % x\nours  % x", what, want, is)
		}
	}
	sadd := func(v int64) {
		t.Helper()
		s := strconv.FormatInt(v, 10)
		r := c.Do("SADD", "s", s)
		var added bool
		is, added = intset.Add(is, v)
		if (string(r) == ":1\r\n") != added {
			t.Fatalf("SADD %s replied %q, Add said %v", s, r, added)
		}
		check("SADD " + s)
	}
	srem := func(v int64) {
		t.Helper()
		s := strconv.FormatInt(v, 10)
		r := c.Do("SREM", "s", s)
		var removed bool
		is, removed = intset.Remove(is, v)
		if (string(r) == ":1\r\n") != removed {
			t.Fatalf("SREM %s replied %q, Remove said %v", s, r, removed)
		}
		check("SREM " + s)
	}
	for _, v := range []int64{5, 1, 9, -3, 7, 5, 0, math.MaxInt16, math.MinInt16} {
		sadd(v)
	}
	sadd(math.MaxInt16 + 1) // upgrade to 32 bits, appended
	sadd(100)
	sadd(math.MinInt32)     // no upgrade
	sadd(math.MinInt32 - 1) // upgrade to 64 bits, prepended
	sadd(math.MaxInt64)
	sadd(math.MinInt64)
	srem(math.MinInt32 - 1)
	srem(math.MaxInt64)
	srem(math.MinInt64)
	srem(12345) // absent
	sadd(2)
	rng := rand.New(rand.NewPCG(1, 2))
	for range 300 {
		v := int64(rng.Uint64()) >> (rng.IntN(64))
		if rng.IntN(3) == 0 {
			srem(intset.Get(is, rng.IntN(intset.Len(is))))
		} else {
			sadd(v)
		}
	}

	// A fresh set upgraded by a negative value from 16 to 32 bits.
	c.Do("DEL", "s")
	is = intset.New()
	for _, v := range []int64{3, 1, 2, -40000, 40000} {
		sadd(v)
	}
}

// TestRedisValidate feeds corrupted intsets to RESTORE with
// sanitize-dump-payload on: Redis must accept exactly what Validate
// accepts.
func TestRedisValidate(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	c.Do("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
	rng := rand.New(rand.NewPCG(3, 4))
	var seeds [][]byte
	for _, vs := range [][]int64{{1}, {-5, 0, 5, 1000}, {1, 70000}, {math.MinInt64, 3, math.MaxInt64}} {
		is := intset.New()
		for _, v := range vs {
			is, _ = intset.Add(is, v)
		}
		seeds = append(seeds, is)
	}
	verdicts := map[error]int{}
	for range 2000 {
		is := bytes.Clone(seeds[rng.IntN(len(seeds))])
		switch rng.IntN(5) {
		case 0:
			is[rng.IntN(len(is))] ^= 1 << rng.IntN(8)
		case 1:
			is = is[:rng.IntN(len(is)+1)]
		case 2:
			binary.LittleEndian.PutUint32(is[4:], uint32(rng.IntN(5)))
		case 3:
			binary.LittleEndian.PutUint32(is, uint32(rng.IntN(10)))
		default:
			i := intset.HeaderSize + rng.IntN(len(is)-intset.HeaderSize)
			is[i] = byte(rng.IntN(256))
		}
		ours := intset.Validate(is, true)
		r := c.Do("RESTORE", "k", "0", payload(is), "REPLACE")
		if got := string(r) == "+OK\r\n"; got != (ours == nil) {
			t.Fatalf("Redis RESTORE says %q, Validate says %v, for % x", r, ours, is)
		}
		verdicts[ours]++
	}
	t.Logf("Validate verdicts: %v", verdicts)
}
