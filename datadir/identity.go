package datadir

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
	"unicode"
)

// datasetBytes is the size of a dataset ID: 128 random bits, so that two
// directories never share one by chance.
const datasetBytes = 16

// emptiedMin is the recorded size from which a file that shrank to under
// a tenth of it counts as emptied: below it, a small dataset that was
// flushed may legitimately leave a file that small.
const emptiedMin = 64 << 10

// ErrDirChanged is wrapped by the errors of CheckBeforeWrite that say the
// directory no longer holds the server's dataset.
var ErrDirChanged = errors.New("the data directory changed under the server")

// Origin says how Open or Accept came to the dataset ID.
type Origin int

// The origins of an Identity.
const (
	Fresh    Origin = iota + 1 // no marker and no data file: a new dataset
	Adopted                    // no marker, data files found: adopted as a new dataset
	Matched                    // the marker matched: its dataset kept
	Accepted                   // a Finding overridden by Accept: adopted as a new dataset
)

func (o Origin) String() string {
	switch o {
	case Fresh:
		return "fresh"
	case Adopted:
		return "adopted"
	case Matched:
		return "matched"
	case Accepted:
		return "accepted"
	}
	return "unknown"
}

// A Finding is evidence, found at start-up, that the directory is not the
// one its marker describes. Each problem says what was found, e.g. "the
// marker says node redoubt-0 last wrote dump.rdb (4.1 MiB at 2026-12-04
// 10:00:00 UTC), but dump.rdb is missing".
type Finding struct {
	Dir      string
	Problems []string
}

func (f *Finding) Error() string {
	return fmt.Sprintf("the data directory %s does not match its identity marker: %s",
		f.Dir, strings.Join(f.Problems, "; "))
}

// Identity is the server's view of its data directory's identity, from
// start-up on. Its methods may be called from several goroutines.
type Identity struct {
	mu     sync.Mutex
	dir    string
	node   string
	data   []DataFile
	m      marker // the marker as this server last wrote or read it
	origin Origin
	// pending is set when Open returned a Finding: nothing is written
	// until Accept.
	pending bool
	// known are the data files as this server loaded or last wrote
	// them, by marker name: a file that is still one of them is the
	// server's own even when the marker is gone.
	known map[string]os.FileInfo
}

// Open reads dir's identity marker at start-up, before the data files are
// loaded. node is the configured node-name ("" when unset); data are the
// files the server would load (dbfilename as Snapshot, the AOF manifest as
// AOF, a Redis 6 appendonly.aof as Snapshot). Without a marker it writes
// one (Fresh, Adopted). With a marker that matches it keeps its dataset
// (Matched). With one that does not it writes nothing and returns a
// Finding: the server refuses to start, or calls Accept when told to go
// ahead. The error is for what prevents reading or writing the marker.
func Open(dir, node string, data []DataFile) (*Identity, *Finding, error) {
	if err := validNode(node); err != nil {
		return nil, nil, err
	}
	if fi, err := os.Stat(dir); err != nil {
		return nil, nil, err
	} else if !fi.IsDir() {
		return nil, nil, fmt.Errorf("the data directory %s is not a directory", dir)
	}
	id := &Identity{dir: dir, node: node, known: map[string]os.FileInfo{}}
	for _, d := range data {
		name, err := relName(dir, d.Name)
		if err != nil {
			return nil, nil, err
		}
		id.data = append(id.data, DataFile{Kind: d.Kind, Name: name})
	}
	m, err := readMarker(dir)
	var bad *markerError
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := id.adopt(Fresh); err != nil {
			return nil, nil, err
		}
		return id, nil, nil
	case errors.As(err, &bad):
		id.pending = true
		return id, &Finding{Dir: dir, Problems: []string{bad.Error()}}, nil
	case err != nil:
		return nil, nil, fmt.Errorf("cannot read the identity marker in %s: %w", dir, err)
	}
	problems, err := id.compare(m)
	if err != nil {
		return nil, nil, err
	}
	if len(problems) > 0 {
		id.pending = true
		return id, &Finding{Dir: dir, Problems: problems}, nil
	}
	id.m, id.origin = *m, Matched
	if err := id.rememberData(); err != nil {
		return nil, nil, err
	}
	return id, nil, nil
}

// Accept adopts the directory as it is after Open returned a Finding, as
// a new dataset, and rewrites the marker so: the files there are recorded
// as found. With the marker rewritten, a volume mounted later with the
// old dataset's marker is seen as another dataset.
func (id *Identity) Accept() error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if !id.pending {
		return errors.New("datadir: Accept without a Finding")
	}
	if err := id.adopt(Accepted); err != nil {
		return err
	}
	id.pending = false
	return nil
}

// adopt makes a new dataset of what dir holds now and writes its marker.
// origin is Fresh, which becomes Adopted when there are data files, or
// Accepted.
func (id *Identity) adopt(origin Origin) error {
	var files []record
	for _, d := range id.data {
		ms, err := measure(id.dir, d.Kind, d.Name)
		if err != nil {
			return err
		}
		if ms.exists {
			files = append(files, record{verb: verbFound, kind: d.Kind, size: ms.size, at: ms.info.ModTime(), name: d.Name})
		}
	}
	if origin == Fresh && len(files) > 0 {
		origin = Adopted
	}
	dataset, err := newDataset()
	if err != nil {
		return err
	}
	m := marker{dataset: dataset, node: id.node, updated: time.Now(), files: files}
	if err := writeMarker(id.dir, &m); err != nil {
		return err
	}
	id.m, id.origin = m, origin
	return id.rememberData()
}

// rememberData notes the data files present as the server's own: it is
// about to load them.
func (id *Identity) rememberData() error {
	for _, d := range id.data {
		fi, err := os.Stat(id.path(d.Name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		id.known[d.Name] = fi
	}
	return nil
}

// compare lists how dir differs from what marker m says of it.
func (id *Identity) compare(m *marker) ([]string, error) {
	var problems []string
	if m.node != "" && id.node != "" && m.node != id.node {
		problems = append(problems, fmt.Sprintf("the marker says node %s wrote here last, and this is node %s", m.node, id.node))
	}
	for _, r := range m.files {
		ms, err := measure(id.dir, r.kind, r.name)
		if err != nil {
			return nil, err
		}
		what := r.name
		if r.kind == AOF {
			what = "the AOF of " + r.name
		}
		var found string
		switch {
		case ms.unknown:
			continue
		case !ms.exists:
			found = r.name + " is missing"
		case ms.problem != "":
			found = ms.problem
		case r.size > 0 && ms.size == 0:
			found = what + " is now empty"
		case r.size >= emptiedMin && ms.size < r.size/10:
			found = what + " now holds only " + humanBytes(ms.size)
		default:
			continue
		}
		problems = append(problems, describe(m, r)+", but "+found)
	}
	return problems, nil
}

// describe says what marker m records of file r.
func describe(m *marker, r record) string {
	what := r.name
	if r.kind == AOF {
		what = "the AOF " + r.name
	}
	size, at := humanBytes(r.size), showTime(r.at)
	switch {
	case r.verb == verbFound && m.node != "":
		return fmt.Sprintf("the marker says %s held %s when node %s adopted it at %s", what, size, m.node, at)
	case r.verb == verbFound:
		return fmt.Sprintf("the marker says %s held %s when it was adopted at %s", what, size, at)
	case m.node != "":
		return fmt.Sprintf("the marker says node %s last wrote %s (%s at %s)", m.node, what, size, at)
	}
	return fmt.Sprintf("the marker says %s was last written here (%s at %s)", what, size, at)
}

// Dataset is the ID of the dataset the server holds.
func (id *Identity) Dataset() string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.m.dataset
}

// Origin says how the dataset ID was reached; 0 while a Finding waits
// for Accept.
func (id *Identity) Origin() Origin {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.origin
}

func (id *Identity) path(name string) string {
	return filepath.Join(id.dir, filepath.FromSlash(name))
}

func newDataset() (string, error) {
	b := make([]byte, datasetBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// validNode accepts a node name that fits on the marker's line and reads
// unambiguously in messages: no spaces or control characters.
func validNode(node string) error {
	for _, r := range node {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return fmt.Errorf("node-name %q holds a space or a control character", node)
		}
	}
	return nil
}
