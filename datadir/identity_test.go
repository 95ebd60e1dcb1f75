package datadir

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const (
	manifestName = "appendonlydir/appendonly.aof.manifest"
	baseName     = "appendonlydir/appendonly.aof.1.base.rdb"
	incrName     = "appendonlydir/appendonly.aof.1.incr.aof"
)

// dataFiles are what a server with the default names would load.
var dataFiles = []DataFile{{Snapshot, "dump.rdb"}, {AOF, manifestName}}

// writeAOF writes a multi-part AOF of a base and an incremental file.
func writeAOF(t *testing.T, dir string, base, incr int64) {
	t.Helper()
	writeSized(t, filepath.Join(dir, baseName), base)
	writeSized(t, filepath.Join(dir, incrName), incr)
	manifest := "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n"
	if err := os.WriteFile(filepath.Join(dir, manifestName), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustOpen(t *testing.T, dir, node string, want Origin) *Identity {
	t.Helper()
	id, finding, err := Open(dir, node, dataFiles)
	if err != nil || finding != nil {
		t.Fatalf("Open(%s, %q): %v, %v", dir, node, finding, err)
	}
	if id.Origin() != want {
		t.Fatalf("Open(%s, %q) is %v, want %v", dir, node, id.Origin(), want)
	}
	return id
}

func mustFind(t *testing.T, dir, node string) (*Identity, *Finding) {
	t.Helper()
	before, _ := os.ReadFile(filepath.Join(dir, MarkerName))
	id, finding, err := Open(dir, node, dataFiles)
	if err != nil || finding == nil {
		t.Fatalf("Open(%s, %q) found nothing (err %v)", dir, node, err)
	}
	if finding.Dir != dir || !strings.Contains(finding.Error(), dir) {
		t.Errorf("finding %q does not name %s", finding, dir)
	}
	// The evidence stays for the operator: a finding writes nothing.
	if after, _ := os.ReadFile(filepath.Join(dir, MarkerName)); !bytes.Equal(before, after) {
		t.Errorf("Open rewrote the marker despite its finding:\n%s", after)
	}
	return id, finding
}

// mustWrote records a file the test wrote as the server would.
func mustWrote(t *testing.T, id *Identity, k Kind, name string) {
	t.Helper()
	if err := id.Wrote(k, name); err != nil {
		t.Fatalf("Wrote(%s): %v", name, err)
	}
}

func readTestMarker(t *testing.T, dir string) *marker {
	t.Helper()
	m, err := readMarker(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestOpenFreshDirectory(t *testing.T) {
	dir := t.TempDir()
	id := mustOpen(t, dir, "redoubt-0", Fresh)
	if id.Origin().String() != "fresh" {
		t.Errorf("origin %q", id.Origin())
	}
	m := readTestMarker(t, dir)
	if m.dataset != id.Dataset() || !validDataset(m.dataset) || m.node != "redoubt-0" || len(m.files) != 0 {
		t.Fatalf("marker %+v for dataset %s", m, id.Dataset())
	}
	if again := mustOpen(t, dir, "redoubt-0", Matched); again.Dataset() != id.Dataset() {
		t.Fatalf("dataset %s at the second start, %s at the first", again.Dataset(), id.Dataset())
	}
	if other := mustOpen(t, t.TempDir(), "redoubt-0", Fresh); other.Dataset() == id.Dataset() {
		t.Fatal("two fresh directories share a dataset ID")
	}
}

func TestOpenAdoptsDataWithoutMarker(t *testing.T) {
	// Files written by Redis, or by a Redoubt without the guard.
	dir := t.TempDir()
	writeSized(t, filepath.Join(dir, "dump.rdb"), 1000)
	writeAOF(t, dir, 300, 200)
	id := mustOpen(t, dir, "", Adopted)
	m := readTestMarker(t, dir)
	if m.dataset != id.Dataset() || len(m.files) != 2 {
		t.Fatalf("marker %+v", m)
	}
	want := []struct {
		kind Kind
		name string
		size int64
	}{{Snapshot, "dump.rdb", 1000}, {AOF, manifestName, 500}}
	for i, r := range m.files {
		if r.verb != verbFound || r.kind != want[i].kind || r.name != want[i].name || r.size != want[i].size {
			t.Errorf("record %d is %+v, want %+v", i, r, want[i])
		}
	}
	mustOpen(t, dir, "", Matched)
}

func TestOpenMatchesWhatTheNodeWrote(t *testing.T) {
	dir := t.TempDir()
	id := mustOpen(t, dir, "redoubt-0", Fresh)
	writeSized(t, filepath.Join(dir, "dump.rdb"), 1<<20)
	mustWrote(t, id, Snapshot, "dump.rdb")
	writeAOF(t, dir, 1<<20, 0)
	mustWrote(t, id, AOF, filepath.Join(dir, manifestName)) // an absolute name inside dir
	// The AOF grows after the rewrite, the snapshot is rewritten a bit
	// smaller before a crash (the marker lags): both are plausible.
	writeSized(t, filepath.Join(dir, incrName), 5000)
	writeSized(t, filepath.Join(dir, "dump.rdb"), 900<<10)
	again := mustOpen(t, dir, "redoubt-0", Matched)
	if again.Dataset() != id.Dataset() {
		t.Fatal("the dataset changed across a restart")
	}
	// A node without a name does not compare names.
	mustOpen(t, dir, "", Matched)
}

func TestOpenFindsAnotherNodesDirectory(t *testing.T) {
	dir := t.TempDir()
	id := mustOpen(t, dir, "redoubt-1", Fresh)
	writeSized(t, filepath.Join(dir, "dump.rdb"), 100)
	mustWrote(t, id, Snapshot, "dump.rdb")
	_, finding := mustFind(t, dir, "redoubt-0")
	want := "the marker says node redoubt-1 wrote here last, and this is node redoubt-0"
	if len(finding.Problems) != 1 || finding.Problems[0] != want {
		t.Fatalf("got %q, want %q", finding.Problems, want)
	}
}

// wroteAt saves dir/name of size at a known time as the server does:
// check, write, record.
func wroteAt(t *testing.T, id *Identity, dir, name string, size int64) {
	t.Helper()
	if err := id.CheckBeforeWrite(name); err != nil {
		t.Fatalf("CheckBeforeWrite(%s): %v", name, err)
	}
	path := filepath.Join(dir, name)
	writeSized(t, path, size)
	at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
	mustWrote(t, id, Snapshot, name)
}

func TestOpenFindsTheSnapshotGone(t *testing.T) {
	const said = "the marker says node redoubt-0 last wrote dump.rdb (4.1 MiB at 2026-12-04 10:00:00 UTC), but "
	for _, c := range []struct {
		name   string
		damage func(path string) error
		found  string
	}{
		{"missing", os.Remove, "dump.rdb is missing"},
		{"empty", func(p string) error { return os.Truncate(p, 0) }, "dump.rdb is now empty"},
		// An empty dataset's snapshot written over the real one.
		{"emptied", func(p string) error { return os.Truncate(p, 88) }, "dump.rdb now holds only 88 bytes"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			wroteAt(t, mustOpen(t, dir, "redoubt-0", Fresh), dir, "dump.rdb", 4300000)
			if err := c.damage(filepath.Join(dir, "dump.rdb")); err != nil {
				t.Fatal(err)
			}
			_, finding := mustFind(t, dir, "redoubt-0")
			if want := said + c.found; len(finding.Problems) != 1 || finding.Problems[0] != want {
				t.Fatalf("got  %q\nwant %q", finding.Problems, want)
			}
		})
	}
}

func TestOpenToleratesASmallSnapshotShrinking(t *testing.T) {
	// Under 64 KiB a flushed dataset's snapshot may be that small.
	dir := t.TempDir()
	wroteAt(t, mustOpen(t, dir, "", Fresh), dir, "dump.rdb", 60<<10)
	if err := os.Truncate(filepath.Join(dir, "dump.rdb"), 88); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir, "", Matched)
}

func TestOpenFindsTheAOFGone(t *testing.T) {
	for _, c := range []struct {
		name   string
		damage []string
		found  string
	}{
		{"manifest", []string{manifestName}, manifestName + " is missing"},
		{"base", []string{baseName}, baseName + ", which its manifest names, is missing"},
		{"parts", []string{baseName, incrName}, baseName + ", which its manifest names, is missing"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			id := mustOpen(t, dir, "", Fresh)
			writeAOF(t, dir, 70000, 100)
			mustWrote(t, id, AOF, manifestName)
			for _, name := range c.damage {
				if err := os.Remove(filepath.Join(dir, name)); err != nil {
					t.Fatal(err)
				}
			}
			_, finding := mustFind(t, dir, "")
			want := "the marker says the AOF " + manifestName + " was last written here (68 KiB at "
			if len(finding.Problems) != 1 || !strings.HasPrefix(finding.Problems[0], want) ||
				!strings.HasSuffix(finding.Problems[0], "), but "+c.found) {
				t.Fatalf("got %q, want %q...%q", finding.Problems, want, c.found)
			}
		})
	}
}

// TestOpenLeavesAnUnreadableManifestToTheLoader: a manifest that does not
// parse is no evidence about whose data this is; the AOF loader refuses
// it with Redis's message, which the identity check must not repeat.
func TestOpenLeavesAnUnreadableManifestToTheLoader(t *testing.T) {
	dir := t.TempDir()
	id := mustOpen(t, dir, "redoubt-0", Fresh)
	writeAOF(t, dir, 100, 100)
	mustWrote(t, id, AOF, manifestName)
	if err := os.WriteFile(filepath.Join(dir, manifestName), []byte("junk\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir, "redoubt-0", Matched)
}

func TestOpenFindsAnAdoptedFileGone(t *testing.T) {
	for _, node := range []string{"", "redoubt-0"} {
		dir := t.TempDir()
		path := filepath.Join(dir, "dump.rdb")
		writeSized(t, path, 1000)
		at := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
		if err := os.Chtimes(path, at, at); err != nil {
			t.Fatal(err)
		}
		mustOpen(t, dir, node, Adopted)
		if err := os.Remove(path); err != nil {
			t.Fatal(err)
		}
		_, finding := mustFind(t, dir, node)
		want := "the marker says dump.rdb held 1000 bytes when it was adopted at 2026-12-04 10:00:00 UTC, but dump.rdb is missing"
		if node != "" {
			want = strings.Replace(want, "it was adopted", "node "+node+" adopted it", 1)
		}
		if len(finding.Problems) != 1 || finding.Problems[0] != want {
			t.Errorf("got  %q\nwant %q", finding.Problems, want)
		}
	}
}

func TestOpenRefusesADataFileThatIsNotAFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "dump.rdb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Open(dir, "", dataFiles); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("got %v", err)
	}
}

func TestOpenFindsAnUnreadableMarker(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, MarkerName), []byte("dataset 12\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, finding := mustFind(t, dir, "")
	if len(finding.Problems) != 1 || !strings.Contains(finding.Problems[0], "cannot be read") {
		t.Fatalf("got %q", finding.Problems)
	}
}

func TestOpenRefusesABadNodeName(t *testing.T) {
	for _, node := range []string{"redoubt 0", "redoubt\n0", "\x00"} {
		if _, _, err := Open(t.TempDir(), node, dataFiles); err == nil {
			t.Errorf("node %q accepted", node)
		}
	}
}

func TestOpenRefusesAMissingDirectory(t *testing.T) {
	if _, _, err := Open(filepath.Join(t.TempDir(), "nosuch"), "", dataFiles); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v", err)
	}
}

func TestAcceptAdoptsTheDirectoryAsANewDataset(t *testing.T) {
	dir := t.TempDir()
	old := mustOpen(t, dir, "redoubt-0", Fresh)
	wroteAt(t, old, dir, "dump.rdb", 4300000)
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	id, _ := mustFind(t, dir, "redoubt-0")
	if id.Origin() != 0 {
		t.Fatalf("origin %v before Accept", id.Origin())
	}
	// Until accepted, the identity lets nothing be written.
	if err := id.CheckBeforeWrite("dump.rdb"); err == nil {
		t.Error("CheckBeforeWrite before Accept succeeded")
	}
	if err := id.Wrote(Snapshot, "dump.rdb"); err == nil {
		t.Error("Wrote before Accept succeeded")
	}
	if err := id.Accept(); err != nil {
		t.Fatal(err)
	}
	if id.Origin() != Accepted || id.Dataset() == old.Dataset() || readTestMarker(t, dir).dataset != id.Dataset() {
		t.Fatalf("after Accept: %v, dataset %s (was %s)", id.Origin(), id.Dataset(), old.Dataset())
	}
	if err := id.Accept(); err == nil {
		t.Error("a second Accept succeeded")
	}
	wroteAt(t, id, dir, "dump.rdb", 100)
	mustOpen(t, dir, "redoubt-0", Matched)
	// The old identity (a server still running on the directory) sees
	// that the directory is no longer its dataset's.
	if err := old.CheckBeforeWrite("dump.rdb"); !errors.Is(err, ErrDirChanged) {
		t.Fatalf("the superseded identity may write: %v", err)
	}
}

// mount puts the contents of src at dir, as mounting a volume over dir
// does under a running server, and keeps dir's old contents in dir+".old".
func mount(t *testing.T, src, dir string) {
	t.Helper()
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(src, dir); err != nil {
		t.Fatal(err)
	}
}

func TestCheckBeforeWriteSeesAVolumeMountedOverTheDirectory(t *testing.T) {
	// Incident 10: the server starts on an empty path, then the real
	// volume, with its own marker, is mounted there.
	root := t.TempDir()
	dir, volume := filepath.Join(root, "data"), filepath.Join(root, "volume")
	for _, d := range []string{dir, volume} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	real := mustOpen(t, volume, "redoubt-0", Fresh)
	wroteAt(t, real, volume, "dump.rdb", 4300000)

	live := mustOpen(t, dir, "redoubt-0", Fresh)
	if err := live.CheckBeforeWrite("dump.rdb"); err != nil {
		t.Fatalf("before the mount: %v", err)
	}
	mount(t, volume, dir)
	err := live.CheckBeforeWrite("dump.rdb")
	if !errors.Is(err, ErrDirChanged) {
		t.Fatalf("after the mount: %v", err)
	}
	for _, want := range []string{dir, "dataset " + real.Dataset(), "not dataset " + live.Dataset(), "node redoubt-0", "not writing dump.rdb"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not say %q", err, want)
		}
	}
	// Refused writes leave the real data and its marker as they were.
	if m := readTestMarker(t, dir); m.dataset != real.Dataset() {
		t.Errorf("marker now holds %s", m.dataset)
	}
}

func TestCheckBeforeWriteSeesAVolumeWithoutMarker(t *testing.T) {
	// The same with a volume that Redis wrote: no marker, a dump.rdb.
	root := t.TempDir()
	dir, volume := filepath.Join(root, "data"), filepath.Join(root, "volume")
	writeSized(t, filepath.Join(volume, "dump.rdb"), 4300000)
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	live := mustOpen(t, dir, "", Fresh)
	mount(t, volume, dir)
	err := live.CheckBeforeWrite("dump.rdb")
	if !errors.Is(err, ErrDirChanged) || !strings.Contains(err.Error(), "dump.rdb (4.1 MiB, modified ") ||
		!strings.Contains(err.Error(), "is not a file this server loaded or wrote") {
		t.Fatalf("got %v", err)
	}
	// Also when the server writes another file (the AOF) than the one
	// found: every data file it knows of is looked at.
	if err := live.CheckBeforeWrite(manifestName); !errors.Is(err, ErrDirChanged) {
		t.Fatalf("writing the manifest: %v", err)
	}
}

func TestCheckBeforeWriteWithTheMarkerRemoved(t *testing.T) {
	dir := t.TempDir()
	writeSized(t, filepath.Join(dir, "dump.rdb"), 1000)
	id := mustOpen(t, dir, "", Adopted)
	removeMarker := func() {
		t.Helper()
		if err := os.Remove(filepath.Join(dir, MarkerName)); err != nil {
			t.Fatal(err)
		}
	}
	// The files are the ones the server loaded: its own.
	removeMarker()
	if err := id.CheckBeforeWrite("dump.rdb"); err != nil {
		t.Fatalf("the loaded file: %v", err)
	}
	mustWrote(t, id, Snapshot, "dump.rdb")
	if readTestMarker(t, dir).dataset != id.Dataset() {
		t.Fatal("Wrote did not restore the marker")
	}
	// And the ones it wrote.
	writeSized(t, filepath.Join(dir, "dump.rdb"), 2000)
	mustWrote(t, id, Snapshot, "dump.rdb")
	writeAOF(t, dir, 10, 10)
	mustWrote(t, id, AOF, manifestName)
	removeMarker()
	if err := id.CheckBeforeWrite("dump.rdb"); err != nil {
		t.Fatalf("own files: %v", err)
	}
	// A file someone else wrote since is not.
	writeSized(t, filepath.Join(dir, "dump.rdb"), 3000)
	if err := id.CheckBeforeWrite("dump.rdb"); !errors.Is(err, ErrDirChanged) {
		t.Fatalf("foreign dump.rdb: %v", err)
	}
}

func TestCheckBeforeWriteOnAnEmptyVolume(t *testing.T) {
	// An empty volume mounted over a directory with data: nothing there
	// can be overwritten, so the server may persist its dataset there.
	root := t.TempDir()
	dir, empty := filepath.Join(root, "data"), filepath.Join(root, "empty")
	writeSized(t, filepath.Join(dir, "dump.rdb"), 1000)
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	id := mustOpen(t, dir, "", Adopted)
	mount(t, empty, dir)
	if err := id.CheckBeforeWrite("dump.rdb"); err != nil {
		t.Fatal(err)
	}
	writeSized(t, filepath.Join(dir, "dump.rdb"), 1000)
	mustWrote(t, id, Snapshot, "dump.rdb")
	if readTestMarker(t, dir).dataset != id.Dataset() {
		t.Fatal("the marker was not written on the new volume")
	}
}

func TestCheckBeforeWriteSeesAnUnreadableMarker(t *testing.T) {
	dir := t.TempDir()
	id := mustOpen(t, dir, "", Fresh)
	if err := os.WriteFile(filepath.Join(dir, MarkerName), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := id.CheckBeforeWrite("dump.rdb"); !errors.Is(err, ErrDirChanged) || !strings.Contains(err.Error(), "cannot be read") {
		t.Fatalf("got %v", err)
	}
}

func TestWroteKeepsTheLastFileOfEachKind(t *testing.T) {
	dir := t.TempDir()
	id := mustOpen(t, dir, "redoubt-0", Fresh)
	writeAOF(t, dir, 100, 0)
	mustWrote(t, id, AOF, manifestName)
	for _, name := range []string{"dump.rdb", "other.rdb"} { // CONFIG SET dbfilename other.rdb
		writeSized(t, filepath.Join(dir, name), 100)
		mustWrote(t, id, Snapshot, name)
	}
	m := readTestMarker(t, dir)
	if len(m.files) != 2 || m.files[0].name != manifestName || m.files[1].name != "other.rdb" || m.files[1].verb != verbWrote {
		t.Fatalf("records %+v", m.files)
	}
	// The old name is no longer the node's concern.
	if err := os.Remove(filepath.Join(dir, "dump.rdb")); err != nil {
		t.Fatal(err)
	}
	mustOpen(t, dir, "redoubt-0", Matched)
	if err := id.Wrote(Snapshot, "nosuch.rdb"); err == nil {
		t.Error("Wrote recorded a missing file")
	}
	if err := id.Wrote(Snapshot, "../outside.rdb"); err == nil {
		t.Error("Wrote recorded a file outside dir")
	}
}
