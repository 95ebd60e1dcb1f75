//go:build !linux && !freebsd

package refredis

import "syscall"

// DieWithParent is nothing where the system has no parent-death signal
// (darwin, windows): the test's clean-up still kills the server, but a
// test binary that is itself killed leaves it running until killed by hand.
func DieWithParent() *syscall.SysProcAttr {
	return nil
}
