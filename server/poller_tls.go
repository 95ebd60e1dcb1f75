//go:build linux

package server

import (
	"crypto/tls"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// tlsPoller serves TLS clients on an epoll loop like the others: the
// loop owns each socket's descriptor, epoll says when it is readable or
// writable, and crypto/tls's record layer runs in the loop's goroutine
// over a transport that never blocks (tlsSock). A request costs what it
// costs a plain client (a read(2), a write(2) and a share of
// epoll_wait) plus the cryptography; no goroutine hands anything over.
//
// Two things epoll cannot see are kept here. Input crypto/tls has taken
// off the socket but not yet handed out (a read that filled the query
// buffer) makes the client ready again through more. Output that
// crypto/tls encrypted but the socket did not take waits in the
// tlsSock, and the plaintext it carries stays in the client's output
// until it is sent (owed), so pending output, closing after a reply and
// the output limits count it as for a plain client.
type tlsPoller struct {
	*epollPoller
	// more are clients with input read off their sockets and not yet
	// taken: epoll will not report them.
	more []*client
	// fresh are clients just added, by other goroutines: the handshake
	// may have read past its end, so crypto/tls may already hold their
	// first commands. wait moves them to more.
	mu       sync.Mutex
	fresh    []*client
	anyFresh atomic.Bool
}

// tlsChunk is the plaintext encrypted at a time: it bounds the ciphertext
// held for a client whose socket is full.
const tlsChunk = 64 << 10

// tlsLoopPoller makes an epoll loop's poller serve TLS clients.
func tlsLoopPoller(p poller) poller {
	if ep, ok := p.(*epollPoller); ok {
		return &tlsPoller{epollPoller: ep}
	}
	return p
}

// wrapConn puts the transport under a connection about to handshake:
// blocking until adopt switches it to the loop's descriptor.
func (p *tlsPoller) wrapConn(conn net.Conn) net.Conn {
	return &tlsSock{Conn: conn, fd: -1}
}

// adopt takes the socket's descriptor out of Go's poller, as the epoll
// poller does, and switches the transport to it.
func (p *tlsPoller) adopt(conn net.Conn) (int, *portConn, error) {
	tc, ok := conn.(*tls.Conn)
	if !ok {
		return p.epollPoller.adopt(conn)
	}
	ts, ok := tc.NetConn().(*tlsSock)
	if !ok {
		return -1, nil, errors.New("a TLS connection without the loop's transport")
	}
	fd, err := dupFD(ts.Conn)
	ts.Conn.Close()
	if err != nil {
		return -1, nil, err
	}
	ts.fd = fd
	return fd, nil, nil
}

// add watches a client's socket, and has the loop read it once at
// least, whatever epoll says.
func (p *tlsPoller) add(c *client) error {
	if err := p.epollPoller.add(c); err != nil || c.tls == nil {
		return err
	}
	p.mu.Lock()
	p.fresh = append(p.fresh, c)
	p.anyFresh.Store(true)
	p.mu.Unlock()
	p.wake()
	return nil
}

// wait adds the clients with input already read to epoll's events, and
// does not sleep while there are any.
func (p *tlsPoller) wait(ev []pollEvent, timeout int) (int, error) {
	if p.anyFresh.Load() {
		p.mu.Lock()
		p.more = append(p.more, p.fresh...)
		clear(p.fresh)
		p.fresh = p.fresh[:0]
		p.anyFresh.Store(false)
		p.mu.Unlock()
	}
	if len(p.more) > 0 {
		timeout = 0
	}
	n, err := p.epollPoller.wait(ev, timeout)
	if err != nil {
		return 0, err
	}
	k := 0
	for _, c := range p.more {
		i := 0
		for i < n && ev[i].c != c {
			i++
		}
		switch {
		case i < n:
			ev[i].in = true
		case n < len(ev):
			ev[n] = pollEvent{c: c, in: true}
			n++
		default:
			p.more[k] = c
			k++
		}
	}
	clear(p.more[k:])
	p.more = p.more[:k]
	return n, nil
}

// repost has the next wait report a client: epoll does for input still
// on the socket, more for input crypto/tls holds.
func (p *tlsPoller) repost(ev pollEvent) {
	if ev.in {
		p.more = append(p.more, ev.c)
	}
}

// read decrypts what arrived into b, record after record, until the
// socket has no more (the transport says so without a system call once
// a read(2) came back short) or b is full, in which case the client is
// ready again.
func (p *tlsPoller) read(c *client, b []byte) (int, error) {
	if c.tls == nil {
		return p.epollPoller.read(c, b)
	}
	ts := c.tls.NetConn().(*tlsSock)
	if ts.readErr != nil {
		return 0, ts.readErr
	}
	ts.drained = false
	n := 0
	for n < len(b) {
		k, err := c.tls.Read(b[n:])
		n += k
		if errors.Is(err, errWouldBlock) || k == 0 && err == nil {
			break
		}
		if err != nil {
			if n == 0 {
				return 0, err
			}
			// Taken with the bytes before it, at the next read.
			ts.readErr = err
			p.more = append(p.more, c)
			return n, nil
		}
	}
	// Reading may have had crypto/tls answer (a TLS 1.3 key update):
	// sent now if the socket takes it, else before the next reply.
	if err := ts.flush(); err != nil {
		return n, err
	}
	if n == len(b) {
		p.more = append(p.more, c)
	}
	if n == 0 {
		return 0, syscall.EAGAIN
	}
	return n, nil
}

// write encrypts b a chunk at a time and sends the records. A chunk whose
// records the socket did not all take is owed: reported unwritten
// (EAGAIN), so it stays in the client's output, and reported written by
// the call that finishes sending it, which the loop makes with the same
// output once the socket is writable.
func (p *tlsPoller) write(c *client, b []byte) (int, error) {
	if c.tls == nil {
		return p.epollPoller.write(c, b)
	}
	ts := c.tls.NetConn().(*tlsSock)
	done := 0
	if ts.pending() {
		if err := ts.flush(); err != nil {
			return 0, err
		}
		if ts.pending() {
			return 0, syscall.EAGAIN
		}
		done, ts.owed = min(ts.owed, len(b)), 0
	}
	for done < len(b) {
		k := min(len(b)-done, tlsChunk)
		if _, err := c.tls.Write(b[done : done+k]); err != nil {
			return done, err
		}
		if err := ts.flush(); err != nil {
			return done, err
		}
		if ts.pending() {
			ts.owed = k
			return done, syscall.EAGAIN
		}
		done += k
	}
	return done, nil
}

// closeConn sends a close_notify alert if the socket takes it at once,
// as Redis's non-blocking SSL_shutdown does, and closes the descriptor.
func (p *tlsPoller) closeConn(c *client) {
	if c.tls == nil {
		p.epollPoller.closeConn(c)
		return
	}
	c.tls.Close()
}
