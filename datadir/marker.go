package datadir

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MarkerName is the identity marker's name in dir.
const MarkerName = "redoubt-identity"

// markerTempPrefix starts the name the marker is written under before it
// is renamed over MarkerName; the writer's PID follows.
const markerTempPrefix = "temp-" + MarkerName + "-"

// Kind is the kind of a data file the marker records.
type Kind string

// The kinds of data files.
const (
	// Snapshot is a file that holds the data itself: dbfilename, or a
	// single-file appendonly.aof of Redis 6 found at start-up.
	Snapshot Kind = "snapshot"
	// AOF is a multi-part AOF's manifest: the data is in the base and
	// incremental files it names, in the same directory.
	AOF Kind = "aof"
)

// Verbs of a marker's file lines.
const (
	verbWrote = "wrote" // the node wrote the file
	verbFound = "found" // the node found the file there and adopted it
)

// record is a file line of the marker.
type record struct {
	verb string
	kind Kind
	size int64
	at   time.Time
	name string // relative to dir, with '/' separators
}

// marker is the content of the identity marker.
type marker struct {
	dataset string
	node    string
	updated time.Time
	files   []record
}

const markerHeader = "# Redoubt data directory identity: see package datadir.\n" +
	"# Remove this file (server stopped) to adopt the files here at the next start.\n"

func (m *marker) encode() []byte {
	var b strings.Builder
	b.WriteString(markerHeader)
	fmt.Fprintf(&b, "dataset %s\n", m.dataset)
	fmt.Fprintf(&b, "node %s\n", m.node)
	fmt.Fprintf(&b, "updated %s\n", m.updated.UTC().Format(time.RFC3339))
	for _, r := range m.files {
		// The name goes last, so that it may hold spaces.
		fmt.Fprintf(&b, "%s %s %d %s %s\n", r.verb, r.kind, r.size, r.at.UTC().Format(time.RFC3339), r.name)
	}
	return []byte(b.String())
}

// parseMarker reads a marker. Lines it does not know are skipped, so that
// a later version may add some; a marker without a well-formed dataset ID
// is an error.
func parseMarker(data []byte) (*marker, error) {
	m := &marker{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		bad := func(why string) error { return fmt.Errorf("line %d (%q): %s", i+1, line, why) }
		key, rest, _ := strings.Cut(line, " ")
		switch key {
		case "dataset":
			if m.dataset != "" {
				return nil, bad("a second dataset line")
			}
			if !validDataset(rest) {
				return nil, bad("not a dataset ID")
			}
			m.dataset = rest
		case "node":
			m.node = rest
		case "updated":
			t, err := time.Parse(time.RFC3339, rest)
			if err != nil {
				return nil, bad("not a time")
			}
			m.updated = t
		case verbWrote, verbFound:
			f := strings.SplitN(rest, " ", 4)
			if len(f) != 4 || f[3] == "" {
				return nil, bad("expected kind, size, time and name")
			}
			size, err := strconv.ParseInt(f[1], 10, 64)
			if err != nil || size < 0 {
				return nil, bad("not a size")
			}
			at, err := time.Parse(time.RFC3339, f[2])
			if err != nil {
				return nil, bad("not a time")
			}
			kind := Kind(f[0])
			if kind != Snapshot && kind != AOF {
				return nil, bad("unknown kind " + f[0])
			}
			m.files = append(m.files, record{verb: key, kind: kind, size: size, at: at, name: f[3]})
		}
	}
	if m.dataset == "" {
		return nil, errors.New("no dataset line")
	}
	return m, nil
}

func validDataset(s string) bool {
	b, err := hex.DecodeString(s)
	return err == nil && len(b) == datasetBytes && strings.ToLower(s) == s
}

// readMarker reads dir's marker: an error satisfying
// errors.Is(err, os.ErrNotExist) when there is none, a *markerError when
// its content cannot be read as a marker.
func readMarker(dir string) (*marker, error) {
	data, err := os.ReadFile(filepath.Join(dir, MarkerName))
	if err != nil {
		return nil, err
	}
	m, err := parseMarker(data)
	if err != nil {
		return nil, &markerError{path: filepath.Join(dir, MarkerName), err: err}
	}
	return m, nil
}

// markerError is a marker file whose content is not a marker.
type markerError struct {
	path string
	err  error
}

func (e *markerError) Error() string {
	return fmt.Sprintf("the identity marker %s cannot be read: %v", e.path, e.err)
}

// writeMarker replaces dir's marker atomically: a temporary file, written
// and fsynced, renamed over the marker, then the directory fsynced so that
// the rename survives a crash. A crash at any point leaves the old marker
// or the new one, never a torn one (Clean removes the temporary file).
func writeMarker(dir string, m *marker) error {
	path := filepath.Join(dir, MarkerName)
	tmp := filepath.Join(dir, markerTempPrefix+strconv.Itoa(os.Getpid()))
	err := writeSynced(tmp, m.encode())
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cannot write the identity marker %s: %w", path, err)
	}
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("cannot sync the directory %s after writing its identity marker: %w", dir, err)
	}
	return nil
}

// writeSynced writes data to a new file at path and fsyncs it.
func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
