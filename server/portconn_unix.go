//go:build unix

package server

import "syscall"

// tryWrite makes one non-blocking write(2) on the connection's
// descriptor, which Go's poller keeps non-blocking: the loop learns at
// once whether the socket took the reply, as on the epoll path, and only
// what is left goes to the connection's writer goroutine.
func tryWrite(raw syscall.RawConn, b []byte) (int, error) {
	var n int
	var werr error
	if err := raw.Write(func(fd uintptr) bool {
		n, werr = syscall.Write(int(fd), b)
		return true
	}); err != nil {
		return 0, err
	}
	return max(n, 0), werr
}

// rawFD is the connection's descriptor, for CLIENT LIST.
func rawFD(raw syscall.RawConn) int {
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}
