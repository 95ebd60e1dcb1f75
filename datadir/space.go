package datadir

import (
	"fmt"
	"math"
)

// SpaceError says that a write would not fit in its directory.
type SpaceError struct {
	Dir   string
	What  string // what was to be written: "the snapshot", "the AOF rewrite"
	Need  int64
	Avail int64
}

func (e *SpaceError) Error() string {
	return fmt.Sprintf("not enough free disk space in %s to write %s: about %s needed, %s available",
		e.Dir, e.What, humanBytes(e.Need), humanBytes(e.Avail))
}

// Available is the space in dir's file system that an unprivileged
// process may still use, as df's "Avail" column: blocks reserved for
// root do not count, since a server that fills them starves the system.
func Available(dir string) (int64, error) {
	avail, err := availableBytes(dir)
	if err != nil {
		return 0, fmt.Errorf("cannot read the free disk space of %s: %w", dir, err)
	}
	return avail, nil
}

// blocksBytes is n blocks of unit bytes, held at math.MaxInt64.
func blocksBytes(n uint64, unit int64) int64 {
	if n > uint64(math.MaxInt64/max(unit, 1)) {
		return math.MaxInt64
	}
	return int64(n) * unit
}

// CheckSpace returns a *SpaceError when dir's file system has less than
// need bytes available for what ("the snapshot", "the AOF rewrite"), nil
// when it has enough, and another error when statfs fails.
func CheckSpace(dir string, need int64, what string) error {
	avail, err := Available(dir)
	if err != nil {
		return err
	}
	if avail < need {
		return &SpaceError{Dir: dir, What: what, Need: need, Avail: avail}
	}
	return nil
}

// spaceFloor is added to every estimate: headers, metadata, and the
// file-system blocks a nearly empty dataset still takes, so that an empty
// dataset on a full disk is refused too.
const spaceFloor = 1 << 20

// NeedFor estimates the free space a new snapshot or AOF base needs:
//
//	max(previous, dataset) * 1.1 + 1 MiB
//
// previous is the size of the last file of the same kind (the current
// dbfilename, or the current AOF base file; not the incremental files,
// since the rewrite is what compacts them), 0 if none; dataset is the
// caller's estimate of the file the current dataset makes (an estimate
// from memory use overstates it, which errs on the safe side). The old
// file stays until the new one is renamed over it, so the whole new file
// must fit beside it; the tenth covers growth while the file is written.
func NeedFor(previous, dataset int64) int64 {
	base := max(previous, dataset, 0)
	if base > (math.MaxInt64-spaceFloor)/11*10 {
		return math.MaxInt64
	}
	return base + base/10 + spaceFloor
}

// humanBytes renders n in binary units, as an operator compares it with
// df -h: "512 bytes", "4.1 MiB", "300 MiB", "1.2 GiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	units := []string{"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"}
	v := float64(n) / 1024
	u := 0
	for v >= 1024 && u < len(units)-1 {
		v /= 1024
		u++
	}
	if v < 9.95 {
		return fmt.Sprintf("%.1f %s", v, units[u])
	}
	return fmt.Sprintf("%.0f %s", v, units[u])
}
