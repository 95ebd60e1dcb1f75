package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/aof"
)

// Removed is a leftover temporary file Clean removed.
type Removed struct {
	Path string // the file's path: dir or aofDir joined with its name
	Size int64  // its size when it was removed
}

// Clean removes, from the working directory dir and the AOF directory
// aofDir, the temporary files that interrupted saves and rewrites leave
// (see the package doc for the names), except those whose name carries
// the PID of a live process other than self: self is the calling
// server's PID, whose files are the leftovers of an earlier life since it
// has written nothing yet. A missing aofDir has nothing to clean. It
// returns what it removed, for the server to log, and goes on past a file
// it cannot remove, reporting every failure in its error.
func Clean(dir, aofDir, appendFilename string, self int) ([]Removed, error) {
	var removed []Removed
	var errs []error
	for i, d := range []string{dir, aofDir} {
		if i == 1 && (aofDir == "" || filepath.Clean(aofDir) == filepath.Clean(dir)) {
			break
		}
		entries, err := os.ReadDir(d)
		if err != nil {
			if i == 1 && errors.Is(err, os.ErrNotExist) {
				break
			}
			errs = append(errs, err)
			continue
		}
		for _, e := range entries {
			if !e.Type().IsRegular() {
				continue
			}
			pid, ok := leftover(e.Name(), appendFilename)
			if !ok || (pid != 0 && pid != self && alive(pid)) {
				continue
			}
			path := filepath.Join(d, e.Name())
			var size int64
			if fi, err := e.Info(); err == nil {
				size = fi.Size()
			}
			if err := os.Remove(path); err != nil {
				if !errors.Is(err, os.ErrNotExist) {
					errs = append(errs, err)
				}
				continue
			}
			removed = append(removed, Removed{Path: path, Size: size})
		}
	}
	return removed, errors.Join(errs...)
}

// leftover says whether name is a temporary file of an interrupted save or
// rewrite, and the PID its name carries (0 if none). aof.IsLeftover knows
// Redis's names; the others are Redoubt's.
func leftover(name, appendFilename string) (pid int, ok bool) {
	if l, ok := aof.IsLeftover(name, appendFilename); ok {
		return l.PID, true
	}
	for _, pat := range []struct{ prefix, suffix string }{
		{"temp-bg-", ".rdb"}, // snapshot.StartBackground's TempName
		{markerTempPrefix, ""},
	} {
		mid, ok := strings.CutPrefix(name, pat.prefix)
		if !ok {
			continue
		}
		if mid, ok = strings.CutSuffix(mid, pat.suffix); !ok {
			continue
		}
		if pid, ok := parsePID(mid); ok {
			return pid, true
		}
	}
	return 0, false
}

func parsePID(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	pid, err := strconv.Atoi(s)
	return pid, err == nil && pid > 0
}

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

// StandInArg is the argument of a background job's stand-in process
// (see server/jobproc.go): the server writes a job's temporary files
// under the stand-in's PID, as Redis does under its child's.
const StandInArg = "--redoubt-background-job"

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
