package datadir

import "syscall"

// availableBytes is statfs's f_bavail, in bytes.
func availableBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	// Block counts are in units of the fragment size (what statvfs and
	// df use); Linux fills it in, and it equals the block size where a
	// file system has no fragments.
	unit := st.Frsize
	if unit <= 0 {
		unit = st.Bsize
	}
	return blocksBytes(st.Bavail, int64(unit)), nil
}
