package zset

import (
	"bytes"
	"math"
	"math/bits"
	"math/rand/v2"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
)

// skiplist is the big encoding of a sorted set, Redis's dict + zskiplist
// pair without a single Go pointer per element.
//
// The dict maps each member to its entry: Val holds the score's float64
// bits (ZSCORE is one lookup) and Meta the member's skiplist node. The
// member bytes live once, as the dict entry's arena key.
//
// Nodes are numbered and their fields kept in flat slices indexed by node
// number; node 0 is the header, so 0 doubles as "no node" in links. A
// node's levels are a run of (forward, span) pairs in links, starting at
// off[n]; freed nodes and freed runs (by height) are reused. Spans make
// the list rank-aware as Redis's is: ZRANK and ranges by index cost
// O(log n).
type skiplist struct {
	a      *arena.Arena
	d      *dict.Dict
	score  []float64
	elem   []uint32 // dict entry of the member
	back   []uint32 // previous node, 0 for the first
	off    []uint32 // start of the node's levels in links
	height []uint8
	links  []uint32
	// freeNodes are reusable node numbers; freeRuns[h] reusable link runs
	// of h levels.
	freeNodes []uint32
	freeRuns  [maxLevel + 1][]uint32
	tail      uint32
	level     int
	length    int
	// reported is what the node slices held when last added to the
	// arena's count of the tables' memory (they live on the Go heap,
	// which used_memory does not see otherwise).
	reported int64
}

// maxLevel and the 1/4 level probability are Redis's ZSKIPLIST_MAXLEVEL
// and ZSKIPLIST_P.
const maxLevel = 32

func newSkiplist(a *arena.Arena) *skiplist {
	s := &skiplist{a: a, d: dict.New(a), level: 1}
	s.d.OnMove = s.entryMoved
	s.newNode(maxLevel, 0, dict.None)
	return s
}

// entryMoved follows a dict entry that compaction renumbered.
func (s *skiplist) entryMoved(from, to uint32) { s.elem[s.d.At(to).Meta] = to }

func (s *skiplist) fwd(n uint32, l int) uint32  { return s.links[int(s.off[n])+2*l] }
func (s *skiplist) span(n uint32, l int) uint32 { return s.links[int(s.off[n])+2*l+1] }
func (s *skiplist) setLink(n uint32, l int, fwd, span uint32) {
	i := int(s.off[n]) + 2*l
	s.links[i], s.links[i+1] = fwd, span
}
func (s *skiplist) setSpan(n uint32, l int, span uint32) { s.links[int(s.off[n])+2*l+1] = span }

// member returns a node's member, aliasing the arena.
func (s *skiplist) member(n uint32) []byte { return s.d.Key(s.elem[n]) }

// first returns the first node, or 0 when empty.
func (s *skiplist) first() uint32 { return s.fwd(0, 0) }

// randomLevel draws a height with P(h+1)/P(h) = 1/4, capped at maxLevel:
// each pair of zero bits of a random word is one more level.
func randomLevel() int {
	h := 1 + bits.TrailingZeros64(rand.Uint64()|1<<62)/2
	return min(h, maxLevel)
}

func (s *skiplist) newNode(h int, score float64, eid uint32) uint32 {
	var n uint32
	if k := len(s.freeNodes); k > 0 {
		n = s.freeNodes[k-1]
		s.freeNodes = s.freeNodes[:k-1]
		s.score[n], s.elem[n], s.back[n] = score, eid, 0
	} else {
		n = uint32(len(s.score))
		s.score = append(s.score, score)
		s.elem = append(s.elem, eid)
		s.back = append(s.back, 0)
		s.off = append(s.off, 0)
		s.height = append(s.height, 0)
	}
	s.height[n] = uint8(h)
	if k := len(s.freeRuns[h]); k > 0 {
		s.off[n] = s.freeRuns[h][k-1]
		s.freeRuns[h] = s.freeRuns[h][:k-1]
		clear(s.links[s.off[n] : int(s.off[n])+2*h])
	} else {
		s.off[n] = uint32(len(s.links))
		s.links = append(s.links, make([]uint32, 2*h)...)
		s.report()
	}
	return n
}

// nodesMemory is what the node slices hold.
func (s *skiplist) nodesMemory() int64 {
	return int64(cap(s.score)*8 + (cap(s.elem)+cap(s.back)+cap(s.off)+cap(s.links))*4 + cap(s.height))
}

// report brings the arena's count up to date with the node slices, which
// only grow (freed nodes and link runs are reused).
func (s *skiplist) report() { s.a.ReportTables(&s.reported, s.nodesMemory()) }

func (s *skiplist) freeNode(n uint32) {
	h := int(s.height[n])
	s.freeRuns[h] = append(s.freeRuns[h], s.off[n])
	s.freeNodes = append(s.freeNodes, n)
}

// before reports whether node n sorts before (score, m).
func (s *skiplist) before(n uint32, score float64, m []byte) bool {
	ns := s.score[n]
	return ns < score || ns == score && bytes.Compare(s.member(n), m) < 0
}

// insertEntry links a node for the dict entry eid (whose member is not
// in the list yet) at its place for score, as zslInsert does.
func (s *skiplist) insertEntry(eid uint32, score float64) uint32 {
	var update [maxLevel]uint32
	var rank [maxLevel]uint32
	m := s.d.Key(eid)
	x := uint32(0)
	for i := s.level - 1; i >= 0; i-- {
		if i < s.level-1 {
			rank[i] = rank[i+1]
		}
		for f := s.fwd(x, i); f != 0 && s.before(f, score, m); f = s.fwd(x, i) {
			rank[i] += s.span(x, i)
			x = f
		}
		update[i] = x
	}
	h := randomLevel()
	if h > s.level {
		for i := s.level; i < h; i++ {
			rank[i], update[i] = 0, 0
			s.setSpan(0, i, uint32(s.length))
		}
		s.level = h
	}
	n := s.newNode(h, score, eid)
	for i := 0; i < h; i++ {
		u := update[i]
		s.setLink(n, i, s.fwd(u, i), s.span(u, i)-(rank[0]-rank[i]))
		s.setLink(u, i, n, rank[0]-rank[i]+1)
	}
	for i := h; i < s.level; i++ {
		s.setSpan(update[i], i, s.span(update[i], i)+1)
	}
	s.back[n] = update[0]
	if f := s.fwd(n, 0); f != 0 {
		s.back[f] = n
	} else {
		s.tail = n
	}
	s.length++
	s.d.At(eid).Meta = n
	return n
}

// insert adds a member that is not in the set.
func (s *skiplist) insert(m []byte, score float64) {
	eid := s.d.Insert(m)
	s.d.At(eid).Val = math.Float64bits(score)
	s.insertEntry(eid, score)
}

// path fills update with the last node before (score, m) on each level.
func (s *skiplist) path(update *[maxLevel]uint32, score float64, m []byte) {
	x := uint32(0)
	for i := s.level - 1; i >= 0; i-- {
		for f := s.fwd(x, i); f != 0 && s.before(f, score, m); f = s.fwd(x, i) {
			x = f
		}
		update[i] = x
	}
}

// unlink takes node n out of the list given its predecessors, as
// zslDeleteNode does; the node is not freed.
func (s *skiplist) unlink(n uint32, update *[maxLevel]uint32) {
	for i := 0; i < s.level; i++ {
		u := update[i]
		if s.fwd(u, i) == n {
			s.setLink(u, i, s.fwd(n, i), s.span(u, i)+s.span(n, i)-1)
		} else {
			s.setSpan(u, i, s.span(u, i)-1)
		}
	}
	if f := s.fwd(n, 0); f != 0 {
		s.back[f] = s.back[n]
	} else {
		s.tail = s.back[n]
	}
	for s.level > 1 && s.fwd(0, s.level-1) == 0 {
		s.level--
	}
	s.length--
}

// find returns the dict entry of member m, or dict.None.
func (s *skiplist) find(m []byte) uint32 { return s.d.Find(m) }

// scoreOf is the score of a dict entry.
func (s *skiplist) scoreOf(eid uint32) float64 { return math.Float64frombits(s.d.At(eid).Val) }

// remove deletes the member of dict entry eid.
func (s *skiplist) remove(eid uint32) {
	var update [maxLevel]uint32
	n := s.d.At(eid).Meta
	s.path(&update, s.score[n], s.member(n))
	s.unlink(n, &update)
	s.freeNode(n)
	s.d.Delete(eid)
	// Deletes leave id holes; filling some keeps the slabs dense.
	if s.d.Sparse() {
		s.d.Compact(2)
	}
}

// dropNode frees node n, unlinked already, and its member.
func (s *skiplist) dropNode(n uint32) {
	eid := s.elem[n]
	s.freeNode(n)
	s.d.Delete(eid)
}

// updateScore moves the member of entry eid to a new score, in place when
// its neighbours allow, as zslUpdateScore does.
func (s *skiplist) updateScore(eid uint32, score float64) {
	n := s.d.At(eid).Meta
	s.d.At(eid).Val = math.Float64bits(score)
	b, f := s.back[n], s.fwd(n, 0)
	m := s.member(n)
	if (b == 0 || s.before(b, score, m)) && (f == 0 || !s.before(f, score, m)) {
		s.score[n] = score
		return
	}
	var update [maxLevel]uint32
	s.path(&update, s.score[n], m)
	s.unlink(n, &update)
	s.freeNode(n)
	s.insertEntry(eid, score)
}

// rank returns the 1-based rank of the member of entry eid.
func (s *skiplist) rank(eid uint32) int {
	n := s.d.At(eid).Meta
	score, m := s.score[n], s.member(n)
	x, r := uint32(0), 0
	for i := s.level - 1; i >= 0; i-- {
		for f := s.fwd(x, i); f != 0 && (s.before(f, score, m) || f == n); f = s.fwd(x, i) {
			r += int(s.span(x, i))
			x = f
		}
		if x == n {
			return r
		}
	}
	return r
}

// byRank returns the node at 1-based rank r, or 0.
func (s *skiplist) byRank(r int) uint32 {
	x, traversed := uint32(0), 0
	for i := s.level - 1; i >= 0; i-- {
		for f := s.fwd(x, i); f != 0 && traversed+int(s.span(x, i)) <= r; f = s.fwd(x, i) {
			traversed += int(s.span(x, i))
			x = f
		}
		if traversed == r {
			return x
		}
	}
	return 0
}

// lastBefore returns the last node for which below is true (below must
// hold for a prefix of the list), the header if none, and its rank.
func (s *skiplist) lastBefore(below func(n uint32) bool) (uint32, int) {
	x, r := uint32(0), 0
	for i := s.level - 1; i >= 0; i-- {
		for f := s.fwd(x, i); f != 0 && below(f); f = s.fwd(x, i) {
			r += int(s.span(x, i))
			x = f
		}
	}
	return x, r
}

// deleteRank deletes the nodes of 1-based ranks start to end, inclusive,
// and returns how many it deleted.
func (s *skiplist) deleteRank(start, end int) int {
	var update [maxLevel]uint32
	x, traversed := uint32(0), 0
	for i := s.level - 1; i >= 0; i-- {
		for f := s.fwd(x, i); f != 0 && traversed+int(s.span(x, i)) < start; f = s.fwd(x, i) {
			traversed += int(s.span(x, i))
			x = f
		}
		update[i] = x
	}
	return s.deleteFrom(&update, func(uint32) bool { traversed++; return traversed <= end })
}

// deleteFrom deletes the nodes that follow update[0] while del says so.
func (s *skiplist) deleteFrom(update *[maxLevel]uint32, del func(n uint32) bool) int {
	removed := 0
	for x := s.fwd(update[0], 0); x != 0 && del(x); {
		next := s.fwd(x, 0)
		s.unlink(x, update)
		s.dropNode(x)
		removed++
		x = next
	}
	if removed > 0 && s.d.Sparse() {
		s.d.Compact(s.length)
	}
	return removed
}

// deleteRange deletes the run of nodes from the first for which below is
// false, while in says they are in the range.
func (s *skiplist) deleteRange(below, in func(n uint32) bool) int {
	var update [maxLevel]uint32
	x := uint32(0)
	for i := s.level - 1; i >= 0; i-- {
		for f := s.fwd(x, i); f != 0 && below(f); f = s.fwd(x, i) {
			x = f
		}
		update[i] = x
	}
	return s.deleteFrom(&update, in)
}

// release frees the member blobs held by the dict.
func (s *skiplist) release() {
	s.d.Clear()
	s.forgetNodes()
}

// forgetNodes takes the node slices out of the arena's count, for a
// skiplist given up whole (lazy freeing drains its dict, and its slices
// are garbage once its handle is released), and returns its dict.
func (s *skiplist) forgetNodes() *dict.Dict {
	s.a.ReportTables(&s.reported, 0)
	return s.d
}

// memoryUsage is the memory of the nodes and the dict, members excluded.
func (s *skiplist) memoryUsage() int {
	return int(s.nodesMemory() + s.d.MemoryUsage())
}
