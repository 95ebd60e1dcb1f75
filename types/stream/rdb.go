package stream

import (
	"encoding/binary"
	"math"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
)

// A stream travels in RDB as Redis 7.0 writes it, RDB_TYPE_STREAM_LISTPACKS_2
// (19), so that DUMP gives the same bytes as Redis for the same stream:
//
//	nodes:    len(n), then per node in key order: string(16-byte key)
//	          string(listpack)
//	metadata: len(length) len(last.ms) len(last.seq) len(first.ms)
//	          len(first.seq) len(maxDeleted.ms) len(maxDeleted.seq)
//	          len(entriesAdded)
//	groups:   len(n), then per group, in name order: string(name)
//	          len(last.ms) len(last.seq) len(entriesRead, -1 as 2^64-1)
//	          len(pel) then per pending entry: raw(16-byte ID) millis(time)
//	          len(count); len(consumers) then per consumer, in name order:
//	          string(name) millis(seen) len(pel) then raw(16-byte ID) ...
//
// IDs are written as Redis keys its radix trees: ms then seq, big-endian.
// RDB_TYPE_STREAM_LISTPACKS (15), from Redis before 7.0, lacks first,
// maxDeleted, entriesAdded and the groups' entriesRead; they are derived
// on loading as Redis derives them.
//
// Nodes are loaded as they are (Redis keeps them as they are, whatever
// stream-node-max-entries says) after a check of everything the commands
// rely on, so that no payload can make a later command panic or loop:
//
//   - each listpack passes listpack.Validate deep and has the node layout
//     of node.go exactly: integers where integers go, a zero master
//     terminator, flags that are a combination of DELETED and SAMEFIELDS,
//     the lp-count each entry must have, count and deleted equal to the
//     live and deleted entries, at least one entry;
//   - the first entry of a node has the node's key as ID (deltas 0-0) and
//     the node keys increase strictly;
//   - the live entries increase strictly across the whole stream, each
//     below the next node's key; their number is the stream's length and
//     the last ID is at least the greatest of them.
//
// Deleted entries are not required to be in order, nor live ones to be
// above their node's key: Redis lets XSETID move the last ID below a
// deleted entry (it only looks at live ones, and at none in an empty
// stream), so that a later XADD appends an entry with a smaller ID than
// that tombstone, or than the node's key, in the same node, and such a
// stream must still travel. For the same reason a node may hold no live
// entry (XTRIM MINID can leave one).
//
// Where Redis accepts more, it is in what it never writes: integers
// stored as digit strings in a node, flags other than its own, a
// listpack header count that is wrong, names out of order.
//
// Groups and consumers must come in strictly increasing name order, as
// Redis writes them: this also rules out duplicates, and keeps loading
// linear. A group's PEL must be in strictly increasing ID order; each ID of
// a consumer's PEL must be in the group's PEL and belong to no other
// consumer, and every entry of the group's PEL must belong to a consumer.
// Counts are checked against the bytes left before anything is sized
// from them.

// putID appends an ID as Redis's radix trees key it: 16 bytes big-endian.
func putID(b []byte, id ID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.ms)
	return binary.BigEndian.AppendUint64(b, id.seq)
}

func rawID(b []byte) ID {
	return ID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// saveValue writes a stream in RDB encoding and returns its type.
func saveValue(ks *keyspace.Keyspace, _ keyspace.Encoding, val uint64, w *rdb.Encoder) byte {
	s := object(ks, val)
	var key [16]byte
	w.Len(uint64(len(s.nodes)))
	for _, nd := range s.nodes {
		w.String(putID(key[:0], nd.master))
		w.String(ks.Arena.Get(nd.ref))
	}
	w.Len(s.length)
	for _, id := range []ID{s.last, s.first, s.maxDeleted} {
		w.Len(id.ms)
		w.Len(id.seq)
	}
	w.Len(s.entriesAdded)
	w.Len(uint64(len(s.groups)))
	for _, g := range s.groups {
		w.String([]byte(g.name))
		w.Len(g.last.ms)
		w.Len(g.last.seq)
		w.Len(uint64(g.entriesRead))
		w.Len(uint64(g.pel.len()))
		g.pel.each(ID{}, func(p *pending) bool {
			w.Raw(putID(key[:0], p.id))
			w.Millis(p.time)
			w.Len(p.count)
			return true
		})
		w.Len(uint64(len(g.consumers)))
		for _, cn := range g.consumers {
			w.String([]byte(cn.name))
			w.Millis(cn.seen)
			w.Len(uint64(cn.pel.len()))
			cn.pel.each(ID{}, func(id *ID) bool {
				w.Raw(putID(key[:0], *id))
				return true
			})
		}
	}
	return rdb.TypeStreams2
}

// loadValue is the keyspace.Loader of streams.
func loadValue(ks *keyspace.Keyspace, _ *config.Values, t byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	s := &stream{}
	if !s.load(ks.Arena, t, d) || d.Err() != nil {
		s.free(ks.Arena)
		d.Fail()
		return 0, 0, false
	}
	s.account(ks.Arena)
	return keyspace.EncStream, ks.NewObject(s), true
}

func readID(d *rdb.Decoder) ID {
	ms := d.Len()
	seq := d.Len()
	return ID{ms, seq}
}

// Smallest encodings, to bound counts by the bytes left: a node is two
// strings of at least 4 bytes (an LZF string: type, two lengths, data), a
// group at least five lengths, a pending entry an ID, a time and a
// length, a consumer a name, a time and a length.
const (
	minNodeSize     = 8
	minGroupSize    = 5
	minPendingSize  = 16 + 8 + 1
	minConsumerSize = 1 + 8 + 1
)

// load reads a stream of RDB type t into s, which the caller frees on
// failure.
func (s *stream) load(a *arena.Arena, t byte, d *rdb.Decoder) bool {
	n := d.Count(minNodeSize)
	if d.Err() != nil {
		return false
	}
	s.nodes = make([]node, 0, n)
	var live nodeCheck
	for i := 0; i < n; i++ {
		key := d.String()
		if d.Err() != nil || len(key) != 16 {
			return false
		}
		master := rawID(key)
		lp := d.String()
		if d.Err() != nil {
			return false
		}
		if i > 0 && !s.nodes[i-1].master.less(master) {
			return false
		}
		if !live.node(lp, master) {
			return false
		}
		s.nodes = append(s.nodes, node{master: master, ref: a.New(lp)})
	}
	s.length = d.Len()
	s.last = readID(d)
	if t == rdb.TypeStreams2 {
		s.first = readID(d)
		s.maxDeleted = readID(d)
		s.entriesAdded = d.Len()
	} else {
		// As Redis's streamGetEdgeID: the first live entry, or the
		// largest ID when there is none.
		s.entriesAdded = s.length
		var ok bool
		if s.first, ok = s.edge(a, false); !ok {
			s.first = maxID
		}
	}
	if d.Err() != nil || live.count != s.length || live.any && s.last.less(live.last) {
		return false
	}
	ng := d.Count(minGroupSize)
	for i := 0; i < ng && d.Err() == nil; i++ {
		name := string(d.String())
		if d.Err() != nil || i > 0 && s.groups[i-1].name >= name {
			return false
		}
		g := newGroup(name, readID(d), -1)
		if t == rdb.TypeStreams2 {
			switch read := d.Len(); {
			case read == math.MaxUint64:
			case read > math.MaxInt64:
				return false
			default:
				g.entriesRead = int64(read)
			}
		} else {
			g.entriesRead = s.estimateRead(g.last)
		}
		s.addGroup(g)
		if !g.load(d) {
			return false
		}
	}
	return d.Err() == nil
}

// load reads a group's PEL and consumers.
func (g *group) load(d *rdb.Decoder) bool {
	n := d.Count(minPendingSize)
	for i := 0; i < n; i++ {
		raw := d.Raw(16)
		if raw == nil {
			return false
		}
		p := pending{id: rawID(raw), time: d.Millis(), count: d.Len()}
		if d.Err() != nil || i > 0 && !g.pel.last().id.less(p.id) {
			return false
		}
		g.pel.insert(p)
	}
	n = d.Count(minConsumerSize)
	for i := 0; i < n; i++ {
		name := d.String()
		if d.Err() != nil || i > 0 && g.consumers[i-1].name >= string(name) {
			return false
		}
		cn := g.createConsumer(name, 0)
		cn.seen = d.Millis()
		for k := d.Count(16); k > 0; k-- {
			raw := d.Raw(16)
			if raw == nil {
				return false
			}
			id := rawID(raw)
			p := g.pel.get(id)
			if p == nil || p.consumer != 0 {
				return false
			}
			p.consumer = cn.num
			g.consumerInsert(cn, id)
		}
	}
	owned := true
	g.pel.each(ID{}, func(p *pending) bool {
		owned = p.consumer != 0
		return owned
	})
	return owned && d.Err() == nil
}

// nodeCheck checks the nodes of a stream in order, keeping what spans
// them: the live entries seen and the greatest.
type nodeCheck struct {
	count uint64
	last  ID // the last live entry, if any
	any   bool
}

// node checks a node's listpack, loaded under the key master.
func (c *nodeCheck) node(lp []byte, master ID) bool {
	if listpack.Validate(lp, true) != nil {
		return false
	}
	if c.any && !c.last.less(master) {
		return false
	}
	r := nodeReader{lp: lp, off: listpack.First(lp), ok: true}
	count := r.int()
	deleted := r.int()
	mfields := r.int()
	if mfields < 0 {
		return false
	}
	r.skip(mfields)
	if r.int() != 0 || !r.ok {
		return false
	}
	var nlive, ndead int64
	for first := true; r.off >= 0; first = false {
		flags := r.int()
		id := ID{master.ms + uint64(r.int()), master.seq + uint64(r.int())}
		if flags&^(flagDeleted|flagSameFields) != 0 || first && id != master {
			return false
		}
		nf := mfields
		if flags&flagSameFields == 0 {
			if nf = r.int(); nf < 0 {
				return false
			}
			r.skip(nf)
		}
		r.skip(nf)
		if !r.ok {
			return false
		}
		// As node.go counts: the values, the flags and deltas, and for
		// an entry with its own fields the fields and their number. nf
		// is small now: that many elements were there.
		lpCount := nf + 3
		if flags&flagSameFields == 0 {
			lpCount += nf + 1
		}
		if r.int() != lpCount || !r.ok {
			return false
		}
		if flags&flagDeleted != 0 {
			ndead++
			continue
		}
		if c.any && !c.last.less(id) {
			return false
		}
		c.last, c.any = id, true
		nlive++
	}
	if nlive+ndead == 0 || nlive != count || ndead != deleted {
		return false
	}
	c.count += uint64(nlive)
	return true
}

// nodeReader reads the elements of a validated listpack in order; ok
// turns false when an element is missing or not the integer expected.
type nodeReader struct {
	lp  []byte
	off int
	ok  bool
}

func (r *nodeReader) int() int64 {
	if !r.ok || r.off < 0 {
		r.ok = false
		return 0
	}
	_, n, isInt := listpack.Get(r.lp, r.off)
	if !isInt {
		r.ok = false
		return 0
	}
	r.off = listpack.Next(r.lp, r.off)
	return n
}

func (r *nodeReader) skip(n int64) {
	for ; n > 0 && r.ok; n-- {
		if r.off < 0 {
			r.ok = false
			return
		}
		r.off = listpack.Next(r.lp, r.off)
	}
}
