package keys

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
)

// DUMP and RESTORE move one value between servers in Redis's DUMP format:
// the value in RDB encoding, the RDB version and a CRC-64. A payload from
// Redis 7.0 restores here and one from here restores in Redis; the bytes
// are Redis's own (see package rdb). RESTORE checks every payload in depth
// (structure, duplicates, order), whatever sanitize-dump-payload says: a
// payload with a good checksum but broken contents is refused with "Bad
// data format" instead of crashing the server later, as it can in Redis.
// So is one whose value does not end exactly where the footer starts,
// which Redis accepts, reading into the footer or ignoring what is left.

// dump is DUMP key.
func dump(c *command.Ctx) {
	id := c.DB.LookupRead(c.Args[1])
	if id == dict.None {
		c.W.Null()
		return
	}
	c.W.Bulk(DumpPayload(c.DB, id, c.Cfg))
}

// DumpPayload is the DUMP payload of key id: what DUMP replies and what
// MIGRATE sends.
func DumpPayload(db *keyspace.DB, id uint32, cfg *config.Values) []byte {
	w := rdb.Encoder{Compress: cfg.RDBCompression}
	db.SaveValue(id, nil, &w)
	return rdb.AppendDumpFooter(w.B)
}

// restore is RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f].
var wordAbsTTL = []byte("ABSTTL")

func restore(c *command.Ctx) {
	var replace, absTTL bool
	lruIdle, lfuFreq := int64(-1), int64(-1)
	for j := 4; j < len(c.Args); j++ {
		more := j+1 < len(c.Args)
		switch {
		case c.IsOpt(j, "replace"):
			replace = true
		case c.IsOpt(j, "absttl"):
			absTTL = true
		case c.IsOpt(j, "idletime") && more && lfuFreq == -1:
			n, ok := c.Int(j + 1)
			if !ok {
				return
			}
			if n < 0 {
				c.Err("ERR Invalid IDLETIME value, must be >= 0")
				return
			}
			lruIdle = n
			j++
		case c.IsOpt(j, "freq") && more && lruIdle == -1:
			n, ok := c.Int(j + 1)
			if !ok {
				return
			}
			if n < 0 || n > 255 {
				c.Err("ERR Invalid FREQ value, must be >= 0 and <= 255")
				return
			}
			lfuFreq = n
			j++
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	key := c.Args[1]
	if !replace && c.DB.LookupWrite(key) != dict.None {
		c.Err("BUSYKEY Target key name already exists.")
		return
	}
	ttl, ok := c.Int(2)
	if !ok {
		return
	}
	if ttl < 0 {
		c.Err("ERR Invalid TTL value, must be >= 0")
		return
	}
	body, ok := rdb.CheckDumpFooter(c.Args[3])
	if !ok {
		c.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	d := rdb.NewDecoder(body)
	kind, enc, val, ok := c.KS.LoadValue(c.Cfg, d)
	if ok && d.Remaining() != 0 {
		c.KS.FreeValue(kind, enc, val)
		ok = false
	}
	if !ok {
		c.Err("ERR Bad data format")
		return
	}
	deleted := false
	if replace {
		if old := c.DB.LookupWrite(key); old != dict.None {
			deleteOverwritten(c, c.DB, old)
			deleted = true
		}
	}
	if ttl != 0 && !absTTL {
		ttl += c.KS.Now()
	}
	if ttl != 0 && c.KS.AlreadyExpired(ttl) {
		// Already expired: the key is not created.
		c.KS.FreeValue(kind, enc, val)
		if deleted {
			c.Changed(key, command.EvGeneric, "del")
			c.Rewrite(command.WordDel, key)
		}
		c.W.OK()
		return
	}
	id := c.DB.Add(key, kind, enc, val)
	if ttl != 0 {
		c.DB.SetExpire(id, ttl)
		if !absTTL {
			// The TTL travels as the deadline it became.
			c.RewriteArg(2, c.FormatInt(ttl))
			c.RewriteArg(len(c.Args), wordAbsTTL)
		}
	}
	c.DB.SetAccess(id, lruIdle, lfuFreq)
	c.Notify(command.EvNew, "new", key)
	c.SignalModified(c.DB, key)
	c.Notify(command.EvGeneric, "restore", key)
	c.Dirty++
	c.W.OK()
}
