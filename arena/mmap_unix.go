//go:build unix

package arena

import "syscall"

// Map returns size bytes of zeroed anonymous memory outside the Go heap.
// The dictionary's bucket arrays and entry slabs use it too, so that the
// whole dataset is off the garbage collector's books.
func Map(size int) ([]byte, error) {
	return syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
}

// Unmap returns memory obtained from Map to the operating system.
func Unmap(m []byte) {
	if err := syscall.Munmap(m); err != nil {
		panic("arena: munmap: " + err.Error())
	}
}
