//go:build unix

package server

import "syscall"

// sigStopJob is the signal that stops a background job's stand-in
// quietly: SIGUSR1, as Redis stops its own child.
const sigStopJob = syscall.SIGUSR1
