package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"

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

// StandInArg is the argument of a background job's stand-in process
// (see server/jobproc.go): the server writes a job's temporary files
// under the stand-in's PID, as Redis does under its child's.
const StandInArg = "--redoubt-background-job"
