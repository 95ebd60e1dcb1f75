package filemap

import (
	"os"
	"unsafe"

	"golang.org/x/sys/windows"
)

// ReadOnly maps the first size bytes of f, read-only: a write to the
// mapping faults.
func ReadOnly(f *os.File, size int) ([]byte, error) {
	return mapView(f, size, windows.PAGE_READONLY, windows.FILE_MAP_READ)
}

// CopyOnWrite maps the first size bytes of f, private and writable: a
// stray write changes a private copy of a page, never the file.
func CopyOnWrite(f *os.File, size int) ([]byte, error) {
	return mapView(f, size, windows.PAGE_WRITECOPY, windows.FILE_MAP_COPY)
}

// mapView is mmap in Windows's two steps: a mapping object for the whole
// file (a maximum size of 0 is the file's size, which is never grown),
// then a view of its first size bytes.
func mapView(f *os.File, size int, protect, access uint32) ([]byte, error) {
	h, err := windows.CreateFileMapping(windows.Handle(f.Fd()), nil, protect, 0, 0, nil)
	if err != nil {
		return nil, err
	}
	// The view keeps the mapping object alive; its handle is not needed.
	defer windows.CloseHandle(h)
	addr, err := windows.MapViewOfFile(h, access, 0, 0, uintptr(size))
	if err != nil {
		return nil, err
	}
	// addr is not Go heap memory, so turning it into a pointer is safe; it
	// goes through &addr because vet's unsafeptr check cannot know that.
	return unsafe.Slice(*(**byte)(unsafe.Pointer(&addr)), size), nil
}

// Unmap releases a mapping that ReadOnly or CopyOnWrite made.
func Unmap(data []byte) error {
	return windows.UnmapViewOfFile(uintptr(unsafe.Pointer(&data[0])))
}
