package keyspace

import (
	"bytes"
	"sort"
)

// HotKeys finds the most accessed keys under any eviction policy
// (incident 3: a hot key that expires sends every client to the
// database at once, and Redis shows hot keys only under an LFU policy).
// One access in Every, on average, is counted in a Space-Saving summary
// of Slots keys (the gap between two counted accesses is drawn at random
// around Every, so traffic that repeats with the sampling's period, such
// as two keys read in turn, is not seen through one key only): a key that takes more than 1/Slots of the sampled accesses is
// in it, with a count that overestimates by at most the smallest count.
// Decay halves the counts, so the summary follows the recent traffic.
// It allocates nothing once its slots have held keys as long as the
// ones that come.
type HotKeys struct {
	// Every is the sampling period in accesses.
	Every uint32
	// n is the number of accesses until the next counted one; rnd is
	// the state of the xorshift generator that draws it.
	n     uint32
	rnd   uint32
	slots [hotSlots]hotSlot
	used  int
}

const hotSlots = 64

type hotSlot struct {
	db    int
	key   []byte
	count uint64
}

// Hot is a key of the summary and its estimated sampled accesses.
type Hot struct {
	DB    int
	Key   string
	Count uint64
}

func (h *HotKeys) access(db *DB, id uint32) {
	if h.n > 1 {
		h.n--
		return
	}
	h.n = h.gap()
	key := db.dict.Key(id)
	for i := range h.slots[:h.used] {
		if s := &h.slots[i]; s.db == db.ID && bytes.Equal(s.key, key) {
			s.count++
			return
		}
	}
	if h.used < hotSlots {
		s := &h.slots[h.used]
		h.used++
		s.db, s.key, s.count = db.ID, append(s.key[:0], key...), 1
		return
	}
	m := 0
	for i := range h.slots {
		if h.slots[i].count < h.slots[m].count {
			m = i
		}
	}
	s := &h.slots[m]
	s.db, s.key = db.ID, append(s.key[:0], key...)
	s.count++
}

// gap draws the number of accesses to the next counted one, uniform in
// [1, 2*Every-1]: Every on average.
func (h *HotKeys) gap() uint32 {
	if h.Every <= 1 {
		return 1
	}
	if h.rnd == 0 {
		h.rnd = 0x9e3779b9
	}
	h.rnd ^= h.rnd << 13
	h.rnd ^= h.rnd >> 17
	h.rnd ^= h.rnd << 5
	return 1 + h.rnd%(2*h.Every-1)
}

// Decay halves every count.
func (h *HotKeys) Decay() {
	for i := range h.slots[:h.used] {
		h.slots[i].count /= 2
	}
}

// Top returns up to n keys, the most accessed first.
func (h *HotKeys) Top(n int) []Hot {
	out := make([]Hot, 0, h.used)
	for _, s := range h.slots[:h.used] {
		if s.count > 0 {
			out = append(out, Hot{s.db, string(s.key), s.count})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Count > out[j].Count })
	return out[:min(n, len(out))]
}
