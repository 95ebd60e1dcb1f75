package dict

import (
	"unsafe"

	"github.com/redoubt-db/redoubt/internal/prefetch"
)

// A look-up waits on three dependent loads: the bucket, the chain's
// first entry, the entry's key. For a batch of look-ups, a caller issues
// each stage for every key before the next stage (PrefetchBucket for
// all, then PrefetchEntry for all, then PrefetchKey for all), so that
// the batch's misses overlap; the look-ups then find their lines loaded.
// PrefetchKey hands back the entry, whose value only the owner knows how
// to fetch.
// Each stage reads only what the one before fetched. The stages are
// hints: they change nothing, and a key that is not there costs one
// wasted fetch.

// PrefetchBucket fetches the buckets of hash h (Hash's).
func (d *Dict) PrefetchBucket(h uint32) {
	for ti := range d.t {
		t := &d.t[ti]
		if len(t.b) == 0 {
			return
		}
		prefetch.Line(unsafe.Pointer(&t.b[uint64(h)&t.mask]))
		if d.rehash < 0 {
			return
		}
	}
}

// PrefetchEntry fetches the first entry of the chains of hash h.
func (d *Dict) PrefetchEntry(h uint32) {
	for ti := range d.t {
		t := &d.t[ti]
		if len(t.b) == 0 {
			return
		}
		if n := t.b[uint64(h)&t.mask]; n != 0 {
			prefetch.Line(unsafe.Pointer(d.At(n - 1)))
		}
		if d.rehash < 0 {
			return
		}
	}
}

// PrefetchKey fetches the key of the first entry of the chains of hash
// h when its tag matches h's (the blob the look-up compares), and
// returns that entry for the owner to fetch its value, or nil.
func (d *Dict) PrefetchKey(h uint32) *Entry {
	tag := tagOf(h)
	for ti := range d.t {
		t := &d.t[ti]
		if len(t.b) == 0 {
			return nil
		}
		if n := t.b[uint64(h)&t.mask]; n != 0 {
			if e := d.At(n - 1); e.key&tagMask == tag {
				d.a.Prefetch(e.KeyRef())
				return e
			}
		}
		if d.rehash < 0 {
			return nil
		}
	}
	return nil
}
