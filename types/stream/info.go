package stream

import (
	"encoding/binary"

	"github.com/redoubt-db/redoubt/command"
)

var xinfoHelp = []string{
	"CONSUMERS <key> <groupname>",
	"    Show consumers of <groupname>.",
	"GROUPS <key>",
	"    Show the stream consumer groups.",
	"STREAM <key> [FULL [COUNT <count>]",
	"    Show information about the stream.",
}

func xinfo(c *command.Ctx) {
	if c.Is(1, "help") {
		if len(c.Args) != 2 {
			subcommandErr(c)
			return
		}
		command.Help(c.W, "XINFO", xinfoHelp)
		return
	}
	key := c.Args[2]
	s, ok := lookupRead(c, key)
	if !ok {
		return
	}
	if s == nil {
		c.Err(command.ErrNoSuchKey)
		return
	}
	switch {
	case c.Is(1, "consumers") && len(c.Args) == 4:
		g := s.group(c.Args[3])
		if g == nil {
			c.Err("NOGROUP No such consumer group '" + string(c.Args[3]) + "' for key name '" + string(key) + "'")
			return
		}
		c.W.Array(len(g.consumers))
		for _, cn := range g.consumers {
			c.W.Map(3)
			c.W.BulkString("name")
			c.W.BulkString(cn.name)
			c.W.BulkString("pending")
			c.W.Int(int64(cn.pel.len()))
			c.W.BulkString("idle")
			c.W.Int(max(c.KS.Now()-cn.seen, 0))
		}
	case c.Is(1, "groups") && len(c.Args) == 3:
		c.W.Array(len(s.groups))
		for _, g := range s.groups {
			c.W.Map(6)
			c.W.BulkString("name")
			c.W.BulkString(g.name)
			c.W.BulkString("consumers")
			c.W.Int(int64(len(g.consumers)))
			c.W.BulkString("pending")
			c.W.Int(int64(g.pel.len()))
			c.W.BulkString("last-delivered-id")
			writeID(c, g.last)
			writeEntriesRead(c, g)
			c.W.BulkString("lag")
			s.writeLag(c, g)
		}
	case c.Is(1, "stream"):
		xinfoStream(c, s)
	default:
		subcommandErr(c)
	}
}

func writeEntriesRead(c *command.Ctx, g *group) {
	c.W.BulkString("entries-read")
	if g.entriesRead >= 0 {
		c.W.Int(g.entriesRead)
	} else {
		c.W.Null()
	}
}

// xinfoStream is XINFO STREAM key [FULL [COUNT n]].
func xinfoStream(c *command.Ctx, s *stream) {
	opts := c.Args[3:]
	full, count := len(opts) > 0, int64(10)
	if full {
		if len(opts) != 1 && len(opts) != 3 || !command.EqualFold(opts[0], "full") ||
			len(opts) == 3 && !command.EqualFold(opts[1], "count") {
			subcommandErr(c)
			return
		}
		if len(opts) == 3 {
			var ok bool
			if count, ok = c.Int(5); !ok {
				return
			}
			if count < 0 {
				count = 10
			}
		}
	}
	w := c.W
	if full {
		w.Map(9)
	} else {
		w.Map(10)
	}
	w.BulkString("length")
	w.Int(int64(s.length))
	w.BulkString("radix-tree-keys")
	w.Int(int64(len(s.nodes)))
	w.BulkString("radix-tree-nodes")
	w.Int(int64(s.raxNodes()))
	w.BulkString("last-generated-id")
	writeID(c, s.last)
	w.BulkString("max-deleted-entry-id")
	writeID(c, s.maxDeleted)
	w.BulkString("entries-added")
	w.Int(int64(s.entriesAdded))
	w.BulkString("recorded-first-entry-id")
	writeID(c, s.first)
	if !full {
		w.BulkString("groups")
		w.Int(int64(len(s.groups)))
		for _, last := range []bool{false, true} {
			if last {
				w.BulkString("last-entry")
			} else {
				w.BulkString("first-entry")
			}
			if it := s.iter(c.KS.Arena, ID{}, maxID, last); it.next() {
				writeEntry(c, &it)
			} else {
				w.Null()
			}
		}
		return
	}
	w.BulkString("entries")
	writeRange(c, s, ID{}, maxID, count, false)
	w.BulkString("groups")
	w.Array(len(s.groups))
	for _, g := range s.groups {
		writeGroupFull(c, s, g, count)
	}
}

// writeGroupFull writes a group of XINFO STREAM FULL, with up to count
// (0: all) pending entries for the group and for each consumer.
func writeGroupFull(c *command.Ctx, s *stream, g *group, count int64) {
	w := c.W
	w.Map(7)
	w.BulkString("name")
	w.BulkString(g.name)
	w.BulkString("last-delivered-id")
	writeID(c, g.last)
	writeEntriesRead(c, g)
	w.BulkString("lag")
	s.writeLag(c, g)
	w.BulkString("pel-count")
	w.Int(int64(g.pel.len()))
	w.BulkString("pending")
	d := w.Defer()
	var n int64
	g.pel.each(ID{}, func(p *pending) bool {
		if count > 0 && n == count {
			return false
		}
		w.Array(4)
		writeID(c, p.id)
		w.BulkString(g.byNum[p.consumer].name)
		w.Int(p.time)
		w.Int(int64(p.count))
		n++
		return true
	})
	w.FillArray(d, int(n))
	w.BulkString("consumers")
	w.Array(len(g.consumers))
	for _, cn := range g.consumers {
		w.Map(4)
		w.BulkString("name")
		w.BulkString(cn.name)
		w.BulkString("seen-time")
		w.Int(cn.seen)
		w.BulkString("pel-count")
		w.Int(int64(cn.pel.len()))
		w.BulkString("pending")
		d := w.Defer()
		n = 0
		cn.pel.each(ID{}, func(id *ID) bool {
			if count > 0 && n == count {
				return false
			}
			p := g.pel.get(*id)
			w.Array(3)
			writeID(c, *id)
			w.Int(p.time)
			w.Int(int64(p.count))
			n++
			return true
		})
		w.FillArray(d, int(n))
	}
}

// raxNodes is the number of nodes Redis's radix tree would have with the
// stream's master IDs as keys (16 bytes, big endian): XINFO STREAM shows
// it. The tree is a compressed trie, whose shape the key set decides.
func (s *stream) raxNodes() int {
	keys := make([][16]byte, len(s.nodes))
	for i, nd := range s.nodes {
		binary.BigEndian.PutUint64(keys[i][:8], nd.master.ms)
		binary.BigEndian.PutUint64(keys[i][8:], nd.master.seq)
	}
	return raxCount(keys, 0)
}

// raxCount counts the nodes of the subtree of the sorted keys, which
// share their first depth bytes: a compressed node holding their longer
// common prefix, or a branching node, or a leaf.
func raxCount(keys [][16]byte, depth int) int {
	if len(keys) == 0 || depth == 16 {
		return 1
	}
	common := depth
	for common < 16 && keys[0][common] == keys[len(keys)-1][common] {
		common++
	}
	if common > depth {
		return 1 + raxCount(keys, common)
	}
	n := 1
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][depth] == keys[i][depth] {
			j++
		}
		n += raxCount(keys[i:j], depth+1)
		i = j
	}
	return n
}
