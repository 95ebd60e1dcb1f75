package main

import (
	"syscall"

	"golang.org/x/sys/windows"
)

// detached starts the daemon without a console, in a process group of
// its own, so that closing the console that started it does not stop it.
func detached() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: windows.CREATE_NEW_PROCESS_GROUP | windows.DETACHED_PROCESS}
}
