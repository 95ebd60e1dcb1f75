package server

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// connPoller serves a loop that has exactly one client, a TLS
// connection (tlsconn.go), in the loop's own goroutine: wait blocks in
// the connection's Read, write blocks in its Write. crypto/tls reads and
// writes only through its net.Conn, so no poller can learn that a TLS
// connection is readable without reading it; the portable poller pays
// for that with two goroutine hand-offs per request (its reader posts
// to the loop, the loop kicks its writer), and those hand-offs, not the
// cryptography, bounded TLS throughput. Here a request costs none: the
// goroutine that read it runs it and writes the reply. Blocking is
// harmless because the loop serves nobody else.
//
// Other goroutines reach the loop through wake (pushed output, an
// unblocked command, a kill, shutdown). A wake-up while the loop is in
// Read interrupts it with a read deadline in the past: crypto/tls
// treats the deadline error as temporary (readRecordOrCCS keeps the
// connection usable for net.Errors whose Temporary() is true, and a
// deadline's is) and keeps any part of a record it had read, so the
// next Read goes on where this one stopped. A Write is interrupted only
// when the client is to be closed: an interrupted Write leaves
// crypto/tls's output broken for good.
type connPoller struct {
	l     *loop
	c     *client // the loop's client, once added
	conn  net.Conn
	stage []byte

	// Owned by the loop's goroutine: bytes read and not yet taken, the
	// error that came with them, and whether a wait is to report the
	// client (they are there, or a repost asked for it).
	staged  []byte
	readErr error
	ready   bool

	// mu orders wake against the loop entering and leaving Read and
	// Write, so that a wake-up is never lost: either the loop sees woken
	// before it blocks, or wake sees it blocked and sets a deadline.
	mu        sync.Mutex
	woken     bool // a wake-up the loop has not returned from wait for
	reading   bool // in conn.Read
	writing   bool // in conn.Write
	deadlined bool // a past read deadline is set
	writeErr  bool // a write failed or was cut short: the peer is not reading
}

// pastDeadline is any time already gone: the deadline that interrupts.
var pastDeadline = time.Unix(1, 0)

// errClosing refuses a write to a client that is being closed: it may
// not be reading, and nobody waits for the bytes.
var errClosing = errors.New("the client is being closed")

func newConnPoller(l *loop) *connPoller {
	return &connPoller{l: l}
}

// adopt keeps the connection; the descriptor shown is the TCP socket's
// under the TLS layer.
func (p *connPoller) adopt(conn net.Conn) (int, *portConn, error) {
	p.conn = conn
	p.stage = make([]byte, portStageSize)
	fd := -1
	if nc, ok := conn.(interface{ NetConn() net.Conn }); ok {
		if sc, ok := nc.NetConn().(syscall.Conn); ok {
			if raw, err := sc.SyscallConn(); err == nil {
				fd = rawFD(raw)
			}
		}
	}
	return fd, nil, nil
}

func (p *connPoller) add(c *client) error {
	p.c = c
	return nil
}

// wait returns the client when it has staged input (or an error) to
// take; with timeout 0, nothing else. Otherwise it reads, unless a
// wake-up came first.
func (p *connPoller) wait(ev []pollEvent, timeout int) (int, error) {
	if p.ready {
		p.ready = false
		ev[0] = pollEvent{c: p.c, in: true}
		return 1, nil
	}
	if timeout == 0 || p.c == nil {
		return 0, nil
	}
	p.mu.Lock()
	if p.woken {
		p.woken = false
		p.mu.Unlock()
		return 0, nil
	}
	if p.deadlined {
		p.conn.SetReadDeadline(time.Time{})
		p.deadlined = false
	}
	p.reading = true
	p.mu.Unlock()

	n, err := p.conn.Read(p.stage)

	p.mu.Lock()
	p.reading = false
	// Whoever woke the loop queued its work first (loop.schedule), and
	// the iteration that follows this wait takes it.
	p.woken = false
	interrupted := p.deadlined
	p.mu.Unlock()
	if interrupted && errors.Is(err, os.ErrDeadlineExceeded) {
		err = nil
	}
	if n == 0 && err == nil {
		return 0, nil
	}
	p.staged, p.readErr = p.stage[:n], err
	ev[0] = pollEvent{c: p.c, in: true}
	return 1, nil
}

// repost has the next wait report the client again.
func (p *connPoller) repost(ev pollEvent) {
	p.ready = p.ready || ev.in || ev.out
}

// wake interrupts a Read, or, for a client to be closed (killed, over
// its output limit, shutdown), a Write that may never end.
func (p *connPoller) wake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.woken = true
	if p.reading && !p.deadlined {
		p.conn.SetReadDeadline(pastDeadline)
		p.deadlined = true
	}
	if p.writing && !p.writeErr && p.mustClose() {
		p.conn.SetWriteDeadline(pastDeadline)
		p.writeErr = true
	}
}

// mustClose reports whether the client is to be closed without its
// pending output.
func (p *connPoller) mustClose() bool {
	return (p.c != nil && p.c.closing.Load() == closeASAP) || isClosed(p.l.s.quit)
}

// read takes staged input, as the portable poller does: what does not
// fit stays staged and the client stays ready.
func (p *connPoller) read(c *client, b []byte) (int, error) {
	if len(p.staged) > 0 {
		n := copy(b, p.staged)
		p.staged = p.staged[n:]
		p.ready = len(p.staged) > 0 || p.readErr != nil
		return n, nil
	}
	if p.readErr != nil {
		return 0, p.readErr
	}
	return 0, syscall.EAGAIN
}

// write writes all of b, blocking: only this client waits. A client to
// be closed is not written to, so that a kill or a shutdown never waits
// for a peer that does not read.
func (p *connPoller) write(c *client, b []byte) (int, error) {
	p.mu.Lock()
	if p.writeErr || p.mustClose() {
		p.mu.Unlock()
		return 0, errClosing
	}
	p.writing = true
	p.mu.Unlock()

	n, err := p.conn.Write(b)

	p.mu.Lock()
	p.writing = false
	if err != nil {
		p.writeErr = true
	}
	p.mu.Unlock()
	return n, err
}

// watchOutput has nothing to do: write never leaves output behind but
// on an error, which closes the client.
func (p *connPoller) watchOutput(c *client, on bool) {}

// closeConn closes the connection. A peer that is not reading (a write
// failed, output is pending) gets no close_notify alert: crypto/tls
// would wait up to 5 seconds to send it.
func (p *connPoller) closeConn(c *client) {
	p.mu.Lock()
	stalled := p.writeErr || c.pending.Load() > 0
	p.mu.Unlock()
	if nc, ok := p.conn.(interface{ NetConn() net.Conn }); ok && stalled {
		nc.NetConn().Close()
		return
	}
	p.conn.Close()
}

func (p *connPoller) close() {}
