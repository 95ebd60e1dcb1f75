package server

import (
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Blocking commands (Redis's blocked.c). A handler that finds nothing to
// serve calls ctx.Block: the client is queued on its keys and, once the
// handler returns, its goroutine gives up the engine lock and sleeps. A
// command that adds elements calls ctx.SignalReady; after that command
// the server runs each blocked command again, first blocked first served,
// on the signalling goroutine and under the lock, and the reply goes to
// the blocked client's output. Timeouts and CLIENT UNBLOCK end the wait
// with a null or an error.

type blockKey struct {
	db  int
	key string
}

// blockState is a blocked client's wait.
type blockState struct {
	cmd   *command.Command
	args  [][]byte
	keys  []blockKey
	timer *time.Timer // the deadline, if any
	// ran is how long the command ran before it blocked.
	ran time.Duration
	// WAIT waits for waitNum replicas to acknowledge waitOff.
	waitOff int64
	waitNum int
	// walk is a KEYS listing a big database in steps (keyswalk.go).
	walk *keysWalk
}

// Block implements engine.Host: it registers the calling client as
// blocked on keys. A retry that blocks again keeps its registration.
func (s *Server) Block(ctx *command.Ctx, keys [][]byte, deadline int64) bool {
	c := ctx.Client.(*client)
	if c.flags&flagDenyBlocking != 0 {
		return false
	}
	if ctx.Retry {
		c.stillBlocked = true
		return true
	}
	b := &blockState{cmd: ctx.Cmd, args: copyArgs(ctx.Args)}
	for _, k := range keys {
		bk := blockKey{db: ctx.DB.ID, key: string(k)}
		b.keys = append(b.keys, bk)
		s.blockedOn[bk] = append(s.blockedOn[bk], c)
	}
	if deadline > 0 {
		b.timer = time.AfterFunc(time.Until(time.UnixMilli(deadline)), func() { s.blockTimedOut(c, b) })
	}
	c.blocked = b
	s.blockedClients++
	return true
}

// blockTimedOut ends a wait whose deadline passed with a null reply.
func (s *Server) blockTimedOut(c *client, b *blockState) {
	s.eng.Lock()
	defer s.eng.Unlock()
	if c.blocked != b {
		return // served meanwhile
	}
	c.reply.NullArray()
	s.endBlock(c, 0)
}

func copyArgs(args [][]byte) [][]byte {
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	out := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		out[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	return out
}

// Waited implements engine.Host.
func (s *Server) Waited(db int, key []byte) bool {
	if len(s.blockedOn) == 0 {
		return false
	}
	_, ok := s.blockedOn[blockKey{db: db, key: string(key)}]
	return ok
}

// ServeReady implements engine.Host: it runs again the commands of the
// clients blocked on a key that became ready, first blocked first
// served. The engine calls it when the unit that made the key ready
// ends, and again for keys the served commands make ready (BLMOVE
// pushes to its destination).
func (s *Server) ServeReady(db int, key []byte) {
	bk := blockKey{db: db, key: string(key)}
	for _, c := range append([]*client(nil), s.blockedOn[bk]...) {
		if c.blocked == nil {
			continue
		}
		s.retryBlocked(c, bk.key)
	}
}

// retryBlocked runs a blocked client's command again on its behalf,
// because key became ready.
func (s *Server) retryBlocked(c *client, key string) {
	b := c.blocked
	c.stillBlocked = false
	saved := c.clock
	c.clock = time.Now()
	c.reply.SetLimit(c.replyLimit())
	d := s.execute(c, b.cmd, b.args, []byte(key))
	c.clock = saved
	if c.stillBlocked {
		c.reply.Truncate(0)
		return
	}
	s.endBlock(c, d)
}

// endBlock hands a blocked client its reply and wakes it, and counts the
// command, which ran for d more when it was served. The reply goes to the
// output buffer first: the woken loop may write before we return.
func (s *Server) endBlock(c *client, d time.Duration) {
	b := c.blocked
	s.recordCall(c, b.cmd, b.args, b.ran+d)
	c.commitReply()
	s.unblock(c)
	if len(s.tracking.pending) > 0 {
		s.trackingSendPending(c)
	}
}

// unblock removes a client from the blocked tables and has its loop
// carry on with its output and its next commands.
func (s *Server) unblock(c *client) {
	b := c.blocked
	if b == nil {
		return
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	for _, bk := range b.keys {
		if rest := removeClient(s.blockedOn[bk], c); len(rest) > 0 {
			s.blockedOn[bk] = rest
		} else {
			delete(s.blockedOn, bk)
		}
	}
	if b.waitNum > 0 {
		s.repl.waiting = removeClient(s.repl.waiting, c)
	}
	c.blocked = nil
	if b.walk == nil {
		s.blockedClients--
	}
	c.wake()
}

func clientUnblockCmd(s *Server, c *client, ctx *command.Ctx) {
	id, ok := ctx.IntMsg(2, "ERR value is not an integer or out of range")
	if !ok {
		return
	}
	withError := false
	if len(ctx.Args) == 4 {
		switch {
		case ctx.Is(3, "timeout"):
		case ctx.Is(3, "error"):
			withError = true
		default:
			ctx.Err("ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
			return
		}
	}
	target := s.clients[id]
	if target == nil || target.blocked == nil || target.blocked.walk != nil {
		ctx.W.Int(0)
		return
	}
	if withError {
		target.reply.Error("UNBLOCKED client unblocked via CLIENT UNBLOCK")
		s.RecordError("UNBLOCKED")
		// The blocked command failed (Redis's updateStatsOnUnblock).
		target.blocked.cmd.Stats.Failed++
	} else {
		target.reply.NullArray()
	}
	s.endBlock(target, 0)
	ctx.W.Int(1)
}

// signalDeletedStreams signals the stream keys of emptied that clients
// wait on and that replacedWith (nil for a flush) does not hold as
// streams: their blocked readers are told the stream is gone (FLUSHDB,
// FLUSHALL, SWAPDB).
func (s *Server) signalDeletedStreams(emptied, replacedWith *keyspace.DB) {
	for bk := range s.blockedOn {
		if bk.db != emptied.ID || !isStream(emptied, bk.key) {
			continue
		}
		if replacedWith == nil || !isStream(replacedWith, bk.key) {
			s.eng.SignalReady(bk.db, []byte(bk.key))
		}
	}
}

// signalExistingKeys signals every key of db that clients wait on and
// that exists: after SWAPDB, a list a client waits for may now be there.
func (s *Server) signalExistingKeys(db *keyspace.DB) {
	for bk := range s.blockedOn {
		if bk.db == db.ID && db.Find([]byte(bk.key)) != dict.None {
			s.eng.SignalReady(bk.db, []byte(bk.key))
		}
	}
}

func isStream(db *keyspace.DB, key string) bool {
	id := db.Find([]byte(key))
	return id != dict.None && db.Kind(id) == keyspace.KindStream
}
