package stream

import (
	"slices"
	"sort"

	"github.com/redoubt-db/redoubt/command"
)

// group is a consumer group. Its PEL holds every entry delivered and not
// acknowledged; each consumer's PEL lists the IDs of those delivered to
// it last. A pending record names its consumer by a number, so that the
// records hold no pointers.
type group struct {
	name        string
	last        ID
	entriesRead int64 // -1 when unknown (Redis's SCG_INVALID_ENTRIES_READ)
	pel         sortedList[pending]
	consumers   []*consumer // sorted by name
	byNum       map[uint32]*consumer
	nextNum     uint32
	// consumerBytes is what the consumers take (records, names, PELs,
	// the byNum entries), kept as they change: the group's memory is
	// known without a walk of its consumers (bytes).
	consumerBytes int64
}

type consumer struct {
	name string
	num  uint32
	seen int64 // Unix ms of the last command that named it
	pel  sortedList[ID]
}

type pending struct {
	id       ID
	time     int64 // last delivery, Unix ms
	count    uint64
	consumer uint32
}

func (p pending) key() ID { return p.id }
func (a ID) key() ID      { return a }

// Rough sizes of the Go records, for MEMORY USAGE and used_memory: a
// group's and a consumer's own records, and a consumer's entry in byNum.
const (
	groupOverhead    = 160
	consumerOverhead = 96
)

// consumerSize is a consumer's share of consumerBytes.
func consumerSize(cn *consumer) int64 {
	return consumerOverhead + int64(len(cn.name)) + cn.pel.bytes
}

// bytes is the memory of the group's Go records.
func (g *group) bytes() int64 {
	return groupOverhead + int64(len(g.name)) + g.pel.bytes + int64(cap(g.consumers))*8 + g.consumerBytes
}

// consumerInsert and consumerRemove change a consumer's PEL, counting
// its growth in the group's.
func (g *group) consumerInsert(cn *consumer, id ID) {
	before := cn.pel.bytes
	cn.pel.insert(id)
	g.consumerBytes += cn.pel.bytes - before
}

func (g *group) consumerRemove(cn *consumer, id ID) {
	before := cn.pel.bytes
	cn.pel.remove(id)
	g.consumerBytes += cn.pel.bytes - before
}

func newGroup(name string, last ID, entriesRead int64) *group {
	return &group{name: name, last: last, entriesRead: entriesRead, byNum: map[uint32]*consumer{}}
}

// group returns the group called name, or nil.
func (s *stream) group(name []byte) *group {
	i := s.groupPos(name)
	if i < len(s.groups) && s.groups[i].name == string(name) {
		return s.groups[i]
	}
	return nil
}

func (s *stream) groupPos(name []byte) int {
	return sort.Search(len(s.groups), func(i int) bool { return s.groups[i].name >= string(name) })
}

// addGroup creates a group unless one has the name; it reports success.
func (s *stream) addGroup(g *group) bool {
	i := s.groupPos([]byte(g.name))
	if i < len(s.groups) && s.groups[i].name == g.name {
		return false
	}
	s.groups = append(s.groups, nil)
	copy(s.groups[i+1:], s.groups[i:])
	s.groups[i] = g
	return true
}

func (s *stream) deleteGroup(name []byte) bool {
	i := s.groupPos(name)
	if i == len(s.groups) || s.groups[i].name != string(name) {
		return false
	}
	s.groups = append(s.groups[:i], s.groups[i+1:]...)
	return true
}

func (g *group) consumerPos(name []byte) int {
	return sort.Search(len(g.consumers), func(i int) bool { return g.consumers[i].name >= string(name) })
}

// consumer finds a consumer; refresh updates its seen time to now, as
// every command but XPENDING and XGROUP DELCONSUMER does.
func (g *group) consumer(name []byte, refresh bool, now int64) *consumer {
	i := g.consumerPos(name)
	if i < len(g.consumers) && g.consumers[i].name == string(name) {
		if refresh {
			g.consumers[i].seen = now
		}
		return g.consumers[i]
	}
	return nil
}

// createConsumer adds a consumer, unless one has the name (then nil).
func (g *group) createConsumer(name []byte, now int64) *consumer {
	i := g.consumerPos(name)
	if i < len(g.consumers) && g.consumers[i].name == string(name) {
		return nil
	}
	g.nextNum++
	cn := &consumer{name: string(name), num: g.nextNum, seen: now}
	g.consumers = append(g.consumers, nil)
	copy(g.consumers[i+1:], g.consumers[i:])
	g.consumers[i] = cn
	g.byNum[cn.num] = cn
	g.consumerBytes += consumerSize(cn)
	return cn
}

// deleteConsumer removes a consumer and its pending entries.
func (g *group) deleteConsumer(cn *consumer) {
	cn.pel.each(ID{}, func(id *ID) bool {
		g.pel.remove(*id)
		return true
	})
	i := g.consumerPos([]byte(cn.name))
	g.consumers = slices.Delete(g.consumers, i, i+1)
	delete(g.byNum, cn.num)
	g.consumerBytes -= consumerSize(cn)
}

// getOrCreateConsumer is what XREADGROUP, XCLAIM and XAUTOCLAIM do to
// name a consumer: a new one fires xgroup-createconsumer and counts as a
// change.
func getOrCreateConsumer(c *command.Ctx, g *group, key, name []byte) *consumer {
	c.DB.WillChange(key)
	if cn := g.consumer(name, true, c.KS.Now()); cn != nil {
		return cn
	}
	cn := g.createConsumer(name, c.KS.Now())
	c.Dirty++
	c.Notify(command.EvStream, "xgroup-createconsumer", key)
	return cn
}

// ack removes id from the group's PEL and its consumer's.
func (g *group) ack(id ID) bool {
	p := g.pel.get(id)
	if p == nil {
		return false
	}
	g.consumerRemove(g.byNum[p.consumer], id)
	g.pel.remove(id)
	return true
}

// deliver records that id was delivered to cn now (XREADGROUP): a new
// pending entry, or one moved from its previous consumer with its count
// reset.
func (g *group) deliver(cn *consumer, id ID, now int64) {
	if p := g.pel.get(id); p != nil {
		if p.consumer != cn.num {
			g.consumerRemove(g.byNum[p.consumer], id)
		}
		p.consumer, p.time, p.count = cn.num, now, 1
	} else {
		g.pel.insert(pending{id: id, time: now, count: 1, consumer: cn.num})
	}
	g.consumerInsert(cn, id)
}

// claim gives the pending entry p to cn (XCLAIM, XAUTOCLAIM).
func (g *group) claim(p *pending, cn *consumer) {
	if p.consumer != cn.num {
		if old := g.byNum[p.consumer]; old != nil {
			g.consumerRemove(old, p.id)
		}
		p.consumer = cn.num
		g.consumerInsert(cn, p.id)
	}
}

// lag replies with the group's lag (Redis's streamReplyWithCGLag): the
// entries added after the group's last delivered one, or null when that
// cannot be known.
func (s *stream) writeLag(c *command.Ctx, g *group) {
	switch {
	case s.entriesAdded == 0:
		c.W.Int(0)
	case g.entriesRead >= 0 && !s.hasTombstones(g.last, maxID):
		c.W.Int(int64(s.entriesAdded) - g.entriesRead)
	default:
		if read := s.estimateRead(g.last); read >= 0 {
			c.W.Int(int64(s.entriesAdded) - read)
		} else {
			c.W.Null()
		}
	}
}

// hasTombstones reports whether entries between start and end may have
// been deleted (Redis's streamRangeHasTombstones).
func (s *stream) hasTombstones(start, end ID) bool {
	if s.length == 0 || s.maxDeleted.isZero() || s.maxDeleted.less(s.first) {
		return false
	}
	return !s.maxDeleted.less(start) && !end.less(s.maxDeleted)
}

// estimateRead is Redis's streamEstimateDistanceFromFirstEverEntry: how
// many entries were added up to id, or -1 if that cannot be known.
func (s *stream) estimateRead(id ID) int64 {
	if s.entriesAdded == 0 {
		return 0
	}
	cmpLast := id.cmp(s.last)
	if s.length == 0 && cmpLast < 1 {
		return int64(s.entriesAdded)
	}
	if cmpLast == 0 {
		return int64(s.entriesAdded)
	} else if cmpLast > 0 {
		return -1
	}
	if s.maxDeleted.isZero() || s.maxDeleted.less(s.first) {
		switch id.cmp(s.first) {
		case -1:
			return int64(s.entriesAdded - s.length)
		case 0:
			return int64(s.entriesAdded - s.length + 1)
		}
	}
	return -1
}

// advance moves the group's last delivered ID to id, keeping entries_read
// as Redis does when it serves new entries.
func (s *stream) advance(g *group, id ID) {
	if g.entriesRead >= 0 && !s.hasTombstones(id, maxID) {
		g.entriesRead++
	} else if s.entriesAdded > 0 {
		g.entriesRead = s.estimateRead(id)
	}
	g.last = id
}

func (g *group) clone() *group {
	out := newGroup(g.name, g.last, g.entriesRead)
	out.pel = g.pel.clone()
	out.nextNum = g.nextNum
	for _, cn := range g.consumers {
		cp := &consumer{name: cn.name, num: cn.num, seen: cn.seen, pel: cn.pel.clone()}
		out.consumers = append(out.consumers, cp)
		out.byNum[cp.num] = cp
		out.consumerBytes += consumerSize(cp)
	}
	return out
}
