package arena

import "syscall"

// MapFilled is Map for memory the caller writes in full at once (a reply
// block): the kernel maps its pages in one go (MAP_POPULATE) rather than
// page fault after page fault as they are first written.
func MapFilled(size int) ([]byte, error) {
	return syscall.Mmap(-1, 0, size, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE|syscall.MAP_POPULATE)
}
