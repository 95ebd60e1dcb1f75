//go:build !linux

package aof

import "os"

// fdatasync is a full fsync where the syscall package has no fdatasync
// (darwin, the BSDs, windows): it flushes more than needed, never less,
// so the appendfsync guarantees hold at some cost in speed. On darwin
// f.Sync is F_FULLFSYNC, the only flush there that reaches the disk.
func fdatasync(f *os.File) error {
	return f.Sync()
}
