package arena

// Compaction (Redoubt's answer to incident 6, fragmentation): under
// churn, freed slots are scattered over pages that each keep a few live
// blobs, so the arena maps far more than its blobs hold, and a page goes
// back to the operating system only when its last blob is freed. A
// compaction pass drains the sparse pages: BeginCompaction marks, in
// each class with more than one page, the pages less than half full as
// draining, which takes them out of allocation; the keyspace then walks
// every key and moves each blob it finds in a draining page (Move) to a
// slot of a page in service; a draining page whose last blob leaves is
// released. EndCompaction puts back in service the draining pages the
// walk could not empty (blobs it does not reach, such as those of values
// waiting to be freed lazily).
//
// Redis's active defragmentation does the same with jemalloc's hint of
// which allocations sit in low-utilisation slabs; here the arena knows
// its pages, so the hint is exact.

// BeginCompaction marks the sparse pages as draining and returns how
// many it marked. Pages of a class that has a single page are left: the
// walk would only move its blobs into a new page.
func (a *Arena) BeginCompaction() int {
	n := 0
	perClass := make([]int, len(classSizes))
	for i := 1; i < len(a.pages); i++ {
		if p := &a.pages[i]; p.mem != nil && p.class != large {
			perClass[p.class]++
		}
	}
	for i := 1; i < len(a.pages); i++ {
		p := &a.pages[i]
		if p.mem == nil || p.class == large || p.draining || perClass[p.class] < 2 {
			continue
		}
		if slots := uint32(len(p.mem) / classSizes[p.class]); p.used*2 < slots {
			if p.avail != 0 {
				a.removeAvail(int(p.class), uint32(i))
			}
			p.draining = true
			a.draining++
			n++
		}
	}
	return n
}

// Draining reports whether the blob r is in a page being drained, which
// Move would take it out of.
func (a *Arena) Draining(r Ref) bool {
	return a.draining > 0 && a.pages[r.page()].draining
}

// Move copies the blob r to a slot outside the draining pages, frees r,
// and returns the new Ref. Slices of r are invalid afterwards.
func (a *Arena) Move(r Ref) Ref {
	class := int(a.pages[r.page()].class)
	nr, dst := a.allocSlot(class)
	// allocSlot may grow a.pages: index it again.
	off := int(r.offset())
	copy(dst, a.pages[r.page()].mem[off:off+classSizes[class]])
	a.Free(r)
	return nr
}

// EndCompaction ends a pass: the draining pages still holding blobs go
// back into service. Their number is kept for Unreached.
func (a *Arena) EndCompaction() {
	a.unreached = a.draining
	if a.draining == 0 {
		return
	}
	for i := 1; i < len(a.pages); i++ {
		if p := &a.pages[i]; p.draining {
			p.draining = false
			if p.free != 0 || int(p.bump)+classSizes[p.class] <= len(p.mem) {
				a.pushAvail(int(p.class), uint32(i))
			}
		}
	}
	a.draining = 0
}

// Unreached is how many pages the last pass left draining because blobs
// the walk did not reach were still in them.
func (a *Arena) Unreached() int { return a.unreached }

// Fragmentation is what the arena maps beyond what its blobs hold.
func (a *Arena) Fragmentation() int64 { return a.mapped - a.allocated }
