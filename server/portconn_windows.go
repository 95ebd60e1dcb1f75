//go:build windows

package server

import "syscall"

// tryWrite reports that the socket would block: Windows sockets are
// overlapped, with no non-blocking write to try, so every reply is
// written by the connection's writer goroutine.
func tryWrite(syscall.RawConn, []byte) (int, error) { return 0, syscall.EAGAIN }

// rawFD is the socket's handle, for CLIENT LIST.
func rawFD(raw syscall.RawConn) int {
	fd := -1
	raw.Control(func(f uintptr) { fd = int(f) })
	return fd
}
