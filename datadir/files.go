package datadir

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/aof"
)

// DataFile names a file the server loads at start-up and writes later.
type DataFile struct {
	Kind Kind
	// Name is relative to dir (an absolute path inside dir is accepted):
	// "dump.rdb", "appendonlydir/appendonly.aof.manifest".
	Name string
}

// measured is what a data file holds now.
type measured struct {
	exists bool // the file itself (the snapshot, the manifest) is there
	info   os.FileInfo
	// size is the snapshot's size, or the total size of the base and
	// incremental files an AOF manifest names (those that exist).
	size int64
	// problem says what is missing of an AOF whose manifest exists: a
	// file it names.
	problem string
	// unknown: the manifest does not parse, so the AOF's size is not
	// known (the loader will refuse it anyway).
	unknown bool
}

// measure looks at the data file name (relative to dir) of kind k. Only
// errors other than a missing file are returned as errors.
func measure(dir string, k Kind, name string) (measured, error) {
	p := filepath.Join(dir, filepath.FromSlash(name))
	fi, err := os.Stat(p)
	if errors.Is(err, os.ErrNotExist) {
		return measured{}, nil
	}
	if err != nil {
		return measured{}, err
	}
	if !fi.Mode().IsRegular() {
		return measured{}, fmt.Errorf("%s is not a regular file", p)
	}
	ms := measured{exists: true, info: fi, size: fi.Size()}
	if k != AOF {
		return ms, nil
	}
	ms.size = 0
	m, err := aof.ReadManifest(p)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return measured{}, nil
		}
		var me *aof.ManifestError
		if !errors.As(err, &me) {
			return measured{}, err
		}
		// A manifest that does not parse is the AOF loader's to report
		// (it refuses to start, with Redis's message): it says nothing of
		// whose data this is.
		ms.unknown = true
		return ms, nil
	}
	parts := m.Incr
	if m.Base != nil {
		parts = append([]aof.FileInfo{*m.Base}, parts...)
	}
	for _, part := range parts {
		pfi, err := os.Stat(filepath.Join(filepath.Dir(p), part.Name))
		if errors.Is(err, os.ErrNotExist) {
			if ms.problem == "" {
				ms.problem = fmt.Sprintf("%s, which its manifest names, is missing", path.Join(path.Dir(name), part.Name))
			}
			continue
		}
		if err != nil {
			return measured{}, err
		}
		ms.size += pfi.Size()
	}
	return ms, nil
}

// relName turns a data file's name into the form the marker records:
// relative to dir, with '/' separators.
func relName(dir, name string) (string, error) {
	if filepath.IsAbs(name) {
		rel, err := filepath.Rel(dir, name)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return "", fmt.Errorf("%s is not inside the data directory %s", name, dir)
		}
		name = rel
	}
	name = filepath.ToSlash(filepath.Clean(name))
	if name == "." || name == ".." || strings.HasPrefix(name, "../") || strings.ContainsAny(name, "\n\r") {
		return "", fmt.Errorf("%q is not a data file name inside %s", name, dir)
	}
	return name, nil
}

// sameFile says whether fi is still the file known was: same inode, size
// and modification time.
func sameFile(known, fi os.FileInfo) bool {
	return os.SameFile(known, fi) && known.Size() == fi.Size() && known.ModTime().Equal(fi.ModTime())
}

const timeLayout = "2006-01-02 15:04:05 UTC"

func showTime(t time.Time) string { return t.UTC().Format(timeLayout) }
