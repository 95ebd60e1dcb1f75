package zset

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// The API below is for the GEO commands, which keep geohash scores in
// sorted sets. Each function looks key up itself; a key of another kind
// gets a WRONGTYPE reply and ok false. Notifications, dirty counts and
// replies are the caller's, except "new" when Add creates the key.

// Add sets member's score in the sorted set at key, creating the key and
// converting its encoding as ZADD does. It reports whether the member is
// new, and whether its score changed.
func Add(c *command.Ctx, key, member []byte, score float64) (added, updated, ok bool) {
	id, ok := c.ReadWrite(key, keyspace.KindZSet)
	if !ok {
		return false, false, false
	}
	if id == dict.None {
		id = create(c, key, member)
	}
	v := load(c, id)
	out, _ := v.add(c.Cfg, member, score, 0)
	v.save(c, id)
	if out&outAdded != 0 {
		c.SignalReady(key)
	}
	return out&outAdded != 0, out&outUpdated != 0, true
}

// Score returns member's score.
func Score(c *command.Ctx, key, member []byte) (score float64, found, ok bool) {
	id, ok := read(c, key)
	if !ok || id == dict.None {
		return 0, false, ok
	}
	v := load(c, id)
	score, found = v.score(member)
	return score, found, true
}

// RangeByScore calls fn with the members whose score is in [min, max], in
// ascending order, until fn returns false. The member bytes are valid
// only during the call, and fn must not change the keyspace.
func RangeByScore(c *command.Ctx, key []byte, min, max float64, fn func(member []byte, score float64) bool) (ok bool) {
	id, ok := read(c, key)
	if !ok || id == dict.None {
		return ok
	}
	v := load(c, id)
	b := bounds{scores: scoreRange{min: min, max: max}}
	var buf [20]byte
	for cur := v.firstIn(&b); cur.valid() && b.scores.lteMax(cur.score()); cur.next() {
		if !fn(cur.member(buf[:0]), cur.score()) {
			break
		}
	}
	return true
}

// Remove deletes member, and the key with its last member, reporting
// whether the member was there and whether the key was deleted.
func Remove(c *command.Ctx, key, member []byte) (removed, keyDeleted, ok bool) {
	id, ok := c.ReadWrite(key, keyspace.KindZSet)
	if !ok || id == dict.None {
		return false, false, ok
	}
	v := load(c, id)
	if !v.del(member) {
		return false, false, true
	}
	v.save(c, id)
	if v.length() == 0 {
		c.DB.Delete(id)
		return true, true, true
	}
	return true, false, true
}

// Len is the number of members of the sorted set at key (0 if missing).
func Len(c *command.Ctx, key []byte) (n int, ok bool) {
	id, ok := read(c, key)
	if !ok || id == dict.None {
		return 0, ok
	}
	v := load(c, id)
	return v.length(), true
}
