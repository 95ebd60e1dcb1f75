package server

import (
	"runtime/debug"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
)

// MEMORY subcommands (Redis's object.c): the same figures INFO memory
// reports, per key and per database.

func (s *Server) registerMemoryCommands(h func(string, srvHandler)) {
	h("memory|usage", memoryUsageCmd)
	h("memory|stats", memoryStatsCmd)
	h("memory|doctor", func(s *Server, c *client, ctx *command.Ctx) {
		ctx.W.Verbatim([]byte(s.memoryDoctor()), "txt")
	})
	h("memory|malloc-stats", func(s *Server, c *client, ctx *command.Ctx) {
		st := s.ks.Arena.Stats()
		ctx.W.Verbatim([]byte("arena allocated: "+strconv.FormatInt(st.Allocated, 10)+
			"\narena mapped: "+strconv.FormatInt(st.Mapped, 10)+
			"\narena pages: "+strconv.Itoa(st.Pages)+
			"\narena large blobs: "+strconv.Itoa(st.LargeBlobs)+"\n"), "txt")
	})
	h("memory|purge", func(s *Server, c *client, ctx *command.Ctx) {
		// The arena unmaps empty pages as it goes; what is left to give
		// back is the Go heap's free spans.
		debug.FreeOSMemory()
		ctx.W.OK()
	})
	h("memory|help", func(s *Server, c *client, ctx *command.Ctx) {
		command.Help(ctx.W, "MEMORY", []string{
			"DOCTOR",
			"    Return memory problems reports.",
			"MALLOC-STATS",
			"    Return internal statistics report from the memory allocator.",
			"PURGE",
			"    Attempt to purge dirty pages for reclamation by the allocator.",
			"STATS",
			"    Return information about the memory usage of the server.",
			"USAGE <key> [SAMPLES <count>]",
			"    Return memory in bytes used by <key> and its value. Nested values are",
			"    sampled up to <count> times (default: 5, 0 means sample all).",
		})
	})
}

// keyEntrySize is what the key table spends per key besides the key and
// value blobs: its entry and its share of the bucket array.
const keyEntrySize = 24 + 4

// memoryUsageCmd is MEMORY USAGE key [SAMPLES count]: the key's blob, its
// value and its table entry. It does not touch the key or expire it.
func memoryUsageCmd(s *Server, c *client, ctx *command.Ctx) {
	for j := 3; j < len(ctx.Args); j++ {
		if !ctx.IsOpt(j, "samples") || j+1 >= len(ctx.Args) {
			ctx.Err(command.ErrSyntax)
			return
		}
		n, ok := ctx.Int(j + 1)
		if !ok {
			return
		}
		if n < 0 {
			ctx.Err(command.ErrSyntax)
			return
		}
		j++
	}
	db := c.db
	id := db.Dict().Find(ctx.Args[2])
	if id == dict.None {
		ctx.W.Null()
		return
	}
	ctx.W.Int(int64(db.ValueSize(id) + s.ks.Arena.Size(db.Dict().At(id).KeyRef()) + keyEntrySize))
}

func memoryStatsCmd(s *Server, c *client, ctx *command.Ctx) {
	m := s.memory()
	used := m.used()
	s.notePeak(used)
	type dbOverhead struct {
		id            int
		main, expires int64
	}
	var dbs []dbOverhead
	keys, tables := int64(0), int64(0)
	for _, db := range s.ks.DBs {
		if n := db.Len(); n > 0 {
			main, exp := db.TableOverheads()
			dbs = append(dbs, dbOverhead{db.ID, main, exp})
			keys += int64(n)
			tables += main + exp
		}
	}
	overhead := s.startupMemory + m.clients + tables
	net := used - s.startupMemory
	dataset := max(used-overhead, 0)
	active := m.arenaMapped + m.tables + m.goHeapInUse
	w := ctx.W
	w.Map(27 + len(dbs))
	num := func(name string, v int64) { w.BulkString(name); w.Int(v) }
	float := func(name string, v float64) { w.BulkString(name); w.Double(v) }
	num("peak.allocated", s.peakMemory)
	num("total.allocated", used)
	num("startup.allocated", s.startupMemory)
	for _, name := range []string{"replication.backlog", "clients.slaves"} {
		num(name, 0)
	}
	num("clients.normal", m.clients)
	for _, name := range []string{"cluster.links", "aof.buffer", "lua.caches", "functions.caches"} {
		num(name, 0)
	}
	for _, d := range dbs {
		w.BulkString("db." + strconv.Itoa(d.id))
		w.Map(3)
		num("overhead.hashtable.main", d.main)
		num("overhead.hashtable.expires", d.expires)
		num("overhead.hashtable.slot-to-keys", 0)
	}
	num("overhead.total", overhead)
	num("keys.count", keys)
	perKey := int64(0)
	if keys > 0 {
		perKey = net / keys
	}
	num("keys.bytes-per-key", perKey)
	num("dataset.bytes", dataset)
	float("dataset.percentage", ratio(dataset*100, net))
	float("peak.percentage", ratio(used*100, s.peakMemory))
	num("allocator.allocated", used)
	num("allocator.active", active)
	num("allocator.resident", m.rss)
	float("allocator-fragmentation.ratio", ratio(active, used))
	num("allocator-fragmentation.bytes", active-used)
	float("allocator-rss.ratio", ratio(m.rss, active))
	num("allocator-rss.bytes", m.rss-active)
	float("rss-overhead.ratio", 1)
	num("rss-overhead.bytes", 0)
	float("fragmentation", ratio(m.rss, used))
	num("fragmentation.bytes", m.rss-used)
}

// memoryDoctor looks for the problems Redis's doctor looks for: a peak far
// above today's use, memory the process holds but the dataset does not
// use, and client buffers that dwarf the dataset.
func (s *Server) memoryDoctor() string {
	m := s.memory()
	used := m.used()
	if used < 5<<20 {
		return "This instance is empty or holds very little data (under 5 MB): there is nothing to diagnose yet.\n"
	}
	var found []string
	if s.peakMemory > used*3/2 {
		found = append(found, "Peak memory: the peak ("+humanBytes(s.peakMemory)+") was more than 150% of what is used now ("+
			humanBytes(used)+"); resident memory may stay high until the operating system reclaims it.")
	}
	if m.rss > 10<<20 && ratio(m.rss, used) > 1.4 {
		found = append(found, "High fragmentation: resident memory is "+strconv.FormatFloat(ratio(m.rss, used), 'f', 2, 64)+
			" times what the server uses. MEMORY PURGE returns free Go heap spans to the system.")
	}
	if n := int64(len(s.clients)); n > 0 && m.clients/n > 200<<10 {
		found = append(found, "Big client buffers: clients use "+humanBytes(m.clients/n)+
			" each on average; check client-output-buffer-limit and slow readers (CLIENT LIST shows omem).")
	}
	found = append(found, s.guardDoctor()...)
	found = append(found, s.bigKeysDoctor()...)
	if len(found) == 0 {
		return "No memory problems found in this instance.\n"
	}
	out := "Memory problems found:\n\n"
	for _, f := range found {
		out += " * " + f + "\n\n"
	}
	return out
}
