package server

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/repl"
	"github.com/redoubt-db/redoubt/snapshot"
)

// Replication, the primary's side (Redis's replication.c): the stream,
// the backlog, PSYNC, REPLCONF, WAIT, ROLE. The replica's side is in
// replica.go.
//
// The stream is the engine's propagated stream: what a replica replays
// is byte for byte what the AOF records, each database change announced
// by a SELECT, and a PING every repl-ping-replica-period seconds. Its
// bytes go to the backlog (package repl), created when the first replica
// attaches and kept while replicas come and go, and to every replica
// online. A replica that reconnects asks for the bytes it missed with
// PSYNC <replid> <offset>; when the backlog still has them it gets
// +CONTINUE and them, otherwise a full resynchronisation: +FULLRESYNC
// <replid> <offset>, a snapshot of the dataset as it was at that offset,
// then the stream from it.
//
// The snapshot is the fork-less point-in-time walk BGSAVE uses
// (snapshot.Background), streamed to the replicas' sockets as it is made
// (repl-diskless-sync yes, to replicas that announced "capa eof"), or
// written to a file first and then sent as a bulk of known length. The
// stream that flows meanwhile is held per replica and follows the
// snapshot. The walk runs in its own goroutine, a step at a time under
// the engine lock, and waits for a slow replica's socket rather than
// filling memory with the file.
//
// Replication IDs follow Redis's PSYNC2: a primary's history is its
// replid; a replica takes its primary's; a promoted replica starts a new
// one and keeps the old as replid2 up to second_repl_offset, so that the
// other replicas of the old primary continue from it partially.

// replState is the replication state of both roles. Guarded by the
// engine lock.
type replState struct {
	id, id2 string
	// secondOffset is the last offset of id2's history (+1, as Redis
	// keeps it), -1 without one.
	secondOffset int64
	// offset is master_repl_offset: the length of the stream so far.
	offset  int64
	backlog *repl.Backlog
	// noReplicasSince is when the last replica left, for
	// repl-backlog-ttl.
	noReplicasSince time.Time
	// selDB is the database the stream is in (Redis's slaveseldb); -1
	// makes the next command announce its database.
	selDB    int
	buf      []byte
	lastPing time.Time
	unfeed   func()
	// lastNewline is when the replicas waiting for their snapshot were
	// last sent a newline.
	lastNewline time.Time
	replicas    []*client
	// pending are the replicas waiting for a snapshot to start
	// (repl-diskless-sync-delay); pendingSince is when the first came.
	pending      []*client
	pendingSince time.Time
	// jobs counts snapshots being sent.
	jobs int
	// waiting are the clients blocked in WAIT.
	waiting []*client
	// getAck asks the replicas for an acknowledgement before the next
	// batch ends (WAIT).
	getAck bool

	syncFull, syncPartialOK, syncPartialErr int64

	// master is the link to our primary when we are a replica.
	master *masterLink
	// cover is the backlog's cover (replcover.go).
	cover coverState
	// failover is a FAILOVER in progress.
	failover failover
	// localKeys are the keys clients wrote on a writable replica, which
	// the replica expires itself (replicaCron).
	localKeys map[blockKey]struct{}
	// noHistory: the dataset belongs to no history a primary could
	// continue (a full resynchronisation failed half-way): the next
	// PSYNC asks for everything.
	noHistory bool
}

// Replica states, as INFO shows them.
const (
	replWaitStart = iota // wait_bgsave: the snapshot has not started
	replSending          // send_bulk: the snapshot is being sent
	replWaitAck          // the snapshot was sent diskless; online at the first ACK
	replOnline
)

// replicaState is what a primary knows of one of its replicas.
type replicaState struct {
	state int
	// hold is the stream since the replica's snapshot, until it is sent.
	hold []byte
	// ackOff and ackTime are the last REPLCONF ACK.
	ackOff  int64
	ackTime time.Time
	// listenPort and announceIP are REPLCONF listening-port and
	// ip-address.
	listenPort int
	announceIP string
	capaEOF    bool
	capaPsync2 bool
	// oldSync: attached with SYNC, so it gets the bulk without
	// +FULLRESYNC and no acknowledgement is expected.
	oldSync bool
	// gone is set when the client is closed, for the snapshot's writer.
	gone atomic.Bool
	// filter is what REPLCONF rdb-filter-only leaves out of its
	// snapshot (redis-cli --functions-rdb): a mask of rdbNoData and
	// rdbNoFunctions.
	filter int
}

const (
	rdbNoData = 1 << iota
	rdbNoFunctions
)

func (s *Server) initRepl() {
	r := &s.repl
	r.id = repl.NewID()
	r.id2 = repl.NoID
	r.secondOffset = -1
	r.selDB = -1
}

// replFeed is the engine's propagated stream as seen by replication.
type replFeed struct{ s *Server }

func (f *replFeed) Feed(db int, args [][]byte) { f.s.replFeed(db, args) }

var argSelect = []byte("SELECT")

// replFeed appends a propagated command to the stream (Redis's
// replicationFeedSlaves). A replica feeds nothing of its own: it passes
// its primary's stream on as it came (replicaProxy).
func (s *Server) replFeed(db int, args [][]byte) {
	r := &s.repl
	if r.backlog == nil || r.master != nil {
		return
	}
	r.buf = r.buf[:0]
	if db != r.selDB {
		var n [20]byte
		r.buf = protocol.AppendCommandBytes(r.buf, argSelect, strconv.AppendInt(n[:0], int64(db), 10))
		r.selDB = db
	}
	r.buf = protocol.AppendCommandBytes(r.buf, args...)
	s.replAppend(r.buf)
}

// replAppend adds bytes to the stream: the backlog, the replicas online,
// and the held stream of those whose snapshot is on its way.
func (s *Server) replAppend(b []byte) {
	r := &s.repl
	if r.backlog == nil {
		return
	}
	s.backlogRoom(len(b))
	r.backlog.Append(b)
	r.offset = r.backlog.End()
	for _, c := range r.replicas {
		switch c.rs.state {
		case replOnline:
			c.push(b)
			if s.overOutputLimit(c) {
				s.replicaOverLimit(c)
			}
		case replSending, replWaitAck:
			c.rs.hold = append(c.rs.hold, b...)
			if lim := s.obuf[obufReplica].Hard; lim > 0 && uint64(len(c.rs.hold)) >= lim {
				s.replicaOverLimit(c)
			}
		}
	}
}

func (s *Server) replicaOverLimit(c *client) {
	s.log.Warningf("Client %s scheduled to be closed ASAP for overcoming of output buffer limits.", c.info())
	s.killClient(c)
}

// createBacklog starts the backlog at the current offset. As in Redis, a
// new backlog comes with a new history: nothing before it can be
// continued from.
func (s *Server) createBacklog() {
	r := &s.repl
	r.backlog = repl.NewBacklog(int(s.cfg.ReplBacklogSize), r.offset)
	r.selDB = -1
	r.noReplicasSince = time.Now()
	// The cover's first mark is the backlog's start.
	r.cover.marks = append(r.cover.marks[:0], coverMark{time.Now().UnixMilli(), r.offset})
	if r.unfeed == nil {
		// Commands are recorded for replicas only while there is a
		// backlog to take them (Redis's shouldPropagate).
		r.unfeed = s.eng.AddFeed(&replFeed{s}, command.ToReplicas)
	}
}

// freeBacklog drops the backlog; with it goes the history.
func (s *Server) freeBacklog() {
	r := &s.repl
	r.backlog = nil
	if r.unfeed != nil {
		r.unfeed()
		r.unfeed = nil
	}
}

// replSaveInfo adds the replication history to a snapshot's AUX fields
// (Redis's rdbPopulateSaveInfo): a primary with a backlog saves its
// own, a replica its primary's as far as it applied it, with the
// database its stream is in.
func (s *Server) replSaveInfo(info *snapshot.Info) {
	r := &s.repl
	switch {
	case r.master != nil && !r.noHistory:
		info.ReplID, info.ReplOffset, info.ReplStreamDB = r.id, r.offset, r.master.client.db.ID
	case r.master == nil && r.backlog != nil:
		info.ReplID, info.ReplOffset, info.ReplStreamDB = r.id, r.offset, max(r.selDB, 0)
	}
}

// startReplication takes up the history saved in the file loaded at
// start, and connects to the primary when replicaof is configured. A
// replica continues as its primary's replica at the saved offset; a
// primary keeps the saved history as its second ID, so that its
// replicas can continue from it. The caller holds the engine lock.
func (s *Server) startReplication() {
	r := &s.repl
	got := s.persist.loadedRepl
	valid := got.ReplID != "" && len(got.ReplID) == repl.IDLen && got.ReplOffset >= 0 && got.ReplStreamDB >= 0 && got.ReplStreamDB < len(s.ks.DBs)
	if s.cfg.ReplicaOfHost != "" {
		if valid {
			r.id, r.offset = got.ReplID, got.ReplOffset
			s.createBacklog()
			r.selDB = got.ReplStreamDB
		} else {
			// Nothing loaded says which history the data belongs to:
			// ask for a full resync (PSYNC ? -1), as Redis does without
			// a cached primary, not with an ID of our own that no
			// primary can know.
			r.noHistory = true
		}
		s.setPrimary(s.cfg.ReplicaOfHost, int(s.cfg.ReplicaOfPort))
		return
	}
	if valid {
		// The keys that expired while we were down were dropped by the
		// load: their deletions come first in the new stream, as Redis
		// puts them in its backlog, after the saved offset.
		r.id2, r.secondOffset = got.ReplID, got.ReplOffset+1
		r.offset = got.ReplOffset
		s.createBacklog()
		verb := "DEL"
		if s.cfg.LazyfreeLazyExpire {
			verb = "UNLINK"
		}
		for _, k := range s.persist.loadExpired {
			s.replFeed(k.db, [][]byte{[]byte(verb), []byte(k.key)})
		}
		r.noReplicasSince = time.Now()
	}
	s.persist.loadExpired = nil
}

// ---- SYNC and PSYNC ----

// syncCmd is SYNC and PSYNC (Redis's syncCommand).
func syncCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagReplica != 0 {
		return // Redis ignores SYNC from a replica
	}
	r := &s.repl
	if c.rs == nil {
		c.rs = &replicaState{}
	}
	psync := ctx.Cmd.Name == "psync"
	if psync && len(ctx.Args) > 3 && ctx.Is(3, "failover") && !s.psyncFailover(c, ctx) {
		return
	}
	if r.failover.state != noFailover {
		ctx.Err("NOMASTERLINK Can't SYNC while failing over")
		return
	}
	// A filtered snapshot is always streamed (a file would be mistaken
	// for the server's own), so it needs a replica that reads one.
	if c.rs.filter != 0 && !c.rs.capaEOF {
		ctx.Err("ERR Filtered replica requires EOF capability")
		return
	}
	s.log.Noticef("Replica %s asks for synchronization", c.replicaName())
	if r.master != nil && r.master.state != linkConnected {
		ctx.Err("NOMASTERLINK Can't SYNC while not connected with my master")
		return
	}
	if c.pending.Load() > 0 || ctx.W.Len() > 0 {
		ctx.Err("ERR SYNC and PSYNC are invalid with pending output")
		return
	}
	if psync {
		id, off := string(ctx.Args[1]), int64(-1)
		if n, err := strconv.ParseInt(string(ctx.Args[2]), 10, 64); err == nil {
			off = n
		} else {
			ctx.Err("ERR value is not an integer or out of range")
			return
		}
		if s.tryPartialResync(c, ctx, id, off) {
			r.syncPartialOK++
			return
		}
		if id != "?" {
			r.syncPartialErr++
		}
	} else {
		c.rs.oldSync = true
	}
	r.syncFull++
	c.flags |= flagReplica
	c.rs.state = replWaitStart
	s.addReplica(c)
	if r.backlog == nil {
		// A new history: what was fed before cannot be continued from.
		r.id = repl.NewID()
		r.id2, r.secondOffset = repl.NoID, -1
		s.createBacklog()
		s.log.Noticef("Replication backlog created, my new replication IDs are '%s' and '%s'", r.id, r.id2)
	}
	diskless := s.cfg.ReplDisklessSync && c.rs.capaEOF
	if diskless && s.cfg.ReplDisklessSyncDelay > 0 {
		if len(r.pending) == 0 {
			r.pendingSince = time.Now()
		}
		r.pending = append(r.pending, c)
		s.log.Noticef("Delay next BGSAVE for diskless SYNC")
		if max := s.cfg.ReplDisklessSyncMaxReplicas; max > 0 && int64(len(r.pending)) >= max {
			s.startFullSync(ctx)
		}
		return
	}
	r.pending = append(r.pending, c)
	s.startFullSync(ctx)
}

// tryPartialResync answers PSYNC with +CONTINUE and the missed bytes when
// the backlog has them (Redis's masterTryPartialResynchronization).
func (s *Server) tryPartialResync(c *client, ctx *command.Ctx, id string, off int64) bool {
	r := &s.repl
	if id == "?" {
		return false
	}
	if id != r.id && (id != r.id2 || off > r.secondOffset) {
		if id != r.id && id != r.id2 {
			s.log.Noticef("Partial resynchronization not accepted: Replication ID mismatch (Replica asked for '%s', my replication IDs are '%s' and '%s')", id, r.id, r.id2)
		} else {
			s.log.Noticef("Partial resynchronization not accepted: Requested offset for second ID was %d, but I can reply up to %d", off, r.secondOffset)
		}
		return false
	}
	if r.backlog == nil || !r.backlog.Has(off) {
		s.log.Noticef("Unable to partial resync with replica %s for lack of backlog (Replica request was: %d).", c.replicaName(), off)
		if r.backlog != nil && off > r.offset+1 {
			s.log.Warningf("Warning: replica %s tried to PSYNC with an offset that is greater than the master replication offset.", c.replicaName())
		}
		return false
	}
	c.flags |= flagReplica
	c.rs.state = replOnline
	c.rs.ackTime = time.Now()
	s.replicaNoDelay(c)
	s.addReplica(c)
	if c.rs.capaPsync2 {
		ctx.W.Raw([]byte("+CONTINUE " + r.id + "\r\n"))
	} else {
		ctx.W.Raw([]byte("+CONTINUE\r\n"))
	}
	missed := r.backlog.From(nil, off)
	ctx.W.Raw(missed)
	s.log.Noticef("Partial resynchronization request from %s accepted. Sending %d bytes of backlog starting from offset %d.", c.replicaName(), len(missed), off)
	return true
}

// startFullSync starts one snapshot for every pending replica: each gets
// +FULLRESYNC with the offset the snapshot is taken at, and from then on
// the stream is held for it until its snapshot is sent. ctx is the
// calling command's, or nil from the cron. The caller holds the engine
// lock.
func (s *Server) startFullSync(ctx *command.Ctx) {
	r := &s.repl
	pending := r.pending
	r.pending = nil
	// Replicas that filter their snapshot differently cannot share one.
	for len(pending) > 0 {
		filter := pending[0].rs.filter
		var batch, rest []*client
		for _, c := range pending {
			if c.rs.filter == filter {
				batch = append(batch, c)
			} else {
				rest = append(rest, c)
			}
		}
		s.startFullSyncOf(ctx, batch, filter)
		pending = rest
	}
}

// startFullSyncOf starts one snapshot, filtered by filter, for a batch
// of replicas.
func (s *Server) startFullSyncOf(ctx *command.Ctx, batch []*client, filter int) {
	r := &s.repl
	diskless := s.cfg.ReplDisklessSync || filter != 0
	for _, c := range batch {
		if !c.rs.capaEOF {
			diskless = false
		}
	}
	target := "disk"
	if diskless {
		target = "replicas sockets"
	}
	s.log.Noticef("Starting BGSAVE for SYNC with target: %s", target)
	for _, c := range batch {
		c.rs.state = replSending
		c.rs.hold = nil
		if c.rs.oldSync {
			continue
		}
		line := []byte("+FULLRESYNC " + r.id + " " + strconv.FormatInt(r.offset, 10) + "\r\n")
		if ctx != nil && ctx.Client == c {
			ctx.W.Raw(line)
		} else {
			c.push(line)
		}
		s.log.Noticef("Full resync requested by replica %s", c.replicaName())
	}
	info := s.snapshotInfo()
	info.ReplID, info.ReplOffset, info.ReplStreamDB = r.id, r.offset, max(r.selDB, 0)
	info.NoData = filter&rdbNoData != 0
	if filter&rdbNoFunctions != 0 {
		info.Functions = nil
	}
	// The stream's next command announces its database, so the
	// snapshot's own SELECTs do not matter to it.
	r.selDB = -1
	b := snapshot.StartBackground(s.ks, s.eng, &s.cfg.Values, info)
	s.timeSteps(b)
	r.jobs++
	s.stats.jobs++
	s.noFsyncDuringJobs()
	delay := time.Duration(s.cfg.RDBKeySaveDelay) * time.Microsecond
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.sendSnapshot(b, batch, diskless, delay)
		s.eng.Lock()
		defer s.eng.Unlock()
		r.jobs--
		// What the walk held beyond the dataset: Redis reports its
		// replication child's copy-on-write here too.
		s.persist.lastCowSize = b.Peak
		s.fullSyncDone(batch, diskless, err)
	}()
}

// fullSyncDone ends the transfer to a batch of replicas: the held stream
// follows the snapshot, at once for a bulk of known length, at the first
// ACK for a diskless one (the replica cannot tell the end of the
// snapshot from the stream otherwise). The caller holds the engine lock.
func (s *Server) fullSyncDone(batch []*client, diskless bool, err error) {
	if err != nil {
		s.log.Warningf("Background transfer error: %v", err)
		for _, c := range batch {
			if !c.rs.gone.Load() {
				s.killClient(c)
			}
		}
		return
	}
	s.log.Noticef("Background RDB transfer terminated with success")
	for _, c := range batch {
		if c.rs.gone.Load() {
			continue
		}
		if diskless {
			c.rs.state = replWaitAck
			s.log.Noticef("Streamed RDB transfer with replica %s succeeded (socket). Waiting for REPLCONF ACK from replica to enable streaming", c.replicaName())
			continue
		}
		s.replicaOnline(c)
	}
}

// replicaOnline sends a replica the stream held since its snapshot and
// from now on the stream as it flows.
func (s *Server) replicaOnline(c *client) {
	c.rs.state = replOnline
	s.replicaNoDelay(c)
	c.rs.ackTime = time.Now()
	if len(c.rs.hold) > 0 {
		c.push(c.rs.hold)
	}
	c.rs.hold = nil
	s.log.Noticef("Synchronization with replica %s succeeded", c.replicaName())
}

// replicaNoDelay applies repl-disable-tcp-nodelay to a replica's socket
// once the stream flows: fewer, bigger packets, at the cost of delay.
func (s *Server) replicaNoDelay(c *client) {
	if s.cfg.ReplDisableTCPNoDelay {
		c.setNoDelay(false)
	}
}

// snapChunk is how much of the snapshot may wait in a replica's output
// buffer: the writer waits for the socket beyond it.
const snapChunk = 4 << 20

// sendSnapshot makes the snapshot and sends it to the batch's replicas,
// outside the engine lock except for the walk's steps.
func (s *Server) sendSnapshot(b *snapshot.Background, batch []*client, diskless bool, delay time.Duration) error {
	w := &replicaWriter{s: s, batch: batch}
	// The command that started the sync holds the lock until its reply
	// (+FULLRESYNC) is in the replica's output: nothing of the snapshot
	// may go before it.
	s.eng.Lock()
	s.eng.Unlock()
	if diskless {
		mark := []byte(repl.NewID())
		w.Write([]byte("$EOF:" + string(mark) + "\r\n"))
		if err := b.Stream(w, s.eng, delay); err != nil {
			return err
		}
		w.Write(mark)
		return w.err()
	}
	// A bulk of known length needs the file first.
	f, err := s.snapshotToTemp(b, delay)
	if err != nil {
		return err
	}
	return w.sendFile(f)
}

// replicaWriter writes the snapshot to each replica of a batch still
// connected, waiting while a replica's output is over snapChunk.
type replicaWriter struct {
	s     *Server
	batch []*client
}

func (w *replicaWriter) Write(p []byte) (int, error) {
	live := 0
	for _, c := range w.batch {
		for !c.rs.gone.Load() && c.pending.Load() > snapChunk && !isClosed(w.s.quit) {
			time.Sleep(time.Millisecond)
		}
		if c.rs.gone.Load() {
			continue
		}
		live++
		c.pushRaw(p)
	}
	if live == 0 {
		return 0, errNoReplicas
	}
	if isClosed(w.s.quit) {
		return 0, errShuttingDown
	}
	return len(p), nil
}

func (w *replicaWriter) err() error {
	for _, c := range w.batch {
		if !c.rs.gone.Load() {
			return nil
		}
	}
	return errNoReplicas
}

type replError string

func (e replError) Error() string { return string(e) }

const (
	errNoReplicas   = replError("every replica of the transfer disconnected")
	errShuttingDown = replError("the server is shutting down")
)

// pushRaw appends to a client's output without the engine lock: the
// snapshot's bytes, which nothing else writes to a replica meanwhile.
func (c *client) pushRaw(b []byte) {
	c.outMu.Lock()
	c.out.add(b)
	c.outCounts()
	c.outMu.Unlock()
	c.wake()
}

// addReplica attaches a replica; the first one starts the PING clock.
func (s *Server) addReplica(c *client) {
	r := &s.repl
	if len(r.replicas) == 0 {
		r.lastPing = time.Now()
	}
	r.replicas = append(r.replicas, c)
}

// removeReplica detaches a closed replica.
func (s *Server) removeReplica(c *client) {
	r := &s.repl
	c.rs.gone.Store(true)
	r.replicas = removeClient(r.replicas, c)
	r.pending = removeClient(r.pending, c)
	if len(r.replicas) == 0 {
		r.noReplicasSince = time.Now()
	}
	s.log.Noticef("Connection with replica %s lost.", c.replicaName())
}

// replicaName is how the log names a replica: ip:port of its listening
// port once known.
func (c *client) replicaName() string {
	if c.rs != nil && c.rs.listenPort != 0 {
		return c.replicaIP() + ":" + strconv.Itoa(c.rs.listenPort)
	}
	return c.addr
}

func (c *client) replicaIP() string {
	if c.rs != nil && c.rs.announceIP != "" {
		return c.rs.announceIP
	}
	host := c.addr
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}

// replicationRefusal is the error for a command replication refuses
// (Redis's processCommand checks): a write without enough good replicas
// (min-replicas-to-write), a write to a read-only replica, a command
// that must not read stale data while the link is down
// (replica-serve-stale-data no). Empty when the command may run.
func (s *Server) replicationRefusal(c *client, cmd *command.Command) string {
	r := &s.repl
	write := s.writes(cmd, c.args) || (cmd.Name == "exec" && c.queuedWrite())
	if write && r.master == nil && s.cfg.MinReplicasToWrite > 0 && s.cfg.MinReplicasMaxLag > 0 &&
		int64(s.goodReplicas()) < s.cfg.MinReplicasToWrite {
		return "NOREPLICAS Not enough good replicas to write."
	}
	if r.master == nil {
		return ""
	}
	if write && s.cfg.ReplicaReadOnly {
		return "READONLY You can't write against a read only replica."
	}
	if r.master.state != linkConnected && !s.cfg.ReplicaServeStaleData && (!cmd.Has(command.Stale) || (cmd.Name == "exec" && c.queuedDenyStale())) {
		return "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	}
	return ""
}

// goodReplicas counts the replicas online whose last acknowledgement is
// at most min-replicas-max-lag seconds old.
func (s *Server) goodReplicas() int {
	n := 0
	now := time.Now()
	for _, c := range s.repl.replicas {
		if c.rs.state == replOnline && int64(now.Sub(c.rs.ackTime)/time.Second) <= s.cfg.MinReplicasMaxLag {
			n++
		}
	}
	return n
}

// ---- REPLCONF ----

func replconfCmd(s *Server, c *client, ctx *command.Ctx) {
	if len(ctx.Args)%2 == 0 {
		ctx.Err("ERR syntax error")
		return
	}
	if c.rs == nil {
		c.rs = &replicaState{}
	}
	for i := 1; i < len(ctx.Args); i += 2 {
		opt, val := strings.ToLower(string(ctx.Args[i])), ctx.Args[i+1]
		switch opt {
		case "listening-port":
			n, err := strconv.Atoi(string(val))
			if err != nil {
				ctx.Err("ERR value is not an integer or out of range")
				return
			}
			c.rs.listenPort = n
		case "ip-address":
			c.rs.announceIP = string(val)
		case "capa":
			switch strings.ToLower(string(val)) {
			case "eof":
				c.rs.capaEOF = true
			case "psync2":
				c.rs.capaPsync2 = true
			}
		case "ack", "fack":
			// From a replica only, and never answered.
			if c.flags&flagReplica == 0 || opt == "fack" {
				return
			}
			if n, err := strconv.ParseInt(string(val), 10, 64); err == nil && n > c.rs.ackOff {
				c.rs.ackOff = n
			}
			c.rs.ackTime = time.Now()
			if c.rs.state == replWaitAck {
				s.replicaOnline(c)
			}
			s.serveWaiting()
			return
		case "getack":
			// Only a primary asks; we answer it on its link.
			if lk := s.repl.master; lk != nil && c == lk.client {
				lk.sendAck(s)
			}
			return
		case "rdb-only":
		case "rdb-filter-only":
			// Include filters: everything is left out but what they
			// name, and "functions" is the only one there is.
			filters, ok := protocol.SplitArgs(val, nil)
			if !ok {
				ctx.Err("ERR Missing rdb-filter-only values")
				return
			}
			c.rs.filter = rdbNoData | rdbNoFunctions
			for _, f := range filters {
				if !strings.EqualFold(string(f), "functions") {
					ctx.Err("ERR Unsupported rdb-filter-only option: " + string(f))
					return
				}
				c.rs.filter &^= rdbNoFunctions
			}
		default:
			ctx.Err("ERR Unrecognized REPLCONF option: " + string(ctx.Args[i]))
			return
		}
	}
	ctx.W.OK()
}

// ---- WAIT ----

// waitCmd is WAIT numreplicas timeout: it blocks until that many
// replicas acknowledged the stream up to now, or the timeout.
func waitCmd(s *Server, c *client, ctx *command.Ctx) {
	if s.repl.master != nil {
		ctx.Err("ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
		return
	}
	num, ok := ctx.Int(1)
	if !ok {
		return
	}
	timeout, ok := ctx.TimeoutMillis(2)
	if !ok {
		return
	}
	off := s.repl.offset
	acked := s.replicasAcked(off)
	if int64(acked) >= num || c.flags&flagDenyBlocking != 0 {
		ctx.W.Int(int64(acked))
		return
	}
	b := &blockState{cmd: ctx.Cmd, args: copyArgs(ctx.Args), waitOff: off, waitNum: int(num)}
	if timeout > 0 {
		b.timer = time.AfterFunc(time.Until(time.UnixMilli(timeout)), func() { s.waitTimedOut(c, b) })
	}
	c.blocked = b
	s.blockedClients++
	s.repl.waiting = append(s.repl.waiting, c)
	s.repl.getAck = true
}

// replicasAcked counts the replicas that acknowledged off.
func (s *Server) replicasAcked(off int64) int {
	n := 0
	for _, c := range s.repl.replicas {
		if c.rs.state == replOnline && c.rs.ackOff >= off {
			n++
		}
	}
	return n
}

// serveWaiting answers the WAITs that have enough acknowledgements.
func (s *Server) serveWaiting() {
	r := &s.repl
	for i := 0; i < len(r.waiting); i++ {
		c := r.waiting[i]
		b := c.blocked
		if b == nil {
			continue
		}
		if n := s.replicasAcked(b.waitOff); n >= b.waitNum {
			c.reply.Int(int64(n))
			s.endBlock(c, 0)
			i--
		}
	}
}

func (s *Server) waitTimedOut(c *client, b *blockState) {
	s.eng.Lock()
	defer s.eng.Unlock()
	if c.blocked != b {
		return
	}
	c.reply.Int(int64(s.replicasAcked(b.waitOff)))
	s.endBlock(c, 0)
}

// replBeforeSleep asks the replicas for their offsets when a WAIT
// needs them (Redis does it before sleeping). The caller holds the
// engine lock.
func (s *Server) replBeforeSleep() {
	r := &s.repl
	if !r.getAck {
		return
	}
	r.getAck = false
	if r.master == nil && r.backlog != nil {
		s.replAppend(getAckCmd)
	}
}

var getAckCmd = protocol.AppendCommand(nil, "REPLCONF", "GETACK", "*")

// ---- ROLE ----

func roleCmd(s *Server, c *client, ctx *command.Ctx) {
	r := &s.repl
	w := ctx.W
	if lk := r.master; lk != nil {
		w.Array(5)
		w.BulkString("slave")
		w.BulkString(lk.host)
		w.Int(int64(lk.port))
		w.BulkString(lk.roleState())
		off := int64(-1)
		if lk.state == linkConnected {
			off = r.offset
		}
		w.Int(off)
		return
	}
	w.Array(3)
	w.BulkString("master")
	w.Int(r.offset)
	var online []*client
	for _, c := range r.replicas {
		if c.rs.state == replOnline {
			online = append(online, c)
		}
	}
	w.Array(len(online))
	for _, c := range online {
		w.Array(3)
		w.BulkString(c.replicaIP())
		w.BulkString(strconv.Itoa(c.rs.listenPort))
		w.BulkString(strconv.FormatInt(c.rs.ackOff, 10))
	}
}

// ---- cron ----

// replCron pings the replicas every repl-ping-replica-period seconds, in
// the stream, starts the snapshots the diskless delay held back, drops
// replicas that stopped acknowledging, and frees an unused backlog after
// repl-backlog-ttl (Redis's replicationCron). The caller holds the
// engine lock.
func (s *Server) replCron(t time.Time) {
	r := &s.repl
	if lk := r.master; lk != nil {
		s.replicaCron(t)
	}
	s.updateFailover(t)
	s.shutdownWaitCron(t)
	if len(r.pending) > 0 && t.Sub(r.pendingSince) >= time.Duration(s.cfg.ReplDisklessSyncDelay)*time.Second {
		s.startFullSync(nil)
	}
	// No PING while a FAILOVER waits: it would move the offset the
	// replica must reach.
	if len(r.replicas) > 0 && r.master == nil && r.failover.state == noFailover && t.Sub(r.lastPing) >= time.Duration(s.cfg.ReplPingReplicaPeriod)*time.Second {
		r.lastPing = t
		s.replFeed(r.selDB, pingArgs)
	}
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	newline := t.Sub(r.lastNewline) >= time.Second
	if newline {
		r.lastNewline = t
	}
	for _, c := range r.replicas {
		switch c.rs.state {
		case replWaitStart:
			// Keep the link alive while the snapshot waits to start:
			// replicas skip newlines before the reply to PSYNC.
			if newline {
				c.push(newlineBytes)
			}
		case replOnline:
			if !c.rs.oldSync && t.Sub(c.rs.ackTime) > timeout {
				s.log.Warningf("Disconnecting timedout replica (streaming sync): %s", c.replicaName())
				s.killClient(c)
			}
		}
	}
	if r.master == nil && r.backlog != nil && len(r.replicas) == 0 && s.cfg.ReplBacklogTTL > 0 &&
		t.Sub(r.noReplicasSince) > time.Duration(s.cfg.ReplBacklogTTL)*time.Second {
		// As Redis, a new ID: the old history cannot be continued.
		r.id = repl.NewID()
		r.id2, r.secondOffset = repl.NoID, -1
		s.freeBacklog()
		s.log.Noticef("Replication backlog freed after %d seconds without connected replicas.", s.cfg.ReplBacklogTTL)
	}
	if r.backlog != nil && (r.backlog.Size() < int(s.cfg.ReplBacklogSize) || !s.coverOn() && r.backlog.Size() != int(s.cfg.ReplBacklogSize)) {
		r.backlog.Resize(int(s.cfg.ReplBacklogSize))
	}
	s.coverCron(t)
}

var (
	pingArgs     = [][]byte{[]byte("ping")} // lower case, as Redis sends it
	newlineBytes = []byte("\n")
)

// snapshotToTemp writes the snapshot to a temporary file in the data
// directory, for a transfer of known length, and returns it open at
// its start; it is unlinked already.
func (s *Server) snapshotToTemp(b *snapshot.Background, delay time.Duration) (*os.File, error) {
	f, err := os.CreateTemp(s.cfg.Path("."), "temp-repl-*.rdb")
	if err != nil {
		b.Abort()
		return nil, err
	}
	os.Remove(f.Name())
	if err := b.Stream(f, s.eng, delay); err != nil {
		f.Close()
		return nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// sendFile sends a snapshot file as a bulk of known length, and closes
// it.
func (w *replicaWriter) sendFile(f *os.File) error {
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte("$" + strconv.FormatInt(st.Size(), 10) + "\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(w, f, buf); err != nil {
		return err
	}
	return w.err()
}

// ---- INFO ----

// replicaStateName is a replica's state as INFO and the metrics name it.
func (c *client) replicaStateName() string {
	switch c.rs.state {
	case replSending:
		return "send_bulk"
	case replOnline, replWaitAck:
		return "online"
	}
	return "wait_bgsave"
}

// replicaBuffers is what the replicas' output buffers and held streams
// hold (mem_clients_slaves).
func (s *Server) replicaBuffers() int64 {
	var n int64
	for _, c := range s.repl.replicas {
		n += c.pending.Load() + int64(len(c.rs.hold))
	}
	return n
}

// infoReplication writes INFO's replication section with Redis 7.0's
// fields, in its order.
func (s *Server) infoReplication(w *infoWriter) {
	r := &s.repl
	nowT := time.Now()
	if lk := r.master; lk != nil {
		w.field("role", "slave")
		w.field("master_host", lk.host)
		w.field("master_port", lk.port)
		status := "down"
		if lk.state == linkConnected {
			status = "up"
		}
		w.field("master_link_status", status)
		lastIO := int64(-1)
		if lk.state == linkConnected {
			lastIO = (now() - lk.lastIO.Load()) / 1000
		}
		w.field("master_last_io_seconds_ago", lastIO)
		syncing := 0
		if lk.state == linkTransfer {
			syncing = 1
		}
		w.field("master_sync_in_progress", syncing)
		readOff := r.offset
		if lk.state == linkConnected {
			readOff = max(lk.readOffset.Load(), r.offset)
		}
		w.field("slave_read_repl_offset", readOff)
		w.field("slave_repl_offset", r.offset)
		if lk.state == linkTransfer {
			size, read := lk.syncSize.Load(), lk.syncRead.Load()
			perc := 0.0
			left := int64(-1)
			if size > 0 {
				perc = float64(read) * 100 / float64(size)
				left = size - read
			}
			w.field("master_sync_total_bytes", size)
			w.field("master_sync_read_bytes", read)
			w.field("master_sync_left_bytes", left)
			w.field("master_sync_perc", perc)
			w.field("master_sync_last_io_seconds_ago", (now()-lk.syncLastIO.Load())/1000)
		}
		if lk.state != linkConnected {
			since := int64(-1)
			if !lk.downSince.IsZero() {
				since = int64(nowT.Sub(lk.downSince).Seconds())
			}
			w.field("master_link_down_since_seconds", since)
		}
		w.field("slave_priority", s.cfg.ReplicaPriority)
		w.field("slave_read_only", boolInt(s.cfg.ReplicaReadOnly))
		w.field("replica_announced", boolInt(s.cfg.ReplicaAnnounced))
	} else {
		w.field("role", "master")
	}
	w.field("connected_slaves", len(r.replicas))
	if s.cfg.MinReplicasToWrite > 0 && s.cfg.MinReplicasMaxLag > 0 {
		w.field("min_slaves_good_slaves", s.goodReplicas())
	}
	for i, c := range r.replicas {
		state := c.replicaStateName()
		lag := int64(0)
		if !c.rs.ackTime.IsZero() {
			lag = int64(nowT.Sub(c.rs.ackTime).Seconds())
		}
		fmt.Fprintf(&w.b, "slave%d:ip=%s,port=%d,state=%s,offset=%d,lag=%d\r\n", i, c.replicaIP(), c.rs.listenPort, state, c.rs.ackOff, lag)
	}
	w.field("master_failover_state", r.failover.state.String())
	w.field("master_replid", r.id)
	w.field("master_replid2", r.id2)
	w.field("master_repl_offset", r.offset)
	w.field("second_repl_offset", r.secondOffset)
	if b := r.backlog; b != nil {
		w.field("repl_backlog_active", 1)
		w.field("repl_backlog_size", b.Size())
		w.field("repl_backlog_first_byte_offset", b.First())
		w.field("repl_backlog_histlen", b.HistLen())
		w.field("repl_backlog_covers_seconds", s.backlogCoversSeconds(nowT))
	} else {
		w.field("repl_backlog_active", 0)
		w.field("repl_backlog_size", s.cfg.ReplBacklogSize)
		w.field("repl_backlog_first_byte_offset", 0)
		w.field("repl_backlog_histlen", 0)
	}
}
