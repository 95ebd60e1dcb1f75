//go:build !linux

package server

import "time"

// waitFD is only reached on Linux, whose epoll poller owns descriptors;
// elsewhere every client is on the portable poller.
func waitFD(fd int, write bool, d time.Duration) { time.Sleep(time.Millisecond) }
