package datadir

import (
	"errors"
	"math"

	"golang.org/x/sys/windows"
)

// alive says whether a process pid exists and has not exited; a process
// that may not be opened (another user's) exists too. As on the other
// non-Linux systems, an orphaned background-job stand-in counts as alive:
// its files are spared until a later start, erring on the side of keeping.
func alive(pid int) bool {
	if pid > math.MaxUint32 {
		return false
	}
	h, err := windows.OpenProcess(windows.PROCESS_QUERY_LIMITED_INFORMATION, false, uint32(pid))
	if err != nil {
		return errors.Is(err, windows.ERROR_ACCESS_DENIED)
	}
	defer windows.CloseHandle(h)
	var code uint32
	if err := windows.GetExitCodeProcess(h, &code); err != nil {
		return true
	}
	// An exited process whose handle someone still holds can be opened,
	// as a zombie can be signalled; only a running one has no exit code.
	return code == stillActive
}

// stillActive is STILL_ACTIVE, GetExitCodeProcess's code for a process
// that has not exited.
const stillActive = 259
