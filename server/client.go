package server

import (
	"crypto/tls"
	"errors"
	"github.com/redoubt-db/redoubt/acl"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Client flags.
type clientFlags uint32

const (
	flagMulti clientFlags = 1 << iota
	flagDirtyCAS
	flagDirtyExec
	flagMonitor
	flagNoEvict
	flagNoTouch
	flagReplyOff
	flagReplySkipNext
	flagReplySkip
	flagPubSub
	flagDenyBlocking // inside EXEC (or a script): blocking commands do not block
	// Client-side caching (CLIENT TRACKING and its options).
	flagTracking
	flagTrackingBrokenRedir
	flagTrackingBcast
	flagTrackingOptin
	flagTrackingOptout
	flagTrackingCaching // CLIENT CACHING given for the next command
	flagTrackingNoloop
	flagReplica  // attached with SYNC: gets the replication stream
	flagReplayed // the AOF client: its commands were decided elsewhere
	flagPrimary  // our primary's client, on a replica
	flagUnixSocket
)

// Close states: atomic because other goroutines set them and the client's
// loop checks them outside the engine lock.
const (
	closeAfterReply int32 = 1 // finish writing pending replies, then close
	closeASAP       int32 = 2 // close without writing more
)

const (
	readBufInitial = 16 * 1024
	// readBufIdleMax is the query buffer an idle client may keep.
	readBufIdleMax = 32 * 1024
	// spareMax is the biggest output buffer kept for reuse after a write.
	spareMax = 64 * 1024
)

// client is one connection. Fields are guarded by the engine lock unless
// noted otherwise.
type client struct {
	s      *Server
	id     int64
	fd     int
	loop   *loop
	remote net.Addr
	addr   string
	laddr  string
	name   string
	db     *keyspace.DB
	resp   int
	authd  bool
	// user is the ACL user the client acts as.
	user  *acl.User
	flags clientFlags
	// closing is 0 or a close state.
	closing atomic.Int32

	created  time.Time
	lastSeen atomic.Int64 // Unix ms of the last read
	lastCmd  *command.Command
	curCmd   *command.Command
	// clock is the time the next command of the batch starts.
	clock time.Time

	// Owned by the client's loop: the query buffer and its parser.
	parser *protocol.Parser
	rbuf   []byte
	r, w   int // unparsed bytes are rbuf[r:w]
	// big is the big argument being read into an allocation of its own
	// (bigarg.go); bigArgs are the mappings of the next command's big
	// arguments, and held its arguments when it waits for a pause.
	big     *bigArg
	bigArgs [][]byte
	held    [][]byte
	// prefetchKeys holds the keys of the pipeline's next requests while
	// their look-ups are fetched ahead (prefetchAhead); prefetchLeft is
	// how many requests that covered are still to run.
	prefetchKeys [keyspace.MaxPrefetch][]byte
	prefetchLeft int
	// Loop bookkeeping: scheduled is guarded by the loop's mutex, the
	// others are the loop goroutine's own.
	scheduled     bool
	outRegistered bool // the epoll poller watches for writability
	// gone is set, by the loop, once the client's connection is closed.
	gone bool
	// port is the connection on the portable poller's path, nil on epoll's.
	port *portConn
	// tls is the client's TLS connection, nil for a plain one.
	tls *tls.Conn

	// reply collects the replies of the command being executed; it is
	// moved to out after each command.
	reply protocol.Writer
	// ctxs are the call contexts, one per nesting level (EXEC runs
	// commands inside its own call), reused so calls do not allocate.
	ctxs []*command.Ctx
	args [][]byte // arguments of the command being executed

	// outMu guards out: commands of other clients (MONITOR, Pub/Sub) append
	// to it while the loop writes it to the socket. A partial write moves
	// on in its first block rather than moving what is left.
	outMu sync.Mutex
	out   outBuf
	// writeMu is held while out's first block is being written, so that
	// a close does not release the block under a write in flight (the
	// portable poller's writer goroutine).
	writeMu sync.Mutex
	pending atomic.Int64 // bytes accepted but not yet written
	outMem  atomic.Int64 // capacity of the output's blocks (omem)
	// memCounted and memLocked are what the client last added to the
	// server's clientsMem; memGone is set once it is detached
	// (clientevict.go). lockedSeen is lockedMem as last published, read
	// under the engine lock.
	memMu                 sync.Mutex
	memCounted, memLocked int64
	memGone               bool
	lockedSeen            int64

	multi   multiState
	watched []watchKey
	subs    clientSubs
	track   trackState
	// blocked is the client's wait in a blocking command, or nil.
	blocked *blockState
	// stillBlocked is set when a retried blocked command blocks again.
	stillBlocked bool
	// paused is set while the client's next command waits for CLIENT
	// PAUSE to end.
	paused bool
	// rs is the replication state of a replica of ours, or of a client
	// that sent REPLCONF before PSYNC.
	rs *replicaState
	// softLimitSince is when the client went over its soft output buffer
	// limit (Unix ms), 0 if it is under it.
	softLimitSince int64

	// aofNeed is the AOF offset the client's pending output depends on:
	// its loop writes it only once the AOF holds that much (aofSync).
	aofNeed atomic.Int64

	netIn, netOut atomic.Int64
	// qbuf and qbufCap mirror the read buffer's use for CLIENT LIST,
	// which runs on other goroutines.
	qbuf, qbufCap atomic.Int64
	// rbSize and rbPeak are the reply buffer's size and peak use as
	// Redis would have them, and rbPeakReset when the peak was last
	// reset, Unix ms (replybufsize.go); written under outMu.
	rbSize, rbPeak atomic.Int64
	rbPeakReset    int64
}

func (s *Server) newClient(fd int, remote, local net.Addr) *client {
	c := &client{
		s:       s,
		id:      s.nextID.Add(1),
		fd:      fd,
		remote:  remote,
		addr:    remote.String(),
		laddr:   local.String(),
		resp:    2,
		created: time.Now(),
		parser:  protocol.NewParser(),
		rbuf:    make([]byte, readBufInitial),
		db:      s.ks.DBs[0],
	}
	c.initReplyBuf(c.created.UnixMilli())
	c.lastSeen.Store(now())
	c.qbufCap.Store(readBufInitial)
	c.syncMem()
	c.reply.Resp = 2
	// A network client's replies are chains of pooled blocks (outbuf.go).
	c.reply.SetBlocks(blockPool, nil)
	return c
}

// refuseReason says why a new connection must be turned away, if it must.
func (s *Server) refuseReason(c *client) string {
	if int64(len(s.clients)) >= s.cfg.MaxClients {
		return "ERR max number of clients reached"
	}
	// Whatever bind says, as Redis 7.0 does: a default user without a
	// password serves the loopback interface (and Unix sockets) only.
	if s.cfg.ProtectedMode && s.acl.users.Default().NoPass() && !isLoopback(c.remote) {
		return protectedModeMsg
	}
	return ""
}

func isLoopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return !ok || ta.IP.IsLoopback()
}

// protectedModeMsg is Redis 7.0's text, "Setup a an" included.
const protectedModeMsg = "DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."

// makeRoom compacts or grows the read buffer when it is full. It reports
// false if the client went over client-query-buffer-limit.
func (c *client) makeRoom() bool {
	if c.r > 0 {
		copy(c.rbuf, c.rbuf[c.r:c.w])
		c.w -= c.r
		c.r = 0
		return true
	}
	if int64(len(c.rbuf)) >= c.s.cfg.ClientQueryBufferLimit {
		c.s.log.Warningf("Closing client that reached max query buffer length: %s (qbuf initial bytes: %q)",
			c.info(), c.rbuf[:min(c.w, 64)])
		return false
	}
	// Grow by doubling, never to a length the client merely announced: a
	// hostile "$536870912" costs nothing until the bytes really arrive.
	// The last step of a big argument fits it exactly.
	size := 2 * len(c.rbuf)
	if need := c.parser.NeedBytes(c.w); need > 0 && c.w+need < size {
		size = c.w + need
	}
	size = int(min(int64(size), c.s.cfg.ClientQueryBufferLimit))
	nb := make([]byte, size)
	copy(nb, c.rbuf[:c.w])
	c.rbuf = nb
	return true
}

// processInput parses and runs the complete commands in the query buffer,
// until it is empty or the client blocks or must wait for a pause. The
// caller (the client's loop) holds the engine lock.
func (c *client) processInput() {
	s := c.s
	c.prefetchLeft = 0
	for (c.r < c.w || c.held != nil) && c.closing.Load() == 0 && c.blocked == nil && !c.paused {
		var args [][]byte
		start := c.r
		if c.prefetchLeft == 0 && c.held == nil {
			c.prefetchAhead()
		}
		c.prefetchLeft = max(c.prefetchLeft-1, 0)
		if c.held != nil {
			// A command with big arguments that waited for a pause.
			args, c.held = c.held, nil
		} else {
			c.parser.Unauthenticated = !c.authd
			c.parser.MaxBulkLen = s.cfg.ProtoMaxBulkLen
			var n int
			var err error
			args, n, err = c.parser.Next(c.rbuf[c.r:c.w])
			if err != nil {
				var pe *protocol.ProtocolError
				if errors.As(err, &pe) {
					c.protocolError(pe.Msg)
				}
				break
			}
			c.r += n
		}
		if len(args) == 0 {
			continue
		}
		// While a command runs, CLIENT LIST counts it in qbuf, as Redis
		// does (the command is still in its query buffer).
		c.qbuf.Store(int64(c.w-start) + c.bigLen())
		c.args = args
		c.reply.SetLimit(c.replyLimit())
		c.donateBigArgs()
		if !s.processCommand(c) {
			// Paused: the command runs again when the pause ends.
			c.args = nil
			if len(c.bigArgs) > 0 {
				// Its big arguments are not in the query buffer
				// any more: it keeps them, and copies the others,
				// which the buffer's next compaction would move.
				s.ks.Arena.Reclaim()
				c.held = c.holdArgs(args)
			} else {
				c.r = start
			}
			break
		}
		if lim := s.cfg.BigReplyAlarmBytes; lim > 0 && int64(c.reply.Len()) > lim {
			s.noteBigReply(c, c.args, c.reply.Len())
		}
		c.args = nil
		c.releaseBigArgs()
		c.syncLocked()
		c.commitReply()
		if len(s.tracking.pending) > 0 {
			s.trackingSendPending(c)
		}
		// CLIENT REPLY SKIP silences the command after it.
		if c.flags&flagReplySkip != 0 {
			c.flags &^= flagReplySkip
		}
		if c.flags&flagReplySkipNext != 0 {
			c.flags = c.flags&^flagReplySkipNext | flagReplySkip
		}
	}
	// Between batches the reply buffer goes back to the pool.
	c.reply.Idle()
	c.startBigArg()
	if c.r == c.w {
		c.r, c.w = 0, 0
		if len(c.rbuf) > readBufIdleMax {
			c.rbuf = make([]byte, readBufInitial)
		}
	}
	c.syncQbuf()
}

// prefetchAhead fetches ahead the look-ups of the next requests of a
// pipeline (up to keyspace.MaxPrefetch of them), so that their cache
// misses overlap instead of coming one command after another. Each
// request's second argument is taken for a key in the client's
// database: a guess, right for most commands, and a wrong one costs a
// wasted fetch. A lone request gains nothing from it and is left alone.
func (c *client) prefetchAhead() {
	keys := c.prefetchKeys[:]
	nk, nr := protocol.PeekKeys(c.rbuf[c.r:c.w], keys)
	if nr > 1 {
		c.db.Prefetch(keys[:nk])
	}
	clear(keys[:nk])
	c.prefetchLeft = nr
}

// protocolError replies with the error and closes the connection after
// the reply, as Redis does.
func (c *client) protocolError(msg string) {
	c.s.log.Verbosef("Protocol error (%s) from client: %s", msg, c.info())
	c.reply.Error("ERR " + msg)
	c.s.stats.totalErrorReplies++
	c.s.errStats["ERR"]++
	c.commitReply()
	c.closing.Store(closeAfterReply)
}

// commitReply moves the current command's reply to the output buffer,
// honouring CLIENT REPLY OFF/SKIP. A reply that passed the output limit
// while it was built (the Writer dropped it) closes the client at once
// with nothing more written, as Redis's closeClientOnOutputBufferLimitReached
// does from inside the reply.
func (c *client) commitReply() {
	if c.reply.Over() {
		c.reply.Reset()
		c.outputLimitReached()
		return
	}
	if c.reply.Len() == 0 {
		return
	}
	if c.flags&(flagReplyOff|flagReplySkip) != 0 {
		c.reply.Reset()
		return
	}
	c.s.aofMark(c)
	c.outMu.Lock()
	c.out.take(&c.reply)
	c.outCounts()
	c.outMu.Unlock()
	if (!c.authd || c.s.obuf[obufNormal] != (config.OutputBufferLimit{})) && c.s.overOutputLimit(c) {
		c.outputLimitReached()
	}
}

// outputLimitReached closes a client over its output limits.
func (c *client) outputLimitReached() {
	if c.closing.Load() == closeASAP {
		return
	}
	c.s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.info())
	c.s.killClient(c)
}

// outCounts publishes the output's figures; the caller holds outMu.
func (c *client) outCounts() {
	c.pending.Store(c.out.bytes)
	c.noteReplyBufUse()
	c.outMem.Store(c.out.mem)
	c.syncMem()
}

// omem is CLIENT LIST's omem, the figure the output limits compare: the
// output's blocks, less the standard one, which stands for the 16 KiB
// static buffer Redis leaves out of it.
func (c *client) omem() int64 {
	return max(c.outMem.Load()-protocol.ChunkSize, 0)
}

// replyLimit is how big the reply being built may grow before the client
// is to be closed (0: no limit): the hard limit of its class, or the
// unauthenticated client's cap, less what its output holds already.
func (c *client) replyLimit() int {
	if !c.authd {
		return int(max(unauthOutputLimit-c.pending.Load(), 1))
	}
	// The classes of clientType, from the flags (this runs per command).
	hard := c.s.obuf[obufNormal].Hard
	switch {
	case c.flags&flagReplica != 0:
		hard = c.s.obuf[obufReplica].Hard
	case c.flags&flagPubSub != 0:
		hard = c.s.obuf[obufPubsub].Hard
	}
	if hard == 0 {
		return 0
	}
	return int(max(int64(hard)-c.omem(), 1))
}

// push appends output that was not produced by the client's own command
// (MONITOR lines, pub/sub messages) and has the client's loop write it.
// The caller holds the engine lock.
func (c *client) push(b []byte) {
	c.s.aofMark(c)
	c.outMu.Lock()
	c.out.add(b)
	c.outCounts()
	c.outMu.Unlock()
	c.wake()
}

// pushReply moves what a command wrote so far to the output, as push.
func (c *client) pushReply(w *protocol.Writer) {
	c.s.aofMark(c)
	c.outMu.Lock()
	c.out.take(w)
	c.outCounts()
	c.outMu.Unlock()
	c.wake()
}

// releaseBuffers gives a closed client's blocks back. The caller holds
// the engine lock and writeMu: nothing writes the client's output.
func (c *client) releaseBuffers() {
	c.freeBigArgs()
	c.reply.Reset()
	blockPool.Release(c.reply.Buf)
	c.reply.Buf = nil
	c.outMu.Lock()
	c.out.release()
	c.outCounts()
	c.outMu.Unlock()
}

// wake asks the client's loop to look at it.
func (c *client) wake() {
	if c.loop != nil {
		c.loop.schedule(c)
	}
}

func (c *client) info() string {
	var b strings.Builder
	nowMs := now()
	age := int64(time.Since(c.created).Seconds())
	idle := (nowMs - c.lastSeen.Load()) / 1000
	cmd := "NULL"
	if c.lastCmd != nil {
		cmd = c.lastCmd.Name
	}
	flags := c.flagString()
	qbuf := c.qbuf.Load()
	b.WriteString("id=" + strconv.FormatInt(c.id, 10))
	b.WriteString(" addr=" + c.addr)
	b.WriteString(" laddr=" + c.laddr)
	b.WriteString(" fd=" + strconv.Itoa(c.fd))
	b.WriteString(" name=" + c.name)
	b.WriteString(" age=" + strconv.FormatInt(age, 10))
	b.WriteString(" idle=" + strconv.FormatInt(idle, 10))
	b.WriteString(" flags=" + flags)
	b.WriteString(" db=" + strconv.Itoa(c.db.ID))
	b.WriteString(" sub=" + strconv.Itoa(len(c.subs.channels)))
	b.WriteString(" psub=" + strconv.Itoa(len(c.subs.patterns)))
	b.WriteString(" ssub=" + strconv.Itoa(len(c.subs.shard)))
	multi := -1
	if c.flags&flagMulti != 0 {
		multi = len(c.multi.queue)
	}
	b.WriteString(" multi=" + strconv.Itoa(multi))
	b.WriteString(" qbuf=" + strconv.FormatInt(qbuf, 10))
	b.WriteString(" qbuf-free=" + strconv.FormatInt(c.qbufCap.Load()-qbuf, 10))
	b.WriteString(" argv-mem=" + strconv.Itoa(c.argvMem()))
	b.WriteString(" multi-mem=" + strconv.Itoa(c.multi.mem))
	omem := c.omem()
	b.WriteString(" rbs=" + strconv.FormatInt(c.rbSize.Load(), 10))
	b.WriteString(" rbp=" + strconv.FormatInt(c.rbPeak.Load(), 10))
	b.WriteString(" obl=0 oll=0")
	b.WriteString(" omem=" + strconv.FormatInt(omem, 10))
	b.WriteString(" tot-mem=" + strconv.FormatInt(c.memUsage(), 10))
	events := "r"
	if c.pending.Load() > 0 {
		events = "rw"
	}
	b.WriteString(" events=" + events)
	b.WriteString(" cmd=" + cmd)
	b.WriteString(" user=" + c.userName())
	b.WriteString(" redir=" + strconv.FormatInt(c.trackingRedirect(), 10))
	b.WriteString(" resp=" + strconv.Itoa(c.resp))
	return b.String()
}

func (c *client) argvMem() int {
	n := 0
	for _, a := range c.args {
		n += len(a)
	}
	return n
}

func (c *client) flagString() string {
	var b []byte
	if c.flags&flagReplica != 0 {
		b = append(b, 'S')
	}
	if c.flags&flagMonitor != 0 {
		b = append(b, 'O')
	}
	if c.flags&flagPrimary != 0 {
		b = append(b, 'M')
	}
	if c.flags&flagPubSub != 0 {
		b = append(b, 'P')
	}
	if c.flags&flagMulti != 0 {
		b = append(b, 'x')
	}
	if c.blocked != nil {
		b = append(b, 'b')
	}
	if c.flags&flagTracking != 0 {
		b = append(b, 't')
	}
	if c.flags&flagTrackingBrokenRedir != 0 {
		b = append(b, 'R')
	}
	if c.flags&flagTrackingBcast != 0 {
		b = append(b, 'B')
	}
	if c.flags&flagDirtyCAS != 0 {
		b = append(b, 'd')
	}
	switch c.closing.Load() {
	case closeAfterReply:
		b = append(b, 'c')
	case closeASAP:
		b = append(b, 'A')
	}
	if c.flags&flagUnixSocket != 0 {
		b = append(b, 'U')
	}
	if c.flags&flagNoEvict != 0 {
		b = append(b, 'e')
	}
	if c.flags&flagNoTouch != 0 {
		b = append(b, 'T')
	}
	if len(b) == 0 {
		b = append(b, 'N')
	}
	return string(b)
}

// ctxAt returns the reusable call context for a nesting depth.
func (c *client) ctxAt(depth int) *command.Ctx {
	for len(c.ctxs) <= depth {
		c.ctxs = append(c.ctxs, new(command.Ctx))
	}
	return c.ctxs[depth]
}

// setResp changes the client's protocol version.
func (c *client) setResp(v int) {
	c.resp = v
	c.reply.Resp = v
}
