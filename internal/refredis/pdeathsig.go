//go:build linux || freebsd

package refredis

import "syscall"

// DieWithParent has the kernel kill a server that a test starts when the
// test binary dies, so that a test killed on a timeout leaves no server
// behind.
func DieWithParent() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
