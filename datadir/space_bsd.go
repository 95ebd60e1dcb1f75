//go:build darwin || freebsd

package datadir

import "syscall"

// availableBytes is statfs's f_bavail, in bytes. The BSDs' statfs counts
// blocks in units of f_bsize (they have no f_frsize). FreeBSD's f_bavail
// is signed, negative once root's reserve is in use: nothing is left.
func availableBytes(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	if st.Bavail <= 0 {
		return 0, nil
	}
	return blocksBytes(uint64(st.Bavail), int64(st.Bsize)), nil
}
