package server

import (
	"github.com/redoubt-db/redoubt/acl"
	"math"
	"strconv"
	"time"

	"github.com/redoubt-db/redoubt/bitops"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/geo"
	"github.com/redoubt-db/redoubt/types/hash"
	"github.com/redoubt-db/redoubt/types/hll"
	"github.com/redoubt-db/redoubt/types/list"
	"github.com/redoubt-db/redoubt/types/set"
	"github.com/redoubt-db/redoubt/types/sortcmd"
	"github.com/redoubt-db/redoubt/types/str"
	"github.com/redoubt-db/redoubt/types/stream"
	"github.com/redoubt-db/redoubt/types/zset"
)

// srvHandler is a handler that needs the server and the calling client.
type srvHandler func(s *Server, c *client, ctx *command.Ctx)

// newCommandTable builds the table: the data-type packages register their
// commands; the commands about connections, transactions and the server
// itself are here.
func (s *Server) newCommandTable() *command.Table {
	t := command.NewTable()
	keys.Register(t)
	expire.Register(t)
	str.Register(t)
	hll.Register(t)
	bitops.Register(t)
	hash.Register(t)
	set.Register(t)
	zset.Register(t)
	geo.Register(t)
	sortcmd.Register(t)
	list.Register(t)
	stream.Register(t)
	command.RegisterIntrospection(t)
	t.Flag("scan", command.TouchesArbitraryKeys)
	t.Flag("randomkey", command.TouchesArbitraryKeys)

	h := func(name string, fn srvHandler) {
		t.Handle(name, func(ctx *command.Ctx) { fn(s, ctx.Client.(*client), ctx) })
	}
	h("ping", pingCmd)
	h("keys", keysCmd)
	h("echo", echoCmd)
	h("quit", quitCmd)
	h("reset", resetCmd)
	h("auth", authCmd)
	h("hello", helloCmd)
	h("select", selectCmd)
	h("time", timeCmd)
	h("multi", multiCmd)
	h("exec", execCmd)
	h("discard", discardCmd)
	h("watch", watchCmd)
	h("unwatch", unwatchCmd)
	h("flushdb", flushdbCmd)
	h("flushall", flushallCmd)
	h("swapdb", swapdbCmd)
	h("shutdown", shutdownCmd)
	h("lastsave", lastsaveCmd)
	h("save", saveCmd)
	h("bgsave", bgsaveCmd)
	h("bgrewriteaof", bgrewriteaofCmd)
	h("migrate", migrateCmd)
	h("monitor", monitorCmd)
	h("sync", syncCmd)
	h("psync", syncCmd)
	h("replconf", replconfCmd)
	h("wait", waitCmd)
	h("role", roleCmd)
	h("replicaof", replicaofCmd)
	h("slaveof", replicaofCmd)
	h("failover", failoverCmd)
	h("info", infoCmd)
	s.registerPubsubCommands(h)
	s.registerClientCommands(h)
	s.registerConfigCommands(h)
	s.registerSlowlogCommands(h)
	s.registerDebugCommands(h)
	s.registerMemoryCommands(h)
	s.registerScriptingCommands(h)
	s.registerClusterCommands(h)
	s.registerLatencyCommands(h)
	s.registerACLCommands(h)
	s.registerModuleCommands(h)
	// Redis's may_replicate, which COMMAND INFO does not show: a
	// script may write, and CLIENT PAUSE WRITE holds it.
	for _, name := range []string{"eval", "evalsha", "fcall", "publish", "pfcount"} {
		t.Flag(name, command.MayReplicate)
	}
	return t
}

func pingCmd(s *Server, c *client, ctx *command.Ctx) {
	if len(ctx.Args) > 2 {
		ctx.ArityErr()
		return
	}
	if c.flags&flagPubSub != 0 && c.resp == 2 {
		ctx.W.Array(2)
		ctx.W.BulkString("pong")
		if len(ctx.Args) == 2 {
			ctx.W.Bulk(ctx.Args[1])
		} else {
			ctx.W.BulkString("")
		}
		return
	}
	if len(ctx.Args) == 2 {
		ctx.W.Bulk(ctx.Args[1])
		return
	}
	ctx.W.Simple("PONG")
}

func echoCmd(s *Server, c *client, ctx *command.Ctx) { ctx.W.Bulk(ctx.Args[1]) }

func quitCmd(s *Server, c *client, ctx *command.Ctx) {
	ctx.W.OK()
	c.closing.Store(closeAfterReply)
}

func resetCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagMulti != 0 {
		c.discardTransaction()
	}
	s.unwatchAll(c)
	s.unsubscribeAll(c)
	s.disableTracking(c)
	if c.flags&flagMonitor != 0 {
		s.removeMonitor(c)
	}
	c.flags &^= flagMonitor | flagReplyOff | flagReplySkip | flagReplySkipNext | flagNoEvict | flagNoTouch | flagDirtyCAS
	c.db = s.ks.DBs[0]
	c.setResp(2)
	c.name = ""
	c.user = s.acl.users.Default()
	c.authd = s.defaultAuthenticated()
	ctx.W.Simple("RESET")
}

const errWrongPass = "WRONGPASS invalid username-password pair or user is disabled."

func authCmd(s *Server, c *client, ctx *command.Ctx) {
	if len(ctx.Args) > 3 {
		ctx.Err(command.ErrSyntax)
		return
	}
	for i := 1; i < len(ctx.Args); i++ {
		ctx.Redact(i)
	}
	var user, pass []byte
	if len(ctx.Args) == 2 {
		// The old form names the default user, and is an error while
		// that user needs no password.
		if s.acl.users.Default().NoPass() {
			ctx.Err("ERR " + acl.MsgAuthNoPassword)
			return
		}
		user, pass = []byte(acl.DefaultUserName), ctx.Args[1]
	} else {
		user, pass = ctx.Args[1], ctx.Args[2]
	}
	if !s.authenticate(c, string(ctx.Args[0]), user, pass) {
		ctx.Err(errWrongPass)
		return
	}
	ctx.W.OK()
}

func helloCmd(s *Server, c *client, ctx *command.Ctx) {
	args := ctx.Args
	ver := int64(c.resp)
	if len(args) >= 2 {
		v, ok := protocol.ParseInt(args[1])
		if !ok {
			ctx.Err("ERR Protocol version is not an integer or out of range")
			return
		}
		if v < 2 || v > 3 {
			ctx.Err("NOPROTO unsupported protocol version")
			return
		}
		ver = v
	}
	var user, pass, name []byte
	auth, setname := false, false
	for i := 2; i < len(args); i++ {
		more := len(args) - i - 1
		switch {
		case ctx.Is(i, "auth") && more >= 2:
			user, pass, auth = args[i+1], args[i+2], true
			ctx.Redact(i + 1)
			ctx.Redact(i + 2)
			i += 2
		case ctx.Is(i, "setname") && more >= 1:
			name, setname = args[i+1], true
			i++
		default:
			ctx.Err("ERR Syntax error in HELLO option '" + string(args[i]) + "'")
			return
		}
	}
	if auth && !s.authenticate(c, string(args[0]), user, pass) {
		ctx.Err(errWrongPass)
		return
	}
	if !c.authd {
		ctx.Err("NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time")
		return
	}
	if setname {
		if msg := validClientName(name); msg != "" {
			ctx.Err(msg)
			return
		}
		c.name = string(name)
	}
	c.setResp(int(ver))
	w := ctx.W
	w.Map(7)
	w.BulkString("server")
	w.BulkString("redis")
	w.BulkString("version")
	w.BulkString(Version)
	w.BulkString("proto")
	w.Int(ver)
	w.BulkString("id")
	w.Int(c.id)
	w.BulkString("mode")
	w.BulkString("standalone")
	w.BulkString("role")
	if s.repl.master != nil {
		w.BulkString("replica")
	} else {
		w.BulkString("master")
	}
	w.BulkString("modules")
	w.Array(0)
}

func selectCmd(s *Server, c *client, ctx *command.Ctx) {
	id, ok := ctx.Int(1)
	if !ok {
		return
	}
	if id < math.MinInt32 || id > math.MaxInt32 {
		ctx.Err("ERR value is out of range, value must between -2147483648 and 2147483647")
		return
	}
	if id < 0 || id >= int64(len(s.ks.DBs)) {
		ctx.Err("ERR DB index is out of range")
		return
	}
	c.db = s.ks.DBs[id]
	ctx.DB = c.db
	ctx.W.OK()
}

func timeCmd(s *Server, c *client, ctx *command.Ctx) {
	// The skew of a test's FastForward moves TIME with the TTLs, so
	// that code which reads the time from the server (rate limiters'
	// scripts) travels too.
	t := time.Now().Add(time.Duration(s.eng.Skew()) * time.Millisecond)
	ctx.W.Array(2)
	ctx.W.BulkInt(t.Unix())
	ctx.W.BulkInt(int64(t.Nanosecond() / 1000))
}

// flushArg parses the optional ASYNC|SYNC of FLUSHDB and FLUSHALL.
func flushArg(s *Server, ctx *command.Ctx) (async, ok bool) {
	switch {
	case len(ctx.Args) == 1:
		return s.cfg.LazyfreeLazyUserFlush, true
	case len(ctx.Args) == 2 && ctx.Is(1, "async"):
		return true, true
	case len(ctx.Args) == 2 && ctx.Is(1, "sync"):
		return false, true
	}
	ctx.Err(command.ErrSyntax)
	return false, false
}

// flush empties a database, flagging the watchers of its keys first.
func (s *Server) flush(db *keyspace.DB, async bool) int {
	n := db.Len()
	s.touchWatchedInDB(db, nil)
	s.signalDeletedStreams(db, nil)
	db.Flush(async)
	return n
}

func flushdbCmd(s *Server, c *client, ctx *command.Ctx) {
	async, ok := flushArg(s, ctx)
	if !ok {
		return
	}
	ctx.Dirty += int64(s.flush(c.db, async))
	s.trackingFlushed(c)
	// Propagated even when the database was already empty.
	ctx.ForcePropagation(command.ToAll)
	ctx.W.OK()
}

func flushallCmd(s *Server, c *client, ctx *command.Ctx) {
	async, ok := flushArg(s, ctx)
	if !ok {
		return
	}
	// A background save would bring the flushed data back at the next
	// start: it stops, as Redis kills its child.
	s.abortBackgroundSave()
	n := 0
	for _, db := range s.ks.DBs {
		n += s.flush(db, async)
	}
	s.trackingFlushed(c)
	// FLUSHALL always counts as a change, even of an empty dataset. With
	// save points, an empty snapshot replaces the old one, so that a
	// restart cannot bring the data back; the change is then the only
	// one since that save.
	ctx.Dirty += int64(n) + 1
	if len(s.cfg.Save) > 0 && s.saveSnapshot() == nil {
		ctx.Dirty = 1
	}
	ctx.ForcePropagation(command.ToAll)
	ctx.W.OK()
}

func swapdbCmd(s *Server, c *client, ctx *command.Ctx) {
	a, ok := protocol.ParseInt(ctx.Args[1])
	if !ok {
		ctx.Err("ERR invalid first DB index")
		return
	}
	b, ok := protocol.ParseInt(ctx.Args[2])
	if !ok {
		ctx.Err("ERR invalid second DB index")
		return
	}
	n := int64(len(s.ks.DBs))
	if a < 0 || a >= n || b < 0 || b >= n {
		ctx.Err("ERR DB index is out of range")
		return
	}
	if a != b {
		x, y := s.ks.DBs[a], s.ks.DBs[b]
		s.touchWatchedInDB(x, y)
		s.touchWatchedInDB(y, x)
		s.signalDeletedStreams(x, y)
		s.signalDeletedStreams(y, x)
		s.ks.Swap(int(a), int(b))
		// Swap exchanges the contents, not the DB objects' ids.
		s.signalExistingKeys(s.ks.DBs[a])
		s.signalExistingKeys(s.ks.DBs[b])
		ctx.Dirty++
	}
	ctx.W.OK()
}

func lastsaveCmd(s *Server, c *client, ctx *command.Ctx) { ctx.W.Int(s.lastSave) }

func monitorCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagMonitor == 0 {
		c.flags |= flagMonitor
		s.monitors = append(s.monitors, c)
	}
	ctx.W.OK()
}

// validClientName checks a CLIENT SETNAME / HELLO SETNAME argument.
func validClientName(name []byte) string {
	for _, ch := range name {
		if ch < '!' || ch > '~' {
			return "ERR Client names cannot contain spaces, newlines or special characters."
		}
	}
	return ""
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
