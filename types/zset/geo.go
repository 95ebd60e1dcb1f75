package zset

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
)

// The API below is for the GEO commands, which keep geohash scores in
// sorted sets: read a set once (Open), write through ZADD itself (ZAdd),
// and store a search result (Store).

// Set is a sorted set looked up once, for commands that read it several
// times: each lookup counts a keyspace hit or miss, and Redis looks the
// key up once per command. A Set is valid until the keyspace changes.
type Set struct{ v value }

// Open looks up the sorted set at key for reading. exists is false for a
// missing key, which opens as an empty Set; ok is false after a WRONGTYPE
// reply.
func Open(c *command.Ctx, key []byte) (s Set, exists, ok bool) {
	id, ok := read(c, key)
	if !ok || id == dict.None {
		return Set{}, false, ok
	}
	return Set{load(c, id)}, true, true
}

// Score returns member's score.
func (s *Set) Score(member []byte) (float64, bool) {
	if s.v.ks == nil {
		return 0, false
	}
	return s.v.score(member)
}

// RangeByScore calls fn with the members whose score is in [min, max], in
// ascending order, until fn returns false. The member bytes are valid
// only during the call, and fn must not change the keyspace.
func (s *Set) RangeByScore(min, max float64, fn func(member []byte, score float64) bool) {
	if s.v.ks == nil {
		return
	}
	b := bounds{scores: scoreRange{min: min, max: max}}
	var buf [20]byte
	for cur := s.v.firstIn(&b); cur.valid() && b.scores.lteMax(cur.score()); cur.next() {
		if !fn(cur.member(buf[:0]), cur.score()) {
			break
		}
	}
}

// ZAdd runs ZADD with args as its arguments, as GEOADD does once it has
// turned coordinates into scores. c.Args is restored afterwards, so that
// the slow log and MONITOR show the command as sent.
func ZAdd(c *command.Ctx, args [][]byte) {
	sent := c.Args
	c.Args = args
	zadd(c, 0)
	c.Args = sent
}

// Store replaces dst with a sorted set of members and their scores, built
// as Redis builds a GEORADIUS STORE result: as a skiplist, then turned
// into a listpack if small. An empty result deletes dst. It replies with
// the number of members, fires event and counts a change per member.
func Store(c *command.Ctx, dst []byte, members [][]byte, scores []float64, event string) {
	v := newValue(c.KS, true)
	s := v.sl()
	maxLen, totLen := 0, 0
	for i, m := range members {
		if s.find(m) != dict.None {
			continue // Redis would abort on a repeated member
		}
		s.insert(m, scores[i])
		maxLen, totLen = max(maxLen, len(m)), totLen+len(m)
	}
	v.toListpackIfSmall(c.Cfg, maxLen, totLen)
	n := v.length()
	storeResult(c, dst, v, event)
	if n > 1 {
		c.Dirty += int64(n) - 1
	}
}
