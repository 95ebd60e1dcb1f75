package server

import (
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Event loops (Redis's ae.c, with one loop per core instead of one).
//
// Connections are spread over a few loops, each a goroutine around an
// epoll instance. An iteration waits for events, reads every readable
// socket once, takes the engine lock once to run all the complete
// commands it read, releases the lock and writes each client's replies
// with one write(2). This is what Redis does, and it costs a read and a
// write per request plus a share of epoll_wait: the goroutine-per-socket
// alternative pays an extra read that returns EAGAIN after every reply,
// and a scheduler wakeup per request.
//
// Work that other goroutines create for a client (output pushed by
// Pub/Sub or MONITOR, a blocked command served by another client, a kill)
// is handed to the client's loop through its schedule queue and an
// eventfd that interrupts epoll_wait. Only the owning loop reads, writes
// or closes a client's socket.

type loop struct {
	s *Server
	p poller

	mu      sync.Mutex
	clients map[int]*client // by file descriptor
	sched   []*client       // clients with work from other goroutines
	waiting bool            // the loop is in wait and needs a wake-up

	events []pollEvent
	ready  []*client
	// run runs the ready clients' commands under the engine lock; a
	// method value made once, so that handing it to engine.Do does not
	// allocate.
	run func()
	// busyEvents and busyReady serve the loop's clients while one of
	// them runs a busy script (serveWhileBusy), beside the iteration
	// that script interrupted.
	busyEvents []pollEvent
	busyReady  []*client
	// current is the client whose commands the loop is running, under
	// the engine lock.
	current *client
}

func newLoop(s *Server) (*loop, error) { return newLoopOn(s, s.cfg.IoPoller) }

// newLoopOn makes a loop with the poller kind names (io-poller's values).
func newLoopOn(s *Server, kind string) (*loop, error) {
	l := &loop{s: s, clients: map[int]*client{}, events: make([]pollEvent, 256)}
	p, err := newPoller(l, kind)
	if err != nil {
		return nil, err
	}
	l.p = p
	l.run = l.runReady
	return l, nil
}

// add starts serving a client.
func (l *loop) add(c *client) error {
	l.mu.Lock()
	l.clients[c.fd] = c
	l.mu.Unlock()
	err := l.p.add(c)
	if err != nil {
		l.mu.Lock()
		delete(l.clients, c.fd)
		l.mu.Unlock()
	}
	return err
}

// schedule asks a client's loop to look at it: write its pending output,
// resume its input after a block or pause ended, or close it. Any
// goroutine may call it.
func (l *loop) schedule(c *client) {
	l.mu.Lock()
	if !c.scheduled {
		c.scheduled = true
		l.sched = append(l.sched, c)
	}
	wake := l.waiting
	l.waiting = false
	l.mu.Unlock()
	if wake {
		l.p.wake()
	}
}

// loopMain is the loop's goroutine. A panic is not recovered, nor followed
// by the loop's shutdown (which takes the engine lock the panicking
// command may hold): it stops the process.
func (l *loop) loopMain() {
	defer l.s.wg.Done()
	l.serve()
	l.shutdown()
}

func (l *loop) serve() {
	for {
		l.mu.Lock()
		timeout := -1
		if len(l.sched) > 0 {
			timeout = 0
		} else {
			l.waiting = true
		}
		l.mu.Unlock()
		n, err := l.p.wait(l.events, timeout)
		l.mu.Lock()
		l.waiting = false
		l.mu.Unlock()
		if err != nil {
			l.s.log.Warningf("Waiting for client events: %v", err)
			return
		}
		if isClosed(l.s.quit) {
			return
		}
		l.iterate(l.events[:n])
	}
}

// iterate handles one batch of events.
func (l *loop) iterate(events []pollEvent) {
	s := l.s
	nowMs := now()
	l.ready = l.ready[:0]
	for _, ev := range events {
		c := ev.c
		if c.gone {
			continue
		}
		if ev.in {
			c.readSocket(nowMs)
		}
		l.ready = append(l.ready, c)
	}
	l.mu.Lock()
	woken := len(l.ready)
	for _, c := range l.sched {
		c.scheduled = false
		l.ready = append(l.ready, c)
	}
	l.sched = l.sched[:0]
	l.mu.Unlock()
	// What other clients' commands gave the woken clients (Pub/Sub
	// messages, invalidations, unblocked replies) is written before the
	// batch runs, as Redis writes pending replies before it sleeps: the
	// batch's commands then see the clients' memory as it is once
	// written, so that eviction does not count, and evict again for, the
	// invalidation messages its own evictions sent a moment before.
	for _, c := range l.ready[woken:] {
		if c.closing.Load() != closeASAP && c.pending.Load() > 0 {
			c.writeSocket()
		}
	}

	// Run every complete command under one acquisition of the lock, or
	// by the busy script that holds it (engine.Do).
	for _, c := range l.ready {
		if c.closing.Load() != closeASAP && c.hasWork() {
			s.eng.Do(l.run)
			break
		}
	}

	for _, c := range l.ready {
		// A client to close at once gets nothing more written, as
		// Redis does for CLIENT_CLOSE_ASAP: not the replies before the
		// one that passed its output limit either.
		if c.closing.Load() != closeASAP {
			c.writeSocket()
		}
		if c.closing.Load() == closeASAP || (c.closing.Load() == closeAfterReply && c.pending.Load() == 0) {
			l.closeClient(c)
		}
	}
}

// runReady runs the complete commands of the ready clients; the caller
// holds the engine lock.
func (l *loop) runReady() {
	// Another loop's batch may run here, inside a busy script of this
	// one (engine.Do): the script's loop is running again after it.
	prev := l.s.running
	defer func() { l.s.running = prev }()
	l.s.running = l
	for _, c := range l.ready {
		if c.closing.Load() == closeASAP || !c.hasWork() {
			continue
		}
		c.clock = time.Now()
		l.current = c
		c.processInput()
	}
	l.current = nil
	// Like Redis before sleeping: BCAST invalidations for the batch,
	// and the replicas asked for their offsets if a WAIT needs them.
	l.s.trackingBroadcast()
	l.s.replBeforeSleep()
	l.s.evictClients(nil)
}

// serveWhileBusy serves the loop's clients from inside a busy script
// that caller runs, holding the engine lock (Redis's
// processEventsWhileBlocked): it reads what arrived, runs it (most
// commands are answered -BUSY), and writes the replies. The caller's own
// input waits for its script to end; so do closes, which the loop's next
// iteration makes.
func (l *loop) serveWhileBusy(caller *client) {
	if l.busyEvents == nil {
		l.busyEvents = make([]pollEvent, 64)
	}
	n, _ := l.p.wait(l.busyEvents, 0)
	nowMs := now()
	ready := l.busyReady[:0]
	for _, ev := range l.busyEvents[:n] {
		c := ev.c
		if c.gone {
			continue
		}
		if c == caller {
			// Its input waits for its script: a later wait is to
			// report it again.
			l.p.repost(ev)
			continue
		}
		if ev.in {
			c.readSocket(nowMs)
		}
		ready = append(ready, c)
	}
	l.mu.Lock()
	keep := l.sched[:0]
	for _, c := range l.sched {
		if c == caller {
			keep = append(keep, c)
			continue
		}
		c.scheduled = false
		ready = append(ready, c)
	}
	l.sched = keep
	l.mu.Unlock()
	// So are the clients of the interrupted iteration: those it read
	// but has not run yet, and those whose replies it has not written
	// (they came in the same batch as the script).
	for _, c := range l.ready {
		if c != caller && !slices.Contains(ready, c) {
			ready = append(ready, c)
		}
	}
	for _, c := range ready {
		if c.closing.Load() != closeASAP && c.hasWork() {
			c.clock = time.Now()
			c.processInput()
		}
	}
	for _, c := range ready {
		if c.closing.Load() != closeASAP {
			c.writeSocket()
		}
	}
	l.busyReady = ready[:0]
}

// readSocket reads once from a client's socket into its query buffer. A
// closed or failed socket marks the client for closing.
func (c *client) readSocket(nowMs int64) {
	if c.big != nil {
		c.readBig(nowMs)
		return
	}
	if c.w == len(c.rbuf) && !c.makeRoom() {
		c.closing.Store(closeASAP)
		return
	}
	c.w += c.readInto(c.rbuf[c.w:], nowMs)
}

// readInto reads what the connection has into buf, counting it, and
// marks the client to close on EOF or an error. It returns the bytes
// read.
func (c *client) readInto(buf []byte, nowMs int64) int {
	n, err := c.loop.p.read(c, buf)
	switch {
	case n > 0:
		c.netIn.Add(int64(n))
		c.lastSeen.Store(nowMs)
		c.s.stats.reads.Add(1)
		return n
	case err == syscall.EAGAIN || err == syscall.EINTR:
	default: // EOF or error
		c.closing.Store(closeASAP)
	}
	return 0
}

// hasWork reports whether a client has commands to run now: buffered
// input, and not waiting on a block or a pause.
func (c *client) hasWork() bool {
	return (c.r < c.w && c.big == nil || c.held != nil) && c.blocked == nil && !c.paused
}

// writeSocket writes as much pending output as the socket takes; what
// remains waits for the socket to be writable.
func (c *client) writeSocket() {
	switch err := c.writeOut(c.loop.p.write); err {
	case nil:
		c.loop.p.watchOutput(c, false)
	case syscall.EAGAIN:
		c.loop.p.watchOutput(c, true)
	default:
		c.closing.Store(closeASAP)
	}
}

// writeOut writes pending output with write until none is left (nil),
// the socket takes no more (EAGAIN, also for a short write) or it fails.
// Only one goroutine writes a client's output at a time: its loop, or
// on the portable path the connection's writer goroutine, which blocks
// in write; writeMu says so to a close, which releases the blocks. The
// write happens outside outMu, which commands of other clients take to
// append (MONITOR, Pub/Sub): appends go after the bytes being written,
// or to blocks of their own, and never move them.
func (c *client) writeOut(write func(*client, []byte) (int, error)) error {
	// The loop leaves the socket to the portable poller's writer
	// goroutine while it writes (its poller would say EAGAIN anyway),
	// rather than wait for a client that may not read.
	if !c.writeMu.TryLock() {
		return syscall.EAGAIN
	}
	defer c.writeMu.Unlock()
	for {
		// Replies leave only once the AOF holds what they depend on, as
		// appendfsync promises; output added meanwhile may depend on more.
		need := c.aofNeed.Load()
		if need > 0 && c.pending.Load() > 0 {
			c.s.aofSync(c)
		}
		c.outMu.Lock()
		buf := c.out.next()
		if len(buf) == 0 {
			c.outMu.Unlock()
			return nil
		}
		if c.aofNeed.Load() != need {
			c.outMu.Unlock()
			continue
		}
		c.outMu.Unlock()
		n, err := write(c, buf)
		if n > 0 {
			c.netOut.Add(int64(n))
			c.s.stats.writes.Add(1)
			c.outMu.Lock()
			c.out.wrote(n)
			c.outCounts()
			c.outMu.Unlock()
		}
		switch {
		case err == syscall.EINTR:
		case err != nil:
			return err
		case n < len(buf):
			return syscall.EAGAIN
		}
	}
}

// closeClient closes a client's socket and removes it from the server.
func (l *loop) closeClient(c *client) {
	l.mu.Lock()
	if l.clients[c.fd] != c {
		l.mu.Unlock()
		return
	}
	delete(l.clients, c.fd)
	l.mu.Unlock()
	c.gone = true
	c.closing.Store(closeASAP)
	l.s.eng.Do(func() { l.s.detachClient(c) })
	l.p.closeConn(c)
	// With the connection closed, a write in flight returns (the
	// portable poller's writer goroutine): then the blocks go back to
	// the pool, the reply's under the engine lock, which guards it.
	c.writeMu.Lock()
	l.s.eng.Do(c.releaseBuffers)
	c.writeMu.Unlock()
}

// shutdown closes every client of the loop and the loop's poller.
func (l *loop) shutdown() {
	l.mu.Lock()
	clients := make([]*client, 0, len(l.clients))
	for _, c := range l.clients {
		clients = append(clients, c)
	}
	l.mu.Unlock()
	for _, c := range clients {
		l.closeClient(c)
	}
	l.p.close()
}

// setTCPOptions sets what Redis sets on an accepted TCP socket: no
// Nagle delay, and tcp-keepalive.
func setTCPOptions(conn net.Conn, keepalive int64) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		if keepalive > 0 {
			_ = tc.SetKeepAlivePeriod(time.Duration(keepalive) * time.Second)
			_ = tc.SetKeepAlive(true)
		}
	}
}

// attachPlain hands a connection accepted on port or unixsocket to a loop.
func (s *Server) attachPlain(conn net.Conn) {
	setTCPOptions(conn, s.cfg.TCPKeepalive)
	s.attach(conn, s.netLoops)
}

// attach hands a connection to one of loops, whose poller takes it over
// (adopt).
func (s *Server) attach(conn net.Conn, loops []*loop) {
	remote, local := conn.RemoteAddr(), conn.LocalAddr()
	_, unix := conn.(*net.UnixConn)
	fd, pc, err := loops[0].p.adopt(conn)
	if err != nil {
		s.log.Warningf("Accepting client connection: %v", err)
		return
	}
	c := s.newClient(fd, remote, local)
	c.port = pc
	c.tls, _ = conn.(*tls.Conn)
	if unix {
		// Redis names a Unix socket client by the socket's path.
		c.addr = s.cfg.UnixSocket + ":0"
		c.laddr = c.addr
		c.flags |= flagUnixSocket
	}
	l := loops[c.id%int64(len(loops))]
	// A busy script admits new connections too (engine.Do).
	var refused string
	s.eng.Do(func() {
		// The users change under the engine lock (ACL SETUSER, LOAD).
		c.user = s.acl.users.Default()
		c.authd = s.defaultAuthenticated()
		if refused = s.refuseReason(c); refused != "" {
			s.stats.rejectedConns++
			return
		}
		s.clients[c.id] = c
		s.stats.connectionsReceived++
		c.loop = l
	})
	if refused != "" {
		l.p.write(c, []byte("-"+refused+"\r\n"))
		l.p.closeConn(c)
		return
	}
	if err := l.add(c); err != nil {
		s.log.Warningf("Registering client connection: %v", err)
		s.eng.Do(func() { s.detachClient(c) })
		l.p.closeConn(c)
	}
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
