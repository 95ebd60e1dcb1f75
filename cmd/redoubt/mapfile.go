package main

import (
	"errors"
	"os"
	"syscall"

	"github.com/redoubt-db/redoubt/internal/filemap"
)

// mapFile maps the first size bytes of f into memory, read-only, rather
// than reading a file of many gigabytes onto the heap; unmap releases it.
func mapFile(f *os.File, size int64) (data []byte, unmap func(), err error) {
	if size == 0 {
		return nil, func() {}, nil
	}
	data, err = filemap.ReadOnly(f, int(size))
	if err != nil {
		return nil, nil, err
	}
	return data, func() { filemap.Unmap(data) }, nil
}

// strerror is err as C's strerror words it ("No such file or directory"),
// for messages that quote Redis's tools.
func strerror(err error) string {
	var errno syscall.Errno
	if !errors.As(err, &errno) {
		return err.Error()
	}
	s := errno.Error()
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
