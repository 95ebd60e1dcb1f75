package stream_test

import (
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestRandomStreamOps runs random XADD/XDEL/XTRIM/XRANGE/XREADGROUP/XACK
// commands with explicit IDs against both servers, with small nodes so
// that node boundaries are crossed often. STREAM_SEED replays a run.
func TestRandomStreamOps(t *testing.T) {
	rng, seed := difftest.Seeded(t, "STREAM_SEED", 0)
	p := difftest.NewPair(t)
	p.Do("config", "set", "stream-node-max-entries", "5")
	p.Do("xgroup", "create", "s", "g", "0", "mkstream")
	ms := 1
	id := func() string {
		return strconv.Itoa(1+rng.IntN(ms+1)) + "-" + strconv.Itoa(rng.IntN(3))
	}
	fields := []string{"a", "b", "c"}
	for i := 0; i < 1500; i++ {
		switch rng.IntN(10) {
		case 0, 1, 2:
			ms += rng.IntN(2)
			args := []string{"xadd", "s"}
			if rng.IntN(4) == 0 {
				args = append(args, "maxlen", []string{"~", "="}[rng.IntN(2)], strconv.Itoa(rng.IntN(30)))
			}
			args = append(args, strconv.Itoa(ms)+"-"+strconv.Itoa(rng.IntN(5)))
			for n := 1 + rng.IntN(3); n > 0; n-- {
				args = append(args, fields[rng.IntN(len(fields))], strconv.Itoa(rng.IntN(1000)))
			}
			p.Do(args...)
		case 3:
			p.Do("xdel", "s", id(), id())
		case 4:
			if rng.IntN(2) == 0 {
				p.Do("xtrim", "s", "minid", "~", id())
			} else {
				p.Do("xtrim", "s", "maxlen", strconv.Itoa(rng.IntN(40)))
			}
		case 5:
			p.Do("xrange", "s", id(), "+", "count", strconv.Itoa(rng.IntN(6)))
		case 6:
			p.Do("xrevrange", "s", "+", id(), "count", strconv.Itoa(1+rng.IntN(6)))
		case 7:
			p.Do("xreadgroup", "group", "g", "c"+strconv.Itoa(rng.IntN(3)), "count", strconv.Itoa(1+rng.IntN(4)), "streams", "s", ">")
		case 8:
			p.Do("xack", "s", "g", id(), id(), id())
		case 9:
			p.Do("xinfo", "stream", "s")
			p.Do("xinfo", "groups", "s")
		}
		if t.Failed() {
			t.Fatalf("diverged at step %d (seed %d)", i, seed)
		}
	}
	p.Do("xrange", "s", "-", "+")
	p.Do("xpending", "s", "g")
}
