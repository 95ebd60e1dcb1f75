package server

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// portablePoller serves a loop's clients through Go's own network
// poller, on any platform (see poller.go). Each connection has a reader
// goroutine, which blocks in Read into the connection's staging buffer
// and posts the client to the loop, and a writer goroutine, which writes
// what the socket did not take at once. The loop copies staged input
// into the client's query buffer (one copy per read, the price of not
// owning the descriptor) and re-arms the reader once it took all of it.
type portablePoller struct {
	l      *loop
	mu     sync.Mutex
	ready  []*client     // posted clients, in order
	signal chan struct{} // a post or a wake-up since the last wait
}

// portConn is a client's connection on the portable path.
type portConn struct {
	conn net.Conn
	raw  syscall.RawConn // nil when the connection has no descriptor
	done chan struct{}   // closed by closeConn

	// The reader owns stage between a token on arm and its post; the
	// loop owns it after.
	arm   chan struct{}
	stage []byte
	// Guarded by the poller's mu.
	staged  []byte // read by the reader, not yet taken by the loop
	readErr error  // the reader's last error, io.EOF included
	posted  bool   // in the poller's ready list
	in, out bool   // why it is there

	// writing is set while the writer goroutine owns the socket's
	// writes; kick starts it.
	writing atomic.Bool
	kick    chan struct{}
}

// portStageSize is what one read takes at most: Redis's PROTO_IOBUF_LEN.
const portStageSize = 16 << 10

func newPortablePoller(l *loop) *portablePoller {
	return &portablePoller{l: l, signal: make(chan struct{}, 1)}
}

func (p *portablePoller) adopt(conn net.Conn) (int, *portConn, error) {
	pc := &portConn{
		conn:  conn,
		done:  make(chan struct{}),
		arm:   make(chan struct{}, 1),
		kick:  make(chan struct{}, 1),
		stage: make([]byte, portStageSize),
	}
	fd := -1
	if sc, ok := conn.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			pc.raw = raw
			fd = rawFD(raw)
		}
	} else if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		// A TLS connection: its descriptor is shown, but its bytes go
		// through crypto/tls, so the loop never writes to it directly.
		if sc, ok := nc.NetConn().(syscall.Conn); ok {
			if raw, err := sc.SyscallConn(); err == nil {
				fd = rawFD(raw)
			}
		}
	}
	return fd, pc, nil
}

func (p *portablePoller) add(c *client) error {
	pc := c.port
	pc.arm <- struct{}{}
	go p.reader(c, pc)
	go p.writer(c, pc)
	return nil
}

// reader reads whenever the loop has taken what it read before.
func (p *portablePoller) reader(c *client, pc *portConn) {
	for {
		select {
		case <-pc.arm:
		case <-pc.done:
			return
		}
		n, err := pc.conn.Read(pc.stage)
		p.mu.Lock()
		pc.staged = pc.stage[:n]
		pc.readErr = err
		p.postLocked(c, true, false)
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// writer writes a client's pending output, blocking, whenever the loop
// found that the socket would not take it at once; then it hands the
// client back to the loop, which decides what follows (more output, a
// close after the reply).
func (p *portablePoller) writer(c *client, pc *portConn) {
	for {
		select {
		case <-pc.kick:
		case <-pc.done:
			return
		}
		if err := c.writeOut(func(_ *client, b []byte) (int, error) { return pc.conn.Write(b) }); err != nil {
			c.closing.Store(closeASAP)
		}
		pc.writing.Store(false)
		p.mu.Lock()
		p.postLocked(c, false, true)
		p.mu.Unlock()
	}
}

// postLocked puts a client on the ready list and wakes the loop.
func (p *portablePoller) postLocked(c *client, in, out bool) {
	pc := c.port
	pc.in = pc.in || in
	pc.out = pc.out || out
	if !pc.posted {
		pc.posted = true
		p.ready = append(p.ready, c)
	}
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

func (p *portablePoller) repost(ev pollEvent) {
	p.mu.Lock()
	p.postLocked(ev.c, ev.in, ev.out)
	p.mu.Unlock()
}

func (p *portablePoller) wake() {
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

func (p *portablePoller) wait(ev []pollEvent, timeout int) (int, error) {
	if timeout != 0 {
		p.mu.Lock()
		empty := len(p.ready) == 0
		p.mu.Unlock()
		if empty {
			<-p.signal
		}
	}
	p.mu.Lock()
	n := min(len(ev), len(p.ready))
	for i, c := range p.ready[:n] {
		pc := c.port
		ev[i] = pollEvent{c: c, in: pc.in, out: pc.out}
		pc.posted, pc.in, pc.out = false, false, false
	}
	rest := copy(p.ready, p.ready[n:])
	clear(p.ready[rest:])
	p.ready = p.ready[:rest]
	p.mu.Unlock()
	return n, nil
}

// read takes staged input. What does not fit stays staged and the
// client stays ready, as a level-triggered poller would report it.
func (p *portablePoller) read(c *client, b []byte) (int, error) {
	pc := c.port
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(pc.staged) > 0 {
		n := copy(b, pc.staged)
		pc.staged = pc.staged[n:]
		switch {
		case len(pc.staged) > 0 || pc.readErr != nil:
			// More to take, or the error that came with the last
			// bytes: the client stays ready.
			p.postLocked(c, true, false)
		default:
			pc.arm <- struct{}{}
		}
		return n, nil
	}
	if pc.readErr != nil {
		return 0, pc.readErr
	}
	return 0, syscall.EAGAIN
}

// write tries the socket once without blocking where the platform
// allows it; while the writer goroutine is writing, the loop leaves the
// socket to it.
func (p *portablePoller) write(c *client, b []byte) (int, error) {
	pc := c.port
	if pc.writing.Load() || pc.raw == nil {
		return 0, syscall.EAGAIN
	}
	return tryWrite(pc.raw, b)
}

// watchOutput starts the writer goroutine; turning interest off needs
// nothing, since the writer stops by itself once the output is written.
func (p *portablePoller) watchOutput(c *client, on bool) {
	pc := c.port
	if on && pc.writing.CompareAndSwap(false, true) {
		pc.kick <- struct{}{}
	}
}

func (p *portablePoller) closeConn(c *client) {
	pc := c.port
	close(pc.done)
	pc.conn.Close()
}

func (p *portablePoller) close() {}

// setNoDelay switches Nagle's algorithm (repl-disable-tcp-nodelay).
func (pc *portConn) setNoDelay(on bool) {
	if tc, ok := pc.conn.(*net.TCPConn); ok {
		tc.SetNoDelay(on)
	}
}
