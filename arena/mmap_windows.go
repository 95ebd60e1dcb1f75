package arena

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// Map returns size bytes of zeroed memory outside the Go heap. Windows
// has no anonymous mmap; VirtualAlloc is its equivalent: committed pages
// that read as zeros, which the garbage collector never sees, as on unix.
// Each allocation takes address space in 64 KiB units, exactly the
// arena's page size; only the bigger mappings of large blobs round up.
func Map(size int) ([]byte, error) {
	p, err := windows.VirtualAlloc(0, uintptr(size), windows.MEM_COMMIT|windows.MEM_RESERVE, windows.PAGE_READWRITE)
	if err != nil {
		return nil, err
	}
	// p is not Go heap memory, so turning it into a pointer is safe; it
	// goes through &p because vet's unsafeptr check cannot know that.
	return unsafe.Slice(*(**byte)(unsafe.Pointer(&p)), size), nil
}

// Unmap returns memory obtained from Map to the operating system.
func Unmap(m []byte) {
	if err := windows.VirtualFree(uintptr(unsafe.Pointer(&m[0])), 0, windows.MEM_RELEASE); err != nil {
		panic("arena: VirtualFree: " + err.Error())
	}
}
