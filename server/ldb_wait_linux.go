package server

import (
	"time"

	"golang.org/x/sys/unix"
)

// waitFD waits up to d for a descriptor to be readable (or writable):
// a debugging session's blocking read or write on a socket its loop
// owns in non-blocking mode.
func waitFD(fd int, write bool, d time.Duration) {
	ev := int16(unix.POLLIN)
	if write {
		ev = unix.POLLOUT
	}
	fds := []unix.PollFd{{Fd: int32(fd), Events: ev}}
	_, _ = unix.Poll(fds, int(d.Milliseconds()))
}
