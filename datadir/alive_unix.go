//go:build unix && !linux

package datadir

import (
	"errors"
	"syscall"
)

// alive says whether a process pid exists; a process of another user
// (EPERM) exists too. Without Linux's /proc it cannot tell a zombie or an
// orphaned background-job stand-in from a live server, so their files
// are spared until a later start, erring on the side of keeping, as a
// reused PID does on Linux.
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
