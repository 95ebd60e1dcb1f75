package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// isTerminal says whether f is a terminal: the TCGETS ioctl succeeds
// only on one (a file, a pipe or /dev/null fail it; a character-device
// test alone would take /dev/null for a terminal).
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
