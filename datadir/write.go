package datadir

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// CheckBeforeWrite is called before the server writes file (relative to
// dir, the final name: dbfilename, the AOF base or manifest). It reads
// the marker again and returns an error wrapping ErrDirChanged when the
// directory no longer holds the server's dataset: the marker names
// another dataset or cannot be read, or it is gone while file, a data
// file given to Open or a file the marker recorded is there and is not
// as the server loaded or last wrote it. Other errors are I/O errors.
// A background save or rewrite should call it when it starts and again
// just before renaming its temporary file into place, since the directory
// may change while it writes.
func (id *Identity) CheckBeforeWrite(file string) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.pending {
		return errors.New("datadir: CheckBeforeWrite before Accept")
	}
	name, err := relName(id.dir, file)
	if err != nil {
		return err
	}
	m, err := readMarker(id.dir)
	var bad *markerError
	switch {
	case err == nil:
		if m.dataset == id.m.dataset {
			return nil
		}
		return fmt.Errorf("%w: %s now holds dataset %s (%s), not dataset %s which this server loaded; not writing %s",
			ErrDirChanged, id.dir, m.dataset, lastWrite(m), id.m.dataset, name)
	case errors.As(err, &bad):
		return fmt.Errorf("%w: %s; not writing %s", ErrDirChanged, bad.Error(), name)
	case !errors.Is(err, os.ErrNotExist):
		return err
	}
	// The marker is gone: the directory may be another one without a
	// marker (data written by Redis), or this one with the marker
	// removed. Any data file there must then be the server's own.
	names := []string{name}
	for _, d := range id.data {
		names = append(names, d.Name)
	}
	for _, r := range id.m.files {
		names = append(names, r.name)
	}
	for _, n := range names {
		fi, err := os.Stat(id.path(n))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if known, ok := id.known[n]; ok && sameFile(known, fi) {
			continue
		}
		return fmt.Errorf("%w: the identity marker is gone from %s and %s (%s, modified %s) is not a file this server loaded or wrote; not writing %s",
			ErrDirChanged, id.dir, n, humanBytes(fi.Size()), showTime(fi.ModTime()), name)
	}
	return nil
}

// lastWrite sums up a marker for a message: who wrote it and when.
func lastWrite(m *marker) string {
	who := "no node name"
	if m.node != "" {
		who = "node " + m.node
	}
	return fmt.Sprintf("%s, updated %s", who, showTime(m.updated))
}

// Wrote records that the server wrote file (relative to dir) of kind k:
// call it after a snapshot is renamed into place, and after every write
// of the AOF manifest (a rewrite, or a new incremental file). It measures
// the file itself, replaces the marker's record of that kind, and
// rewrites the marker with the server's dataset ID and node name.
func (id *Identity) Wrote(k Kind, file string) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.pending {
		return errors.New("datadir: Wrote before Accept")
	}
	name, err := relName(id.dir, file)
	if err != nil {
		return err
	}
	ms, err := measure(id.dir, k, name)
	if err != nil {
		return err
	}
	if !ms.exists {
		return fmt.Errorf("cannot record %s in the identity marker: it is missing", name)
	}
	m := id.m
	m.node, m.updated = id.node, time.Now()
	m.files = nil
	for _, r := range id.m.files {
		if r.kind != k && r.name != name {
			m.files = append(m.files, r)
		}
	}
	m.files = append(m.files, record{verb: verbWrote, kind: k, size: ms.size, at: ms.info.ModTime(), name: name})
	if err := writeMarker(id.dir, &m); err != nil {
		return err
	}
	id.m = m
	id.known[name] = ms.info
	return nil
}
