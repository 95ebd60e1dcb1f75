package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// alive says whether a process pid exists. A process of another user
// (EPERM) exists too. A PID reused by an unrelated process makes its
// file look owned: it is spared now and removed at a later start, which
// errs on the side of keeping. PIDs are those of this PID namespace: a
// server in another container sharing the directory is not seen, which
// is one more reason for one volume per server (ReadWriteOnce).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	if err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	return !zombie(pid) && !orphanedStandIn(pid)
}

// zombie says whether pid has exited and waits to be reaped: kill(pid, 0)
// still finds it, but it writes nothing any more.
func zombie(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(stat), ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// orphanedStandIn says whether pid is a background job's stand-in whose
// server is gone (its parent is no longer a process that could write):
// the stand-in only waits to notice that its server died, so its files
// are leftovers even while it lingers.
func orphanedStandIn(pid int) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil || !strings.Contains(string(cmdline), StandInArg) {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The parent's PID is the second field after the command's name,
	// which is in parentheses and may hold spaces.
	i := strings.LastIndexByte(string(stat), ')')
	if i < 0 {
		return false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 {
		return false
	}
	ppid, err := strconv.Atoi(fields[1])
	if err != nil {
		return false
	}
	return ppid == 1 || (ppid != 0 && syscall.Kill(ppid, 0) == syscall.ESRCH) || !isServer(ppid)
}

// isServer says whether pid runs something other than a stand-in: a
// stand-in re-parented to a subreaper (an init in a container, a test
// harness) has a live parent that is not its server.
func isServer(pid int) bool {
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return false
	}
	name := filepath.Base(strings.SplitN(string(cmdline), "\x00", 2)[0])
	return strings.Contains(name, "redoubt") || strings.Contains(name, "redis")
}
