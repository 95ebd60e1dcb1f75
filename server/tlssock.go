//go:build linux

package server

import (
	"io"
	"net"
	"syscall"
	"time"
)

// tlsSock is the transport under a TLS connection of a tlsPoller's
// loop. Until adopt it is the accepted connection, blocking, for the
// handshake; after, it reads and writes the loop's non-blocking
// descriptor, and only the loop's goroutine uses it. A read the socket
// cannot satisfy fails with errWouldBlock, a temporary net.Error, which
// crypto/tls passes on without breaking the connection (its
// readRecordOrCCS keeps what it read of a record and records only
// errors that are not temporary), so the next read goes on where this
// one stopped. Writes are collected and sent by flush.
type tlsSock struct {
	net.Conn
	fd int // -1 until adopt

	// drained is set once a read(2) came back short or empty: the socket
	// had nothing more, and reads until the next poller read fail
	// without a system call.
	drained bool
	// readErr is an error that came after bytes that were taken first.
	readErr error
	// out[off:] is ciphertext not yet sent; owed is the plaintext of it
	// still counted in the client's output.
	out  []byte
	off  int
	owed int
}

// errWouldBlock is a read that would block: temporary, so crypto/tls
// keeps the connection usable.
var errWouldBlock error = wouldBlock{}

type wouldBlock struct{}

func (wouldBlock) Error() string   { return "read would block" }
func (wouldBlock) Timeout() bool   { return true }
func (wouldBlock) Temporary() bool { return true }

func (ts *tlsSock) Read(b []byte) (int, error) {
	if ts.fd < 0 {
		return ts.Conn.Read(b)
	}
	if ts.drained {
		return 0, errWouldBlock
	}
	for {
		n, err := syscall.Read(ts.fd, b)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			ts.drained = true
			return 0, errWouldBlock
		case err != nil:
			return 0, err
		case n == 0:
			return 0, io.EOF
		}
		if n < len(b) {
			ts.drained = true
		}
		return n, nil
	}
}

// Write collects records for flush.
func (ts *tlsSock) Write(b []byte) (int, error) {
	if ts.fd < 0 {
		return ts.Conn.Write(b)
	}
	ts.out = append(ts.out, b...)
	return len(b), nil
}

func (ts *tlsSock) pending() bool { return ts.off < len(ts.out) }

// flush sends collected records until the socket takes no more.
func (ts *tlsSock) flush() error {
	for ts.pending() {
		n, err := syscall.Write(ts.fd, ts.out[ts.off:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return nil
		case err != nil:
			return err
		}
		ts.off += n
	}
	// Keep the buffer for the next replies unless a big one grew it.
	if cap(ts.out) > 2*tlsChunk {
		ts.out = nil
	} else {
		ts.out = ts.out[:0]
	}
	ts.off = 0
	return nil
}

// Close sends what the socket takes at once and closes the descriptor.
func (ts *tlsSock) Close() error {
	if ts.fd < 0 {
		return ts.Conn.Close()
	}
	ts.flush()
	err := syscall.Close(ts.fd)
	ts.fd = -1
	return err
}

// Deadlines mean nothing once the loop owns the descriptor: it never
// blocks. crypto/tls sets one to bound its close_notify.
func (ts *tlsSock) SetDeadline(t time.Time) error {
	if ts.fd < 0 {
		return ts.Conn.SetDeadline(t)
	}
	return nil
}

func (ts *tlsSock) SetReadDeadline(t time.Time) error {
	if ts.fd < 0 {
		return ts.Conn.SetReadDeadline(t)
	}
	return nil
}

func (ts *tlsSock) SetWriteDeadline(t time.Time) error {
	if ts.fd < 0 {
		return ts.Conn.SetWriteDeadline(t)
	}
	return nil
}
