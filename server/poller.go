package server

import (
	"errors"
	"net"
	"os"
	"runtime"
)

// Pollers: how an event loop learns which of its clients it can read or
// write, and how it reads, writes and closes their connections.
//
// Two implementations exist. The epoll poller (poller_epoll.go, Linux
// only) is the fast path that netloop.go's design note describes: the
// loop owns a duplicate of each socket's descriptor and makes the
// read(2), write(2) and epoll_wait(2) calls itself, so a request costs a
// read and a write. The portable poller (poller_portable.go) runs
// wherever Go runs: each connection keeps its net.Conn, a goroutine per
// connection blocks in Read and hands what it read to the loop, and
// output the socket does not take at once is written by a second
// goroutine that blocks in Write. The loop itself is the same for both:
// it still runs every ready client's commands under one acquisition of
// the engine lock, and only its goroutine parses and runs a client's
// input, so everything above this file behaves identically.
//
// TLS clients are served by loops apart (tlsconn.go), on the same kind
// of poller. On epoll it is the epoll poller with crypto/tls's record
// layer run by the loop over the descriptor it owns (poller_tls.go);
// on the portable poller, the reader and writer goroutines simply block
// in the TLS connection's Read and Write.
//
// io-poller chooses: "epoll", "portable", or "auto": epoll where it
// exists, unless the environment variable REDOUBT_IO_POLLER names the
// other, which is how CI runs every test a second time on the portable
// path without touching each test's settings.

// pollEvent is one ready client: input to read, or room to write.
type pollEvent struct {
	c       *client
	in, out bool
}

type poller interface {
	// adopt takes over an accepted connection and returns the descriptor
	// CLIENT LIST shows. The connection belongs to the poller afterwards.
	adopt(conn net.Conn) (fd int, pc *portConn, err error)
	// add starts watching a client for input.
	add(c *client) error
	// watchOutput asks (or stops asking) to hear when a client whose
	// output the socket did not take at once can be written again.
	watchOutput(c *client, on bool)
	// wait fills ev with ready clients. It waits up to timeout
	// milliseconds, -1 for as long as it takes; wake ends the wait early,
	// possibly with no event.
	wait(ev []pollEvent, timeout int) (int, error)
	// repost has a later wait report an event again, which the loop
	// took but could not act on yet.
	repost(ev pollEvent)
	// wake interrupts wait. Any goroutine may call it.
	wake()
	// read reads what a client sent into b: (0, EAGAIN) when nothing is
	// there, (0, nil) once the peer closed.
	read(c *client, b []byte) (int, error)
	// write writes b without blocking: what the socket does not take is
	// left to the caller, which asks watchOutput to hear when to retry.
	write(c *client, b []byte) (int, error)
	// closeConn closes a client's connection.
	closeConn(c *client)
	// close releases the poller.
	close()
}

var errNoEpoll = errors.New("io-poller epoll: epoll is available only on Linux")

// newPoller makes the poller io-poller names for a loop.
func newPoller(l *loop, kind string) (poller, error) {
	switch kind {
	case "portable":
		return newPortablePoller(l), nil
	case "auto":
		if env := os.Getenv("REDOUBT_IO_POLLER"); env == "portable" || env == "epoll" {
			return newPoller(l, env)
		}
		if runtime.GOOS != "linux" {
			return newPortablePoller(l), nil
		}
	}
	return newEpollPoller(l)
}

// pollerName names a poller for the log.
func pollerName(p poller) string {
	if _, ok := p.(*portablePoller); ok {
		return "portable"
	}
	return "epoll"
}
