// Package evict chooses the keys maxmemory evicts, with Redis's
// algorithms (evict.c): the policies, the sampled approximation of LRU
// and LFU with a pool of the best candidates kept across calls
// (maxmemory-samples keys per database per round), the lowest time to
// live first for volatile-ttl, and random choice, round-robin over the
// databases, for the random policies.
//
// It only chooses: the server deletes the key it is given, through the
// engine, so that an eviction reaches the AOF, replicas and keyspace
// notifications as Redis sends it.
package evict

import (
	"math"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Policy is maxmemory-policy.
type Policy uint8

// The policies, as maxmemory-policy names them.
const (
	NoEviction Policy = iota
	AllKeysLRU
	AllKeysLFU
	AllKeysRandom
	VolatileLRU
	VolatileLFU
	VolatileRandom
	VolatileTTL
)

var names = [...]string{"noeviction", "allkeys-lru", "allkeys-lfu", "allkeys-random",
	"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl"}

// ParsePolicy reads a maxmemory-policy value; an unknown one is
// noeviction (the config refuses those before).
func ParsePolicy(s string) Policy {
	for i, n := range names {
		if n == s {
			return Policy(i)
		}
	}
	return NoEviction
}

func (p Policy) String() string { return names[p] }

// Volatile reports whether the policy only evicts keys with a TTL.
func (p Policy) Volatile() bool { return p >= VolatileLRU }

func (p Policy) random() bool { return p == AllKeysRandom || p == VolatileRandom }

// poolSize is Redis's EVPOOL_SIZE.
const poolSize = 16

type candidate struct {
	// idle is the score: the higher, the better to evict (idle time,
	// 255 minus the LFU counter, or the inverse of the deadline).
	idle uint64
	db   int
	// id is the entry the key had when sampled, and stamp tells it
	// from a later key that reused the id (dict.Stamp).
	id    uint32
	stamp dict.Stamp
}

// Evictor keeps the pool of candidates between calls, as Redis keeps
// its static EvictionPoolLRU; one per server.
type Evictor struct {
	pool   [poolSize]candidate
	n      int
	nextDB int
}

// Pick returns the next key to evict under policy p, sampling samples
// keys per database, or ok false when no key can be evicted (none, or
// none with a TTL under a volatile policy).
func (e *Evictor) Pick(ks *keyspace.Keyspace, p Policy, samples int) (db *keyspace.DB, id uint32, ok bool) {
	if p == NoEviction {
		return nil, dict.None, false
	}
	samples = max(samples, 1)
	if p.random() {
		for range ks.DBs {
			d := ks.DBs[e.nextDB%len(ks.DBs)]
			e.nextDB++
			var id uint32
			if p == VolatileRandom {
				id, _ = d.SampleVolatile()
			} else {
				id = d.SampleKey()
			}
			if id != dict.None {
				return d, id, true
			}
		}
		return nil, dict.None, false
	}
	for {
		total := 0
		for _, d := range ks.DBs {
			n := d.Len()
			if p.Volatile() {
				n = d.ExpiresLen()
			}
			if n == 0 {
				continue
			}
			total += n
			e.populate(d, p, samples)
		}
		if total == 0 {
			return nil, dict.None, false
		}
		// The best candidate still there, from the end of the pool:
		// the entry it was sampled at, if it still holds the key
		// (Redis looks the key up by name). A key deleted, or moved
		// to another entry since (a compaction of the table), is a
		// ghost, as a deleted one is for Redis.
		for i := e.n - 1; i >= 0; i-- {
			c := e.pool[i]
			d := ks.DBs[c.db]
			e.remove(i)
			if !d.HasStamp(c.id, c.stamp) || (p.Volatile() && d.Expire(c.id) < 0) {
				continue // gone, or no longer volatile: a ghost
			}
			return d, c.id, true
		}
		// Every candidate was a ghost: sample again (Redis loops too).
	}
}

// populate samples a database and keeps the best candidates (Redis's
// evictionPoolPopulate). The random entries are all picked before any is
// scored, so that the memory reads of one do not wait for another's.
func (e *Evictor) populate(d *keyspace.DB, p Policy, samples int) {
	var ids [maxBatch]uint32
	var whens [maxBatch]int64
	for samples > 0 {
		n := min(samples, maxBatch)
		samples -= n
		for i := range n {
			if p.Volatile() {
				ids[i], whens[i] = d.SampleVolatile()
			} else {
				ids[i] = d.SampleKey()
			}
		}
		for i, id := range ids[:n] {
			if id == dict.None {
				return
			}
			var idle uint64
			switch p {
			case AllKeysLRU, VolatileLRU:
				idle = uint64(d.IdleTime(id))
			case AllKeysLFU, VolatileLFU:
				idle = 255 - uint64(d.Freq(id))
			case VolatileTTL:
				idle = math.MaxUint64 - uint64(whens[i])
			}
			e.insert(idle, d, id)
		}
	}
}

// maxBatch is how many samples populate picks before scoring them.
const maxBatch = 16

// insert puts a candidate in the pool, which is sorted by ascending
// idle: a full pool drops its worst candidate for a better one.
func (e *Evictor) insert(idle uint64, d *keyspace.DB, id uint32) {
	k := 0
	for k < e.n && e.pool[k].idle < idle {
		k++
	}
	if k == 0 && e.n == poolSize {
		return // worse than every candidate of a full pool
	}
	// Already there? (Redis may insert duplicates; keeping one is
	// simpler and changes nothing.)
	st := d.Stamp(id)
	for i := 0; i < e.n; i++ {
		if c := &e.pool[i]; c.db == d.ID && c.id == id && c.stamp == st {
			return
		}
	}
	if e.n < poolSize {
		copy(e.pool[k+1:e.n+1], e.pool[k:e.n])
		e.n++
	} else {
		// Drop the worst (the first) to make room.
		k--
		copy(e.pool[:k], e.pool[1:k+1])
	}
	e.pool[k] = candidate{idle: idle, db: d.ID, id: id, stamp: st}
}

// remove takes candidate i out of the pool.
func (e *Evictor) remove(i int) {
	copy(e.pool[i:e.n-1], e.pool[i+1:e.n])
	e.n--
	e.pool[e.n] = candidate{}
}

// Reset empties the pool (the policy or the databases changed).
func (e *Evictor) Reset() {
	clear(e.pool[:e.n])
	e.n = 0
}
