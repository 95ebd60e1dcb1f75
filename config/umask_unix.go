//go:build unix && !linux

package config

import (
	"io/fs"
	"syscall"
)

// startUmask is the umask at start-up. Without Linux's /proc/self/status
// the umask can only be read by setting it, which races with goroutines
// creating files; package initialisation comes before any of those, and
// Redis too reads it once at start-up. A later change is not seen.
var startUmask = func() fs.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return fs.FileMode(m)
}()

// umask is the process's umask as it was at start-up.
func umask() fs.FileMode { return startUmask }
