// Package stream implements the stream commands (Redis's t_stream.c).
//
// A stream's entries live in listpack nodes laid out byte for byte as
// Redis lays them out (see node.go), each node an arena blob, so that the
// entries cost the garbage collector nothing and can be written to RDB
// files as they are. Where Redis indexes the nodes with a radix tree keyed
// by their master IDs, a stream here keeps a sorted slice of (master ID,
// blob) records: nodes are only ever appended at the tail and trimmed at
// the head, so the slice is as fast and much smaller. The stream's
// metadata (length, last ID, first ID, max deleted ID, entries added) and
// its consumer groups are a small Go object in the keyspace's object
// table, OBJECT ENCODING "stream".
//
// Deleting an entry flags it in its node, as Redis does; a node whose
// entries are all deleted is freed. Trimming follows Redis's algorithm
// exactly (whole nodes first, then, unless "~", entries of the head node),
// so that lengths after approximate trimming match Redis's given the same
// stream-node-max-entries and stream-node-max-bytes.
//
// Consumer groups keep their pending entries in chunked sorted slices of
// plain records (pel.go). XREAD and XREADGROUP block with the server's
// blocking machinery (read.go).
package stream

import (
	"strconv"

	"math"

	"github.com/redoubt-db/redoubt/command"
)

// Register adds the stream commands to t.
func Register(t *command.Table) {
	t.Handle("xadd", xadd)
	t.Handle("xrange", func(c *command.Ctx) { xrange(c, false) })
	t.Handle("xrevrange", func(c *command.Ctx) { xrange(c, true) })
	t.Handle("xlen", xlen)
	t.Handle("xdel", xdel)
	t.Handle("xtrim", xtrim)
	t.Handle("xsetid", xsetid)
	t.Handle("xread", func(c *command.Ctx) { xread(c, false) })
	t.Handle("xreadgroup", func(c *command.Ctx) { xread(c, true) })
	t.Handle("xack", xack)
	t.Handle("xpending", xpending)
	t.Handle("xclaim", xclaim)
	t.Handle("xautoclaim", xautoclaim)
	for _, sub := range []string{"create", "setid", "destroy", "createconsumer", "delconsumer", "help"} {
		t.Handle("xgroup|"+sub, xgroup)
	}
	for _, sub := range []string{"stream", "groups", "consumers", "help"} {
		t.Handle("xinfo|"+sub, xinfo)
	}
}

// subcommandErr is Redis's addReplySubcommandSyntaxError.
func subcommandErr(c *command.Ctx) {
	name := c.Args[1]
	if len(name) > 128 {
		name = name[:128]
	}
	cmd := []byte(c.Args[0])
	for i, ch := range cmd {
		if 'a' <= ch && ch <= 'z' {
			cmd[i] = ch - 'a' + 'A'
		}
	}
	c.Err("ERR unknown subcommand or wrong number of arguments for '" + string(name) + "'. Try " + string(cmd) + " HELP.")
}

// addArgs are the options of XADD and XTRIM.
type addArgs struct {
	trimArgs
	id       ID
	idGiven  bool
	seqAuto  bool // "ms-*"
	noCreate bool
}

// parseAddArgs parses the options of XADD (xadd set) or XTRIM, as Redis's
// streamParseAddOrTrimArgsOrReply does, and returns the position of
// XADD's ID, or -1 after replying with an error.
func parseAddArgs(c *command.Ctx, xadd bool, a *addArgs) int {
	i := 2
	limitGiven := false
	for ; i < len(c.Args); i++ {
		more := len(c.Args) - 1 - i
		opt := c.Args[i]
		switch {
		case xadd && len(opt) == 1 && opt[0] == '*':
			return parseAddEnd(c, a, limitGiven, i)
		case (command.EqualFold(opt, "maxlen") || command.EqualFold(opt, "minid")) && more > 0:
			if a.strategy != trimNone {
				c.Err("ERR syntax error, MAXLEN and MINID options at the same time are not compatible")
				return -1
			}
			a.approx = false
			if next := c.Args[i+1]; more >= 2 && len(next) == 1 && (next[0] == '~' || next[0] == '=') {
				a.approx = next[0] == '~'
				i++
			}
			if command.EqualFold(opt, "maxlen") {
				n, ok := c.Int(i + 1)
				if !ok {
					return -1
				}
				if n < 0 {
					c.Err("ERR The MAXLEN argument must be >= 0.")
					return -1
				}
				a.maxLen, a.strategy = n, trimMaxLen
			} else {
				id, ok := argID(c, i+1, 0, true)
				if !ok {
					return -1
				}
				a.minID, a.strategy = id, trimMinID
			}
			i++
			a.argIdx = i
		case command.EqualFold(opt, "limit") && more > 0:
			n, ok := c.Int(i + 1)
			if !ok {
				return -1
			}
			if n < 0 {
				c.Err("ERR The LIMIT argument must be >= 0.")
				return -1
			}
			a.limit, limitGiven = n, true
			i++
		case xadd && command.EqualFold(opt, "nomkstream"):
			a.noCreate = true
		case xadd:
			id, ok := parseID(opt, 0, true, &a.seqAuto)
			if !ok {
				c.Err(errInvalidID)
				return -1
			}
			a.id, a.idGiven = id, true
			return parseAddEnd(c, a, limitGiven, i)
		default:
			c.Err(command.ErrSyntax)
			return -1
		}
	}
	return parseAddEnd(c, a, limitGiven, i)
}

// parseAddEnd checks the trimming options once parsed.
func parseAddEnd(c *command.Ctx, a *addArgs, limitGiven bool, i int) int {
	switch {
	case a.limit != 0 && a.strategy == trimNone:
		c.Err("ERR syntax error, LIMIT cannot be used without specifying a trimming strategy")
		return -1
	case c.Cmd.Name == "xtrim" && a.strategy == trimNone:
		c.Err("ERR syntax error, XTRIM must be called with a trimming strategy")
		return -1
	case c.Replayed:
		// From the AOF or a primary the trimming argument was rewritten
		// to be exact (see rewriteTrim): no LIMIT applies.
		a.limit = 0
	case limitGiven && !a.approx:
		c.Err("ERR syntax error, LIMIT cannot be used without the special ~ option")
		return -1
	case !limitGiven && a.approx:
		// At most 100 nodes' worth of work by default, as Redis.
		a.limit = min(max(100*c.Cfg.StreamNodeMaxEntries, 0), 1000000)
		if a.limit == 0 {
			a.limit = 10000
		}
	case !limitGiven:
		a.limit = 0
	}
	return i
}

func xadd(c *command.Ctx) {
	var a addArgs
	idPos := parseAddArgs(c, true, &a)
	if idPos < 0 {
		return
	}
	pairs := c.Args[idPos+1:]
	if len(pairs) < 2 || len(pairs)%2 == 1 {
		c.ArityErr()
		return
	}
	if a.idGiven && !a.seqAuto && a.id.isZero() {
		c.Err("ERR The ID specified in XADD must be greater than 0-0")
		return
	}
	key := c.Args[1]
	s, ok := lookupCreate(c, key, a.noCreate)
	if !ok {
		return
	}
	if s == nil {
		c.W.Null()
		return
	}
	if s.last == maxID {
		c.Err("ERR The stream has exhausted the last possible ID, unable to add more items")
		return
	}
	id, seqOverflow := s.newID(c, &a)
	tot := 0
	for _, p := range pairs {
		tot += len(p)
	}
	switch {
	case !seqOverflow && !s.last.less(id):
		c.Err("ERR The ID specified in XADD is equal or smaller than the target stream top item")
		return
	case seqOverflow || tot > maxNodeBytes:
		// An "ms-*" whose sequence would overflow gets this message too:
		// Redis picks it by an errno it did not set.
		c.Err("ERR Elements are too large to be stored")
		return
	}
	s.add(c.KS.Arena, c.Cfg.StreamNodeMaxEntries, c.Cfg.StreamNodeMaxBytes, id, pairs)
	defer s.account(c.KS.Arena)
	writeID(c, id)
	c.Changed(key, command.EvStream, "xadd")
	if a.strategy != trimNone {
		if s.trim(c.KS.Arena, &a.trimArgs) > 0 {
			c.Notify(command.EvStream, "xtrim", key)
		}
		if a.approx {
			rewriteTrim(c, s, &a.trimArgs)
		}
	}
	// A generated ID travels as the ID it became.
	if !a.idGiven || a.seqAuto {
		var b [44]byte
		c.RewriteArg(idPos, id.append(b[:0]))
	}
	c.SignalReady(key)
}

var wordEquals = []byte("=")

// rewriteTrim propagates an approximate trim (MAXLEN ~ n, MINID ~ id) as
// the exact one it amounted to: MAXLEN = <length now>, MINID = <first
// ID now>, so that a replica or a reloaded AOF trims to the same point
// whatever its node layout.
func rewriteTrim(c *command.Ctx, s *stream, t *trimArgs) {
	var b [44]byte
	var arg []byte
	if t.strategy == trimMaxLen {
		arg = strconv.AppendUint(b[:0], s.length, 10)
	} else {
		first, ok := s.edge(c.KS.Arena, false)
		if !ok {
			first = maxID
		}
		arg = first.append(b[:0])
	}
	c.RewriteArg(t.argIdx-1, wordEquals)
	c.RewriteArg(t.argIdx, arg)
}

// newID picks the ID of a new entry: the given one, "ms-*" (the next
// sequence of ms), or one from the clock. The caller checks that it is
// greater than the last ID; seqOverflow reports an "ms-*" whose sequence
// is exhausted.
func (s *stream) newID(c *command.Ctx, a *addArgs) (id ID, seqOverflow bool) {
	id = a.id
	switch {
	case !a.idGiven:
		if now := uint64(c.KS.Now()); now > s.last.ms {
			id = ID{now, 0}
		} else {
			id, _ = s.last.next()
		}
	case a.seqAuto && s.last.ms == id.ms:
		if s.last.seq == math.MaxUint64 {
			return id, true
		}
		id = ID{id.ms, s.last.seq + 1}
	}
	return id, false
}

// xrange is XRANGE key start end [COUNT n] and XREVRANGE key end start.
func xrange(c *command.Ctx, rev bool) {
	si, ei := 2, 3
	if rev {
		si, ei = 3, 2
	}
	start, ok := argInterval(c, si, 0, false)
	if !ok {
		return
	}
	end, ok := argInterval(c, ei, ^uint64(0), true)
	if !ok {
		return
	}
	count := int64(-1)
	for j := 4; j < len(c.Args); j++ {
		if !c.Is(j, "count") || j+1 == len(c.Args) {
			c.Err(command.ErrSyntax)
			return
		}
		if count, ok = c.Int(j + 1); !ok {
			return
		}
		count = max(count, 0)
		j++
	}
	s, ok := lookupRead(c, c.Args[1])
	if !ok {
		return
	}
	switch {
	case s == nil:
		c.W.Array(0)
	case count == 0:
		c.W.NullArray()
	default:
		writeRange(c, s, start, end, max(count, 0), rev)
	}
}

// writeRange replies with up to count (0: all) entries between start and
// end, as [id, [field, value ...]] pairs.
func writeRange(c *command.Ctx, s *stream, start, end ID, count int64, rev bool) int64 {
	d := c.W.Defer()
	var n int64
	for it := s.iter(c.KS.Arena, start, end, rev); it.next(); {
		writeEntry(c, &it)
		if n++; n == count {
			break
		}
	}
	c.W.FillArray(d, int(n))
	return n
}

func writeEntry(c *command.Ctx, it *iterator) {
	c.W.Array(2)
	writeID(c, it.e.id)
	writeFields(c, it.lp, &it.e)
}

// writeOne replies with the entry id, which must exist.
func writeOne(c *command.Ctx, s *stream, id ID) {
	it := s.iter(c.KS.Arena, id, id, false)
	it.next()
	writeEntry(c, &it)
}

func xlen(c *command.Ctx) {
	s, ok := lookupRead(c, c.Args[1])
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(s.length))
}

func xdel(c *command.Ctx) {
	key := c.Args[1]
	s, ok := lookupCreate(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	defer s.account(c.KS.Arena)
	for i := 2; i < len(c.Args); i++ {
		if _, ok := argID(c, i, 0, true); !ok {
			return
		}
	}
	var deleted int64
	firstGone := false
	for i := 2; i < len(c.Args); i++ {
		id, _ := parseID(c.Args[i], 0, true, nil)
		if !s.remove(c.KS.Arena, id) {
			continue
		}
		firstGone = firstGone || id == s.first
		if s.maxDeleted.less(id) {
			s.maxDeleted = id
		}
		deleted++
	}
	if deleted > 0 {
		if s.length == 0 {
			s.first = ID{}
		} else if firstGone {
			s.first, _ = s.edge(c.KS.Arena, false)
		}
		c.Changed(key, command.EvStream, "xdel")
		c.Dirty += deleted - 1
	}
	c.W.Int(deleted)
}

func xtrim(c *command.Ctx) {
	var a addArgs
	if parseAddArgs(c, false, &a) < 0 {
		return
	}
	key := c.Args[1]
	s, ok := lookupCreate(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.W.Int(0)
		return
	}
	n := s.trim(c.KS.Arena, &a.trimArgs)
	s.account(c.KS.Arena)
	if n > 0 {
		c.Changed(key, command.EvStream, "xtrim")
		c.Dirty += n - 1
		if a.approx {
			rewriteTrim(c, s, &a.trimArgs)
		}
	}
	c.W.Int(n)
}

// xsetid is XSETID key id [ENTRIESADDED n] [MAXDELETEDID id].
func xsetid(c *command.Ctx) {
	id, ok := argID(c, 2, 0, true)
	if !ok {
		return
	}
	entriesAdded := int64(-1)
	var maxDel ID
	for i := 3; i < len(c.Args); i += 2 {
		more := i+1 < len(c.Args)
		switch {
		case c.Is(i, "entriesadded") && more:
			if entriesAdded, ok = c.Int(i + 1); !ok {
				return
			}
			if entriesAdded < 0 {
				c.Err("ERR entries_added must be positive")
				return
			}
		case c.Is(i, "maxdeletedid") && more:
			if maxDel, ok = argID(c, i+1, 0, true); !ok {
				return
			}
			if id.less(maxDel) {
				c.Err("ERR The ID specified in XSETID is smaller than the provided max_deleted_entry_id")
				return
			}
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	key := c.Args[1]
	s, ok := lookupCreate(c, key, true)
	if !ok {
		return
	}
	if s == nil {
		c.Err(command.ErrNoSuchKey)
		return
	}
	if s.length > 0 {
		if id.less(s.lastLive(c.KS.Arena)) {
			c.Err("ERR The ID specified in XSETID is smaller than the target stream top item")
			return
		}
		if entriesAdded != -1 && s.length > uint64(entriesAdded) {
			c.Err("ERR The entries_added specified in XSETID is smaller than the target stream length")
			return
		}
	}
	s.last = id
	if entriesAdded != -1 {
		s.entriesAdded = uint64(entriesAdded)
	}
	if !maxDel.isZero() {
		s.maxDeleted = maxDel
	}
	c.W.OK()
	c.Dirty++
	c.Notify(command.EvStream, "xsetid", key)
}
