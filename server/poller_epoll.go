//go:build linux

package server

import (
	"errors"
	"net"
	"syscall"
)

// epollPoller is the loop's epoll instance and the eventfd that
// interrupts epoll_wait. Sockets are duplicated out of Go's poller
// (adopt), so that only this epoll watches them and the loop's reads and
// writes are plain system calls on a non-blocking descriptor.
type epollPoller struct {
	l      *loop
	epfd   int
	wakeFD int
	events []syscall.EpollEvent
	buf    [8]byte
}

const (
	epollIn  = syscall.EPOLLIN | syscall.EPOLLRDHUP
	epollOut = syscall.EPOLLOUT
)

func newEpollPoller(l *loop) (poller, error) {
	epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	r, _, errno := syscall.Syscall(syscall.SYS_EVENTFD2, 0, syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if errno != 0 {
		syscall.Close(epfd)
		return nil, errno
	}
	p := &epollPoller{l: l, epfd: epfd, wakeFD: int(r), events: make([]syscall.EpollEvent, 256)}
	if err := syscall.EpollCtl(epfd, syscall.EPOLL_CTL_ADD, p.wakeFD, &syscall.EpollEvent{Events: syscall.EPOLLIN, Fd: int32(p.wakeFD)}); err != nil {
		p.close()
		return nil, err
	}
	return p, nil
}

func (p *epollPoller) close() {
	syscall.Close(p.wakeFD)
	syscall.Close(p.epfd)
}

// adopt duplicates the connection's descriptor out of Go's poller, which
// then forgets the connection.
func (p *epollPoller) adopt(conn net.Conn) (int, *portConn, error) {
	fd, err := dupFD(conn)
	conn.Close()
	return fd, nil, err
}

func (p *epollPoller) add(c *client) error {
	return syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, c.fd, &syscall.EpollEvent{Events: epollIn, Fd: int32(c.fd)})
}

// watchOutput changes the socket's registration only when it must: the
// registration is level-triggered and stays until changed.
func (p *epollPoller) watchOutput(c *client, on bool) {
	if c.outRegistered == on {
		return
	}
	ev := uint32(epollIn)
	if on {
		ev |= epollOut
	}
	if err := syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, c.fd, &syscall.EpollEvent{Events: ev, Fd: int32(c.fd)}); err == nil {
		c.outRegistered = on
	}
}

func (p *epollPoller) wait(ev []pollEvent, timeout int) (int, error) {
	if len(p.events) < len(ev) {
		p.events = make([]syscall.EpollEvent, len(ev))
	}
	n, err := syscall.EpollWait(p.epfd, p.events[:len(ev)], timeout)
	if err != nil {
		if errors.Is(err, syscall.EINTR) {
			err = nil
		}
		return 0, err
	}
	k := 0
	p.l.mu.Lock()
	for _, e := range p.events[:n] {
		fd := int(e.Fd)
		if fd == p.wakeFD {
			syscall.Read(p.wakeFD, p.buf[:])
			continue
		}
		c := p.l.clients[fd]
		if c == nil {
			continue
		}
		ev[k] = pollEvent{
			c:   c,
			in:  e.Events&(syscall.EPOLLIN|syscall.EPOLLRDHUP|syscall.EPOLLHUP|syscall.EPOLLERR) != 0,
			out: e.Events&epollOut != 0,
		}
		k++
	}
	p.l.mu.Unlock()
	return k, nil
}

// repost needs nothing: epoll is level-triggered and reports the socket
// again.
func (p *epollPoller) repost(pollEvent) {}

func (p *epollPoller) wake() {
	var one = [8]byte{1}
	syscall.Write(p.wakeFD, one[:])
}

func (p *epollPoller) read(c *client, b []byte) (int, error) {
	return syscall.Read(c.fd, b)
}

func (p *epollPoller) write(c *client, b []byte) (int, error) {
	return syscall.Write(c.fd, b)
}

// closeConn closes the descriptor, which also removes it from the epoll
// set: it is the only descriptor of its socket.
func (p *epollPoller) closeConn(c *client) {
	syscall.Close(c.fd)
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

// setNoDelay switches Nagle's algorithm for a client whose socket the
// loop owns (repl-disable-tcp-nodelay).
func (c *client) setNoDelay(on bool) {
	if c.port != nil {
		c.port.setNoDelay(on)
		return
	}
	if c.fd >= 0 {
		v := 1
		if !on {
			v = 0
		}
		syscall.SetsockoptInt(c.fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, v)
	}
}
