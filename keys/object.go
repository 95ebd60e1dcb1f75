package keys

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// objectLookup finds the key of an OBJECT subcommand as Redis does: a
// read lookup that counts a hit or a miss but leaves the access data
// alone. A missing key gets a null reply.
func objectLookup(c *command.Ctx) (uint32, bool) {
	id := c.DB.Lookup(c.Args[2], keyspace.NoTouch)
	if id == dict.None {
		c.W.Null()
		return id, false
	}
	return id, true
}

func objectEncoding(c *command.Ctx) {
	if id, ok := objectLookup(c); ok {
		c.W.BulkString(c.DB.Encoding(id).String())
	}
}

// sharedRefcount is what Redis reports for its shared small integers.
const sharedRefcount = 2147483647

func objectRefcount(c *command.Ctx) {
	id, ok := objectLookup(c)
	if !ok {
		return
	}
	// Redis shares the objects of the integers 0..9999 unless a memory
	// limit with an LRU or LFU policy needs per-key access data. It
	// decides when the value is stored; we look at the settings of now,
	// which differ only if they changed since.
	if n, isInt := c.DB.Int(id); isInt && n >= 0 && n < 10000 &&
		(c.Cfg.MaxMemory == 0 || !maxmemoryTracksAccess(c.Cfg.MaxMemoryPolicy)) {
		c.W.Int(sharedRefcount)
		return
	}
	c.W.Int(1)
}

func maxmemoryTracksAccess(policy string) bool {
	switch policy {
	case "noeviction", "volatile-random", "allkeys-random", "volatile-ttl":
		return false
	}
	return true
}

func objectIdletime(c *command.Ctx) {
	id, ok := objectLookup(c)
	if !ok {
		return
	}
	if c.KS.LFU {
		c.Err("ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.W.Int(c.DB.IdleTime(id))
}

func objectFreq(c *command.Ctx) {
	id, ok := objectLookup(c)
	if !ok {
		return
	}
	if !c.KS.LFU {
		c.Err("ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
		return
	}
	c.W.Int(c.DB.Freq(id))
}

func objectHelp(c *command.Ctx) {
	command.Help(c.W, "OBJECT", []string{
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
	})
}

// objectHotkeys is OBJECT HOTKEYS [COUNT count], Redoubt's own (incident
// 3): the most accessed keys under any eviction policy, from the
// keyspace's sampled summary (keyspace.HotKeys), where Redis has only
// OBJECT FREQ under an LFU policy. Each entry is the key, its database
// and its sampled accesses (one access in hotkeys-sample-every is
// counted, and the counts are halved every 10 seconds), the most
// accessed first.
func objectHotkeys(c *command.Ctx) {
	count := int64(10)
	for i := 2; i < len(c.Args); i += 2 {
		if !c.Is(i, "count") || i+1 >= len(c.Args) {
			c.Err("ERR syntax error")
			return
		}
		n, ok := c.Int(i + 1)
		if !ok {
			return
		}
		if n <= 0 {
			c.Err("ERR value is out of range, must be positive")
			return
		}
		count = n
	}
	h := c.KS.Hot
	if h == nil {
		c.Err("ERR hot keys are not sampled: hotkeys-sample-every is 0")
		return
	}
	top := h.Top(int(min(count, 1<<20)))
	c.W.Array(len(top))
	for _, k := range top {
		c.W.Array(3)
		c.W.BulkString(k.Key)
		c.W.Int(int64(k.DB))
		c.W.Int(int64(k.Count))
	}
}
