package stream

import (
	"math/rand/v2"
	"testing"
)

// listBytes counts a list's memory from scratch, as bytes keeps it.
func listBytes[T keyed](l *sortedList[T]) int64 {
	n := int64(cap(l.chunks)) * sliceHeader
	for _, ch := range l.chunks {
		n += int64(cap(ch)) * recordSize[T]()
	}
	return n
}

// The memory counts kept as PELs and consumers change (sortedList.bytes,
// group.consumerBytes) match a count from scratch after every step of a
// random run of deliveries, claims, acks and consumer deletions.
func TestGroupMemoryCounts(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	g := newGroup("g", ID{}, 0)
	var names [][]byte
	for i := range 8 {
		names = append(names, []byte("consumer-"+string(rune('a'+i))))
	}
	check := func(step int, g *group) {
		t.Helper()
		want := int64(0)
		for _, c := range g.consumers {
			if c.pel.bytes != listBytes(&c.pel) {
				t.Fatalf("step %d: consumer %s PEL counted %d, holds %d", step, c.name, c.pel.bytes, listBytes(&c.pel))
			}
			want += consumerSize(c)
		}
		if g.pel.bytes != listBytes(&g.pel) {
			t.Fatalf("step %d: group PEL counted %d, holds %d", step, g.pel.bytes, listBytes(&g.pel))
		}
		if g.consumerBytes != want {
			t.Fatalf("step %d: consumers counted %d, hold %d", step, g.consumerBytes, want)
		}
	}
	for step := range 200_000 {
		id := ID{ms: uint64(rng.IntN(5000))}
		cn := g.consumer(names[rng.IntN(len(names))], false, 0)
		if cn == nil {
			cn = g.createConsumer(names[rng.IntN(len(names))], 0)
		}
		switch r := rng.IntN(100); {
		case r < 50:
			if cn != nil {
				g.deliver(cn, id, 0)
			}
		case r < 60:
			if p := g.pel.get(id); p != nil && cn != nil {
				g.claim(p, cn)
			}
		case r < 99:
			g.ack(id)
		default:
			if cn != nil {
				g.deleteConsumer(cn)
			}
		}
		check(step, g)
	}
	// A clone is built tight: its counts start from its own capacities.
	check(-1, g.clone())
}
