package datadir

import "golang.org/x/sys/windows"

// availableBytes is GetDiskFreeSpaceEx's bytes available to the caller:
// the free space less what disk quotas deny this user, Windows's
// equivalent of f_bavail.
func availableBytes(dir string) (int64, error) {
	p, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, err
	}
	var avail, total, free uint64
	if err := windows.GetDiskFreeSpaceEx(p, &avail, &total, &free); err != nil {
		return 0, err
	}
	return blocksBytes(avail, 1), nil
}
