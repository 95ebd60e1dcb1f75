package server

import (
	"errors"
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
	s    *Server
	epfd int
	wake int // eventfd

	mu      sync.Mutex
	clients map[int]*client // by file descriptor
	sched   []*client       // clients with work from other goroutines
	waiting bool            // the loop is in epoll_wait and needs a wake-up

	events []syscall.EpollEvent
	ready  []*client
	buf    [8]byte
	// run runs the ready clients' commands under the engine lock; a
	// method value made once, so that handing it to engine.Do does not
	// allocate.
	run func()
	// busyEvents and busyReady serve the loop's clients while one of
	// them runs a busy script (serveWhileBusy), beside the iteration
	// that script interrupted.
	busyEvents []syscall.EpollEvent
	busyReady  []*client
	// current is the client whose commands the loop is running, under
	// the engine lock.
	current *client
}

const (
	epollIn  = syscall.EPOLLIN | syscall.EPOLLRDHUP
	epollOut = syscall.EPOLLOUT
)

func newLoop(s *Server) (*loop, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, errno
	}
	l := &loop{s: s, epfd: epfd, wake: int(r), clients: map[int]*client{}, events: make([]syscall.EpollEvent, 256)}
	l.run = l.runReady
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, l.wake, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(l.wake)}); err != nil {
		l.closeFDs()
		return nil, err
	}
	return l, nil
}

func (l *loop) closeFDs() {
	syscall.Close(l.wake)
	syscall.Close(l.epfd)
}

// add starts serving a client.
func (l *loop) add(c *client) error {
	l.mu.Lock()
	l.clients[c.fd] = c
	l.mu.Unlock()
	err := syscall.EpollCtl(l.epfd, syscall.EPOLL_CTL_ADD, c.fd, &syscall.EpollEvent{Events: epollIn, Fd: int32(c.fd)})
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
		var one = [8]byte{1}
		syscall.Write(l.wake, one[:])
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
		n, err := syscall.EpollWait(l.epfd, l.events, timeout)
		l.mu.Lock()
		l.waiting = false
		l.mu.Unlock()
		if err != nil && !errors.Is(err, syscall.EINTR) {
			l.s.log.Warningf("epoll_wait: %v", err)
			return
		}
		if isClosed(l.s.quit) {
			return
		}
		l.iterate(l.events[:max(n, 0)])
	}
}

// iterate handles one batch of events.
func (l *loop) iterate(events []syscall.EpollEvent) {
	s := l.s
	nowMs := now()
	l.ready = l.ready[:0]
	for _, ev := range events {
		fd := int(ev.Fd)
		if fd == l.wake {
			syscall.Read(l.wake, l.buf[:])
			continue
		}
		l.mu.Lock()
		c := l.clients[fd]
		l.mu.Unlock()
		if c == nil {
			continue
		}
		if ev.Events&epollOut != 0 {
			c.wantOut = true
		}
		if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
			c.readSocket(nowMs)
		}
		l.ready = append(l.ready, c)
	}
	l.mu.Lock()
	for _, c := range l.sched {
		c.scheduled = false
		l.ready = append(l.ready, c)
	}
	l.sched = l.sched[:0]
	l.mu.Unlock()

	// Run every complete command under one acquisition of the lock, or
	// by the busy script that holds it (engine.Do).
	for _, c := range l.ready {
		if c.closing.Load() != closeASAP && c.hasWork() {
			s.eng.Do(l.run)
			break
		}
	}

	for _, c := range l.ready {
		c.writeSocket()
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
	l.s.evictClients()
}

// serveWhileBusy serves the loop's clients from inside a busy script
// that caller runs, holding the engine lock (Redis's
// processEventsWhileBlocked): it reads what arrived, runs it (most
// commands are answered -BUSY), and writes the replies. The caller's own
// input waits for its script to end; so do closes, which the loop's next
// iteration makes.
func (l *loop) serveWhileBusy(caller *client) {
	if l.busyEvents == nil {
		l.busyEvents = make([]syscall.EpollEvent, 64)
	}
	n, _ := syscall.EpollWait(l.epfd, l.busyEvents, 0)
	nowMs := now()
	ready := l.busyReady[:0]
	for _, ev := range l.busyEvents[:max(n, 0)] {
		fd := int(ev.Fd)
		if fd == l.wake {
			syscall.Read(l.wake, l.buf[:])
			continue
		}
		l.mu.Lock()
		c := l.clients[fd]
		l.mu.Unlock()
		if c == nil || c == caller {
			continue
		}
		if ev.Events&epollOut != 0 {
			c.wantOut = true
		}
		if ev.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0 {
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
	if c.w == len(c.rbuf) && !c.makeRoom() {
		c.closing.Store(closeASAP)
		return
	}
	n, err := syscall.Read(c.fd, c.rbuf[c.w:])
	switch {
	case n > 0:
		c.w += n
		c.netIn.Add(int64(n))
		c.lastSeen.Store(nowMs)
		c.s.stats.reads.Add(1)
	case err == syscall.EAGAIN || err == syscall.EINTR:
	default: // EOF or error
		c.closing.Store(closeASAP)
	}
}

// hasWork reports whether a client has commands to run now: buffered
// input, and not waiting on a block or a pause.
func (c *client) hasWork() bool {
	return c.r < c.w && c.blocked == nil && !c.paused
}

// writeSocket writes as much pending output as the socket takes; what
// remains waits for the socket to be writable.
func (c *client) writeSocket() {
	for {
		// Replies leave only once the AOF holds what they depend on, as
		// appendfsync promises; output added meanwhile may depend on more.
		need := c.aofNeed.Load()
		if need > 0 && c.pending.Load() > 0 {
			c.s.aofSync(c)
		}
		c.outMu.Lock()
		buf := c.out[c.outPos:]
		if len(buf) == 0 {
			c.outMu.Unlock()
			c.setWantWrite(false)
			return
		}
		if c.aofNeed.Load() != need {
			c.outMu.Unlock()
			continue
		}
		n, err := syscall.Write(c.fd, buf)
		if n > 0 {
			c.netOut.Add(int64(n))
			c.s.stats.writes.Add(1)
			if n == len(buf) {
				// Keep the buffer for reuse unless a big reply grew it.
				if cap(c.out) <= spareMax {
					c.out = c.out[:0]
				} else {
					c.out = nil
				}
				c.outPos = 0
			} else {
				c.outPos += n
				// Once most of it is written, what is left moves to the
				// front: each byte moves at most once on average.
				if c.outPos >= len(c.out)/2 {
					c.out = append(c.out[:0], c.out[c.outPos:]...)
					c.outPos = 0
				}
			}
			c.pending.Store(int64(len(c.out) - c.outPos))
		}
		c.outMu.Unlock()
		switch {
		case err == syscall.EAGAIN:
			c.setWantWrite(true)
			return
		case err == syscall.EINTR:
		case err != nil:
			c.closing.Store(closeASAP)
			return
		case n < len(buf):
			c.setWantWrite(true)
			return
		}
	}
}

// setWantWrite turns interest in writability on or off.
func (c *client) setWantWrite(on bool) {
	if c.wantOut == on && c.outRegistered == on {
		return
	}
	c.wantOut = on
	if c.outRegistered == on {
		return
	}
	ev := uint32(epollIn)
	if on {
		ev |= epollOut
	}
	if err := syscall.EpollCtl(c.loop.epfd, syscall.EPOLL_CTL_MOD, c.fd, &syscall.EpollEvent{Events: ev, Fd: int32(c.fd)}); err == nil {
		c.outRegistered = on
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
	c.closing.Store(closeASAP)
	l.s.eng.Do(func() { l.s.detachClient(c) })
	syscall.Close(c.fd)
}

// shutdown closes every client of the loop and the loop's descriptors.
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
	l.closeFDs()
}

// attach hands an accepted connection to a loop. The socket's descriptor
// is duplicated out of Go's poller, which then forgets the connection, so
// that only the loop's epoll watches it.
func (s *Server) attach(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
		if ka := s.cfg.TCPKeepalive; ka > 0 {
			_ = tc.SetKeepAlivePeriod(time.Duration(ka) * time.Second)
			_ = tc.SetKeepAlive(true)
		}
	}
	fd, err := dupFD(conn)
	remote, local := conn.RemoteAddr(), conn.LocalAddr()
	conn.Close()
	if err != nil {
		s.log.Warningf("Accepting client connection: %v", err)
		return
	}
	c := s.newClient(fd, remote, local)
	if _, ok := conn.(*net.UnixConn); ok {
		// Redis names a Unix socket client by the socket's path.
		c.addr = s.cfg.UnixSocket + ":0"
		c.laddr = c.addr
		c.flags |= flagUnixSocket
	}
	// A busy script admits new connections too (engine.Do).
	var refused string
	s.eng.Do(func() {
		if refused = s.refuseReason(c); refused != "" {
			s.stats.rejectedConns++
			return
		}
		s.clients[c.id] = c
		s.stats.connectionsReceived++
		c.loop = s.loops[c.id%int64(len(s.loops))]
	})
	if refused != "" {
		syscall.Write(fd, []byte("-"+refused+"\r\n"))
		syscall.Close(fd)
		return
	}
	if err := c.loop.add(c); err != nil {
		s.log.Warningf("Registering client connection: %v", err)
		s.eng.Do(func() { s.detachClient(c) })
		syscall.Close(fd)
	}
}

// dupFD returns a non-blocking duplicate of a connection's descriptor.
func dupFD(conn net.Conn) (int, error) {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return -1, errors.New("connection without a file descriptor")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	var dupErr error
	if err := raw.Control(func(f uintptr) {
		fd, dupErr = syscall.Dup(int(f))
	}); err != nil {
		return -1, err
	}
	if dupErr != nil {
		return -1, dupErr
	}
	syscall.CloseOnExec(fd)
	return fd, syscall.SetNonblock(fd, true)
}

func isClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
