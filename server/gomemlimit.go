package server

import (
	"math"
	"runtime/debug"
)

// The Go runtime's soft memory limit follows maxmemory (incident 6: a
// node whose resident memory grew far past maxmemory under churn, until
// the kernel killed it). The dataset lives in the arena, off the Go heap
// and out of the runtime's sight; what the heap holds is client buffers,
// replies being built, big collections' tables and the Lua states, and
// its garbage is what makes resident memory swing. With the limit at
// what maxmemory leaves once the arena is counted, the collector runs
// sooner as the two together near maxmemory, instead of letting the heap
// double before each cycle (GOGC). A floor keeps the collector from
// running without end when the dataset alone fills maxmemory: past the
// limit the heap may still grow, it is a soft limit. Without maxmemory,
// or with GOMEMLIMIT set in the environment, the runtime's own setting
// stands.

// goLimitFloor is the least the limit leaves the Go heap.
const goLimitFloor = 64 << 20

type goLimit struct {
	on  bool  // the server owns its process (Options.GoMemoryLimit)
	set int64 // the limit last set, 0 for none
}

// followGoMemoryLimit sets the runtime's limit from maxmemory and the
// arena's mapped memory. The cron calls it under the engine lock.
func (s *Server) followGoMemoryLimit() {
	g := &s.goLimit
	if !g.on {
		return
	}
	if s.cfg.MaxMemory <= 0 {
		if g.set != 0 {
			debug.SetMemoryLimit(math.MaxInt64)
			g.set = 0
		}
		return
	}
	lim := max(s.cfg.MaxMemory-s.ks.Arena.Mapped(), goLimitFloor)
	// Small moves are not worth a call into the runtime.
	if d := lim - g.set; d > 1<<20 || d < -1<<20 {
		debug.SetMemoryLimit(lim)
		g.set = lim
	}
}
