package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/types/list"
)

// DEBUG (Redis's debug.c): the subcommands Redis's own test suite and
// operators rely on, gated by enable-debug-command exactly as in Redis.

func (s *Server) registerDebugCommands(h func(string, srvHandler)) {
	h("debug", debugCommand)
}

type debugSub struct {
	name  string
	arity int // exact argument count including DEBUG and the subcommand; <0 means at least -arity
	run   func(s *Server, c *client, ctx *command.Ctx)
}

var debugSubs []debugSub

func init() {
	debugSubs = []debugSub{
		{"help", 2, debugHelp},
		{"sleep", 3, debugSleep},
		{"set-active-expire", 3, func(s *Server, c *client, ctx *command.Ctx) {
			s.ks.ActiveExpire = atoi(ctx.Args[2]) != 0
			ctx.W.OK()
		}},
		{"set-disable-deny-scripts", 3, func(s *Server, c *client, ctx *command.Ctx) {
			s.scripts.allowNoScript = atoi(ctx.Args[2]) != 0
			ctx.W.OK()
		}},
		{"protocol", 3, debugProtocol},
		{"object", 3, debugObject},
		{"reload", -2, debugReload},
		{"loadaof", 2, debugLoadAOF},
		{"segfault", 2, func(s *Server, c *client, ctx *command.Ctx) {
			// Redis crashes on purpose here: the crash report is what
			// is being tested.
			s.CrashOnSignal(11, "SIGSEGV, from DEBUG SEGFAULT")
			c.closing.Store(closeASAP)
		}},
		{"aof-flush-sleep", 3, func(s *Server, c *client, ctx *command.Ctx) {
			s.aof.flushSleep = time.Duration(atoi(ctx.Args[2])) * time.Microsecond
			if w := s.aof.w; w != nil {
				w.FlushSleep.Store(int64(s.aof.flushSleep))
			}
			ctx.W.OK()
		}},
		{"replicate", -3, func(s *Server, c *client, ctx *command.Ctx) {
			// The command goes to the replicas only, unexecuted: a
			// way to make them diverge, for tests.
			if s.repl.master == nil {
				db := s.repl.selDB
				if db < 0 {
					db = c.db.ID
				}
				s.replFeed(db, ctx.Args[2:])
			}
			ctx.W.OK()
		}},
		{"digest", 2, debugDigest},
		{"digest-value", -2, debugDigestValue},
		{"htstats", 3, debugHTStats},
		{"htstats-key", 3, debugHTStatsKey},
		{"populate", -3, debugPopulate},
		{"log", 3, func(s *Server, c *client, ctx *command.Ctx) {
			s.log.Warningf("DEBUG LOG: %s", ctx.Args[2])
			ctx.W.OK()
		}},
		{"error", 3, func(s *Server, c *client, ctx *command.Ctx) {
			// The argument is the whole error, code included, and as
			// in Redis it is written as raw protocol: no error stats.
			ctx.W.Error(strings.NewReplacer("\r", " ", "\n", " ").Replace(string(ctx.Args[2])))
		}},
		{"change-repl-id", 2, func(s *Server, c *client, ctx *command.Ctx) {
			s.runID = newRunID()
			s.log.Warningf("Changing replication IDs after receiving DEBUG change-repl-id")
			ctx.W.OK()
		}},
		{"stringmatch-test", 2, debugStringmatchTest},
		{"pause-cron", 3, func(s *Server, c *client, ctx *command.Ctx) {
			s.cronPaused = atoi(ctx.Args[2]) != 0
			ctx.W.OK()
		}},
		{"quicklist-packed-threshold", 3, func(s *Server, c *client, ctx *command.Ctx) {
			n, ok := parseMemoryArg(ctx.Args[2])
			if !ok || !list.SetPackedThreshold(n) {
				ctx.Err("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
				return
			}
			ctx.W.OK()
		}},
		{"config-rewrite-force-all", 2, func(s *Server, c *client, ctx *command.Ctx) {
			if s.cfg.File == "" {
				ctx.Err("ERR The server is running without a config file")
				return
			}
			if err := s.cfg.RewriteForceAll(); err != nil {
				ctx.Err("ERR CONFIG-REWRITE-FORCE-ALL failed: " + err.Error())
				return
			}
			ctx.W.OK()
		}},
		{"replybuffer", 4, func(s *Server, c *client, ctx *command.Ctx) {
			if msg := s.debugReplyBuffer(ctx.Args[1], ctx.Args[2], ctx.Args[3]); msg != "" {
				ctx.Err(msg)
				return
			}
			ctx.W.OK()
		}},
	}
}

func atoi(b []byte) int64 {
	// Like C's atoi: leading digits, garbage ends the number.
	var n int64
	neg := false
	i := 0
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	if i < len(b) && (b[i] == '-' || b[i] == '+') {
		neg = b[i] == '-'
		i++
	}
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		n = n*10 + int64(b[i]-'0')
	}
	if neg {
		return -n
	}
	return n
}

func parseMemoryArg(b []byte) (int64, bool) {
	if n, ok := protocol.ParseInt(b); ok {
		return n, true
	}
	s := strings.ToLower(string(b))
	mul := int64(1)
	for _, u := range []struct {
		suffix string
		mul    int64
	}{{"gb", 1 << 30}, {"mb", 1 << 20}, {"kb", 1 << 10}, {"g", 1e9}, {"m", 1e6}, {"k", 1e3}, {"b", 1}} {
		if strings.HasSuffix(s, u.suffix) {
			s, mul = strings.TrimSuffix(s, u.suffix), u.mul
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n * mul, err == nil
}

func debugCommand(s *Server, c *client, ctx *command.Ctx) {
	if !s.allowed(c, s.cfg.EnableDebugCommand) {
		ctx.Err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
		return
	}
	name := strings.ToLower(string(ctx.Args[1]))
	for _, sub := range debugSubs {
		if sub.name != name {
			continue
		}
		if (sub.arity > 0 && len(ctx.Args) == sub.arity) || (sub.arity < 0 && len(ctx.Args) >= -sub.arity) {
			sub.run(s, c, ctx)
			return
		}
		break
	}
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + clip(ctx.Args[1], 128) + "'. Try DEBUG HELP.")
}

func debugHelp(s *Server, c *client, ctx *command.Ctx) {
	command.Help(ctx.W, "DEBUG", []string{
		"CHANGE-REPL-ID",
		"    Change the replication IDs of the instance.",
		"    Dangerous: should be used only for testing the replication subsystem.",
		"CONFIG-REWRITE-FORCE-ALL",
		"    Like CONFIG REWRITE but writes all configuration options, including",
		"    keywords not listed in original configuration file or default values.",
		"DIGEST",
		"    Output a hex signature representing the current DB content.",
		"DIGEST-VALUE <key> [<key> ...]",
		"    Output a hex signature of the values of all the specified keys.",
		"ERROR <string>",
		"    Return a Redis protocol error with <string> as message. Useful for clients",
		"    unit tests to simulate Redis errors.",
		"LOG <message>",
		"    Write <message> to the server log.",
		"HTSTATS <dbid>",
		"    Return hash table statistics of the specified Redis database.",
		"HTSTATS-KEY <key>",
		"    Like HTSTATS but for the hash table stored at <key>'s value.",
		"OBJECT <key>",
		"    Show low level info about `key` and associated value.",
		"PAUSE-CRON <0|1>",
		"    Stop periodic cron job processing.",
		"POPULATE <count> [<prefix>] [<size>]",
		"    Create <count> string keys named key:<num>. If <prefix> is specified then",
		"    it is used instead of the 'key' prefix.",
		"PROTOCOL <type>",
		"    Reply with a test value of the specified type. <type> can be: string,",
		"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
		"    true, false.",
		"QUICKLIST-PACKED-THRESHOLD <size>",
		"    Sets the threshold for elements to be inserted as plain vs packed nodes",
		"RELOAD [option ...]",
		"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
		"    * MERGE: conflicting keys will be loaded from RDB.",
		"    * NOFLUSH: the existing database will not be removed before load, but",
		"      conflicting keys will make the load fail.",
		"    * NOSAVE: the database will be loaded from an existing RDB file.",
		"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
		"    Accepted for compatibility; reply buffers are sized per write.",
		"SET-ACTIVE-EXPIRE <0|1>",
		"    Setting it to 0 disables expiring keys in background when they are not",
		"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
		"    default.",
		"SLEEP <seconds>",
		"    Stop the server for <seconds>. Decimals allowed.",
		"STRINGMATCH-TEST",
		"    Run a fuzz tester against the glob matcher.",
	})
}

// debugSleep blocks the whole server, holding the engine lock, as Redis's
// DEBUG SLEEP does: tests use it to simulate a slow command.
func debugSleep(s *Server, c *client, ctx *command.Ctx) {
	f, _ := strconv.ParseFloat(leadingFloat(string(ctx.Args[2])), 64)
	time.Sleep(time.Duration(f * float64(time.Second)))
	ctx.W.OK()
}

// leadingFloat returns the longest prefix strtod would read.
func leadingFloat(s string) string {
	end := 0
	for i := 1; i <= len(s); i++ {
		if _, err := strconv.ParseFloat(s[:i], 64); err == nil {
			end = i
		}
	}
	return s[:end]
}

func debugProtocol(s *Server, c *client, ctx *command.Ctx) {
	w := ctx.W
	switch strings.ToLower(string(ctx.Args[2])) {
	case "string":
		w.BulkString("Hello World")
	case "integer":
		w.Int(12345)
	case "double":
		w.Double(3.141)
	case "bignum":
		w.BigNumber("1234567999999999999999999999999999999")
	case "null":
		w.Null()
	case "array":
		w.Array(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
		}
	case "set":
		w.Set(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
		}
	case "map":
		w.Map(3)
		for i := int64(0); i < 3; i++ {
			w.Int(i)
			w.Bool(i == 1)
		}
	case "attrib":
		if w.Resp >= 3 {
			w.Attribute(1)
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		w.BulkString("Some real reply following the attribute")
	case "push":
		if w.Resp < 3 {
			ctx.Err("ERR RESP2 is not supported by this command")
			return
		}
		w.Push(2)
		w.BulkString("server-cpu-usage")
		w.Int(42)
		w.BulkString("Some real reply following the push reply")
	case "true":
		w.Bool(true)
	case "false":
		w.Bool(false)
	case "verbatim":
		w.Verbatim([]byte("This is a verbatim\nstring"), "txt")
	default:
		ctx.Err("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// valueAddr is what DEBUG OBJECT shows as the value's address: stable
// while the value is modified in place, as Redis's pointer is.
func valueAddr(db *keyspace.DB, id uint32) uint64 {
	if db.Encoding(id) == keyspace.EncInt {
		return uint64(db.ID+1)<<40 | uint64(id)
	}
	return db.Value(id)
}

func debugObject(s *Server, c *client, ctx *command.Ctx) {
	db := c.db
	// Redis looks the key up in the table itself: a key whose time has
	// passed is still described, and not deleted.
	id := db.Find(ctx.Args[2])
	if id == dict.None {
		ctx.Err(command.ErrNoSuchKey)
		return
	}
	idle := db.IdleTime(id)
	// serializedlength is the value's RDB size without the type byte, as
	// Redis's rdbSavedObjectLen counts it.
	w := rdb.Encoder{Compress: ctx.Cfg.RDBCompression}
	db.SaveValue(id, nil, &w)
	size := len(w.B) - 1
	extra := ""
	if db.Encoding(id) == keyspace.EncQuicklist {
		// Nodes are never compressed here: ql_compressed is 0.
		nodes, fill, bytes := list.Shape(s.ks, db.Value(id))
		extra = fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:0 ql_uncompressed_size:%d",
			nodes, float64(list.Len(s.ks, db.Value(id)))/float64(nodes), fill, bytes)
	}
	ctx.W.Simple(fmt.Sprintf("Value at:0x%x refcount:1 encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
		valueAddr(db, id), db.Encoding(id), size, (int64(s.ks.LRUClock())-idle)&(1<<24-1), idle, extra))
}

// digest is an order-independent signature of keys and values: the XOR of
// one SHA-1 per key, so two datasets with the same content have the same
// digest whatever their history or encodings.
func keyDigest(db *keyspace.DB, id uint32, withKey bool) [20]byte {
	h := sha1.New()
	if withKey {
		key := db.Key(id)
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(key)))
		h.Write(n[:])
		h.Write(key)
		binary.LittleEndian.PutUint64(n[:], uint64(db.Expire(id)))
		h.Write(n[:])
	}
	h.Write([]byte{byte(db.Kind(id))})
	db.DigestValue(id, h)
	var out [20]byte
	copy(out[:], h.Sum(nil))
	return out
}

func xorInto(dst *[20]byte, src [20]byte) {
	for i := range dst {
		dst[i] ^= src[i]
	}
}

func debugDigest(s *Server, c *client, ctx *command.Ctx) {
	var d [20]byte
	for _, db := range s.ks.DBs {
		if db.Len() == 0 {
			continue
		}
		var dbd [20]byte
		db.Dict().ForEach(func(id uint32) bool {
			xorInto(&dbd, keyDigest(db, id, true))
			return true
		})
		// Mix in the database number so that moving keys changes it.
		sum := sha1.Sum(append(dbd[:], byte(db.ID), byte(db.ID>>8)))
		xorInto(&d, sum)
	}
	ctx.W.Simple(hex.EncodeToString(d[:]))
}

func debugDigestValue(s *Server, c *client, ctx *command.Ctx) {
	ctx.W.Array(len(ctx.Args) - 2)
	for _, k := range ctx.Args[2:] {
		var d [20]byte
		if id := c.db.Lookup(k, keyspace.NoTouch|keyspace.Write); id != dict.None {
			d = keyDigest(c.db, id, false)
		}
		ctx.W.Simple(hex.EncodeToString(d[:]))
	}
}

func debugHTStats(s *Server, c *client, ctx *command.Ctx) {
	n, ok := protocol.ParseInt(ctx.Args[2])
	if !ok {
		ctx.Err(command.ErrNotInt)
		return
	}
	if n < 0 || n >= int64(len(s.ks.DBs)) {
		ctx.Err("ERR Out of range database")
		return
	}
	db := s.ks.DBs[n]
	var b strings.Builder
	b.WriteString("[Dictionary HT]\n")
	writeTableStats(&b, db.Dict())
	b.WriteString("[Expires HT]\n")
	if db.ExpiresLen() == 0 {
		b.WriteString("No stats available for empty dictionaries\n")
	} else {
		fmt.Fprintf(&b, "Hash table 0 stats (main hash table):\n table size: %d\n number of elements: %d\n", db.ExpiresLen(), db.ExpiresLen())
	}
	ctx.W.Verbatim([]byte(b.String()), "txt")
}

func writeTableStats(b *strings.Builder, d *dict.Dict) {
	if d.Len() == 0 {
		b.WriteString("No stats available for empty dictionaries\n")
		return
	}
	main, rehashing := d.Buckets()
	fmt.Fprintf(b, "Hash table 0 stats (main hash table):\n table size: %d\n number of elements: %d\n", main, d.Len())
	if rehashing > 0 {
		fmt.Fprintf(b, "Hash table 1 stats (rehashing target):\n table size: %d\n", rehashing)
	}
}

// debugHTStatsKey reports on the table of a hash or set stored as a
// hashtable.
func debugHTStatsKey(s *Server, c *client, ctx *command.Ctx) {
	id := c.db.Lookup(ctx.Args[2], keyspace.NoTouch|keyspace.Write)
	if id == dict.None {
		ctx.Err(command.ErrNoSuchKey)
		return
	}
	if c.db.Encoding(id) != keyspace.EncHashtable {
		ctx.Err("ERR The value stored at the specified key is not represented using an hash table")
		return
	}
	var b strings.Builder
	writeTableStats(&b, s.ks.Object(c.db.Value(id)).(*dict.Dict))
	ctx.W.Verbatim([]byte(b.String()), "txt")
}

func debugPopulate(s *Server, c *client, ctx *command.Ctx) {
	if len(ctx.Args) > 5 {
		ctx.Err(command.ErrSyntax)
		return
	}
	count, ok := protocol.ParseInt(ctx.Args[2])
	if !ok || count < 0 {
		ctx.Err("ERR value is out of range, must be positive")
		return
	}
	prefix := "key"
	if len(ctx.Args) >= 4 {
		prefix = string(ctx.Args[3])
	}
	size := int64(-1)
	if len(ctx.Args) == 5 {
		size, ok = protocol.ParseInt(ctx.Args[4])
		if !ok || size < 0 {
			ctx.Err("ERR value is out of range, must be positive")
			return
		}
	}
	db := c.db
	// Room for them all at once, as Redis makes it (dictTryExpand).
	db.Dict().Expand(db.Len() + int(count))
	var key, val []byte
	for i := int64(0); i < count; i++ {
		key = strconv.AppendInt(append(key[:0], prefix+":"...), i, 10)
		if db.Find(key) != dict.None {
			continue
		}
		val = strconv.AppendInt(append(val[:0], "value:"...), i, 10)
		if size >= 0 {
			if int64(len(val)) > size {
				val = val[:size]
			} else {
				for int64(len(val)) < size {
					val = append(val, 0)
				}
			}
		}
		db.SetString(key, val, false)
	}
	ctx.W.OK()
}

// debugStringmatchTest runs random patterns through the glob matcher, as
// Redis's stringmatchlen fuzzer does, to show it neither crashes nor hangs.
func debugStringmatchTest(s *Server, c *client, ctx *command.Ctx) {
	var pat, str [32]byte
	for i := 0; i < 100000; i++ {
		pl, sl := int(s.ks.Rand(32)), int(s.ks.Rand(32))
		for j := 0; j < pl; j++ {
			pat[j] = byte(s.ks.Rand(256))
		}
		for j := 0; j < sl; j++ {
			str[j] = byte(s.ks.Rand(256))
		}
		glob.Match(pat[:pl], str[:sl], false)
	}
	ctx.W.Simple("Apparently Redis did not crash: test passed")
}
