package server

import "syscall"

// sigStopJob stands for Unix's SIGUSR1, which Windows lacks: no process
// there dies of it, so a killed stand-in always counts as a failure.
const sigStopJob = syscall.Signal(-1)
