//go:build !linux

package server

// Without epoll, every loop uses the portable poller.
func newEpollPoller(*loop) (poller, error) { return nil, errNoEpoll }

// tlsLoopPoller leaves the TLS loops on the portable poller.
func tlsLoopPoller(p poller) poller { return p }

// setNoDelay switches Nagle's algorithm for a client's socket
// (repl-disable-tcp-nodelay).
func (c *client) setNoDelay(on bool) {
	if c.port != nil {
		c.port.setNoDelay(on)
	}
}
