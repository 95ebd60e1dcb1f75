package hll_test

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestRandomHLLsMatchRedis adds random element sets of random sizes (up to
// 100k elements, in pipelined batches) to a few keys under a random
// hll-sparse-max-bytes, merges and counts them, and compares the stored
// bytes and the counts with Redis's after every step. Set HLL_SEED to
// replay a run.
func TestRandomHLLsMatchRedis(t *testing.T) {
	s := difftest.Seed(t, "HLL_SEED")
	rng := rand.New(rand.NewPCG(s, 0x411))
	p := difftest.NewPair(t)
	keys := []string{"a", "b", "c"}
	for round := range 12 {
		limit := []string{"0", "100", "3000", "8000", "20000"}[rng.IntN(5)]
		p.Do("config", "set", "hll-sparse-max-bytes", limit)
		key := keys[rng.IntN(len(keys))]
		if rng.IntN(3) == 0 {
			p.Do("del", key)
		}
		n := rng.IntN(100)
		if round%3 == 0 {
			n = rng.IntN(100_000)
		}
		addRandom(t, p, rng, key, n)
		p.Do("get", key)
		p.Do("pfcount", key)
		p.Do("pfcount", key)
		p.Do("pfdebug", "encoding", key)
		switch rng.IntN(3) {
		case 0:
			p.Do("pfcount", keys[0], keys[1], keys[2])
		case 1:
			dst := keys[rng.IntN(len(keys))]
			p.Do("pfmerge", dst, keys[rng.IntN(len(keys))], keys[rng.IntN(len(keys))])
			p.Do("get", dst)
			p.Do("pfcount", dst)
		case 2:
			p.Do("pfdebug", "todense", key)
			p.Do("get", key)
		}
		if t.Failed() {
			t.Fatalf("HLL_SEED=%d", s)
		}
	}
}

// addRandom sends PFADDs of n random elements to key on both servers in
// pipelined batches and compares the replies.
func addRandom(t *testing.T, p *difftest.Pair, rng *rand.Rand, key string, n int) {
	var sent []string
	for n > 0 {
		args := []string{"pfadd", key}
		for range min(n, 1+rng.IntN(200)) {
			args = append(args, element(rng))
		}
		n -= len(args) - 2
		p.Redis.Send(args...)
		p.Redoubt.Send(args...)
		sent = append(sent, difftest.Quote(args[:3]))
		if len(sent) == 64 || n <= 0 {
			for _, cmd := range sent {
				if want, got := p.Redis.ReadRaw(), p.Redoubt.ReadRaw(); !bytes.Equal(want, got) {
					t.Errorf("%s...: redis %q, redoubt %q", cmd, want, got)
				}
			}
			sent = sent[:0]
		}
	}
}

// element is a random string: short ones often repeat, longer ones
// exercise every length modulo the hash's 8-byte blocks.
func element(rng *rand.Rand) string {
	if rng.IntN(4) == 0 {
		return strconv.Itoa(rng.IntN(1000))
	}
	b := make([]byte, rng.IntN(24))
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return string(b)
}

// TestRandomCorruptHLLsMatchRedis corrupts HLLs at random, as the Redis
// suite's fuzzing test does, and checks that both servers answer the
// same to PFCOUNT, PFADD and PFMERGE and hold the same bytes after them.
// Set HLL_SEED to replay a run.
func TestRandomCorruptHLLsMatchRedis(t *testing.T) {
	s := difftest.Seed(t, "HLL_SEED")
	rng := rand.New(rand.NewPCG(s, 0xbad))
	p := difftest.NewPair(t)
	for range 300 {
		p.Do("del", "h", "d")
		n := 1 + rng.IntN(3000)
		if rng.IntN(5) == 0 {
			n = 1 + rng.IntN(20000) // often dense
		}
		addRandom(t, p, rng, "h", n)
		v := p.Redis.DoValue("get", "h").Str
		for range 1 + rng.IntN(5) {
			pos := strconv.Itoa(rng.IntN(len(v)))
			p.Do("setrange", "h", pos, string([]byte{byte(rng.Uint32())}))
		}
		if rng.IntN(4) == 0 {
			p.Do("append", "h", string([]byte{byte(rng.Uint32()), byte(rng.Uint32())}))
		}
		p.Do("pfcount", "h")
		p.Do("pfcount", "h", "nokey")
		p.Do("pfmerge", "d", "h")
		p.Do("get", "d")
		p.Do("pfadd", "h", element(rng), element(rng), element(rng))
		p.Do("get", "h")
		p.Do("pfcount", "h")
		if t.Failed() {
			t.Fatalf("HLL_SEED=%d", s)
		}
	}
}
