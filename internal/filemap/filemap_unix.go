//go:build unix

package filemap

import (
	"os"
	"syscall"
)

// ReadOnly maps the first size bytes of f, shared and read-only: a write
// to the mapping faults.
func ReadOnly(f *os.File, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ, syscall.MAP_SHARED)
}

// CopyOnWrite maps the first size bytes of f, private and writable: a
// stray write changes a private copy of a page, never the file.
func CopyOnWrite(f *os.File, size int) ([]byte, error) {
	return syscall.Mmap(int(f.Fd()), 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
}

// Unmap releases a mapping that ReadOnly or CopyOnWrite made.
func Unmap(data []byte) error {
	return syscall.Munmap(data)
}
