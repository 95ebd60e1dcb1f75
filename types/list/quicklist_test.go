package list_test

import (
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/types/list"
)

// TestQuicklistLayoutMatchesRedis applies random operations to a quicklist
// and, as commands, to a list in the real redis-server, and after each one
// compares the elements and the node layout that DEBUG OBJECT reports: the
// number of nodes and the sum of their listpack sizes, which only match if
// nodes are filled, split and merged as Redis does. Set QUICKLIST_SEED to
// replay a run.
func TestQuicklistLayoutMatchesRedis(t *testing.T) {
	rng, seed := difftest.Seeded(t, "QUICKLIST_SEED", 0x9c1)
	r := difftest.Dial(t, difftest.StartRedis(t))
	defer list.SetPackedThreshold(0)
	for _, fill := range []int64{4, 1, 0, 7, -1, -2} {
		for _, packed := range []int64{0, 40} {
			r.Do("del", "l")
			r.Do("config", "set", "list-max-listpack-size", strconv.FormatInt(fill, 10))
			r.Do("debug", "quicklist-packed-threshold", strconv.FormatInt(packed, 10)+"b")
			list.SetPackedThreshold(packed)
			q := list.NewTestList(fill)
			var model []string
			value := func() string {
				switch rng.IntN(6) {
				case 0:
					return strconv.Itoa(rng.IntN(100000) - 50000)
				case 1:
					return strings.Repeat("x", rng.IntN(60))
				case 2:
					return strings.Repeat("y", 100+rng.IntN(400))
				}
				return "v" + strconv.Itoa(rng.IntN(20))
			}
			for step := range 1500 {
				cmd := applyRandom(rng, q, &model, value)
				if cmd == nil {
					continue
				}
				r.Do(cmd...)
				checkLayout(t, r, q, model, cmd)
				if t.Failed() {
					t.Fatalf("fill %d packed %d step %d: QUICKLIST_SEED=%d", fill, packed, step, seed)
				}
			}
		}
	}
}

// applyRandom performs one random operation on q and the model and
// returns the equivalent command, or nil if it chose none.
func applyRandom(rng *rand.Rand, q *list.TestList, model *[]string, value func() string) []string {
	m := *model
	n := len(m)
	idx := func() int { return rng.IntN(n) }
	switch op := rng.IntN(10); {
	case op < 4 || n == 0:
		v, head := value(), rng.IntN(2) == 0
		q.Push(v, head)
		if head {
			*model = append([]string{v}, m...)
			return []string{"lpush", "l", v}
		}
		*model = append(m, v)
		return []string{"rpush", "l", v}
	case op == 4:
		head := rng.IntN(2) == 0
		q.Pop(head)
		if head {
			*model = m[1:]
			return []string{"lpop", "l"}
		}
		*model = m[:n-1]
		return []string{"rpop", "l"}
	case op == 5:
		i, v := idx(), value()
		q.Replace(i, v)
		m[i] = v
		return []string{"lset", "l", strconv.Itoa(i), v}
	case op == 6:
		// LINSERT works at the first match: insert relative to a unique
		// pivot only.
		i, v, after := idx(), value(), rng.IntN(2) == 0
		pivot := m[i]
		for j := range i {
			if m[j] == m[i] {
				return nil
			}
		}
		q.Insert(i, after, v)
		at := i
		if after {
			at++
		}
		*model = slices.Insert(m, at, v)
		where := "before"
		if after {
			where = "after"
		}
		return []string{"linsert", "l", where, pivot, v}
	case op == 7 && n > 4:
		start, stop := rng.IntN(n/4+1), n-1-rng.IntN(n/4+1)
		q.DelRange(stop+1, n-stop-1)
		q.DelRange(0, start)
		*model = m[start : stop+1]
		return []string{"ltrim", "l", strconv.Itoa(start), strconv.Itoa(stop)}
	case op == 8:
		v := m[idx()]
		forward := rng.IntN(2) == 0
		var kept []string
		q.Rem(v, forward)
		for _, e := range m {
			if e != v {
				kept = append(kept, e)
			}
		}
		*model = kept
		count := "0"
		if !forward {
			count = "-1000"
		}
		return []string{"lrem", "l", count, v}
	case op == 9:
		count := rng.IntN(n) + 1
		head := rng.IntN(2) == 0
		if head {
			q.DelRange(0, count)
			*model = m[count:]
			return []string{"lpop", "l", strconv.Itoa(count)}
		}
		q.DelRange(n-count, count)
		*model = m[:n-count]
		return []string{"rpop", "l", strconv.Itoa(count)}
	}
	return nil
}

var (
	nodesRe = regexp.MustCompile(` ql_nodes:(\d+) `)
	sizeRe  = regexp.MustCompile(` ql_uncompressed_size:(\d+)`)
)

// checkLayout compares q with the model and with Redis's list l.
func checkLayout(t *testing.T, r *difftest.Conn, q *list.TestList, model []string, cmd []string) {
	t.Helper()
	elems, nodes, size, err := q.Check()
	if err != nil {
		t.Fatalf("after %q: %v", cmd, err)
	}
	if !slices.Equal(elems, model) {
		t.Fatalf("after %q: elements %q, model %q", cmd, elems, model)
	}
	var got []string
	for _, e := range r.DoValue("lrange", "l", "0", "-1").Elems {
		got = append(got, e.Str)
	}
	if !slices.Equal(got, model) {
		t.Fatalf("after %q: redis has %q, model %q", cmd, got, model)
	}
	if len(model) == 0 {
		if nodes != 0 {
			t.Fatalf("after %q: %d nodes in an empty list", cmd, nodes)
		}
		return
	}
	info := r.DoValue("debug", "object", "l").Str
	wantNodes := nodesRe.FindStringSubmatch(info)
	wantSize := sizeRe.FindStringSubmatch(info)
	if wantNodes == nil || wantSize == nil {
		t.Fatalf("DEBUG OBJECT: %q", info)
	}
	if strconv.Itoa(nodes) != wantNodes[1] || strconv.Itoa(size) != wantSize[1] {
		t.Errorf("after %q: %d nodes of %d bytes, redis %s nodes of %s bytes", cmd, nodes, size, wantNodes[1], wantSize[1])
	}
}
