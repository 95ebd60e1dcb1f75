//go:build unix && !linux

package server

import (
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// osString is INFO's os field: uname's system, release and machine.
func osString() string {
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		return runtime.GOOS
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:]) + " " + unix.ByteSliceToString(u.Machine[:])
}

// totalSystemMemory is INFO's total_system_memory, 0 if unknown: the
// BSDs name it hw.memsize (macOS) or hw.physmem.
func totalSystemMemory() int64 {
	for _, name := range []string{"hw.memsize", "hw.physmem"} {
		if n, err := unix.SysctlUint64(name); err == nil {
			return int64(n)
		}
	}
	return 0
}

// cpuTimes is the CPU time the process used, in the kernel and in user
// space.
func cpuTimes() (sys, user time.Duration) {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Stime.Nano()), time.Duration(ru.Utime.Nano())
}
