package zset

import "github.com/redoubt-db/redoubt/command"

// The functions below let SORT read a sorted set.

// ToSkiplist converts the sorted set at entry id to a skiplist, as Redis's
// SORT does to every sorted set it reads (OBJECT ENCODING shows it), and
// returns its length.
func ToSkiplist(c *command.Ctx, id uint32) int {
	v := load(c, id)
	if v.isListpack() {
		v.toSkiplist()
		v.save(c, id)
	}
	return v.length()
}

// Range calls fn with n members of the sorted set at entry id, from rank
// start (which must exist), by ascending or, if reverse, descending rank.
// member is valid only during the call.
func Range(c *command.Ctx, id uint32, start, n int, reverse bool, fn func(member []byte)) {
	if n <= 0 {
		return
	}
	v := load(c, id)
	var buf [20]byte
	for cur := v.atRank(start, reverse); n > 0; n-- {
		fn(cur.member(buf[:0]))
		cur.move(reverse)
	}
}
