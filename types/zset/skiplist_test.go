package zset

import (
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
)

// check verifies the skiplist against a model sorted by (score, member):
// order, back links, the tail, every level's spans, and rank lookups.
func check(t *testing.T, s *skiplist, model map[string]float64) {
	t.Helper()
	type pair struct {
		m string
		s float64
	}
	var want []pair
	for m, sc := range model {
		want = append(want, pair{m, sc})
	}
	slices.SortFunc(want, func(a, b pair) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		case a.m < b.m:
			return -1
		case a.m > b.m:
			return 1
		}
		return 0
	})
	if s.length != len(want) || s.d.Len() != len(want) {
		t.Fatalf("length %d, dict %d, want %d", s.length, s.d.Len(), len(want))
	}
	prev := uint32(0)
	rank := map[uint32]int{0: 0}
	i := 0
	for n := s.first(); n != 0; n = s.fwd(n, 0) {
		if string(s.member(n)) != want[i].m || s.score[n] != want[i].s {
			t.Fatalf("node %d is %q %v, want %v", i, s.member(n), s.score[n], want[i])
		}
		if s.back[n] != prev {
			t.Fatalf("node %q: back link %d, want %d", s.member(n), s.back[n], prev)
		}
		if s.d.At(s.elem[n]).Meta != n {
			t.Fatalf("node %q: dict entry points at node %d", s.member(n), s.d.At(s.elem[n]).Meta)
		}
		i++
		rank[n] = i
		prev = n
	}
	if s.tail != prev {
		t.Fatalf("tail %d, want %d", s.tail, prev)
	}
	for l := 0; l < s.level; l++ {
		for n := uint32(0); ; n = s.fwd(n, l) {
			f := s.fwd(n, l)
			if f == 0 {
				break
			}
			if int(s.span(n, l)) != rank[f]-rank[n] {
				t.Fatalf("level %d: span %d from rank %d to %d", l, s.span(n, l), rank[n], rank[f])
			}
		}
	}
	for n, r := range rank {
		if n == 0 {
			continue
		}
		if s.byRank(r) != n || s.rank(s.elem[n]) != r {
			t.Fatalf("rank %d: byRank %d, rank %d", r, s.byRank(r), s.rank(s.elem[n]))
		}
	}
}

func TestSkiplistInvariants(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	s := newSkiplist(arena.New())
	model := map[string]float64{}
	for step := range 5000 {
		m := "m" + strconv.Itoa(rng.IntN(300))
		sc := float64(rng.IntN(50))
		eid := s.find([]byte(m))
		switch op := rng.IntN(10); {
		case eid == dict.None && op < 6:
			s.insert([]byte(m), sc)
			model[m] = sc
		case eid != dict.None && op < 6:
			s.updateScore(eid, sc)
			model[m] = sc
		case eid != dict.None && op < 8:
			s.remove(eid)
			delete(model, m)
		case op == 8 && s.length > 0:
			start := 1 + rng.IntN(s.length)
			end := start + rng.IntN(5)
			for n, k := s.byRank(start), start; n != 0 && k <= end; n, k = s.fwd(n, 0), k+1 {
				delete(model, string(s.member(n)))
			}
			s.deleteRank(start, end)
		}
		if step%100 == 0 || step == 4999 {
			check(t, s, model)
		}
	}
}
