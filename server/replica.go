package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/repl"
	"github.com/redoubt-db/redoubt/snapshot"
)

// Replication, the replica's side (Redis's replication.c again): REPLICAOF,
// the link to the primary, the full and partial resynchronisations, and
// the application of the primary's stream.
//
// The link is a goroutine of its own with a plain blocking connection:
// it connects, does the handshake (PING, AUTH, REPLCONF listening-port
// and capa, PSYNC), receives the dataset on a full resynchronisation,
// and then reads the stream, applying each batch of commands under the
// engine lock as the primary's client, whose replies go nowhere. The
// stream's bytes, once applied, are passed on as they came to our own
// backlog and replicas, so that offsets are the same along a chain. A
// second goroutine sends REPLCONF ACK with the offset applied, every
// second and when the primary asks (REPLCONF GETACK).
//
// A replica never expires keys itself: reads of a key past its deadline
// answer as if it were gone, and the key stays until the primary's DEL
// arrives (keyspace.Keyspace.Replica); commands from the primary see
// every key as it is (keyspace.Keyspace.FromPrimary).

// Link states, as ROLE and INFO name them.
type linkState int

const (
	linkConnect    linkState = iota // to connect
	linkConnecting                  // connecting
	linkHandshake                   // connected, in the handshake
	linkTransfer                    // receiving the dataset
	linkConnected                   // applying the stream
)

// masterLink is the link to our primary. Fields are guarded by the
// engine lock unless noted.
type masterLink struct {
	host string
	port int
	// state is also read by INFO without the lock's help elsewhere: it
	// changes only under the lock.
	state linkState
	// client runs the primary's commands; it stays across
	// reconnections, with its database (the stream's).
	client *client
	stop   chan struct{}
	// conn is the current connection; wmu serialises its writes (the
	// acknowledgements and the handshake).
	conn net.Conn
	wmu  sync.Mutex
	// ack wakes the acknowledgement writer; ackOff is the offset to
	// send (atomic: the writer reads it without the lock).
	ack    chan struct{}
	ackOff atomic.Int64
	// lastIO is the last time anything came from the primary (Unix ms).
	lastIO atomic.Int64
	// downSince is when the link went down (zero: never up).
	downSince time.Time
	// Transfer progress (atomics: the link goroutine updates them).
	syncSize, syncRead atomic.Int64
	syncLastIO         atomic.Int64
	// answered is set once the primary answered PSYNC on the current
	// connection (the link goroutine's own).
	answered bool
	// readOffset is slave_read_repl_offset: the offset of the stream
	// read so far, applied or not.
	readOffset atomic.Int64
}

func (lk *masterLink) roleState() string {
	switch lk.state {
	case linkConnect:
		return "connect"
	case linkConnecting:
		return "connecting"
	case linkHandshake:
		return "handshake"
	case linkTransfer:
		return "sync"
	}
	return "connected"
}

// replicaofCmd is REPLICAOF and SLAVEOF.
func replicaofCmd(s *Server, c *client, ctx *command.Ctx) {
	if s.repl.failover.state != noFailover {
		ctx.Err("ERR REPLICAOF not allowed while failing over.")
		return
	}
	if ctx.Is(1, "no") && ctx.Is(2, "one") {
		if s.repl.master != nil {
			s.unsetPrimary()
			s.log.Noticef("MASTER MODE enabled (user request from '%s')", c.info())
		}
		ctx.W.OK()
		return
	}
	if c.flags&flagReplica != 0 {
		ctx.Err("ERR Command is not valid when client is a replica.")
		return
	}
	port, err := strconv.ParseInt(string(ctx.Args[2]), 10, 64)
	if err != nil {
		ctx.Err("ERR value is not an integer or out of range")
		return
	}
	if port < 0 || port > 65535 {
		ctx.Err("ERR Invalid master port")
		return
	}
	host := string(ctx.Args[1])
	if lk := s.repl.master; lk != nil && strings.EqualFold(lk.host, host) && lk.port == int(port) {
		s.log.Noticef("REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
		ctx.W.Simple("OK Already connected to specified master")
		return
	}
	s.setPrimary(host, int(port))
	s.log.Noticef("REPLICAOF %s:%d enabled (user request from '%s')", host, port, c.info())
	ctx.W.OK()
}

// setPrimary makes the server a replica of host:port (Redis's
// replicationSetMaster). The caller holds the engine lock.
func (s *Server) setPrimary(host string, port int) {
	r := &s.repl
	var mc *client
	if old := r.master; old != nil {
		s.stopLink(old)
		mc = old.client
	}
	if mc == nil {
		mc = s.primaryClient()
		if r.selDB >= 0 {
			mc.db = s.ks.DBs[r.selDB]
		}
	}
	s.ks.Replica = true
	s.log.SetRole('S')
	s.cfg.ReplicaOfHost, s.cfg.ReplicaOfPort = host, int64(port)
	// Clients blocked in commands that may now never be served (the
	// data will come from the primary) are told so, as Redis does.
	s.unblockAll("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
	// Our replicas stay: they may continue partially with us once we
	// are in sync; a full sync, or a partial one into a new history,
	// drops them then (Redis 7.0 keeps them here too, and a command
	// queued before REPLICAOF in a transaction still reaches them).
	if r.backlog == nil {
		s.createBacklog()
	}
	lk := &masterLink{host: host, port: port, client: mc, stop: make(chan struct{}), ack: make(chan struct{}, 1)}
	lk.downSince = time.Now()
	r.master = lk
	s.log.Noticef("Connecting to MASTER %s:%d", host, port)
	s.wg.Add(2)
	go s.runLink(lk)
	go s.ackWriter(lk)
}

// unsetPrimary makes a replica a primary (REPLICAOF NO ONE): a new
// history starts, and the old one is kept as the second ID so that the
// other replicas of the old primary can continue from us.
func (s *Server) unsetPrimary() {
	r := &s.repl
	lk := r.master
	s.stopLink(lk)
	r.master = nil
	s.ks.Replica = false
	r.localKeys = nil // a primary expires every key itself
	s.log.SetRole('M')
	s.cfg.ReplicaOfHost, s.cfg.ReplicaOfPort = "", 0
	r.id2, r.secondOffset = r.id, r.offset+1
	r.id = repl.NewID()
	// The backlog's time to live counts from now, as a primary's.
	r.noReplicasSince = time.Now()
	s.log.Noticef("Setting secondary replication ID to %s, valid up to offset: %d. New replication ID is %s", r.id2, r.secondOffset, r.id)
	r.selDB = -1
	s.dropReplicas()
	s.unblockAll("UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)")
}

// stopLink ends a link's goroutines and connection.
func (s *Server) stopLink(lk *masterLink) {
	if isClosed(lk.stop) {
		return
	}
	close(lk.stop)
	lk.dropConn()
	if mc := lk.client; mc.flags&flagMulti != 0 {
		mc.discardTransaction()
	}
}

// dropReplicas disconnects our replicas, so that they resynchronise.
func (s *Server) dropReplicas() {
	for _, c := range append([]*client(nil), s.repl.replicas...) {
		s.killClient(c)
	}
}

// dropConn closes the link's connection: its goroutine notices and
// connects again, unless the link is stopped.
func (lk *masterLink) dropConn() {
	lk.wmu.Lock()
	if lk.conn != nil {
		lk.conn.Close()
	}
	lk.wmu.Unlock()
}

// unblockAll ends every blocked client's wait with an error.
func (s *Server) unblockAll(msg string) {
	for _, c := range s.clients {
		if c.blocked != nil && c.blocked.walk == nil {
			c.reply.Error(msg)
			s.RecordError(msg)
			c.blocked.cmd.Stats.Failed++
			s.endBlock(c, 0)
		}
	}
}

// primaryClient is the client the primary's commands run as.
func (s *Server) primaryClient() *client {
	c := &client{s: s, id: s.nextID.Add(1), fd: -1, db: s.ks.DBs[0], resp: 2, authd: true, created: time.Now()}
	c.flags |= flagPrimary
	c.initReplyBuf(c.created.UnixMilli())
	return c
}

// linkRetry is how long the link waits before connecting again, for
// the first linkFastRetries failures in a row; then the wait doubles up
// to linkRetryMax.
const (
	linkRetry       = time.Second
	linkFastRetries = 10
	linkRetryMax    = 5 * time.Second
)

// runLink connects to the primary and follows it until the link is
// stopped.
func (s *Server) runLink(lk *masterLink) {
	defer s.wg.Done()
	failures := 0
	for {
		err := s.followPrimary(lk)
		s.eng.Lock()
		stopped := isClosed(lk.stop)
		wasUp := lk.state == linkConnected
		if wasUp {
			s.log.Noticef("Connection with master lost.")
			s.log.Noticef("Caching the disconnected master state.")
			lk.downSince = time.Now()
		}
		if !stopped {
			lk.state = linkConnect
			if err != nil {
				s.log.Warningf("%v", err)
			}
		}
		lk.wmu.Lock()
		if lk.conn != nil {
			lk.conn.Close()
			lk.conn = nil
		}
		lk.wmu.Unlock()
		s.eng.Unlock()
		// Redis retries every second; after a run of failures the
		// wait grows, so that a primary that keeps refusing (or a
		// bad address) is not hammered.
		if err != nil && !lk.answered {
			failures++
		} else {
			failures = 0
		}
		lk.answered = false
		wait := linkRetry
		if wasUp {
			// A link that was up reconnects at once, as Redis does:
			// every second of waiting is backlog the primary may
			// recycle.
			wait = 0
			s.log.Noticef("Reconnecting to MASTER %s:%d", lk.host, lk.port)
		} else if failures > linkFastRetries {
			wait = min(linkRetry<<min(failures-linkFastRetries, 4), linkRetryMax)
		}
		select {
		case <-lk.stop:
			return
		case <-s.quit:
			return
		case <-time.After(wait):
		}
	}
}

// linkError is an error of the link, logged as is.
type linkError string

func (e linkError) Error() string { return string(e) }

// followPrimary is one connection to the primary: handshake,
// resynchronisation, stream. It returns when the link breaks.
func (s *Server) followPrimary(lk *masterLink) error {
	timeout := func() time.Duration {
		s.eng.Lock()
		defer s.eng.Unlock()
		return time.Duration(s.cfg.ReplTimeout) * time.Second
	}()
	s.eng.Lock()
	lk.state = linkConnecting
	s.eng.Unlock()
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(lk.host, strconv.Itoa(lk.port)), timeout)
	if err == nil {
		conn, err = s.dialTLS(conn, s.tlsReplication(), timeout)
	}
	if err != nil {
		return linkError(fmt.Sprintf("Error condition on socket for SYNC: %v", errText(err)))
	}
	lk.wmu.Lock()
	if isClosed(lk.stop) {
		lk.wmu.Unlock()
		conn.Close()
		return nil
	}
	lk.conn = conn
	lk.wmu.Unlock()
	s.eng.Lock()
	lk.client.addr, lk.client.laddr = conn.RemoteAddr().String(), conn.LocalAddr().String()
	lk.state = linkHandshake
	s.eng.Unlock()
	s.log.Noticef("MASTER <-> REPLICA sync started")
	rd := bufio.NewReaderSize(conn, 64<<10)
	ask := func(args ...string) (string, error) {
		conn.SetDeadline(time.Now().Add(timeout))
		lk.wmu.Lock()
		_, err := conn.Write(protocol.AppendCommand(nil, args...))
		lk.wmu.Unlock()
		if err != nil {
			return "", err
		}
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					return "", errHandshakeTimeout
				}
				return "", err
			}
			if line = strings.TrimRight(line, "\r\n"); line != "" {
				return line, nil
			}
			// A newline keeps the link alive while the primary
			// prepares the snapshot.
			conn.SetDeadline(time.Now().Add(timeout))
		}
	}
	s.log.Noticef("Non blocking connect for SYNC fired the event.")
	reply, err := ask("PING")
	if err != nil {
		return handshakeError("Error reading PING reply from master: ", err)
	}
	if strings.HasPrefix(reply, "-") && !strings.HasPrefix(reply, "-NOAUTH") && !strings.HasPrefix(reply, "-NOPERM") && !strings.HasPrefix(reply, "-ERR operation not permitted") {
		return linkError("Error reply to PING from master: '" + reply + "'")
	}
	s.log.Noticef("Master replied to PING, replication can continue...")

	s.eng.Lock()
	auth, user := s.cfg.MasterAuth, s.cfg.MasterUser
	port := s.cfg.ReplicaAnnouncePort
	if port == 0 {
		port = s.cfg.Port
	}
	announceIP := s.cfg.ReplicaAnnounceIP
	s.eng.Unlock()
	if auth != "" {
		args := []string{"AUTH", auth}
		if user != "" {
			args = []string{"AUTH", user, auth}
		}
		if reply, err = ask(args...); err != nil || strings.HasPrefix(reply, "-") {
			return linkError("Unable to AUTH to MASTER: " + replyOrErr(reply, err))
		}
	}
	if reply, err = ask("REPLCONF", "listening-port", strconv.FormatInt(port, 10)); err != nil {
		return handshakeError("Error reading REPLCONF reply: ", err)
	} else if strings.HasPrefix(reply, "-") {
		s.log.Noticef("(Non critical) Master does not understand REPLCONF listening-port: %s", reply)
	}
	if announceIP != "" {
		if reply, err = ask("REPLCONF", "ip-address", announceIP); err != nil {
			return handshakeError("Error reading REPLCONF reply: ", err)
		} else if strings.HasPrefix(reply, "-") {
			s.log.Noticef("(Non critical) Master does not understand REPLCONF ip-address: %s", reply)
		}
	}
	if reply, err = ask("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return handshakeError("Error reading REPLCONF reply: ", err)
	} else if strings.HasPrefix(reply, "-") {
		s.log.Noticef("(Non critical) Master does not understand REPLCONF capa: %s", reply)
	}

	s.eng.Lock()
	id, off := s.repl.id, s.repl.offset+1
	if s.repl.noHistory {
		id, off = "?", -1
	}
	s.eng.Unlock()
	if id != "?" {
		s.log.Noticef("Trying a partial resynchronization (request %s:%d).", id, off)
	} else {
		s.log.Noticef("Partial resynchronization not possible (no cached master)")
	}
	psync := []string{"PSYNC", id, strconv.FormatInt(off, 10)}
	s.eng.Lock()
	failingOver := s.repl.failover.state == failoverInProgress
	s.eng.Unlock()
	if failingOver {
		// We were the primary: the replica takes our place.
		psync = append(psync, "FAILOVER")
	}
	reply, err = ask(psync...)
	if err != nil {
		return handshakeError("Error reading PSYNC reply: ", err)
	}
	// The primary answered: whatever happens next, it is not one that
	// refuses us, and the link retries at Redis's pace.
	lk.answered = true
	if failingOver {
		s.eng.Lock()
		if s.repl.failover.state == failoverInProgress {
			if strings.HasPrefix(reply, "+CONTINUE") || strings.HasPrefix(reply, "+FULLRESYNC") {
				s.clearFailover()
			} else {
				s.abortFailover("Failover target rejected psync request")
				s.eng.Unlock()
				return nil
			}
		}
		s.eng.Unlock()
	}
	switch {
	case strings.HasPrefix(reply, "+FULLRESYNC"):
		f := strings.Fields(reply)
		if len(f) != 3 || len(f[1]) != repl.IDLen {
			return linkError("Master replied with wrong +FULLRESYNC syntax.")
		}
		moff, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil {
			return linkError("Master replied with wrong +FULLRESYNC syntax.")
		}
		s.log.Noticef("Full resync from master: %s:%d", f[1], moff)
		if err := s.fullResync(lk, rd, f[1], moff); err != nil {
			return err
		}
	case strings.HasPrefix(reply, "+CONTINUE"):
		s.log.Noticef("Successful partial resynchronization with master.")
		newID := strings.TrimSpace(strings.TrimPrefix(reply, "+CONTINUE"))
		s.eng.Lock()
		r := &s.repl
		if newID != "" && newID != r.id {
			r.id2, r.secondOffset = r.id, r.offset+1
			r.id = newID
			s.log.Noticef("Master replication ID changed to %s", newID)
			s.dropReplicas()
		}
		s.linkUp(lk)
		s.eng.Unlock()
		s.log.Noticef("MASTER <-> REPLICA sync: Master accepted a Partial Resynchronization.")
	case strings.HasPrefix(reply, "-NOMASTERLINK"), strings.HasPrefix(reply, "-LOADING"):
		s.log.Noticef("Master is currently unable to PSYNC but should be in the future: %s", reply)
		return nil
	default:
		return linkError("Unexpected reply to PSYNC from master: " + reply)
	}
	return s.applyStream(lk, conn, rd, timeout)
}

// errHandshakeTimeout is a primary silent for repl-timeout during the
// handshake; Redis's words.
var errHandshakeTimeout = linkError("Timeout connecting to the MASTER...")

func replyOrErr(reply string, err error) string {
	if err != nil {
		return errText(err)
	}
	return reply
}

func errText(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		err = op.Err
	}
	if errors.Is(err, io.EOF) {
		return "Connection reset by peer"
	}
	return strerror(err)
}

// handshakeError is a failed step of the handshake: a timeout in
// Redis's words, anything else with what failed.
func handshakeError(what string, err error) error {
	if err == errHandshakeTimeout {
		return err
	}
	return linkError(what + errText(err))
}

// linkUp marks the link connected. The caller holds the engine lock.
func (s *Server) linkUp(lk *masterLink) {
	lk.state = linkConnected
	lk.lastIO.Store(now())
	s.repl.noHistory = false
	lk.ackOff.Store(s.repl.offset)
	lk.readOffset.Store(s.repl.offset)
	lk.signalAck()
}

// fullResync receives the primary's dataset and loads it in place of
// ours (Redis's readSyncBulkPayload).
func (s *Server) fullResync(lk *masterLink, rd *bufio.Reader, id string, off int64) error {
	s.eng.Lock()
	lk.state = linkTransfer
	toDisk := s.cfg.ReplDisklessLoad == "disabled"
	dir := s.cfg.Path(".")
	timeout := time.Duration(s.cfg.ReplTimeout) * time.Second
	s.eng.Unlock()
	lk.syncRead.Store(0)
	lk.syncSize.Store(-1)
	lk.syncLastIO.Store(now())
	lk.conn.SetDeadline(time.Time{})
	p, err := repl.ReadPayloadHeader(rd)
	if err != nil {
		return linkError("I/O error reading bulk count from MASTER: " + errText(err))
	}
	if p.Size >= 0 {
		s.log.Noticef("MASTER <-> REPLICA sync: receiving %d bytes from master to disk", p.Size)
		lk.syncSize.Store(p.Size)
	} else {
		s.log.Noticef("MASTER <-> REPLICA sync: receiving streamed RDB from master with EOF to disk")
	}
	progress := func(n int64) {
		lk.syncRead.Store(n)
		lk.syncLastIO.Store(now())
		lk.conn.SetReadDeadline(time.Now().Add(timeout))
	}
	var (
		data  []byte
		tmp   string
		check repl.Checker
	)
	if toDisk {
		f, err := os.CreateTemp(dir, "temp-*.rdb")
		if err != nil {
			return linkError("Opening the temp file needed for MASTER <-> REPLICA synchronization: " + errText(err))
		}
		tmp = f.Name()
		w := bufio.NewWriterSize(f, 1<<20)
		_, err = p.Copy(io.MultiWriter(w, &check), rd, progress)
		if err == nil {
			err = w.Flush()
		}
		if err == nil {
			err = f.Sync()
		}
		f.Close()
		if err != nil {
			os.Remove(tmp)
			return linkError("I/O error trying to sync with MASTER: " + errText(err))
		}
	} else {
		// A diskless load is a load from the start of the transfer, as
		// Redis loads from the socket: clients get -LOADING, except
		// with swapdb over the same history, where the old dataset is
		// served until the new one replaces it (async_loading). Either
		// way the old dataset stays until the new one arrived whole.
		s.eng.Lock()
		s.log.Noticef("MASTER <-> REPLICA sync: Loading DB in memory")
		if s.cfg.ReplDisklessLoad == "swapdb" && id == s.repl.id {
			s.loading.async = true
		} else {
			s.startLoading(max(p.Size, 0))
		}
		s.eng.Unlock()
		var buf bufferWriter
		_, err := p.Copy(io.MultiWriter(&buf, &check), rd, progress)
		if err != nil {
			// Redis's words for a load cut short: tools watch for them.
			s.log.Warningf("Internal error in RDB reading offset %d -> Unexpected EOF reading RDB file", lk.syncRead.Load())
			s.eng.Lock()
			s.stopLoading()
			s.loading.async = false
			s.eng.Unlock()
			return linkError("I/O error trying to sync with MASTER: " + errText(err))
		}
		data = buf.b
	}
	// A damaged transfer is refused before our data is dropped for it.
	if err := check.Check(); err != nil {
		if tmp != "" {
			os.Remove(tmp)
		} else {
			s.eng.Lock()
			s.stopLoading()
			s.loading.async = false
			s.eng.Unlock()
		}
		return linkError("MASTER <-> REPLICA sync: " + err.Error() + "; keeping the current dataset and retrying")
	}
	s.eng.Lock()
	defer s.eng.Unlock()
	if isClosed(lk.stop) {
		if tmp != "" {
			os.Remove(tmp)
		}
		s.stopLoading()
		s.loading.async = false
		return nil
	}
	err = s.loadFromPrimary(lk, data, tmp, id, off)
	if err != nil {
		return err
	}
	return nil
}

// bufferWriter collects a diskless load's dataset.
type bufferWriter struct{ b []byte }

func (w *bufferWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// loadFromPrimary replaces the dataset with the primary's, from the file
// tmp (renamed to dbfilename first, as Redis does) or from data. The
// caller holds the engine lock.
func (s *Server) loadFromPrimary(lk *masterLink, data []byte, tmp, id string, off int64) error {
	r := &s.repl
	s.log.Noticef("MASTER <-> REPLICA sync: Flushing old data")
	s.abortBackgroundSave()
	for _, db := range s.ks.DBs {
		s.flush(db, s.cfg.ReplicaLazyFlush)
	}
	s.scripts.fvm.FlushFunctions()
	r.localKeys = nil
	// Whatever happens next, the data no longer belongs to a history we
	// could continue from.
	r.noHistory = true
	s.dropReplicas()
	start := time.Now()
	s.eng.SetNow(start.UnixMilli())
	opts := snapshot.LoadOptions{Replace: true,
		YieldEvery: s.cfg.LoadingEventsInterval, KeyDelay: s.keyLoadDelay(), EmptyKey: s.emptyKeyLogger(),
		Function: func(code []byte) error { return s.loadLibrary(code, true) }}
	var (
		got snapshot.Loaded
		err error
	)
	if tmp != "" {
		path := s.rdbPath()
		if err := os.Rename(tmp, path); err != nil {
			os.Remove(tmp)
			return linkError("Failed trying to rename the temp DB into " + s.cfg.DBFilename + " in MASTER <-> REPLICA synchronization: " + errText(err))
		}
		s.log.Noticef("MASTER <-> REPLICA sync: Loading DB in memory")
		st, _ := os.Stat(path)
		if st != nil {
			s.startLoading(st.Size())
		}
		opts.Yield = func(done int64) { s.loading.done = done; s.loadingYield() }
		got, err = snapshot.Load(path, s.ks, &s.cfg.Values, opts)
	} else {
		s.loading.async = false
		s.startLoading(int64(len(data)))
		opts.Yield = func(done int64) { s.loading.done = done; s.loadingYield() }
		got, err = snapshot.Read(data, s.ks, &s.cfg.Values, opts)
	}
	s.stopLoading()
	if err != nil {
		s.log.Warningf("Failed trying to load the MASTER synchronization DB from disk, check server logs.")
		for _, db := range s.ks.DBs {
			s.flush(db, false)
		}
		return linkError(fmt.Sprintf("MASTER <-> REPLICA sync: %v", err))
	}
	s.logLoaded(got)
	// The primary's history is ours from its offset on.
	r.id, r.offset = id, off
	r.id2, r.secondOffset = repl.NoID, -1
	s.createBacklog()
	lk.client.db = s.ks.DBs[0]
	if lk.client.flags&flagMulti != 0 {
		lk.client.discardTransaction()
	}
	s.stats.dirty = 0
	s.linkUp(lk)
	s.log.Noticef("MASTER <-> REPLICA sync: Finished with success")
	if s.aof.state != aofOff {
		// The AOF must start again from the new dataset.
		s.stopAppendOnly()
		if err := s.startAppendOnly(); err != nil {
			s.log.Warningf("Failed enabling the AOF after successful master synchronization! Trying it again in one second.")
		}
	}
	return nil
}

// applyStream reads the primary's stream and applies it until the link
// breaks or is stopped.
func (s *Server) applyStream(lk *masterLink, conn net.Conn, rd *bufio.Reader, timeout time.Duration) error {
	c := lk.client
	parser := protocol.NewParser()
	buf := make([]byte, 64<<10)
	var r, w int
	// What the handshake's reader already holds comes first.
	if n := rd.Buffered(); n > 0 {
		if n > len(buf) {
			buf = make([]byte, n*2)
		}
		w, _ = io.ReadFull(rd, buf[:n])
		lk.readOffset.Add(int64(w))
	}
	for {
		if r < w {
			if err := s.applyBatch(lk, c, parser, buf, &r, w); err != nil {
				return err
			}
		}
		if r == w {
			r, w = 0, 0
		} else if r > 0 {
			w = copy(buf, buf[r:w])
			r = 0
		}
		if w == len(buf) {
			nb := make([]byte, 2*len(buf))
			copy(nb, buf[:w])
			buf = nb
		}
		conn.SetReadDeadline(time.Now().Add(timeout))
		n, err := conn.Read(buf[w:])
		if n > 0 {
			w += n
			lk.lastIO.Store(now())
			lk.readOffset.Add(int64(n))
		}
		if err != nil {
			if r < w {
				s.applyBatch(lk, c, parser, buf, &r, w)
			}
			if isClosed(lk.stop) {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return linkError("MASTER timeout: no data nor PING received...")
			}
			return nil
		}
	}
}

// applyBatch applies the complete commands in buf[*r:w] under the engine
// lock, passing each one's bytes on once it ran.
func (s *Server) applyBatch(lk *masterLink, c *client, parser *protocol.Parser, buf []byte, r *int, w int) error {
	s.eng.Lock()
	defer s.eng.Unlock()
	if isClosed(lk.stop) {
		*r = w
		return nil
	}
	s.ks.FromPrimary = true
	defer func() { s.ks.FromPrimary = false }()
	for *r < w {
		args, n, err := parser.Next(buf[*r:w])
		if err == protocol.ErrIncomplete {
			return nil
		}
		if err != nil {
			return linkError("Protocol error from MASTER: " + err.Error())
		}
		raw := buf[*r : *r+n]
		*r += n
		if len(args) > 0 {
			c.args = args
			c.clock = time.Now()
			c.lastCmd = nil
			s.processCommand(c)
			c.args = nil
			if rb := c.reply.Buf; len(rb) > 0 && rb[0] == '-' {
				s.primaryGotError(c, rb)
			}
			c.reply.Truncate(0)
		}
		s.replAppend(raw)
		lk.ackOff.Store(s.repl.offset)
	}
	return nil
}

// primaryGotError logs an error our primary's command got here: it is
// never sent, but it means the datasets may differ (Redis logs it as
// critical, and stops under propagation-error-behavior panic on a
// read-only replica).
func (s *Server) primaryGotError(c *client, reply []byte) {
	msg := strings.TrimRight(string(reply[1:min(len(reply), 4097)]), "\r\n")
	if i := strings.Index(msg, "\r\n"); i >= 0 {
		msg = msg[:i]
	}
	name := "<unknown>"
	if c.lastCmd != nil {
		name = c.lastCmd.FullName()
	}
	s.log.Warningf("== CRITICAL == This replica is sending an error to its master: '%s' after processing the command '%s'", msg, name)
	s.stats.unexpectedErrors++
	if b := s.cfg.PropagationErrorBehavior; s.cfg.ReplicaReadOnly && (b == "panic" || b == "panic-on-replicas") {
		s.log.Warningf("This replica panicked sending an error to its master after processing the command '%s'", name)
		s.fatal()
	}
}

// signalAck asks the acknowledgement writer to send the offset now.
func (lk *masterLink) signalAck() {
	select {
	case lk.ack <- struct{}{}:
	default:
	}
}

// sendAck is REPLCONF GETACK's answer. The caller holds the engine lock.
func (lk *masterLink) sendAck(s *Server) {
	lk.ackOff.Store(s.repl.offset)
	lk.signalAck()
}

// ackWriter sends REPLCONF ACK <offset> every second and when asked,
// outside the engine lock (a primary that does not read must not stall
// us).
func (s *Server) ackWriter(lk *masterLink) {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	var buf []byte
	for {
		select {
		case <-lk.stop:
			return
		case <-s.quit:
			return
		case <-t.C:
		case <-lk.ack:
		}
		s.eng.Lock()
		up := lk.state == linkConnected
		s.eng.Unlock()
		if !up {
			continue
		}
		buf = protocol.AppendCommand(buf[:0], "REPLCONF", "ACK", strconv.FormatInt(lk.ackOff.Load(), 10))
		lk.wmu.Lock()
		if lk.conn != nil {
			lk.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
			lk.conn.Write(buf)
		}
		lk.wmu.Unlock()
	}
}

// rememberReplicaKey notes a key a client of ours (not the primary)
// wrote on a replica: if it has a deadline, the replica itself must
// expire it, since the primary knows nothing of it (Redis's
// rememberSlaveKeyWithExpire). Keys without one are forgotten by the
// cron, and so is a key the primary writes afterwards.
func (s *Server) rememberReplicaKey(db *keyspace.DB, key []byte) {
	c := s.currentClient()
	r := &s.repl
	if c == nil || c.flags&flagPrimary != 0 {
		// The primary wrote it: its deadline is the primary's business.
		if c != nil && len(r.localKeys) > 0 {
			delete(r.localKeys, blockKey{db: db.ID, key: string(key)})
		}
		return
	}
	if r.localKeys == nil {
		r.localKeys = make(map[blockKey]struct{})
	}
	r.localKeys[blockKey{db: db.ID, key: string(key)}] = struct{}{}
}

// replicaCron is the replica's part of the cron: it expires the keys
// written locally on a writable replica (Redis's expireSlaveKeys). The
// caller holds the engine lock.
func (s *Server) replicaCron(t time.Time) {
	r := &s.repl
	if len(r.localKeys) == 0 {
		return
	}
	nowMs := t.UnixMilli()
	var due []blockKey
	for k := range r.localKeys {
		db := s.ks.DBs[k.db]
		id := db.Find([]byte(k.key))
		if id == dict.None || db.Expire(id) < 0 {
			delete(r.localKeys, k)
			continue
		}
		if db.Expire(id) < nowMs {
			due = append(due, k)
		}
	}
	if len(due) == 0 {
		return
	}
	s.eng.Unit(nowMs, func() {
		// Expired the way a primary expires them: deleted, and the DEL
		// goes to our AOF.
		s.ks.Replica = false
		defer func() { s.ks.Replica = true }()
		for _, k := range due {
			s.ks.DBs[k.db].Lookup([]byte(k.key), keyspace.Write|keyspace.NoTouch)
			delete(r.localKeys, k)
		}
	})
}
