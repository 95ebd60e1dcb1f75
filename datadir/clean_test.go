package datadir

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// deadPID is a PID no process can have: Linux gives PIDs below pid_max.
func deadPID(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/kernel/pid_max")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if alive(pid) {
		t.Fatalf("PID %d (pid_max) is alive", pid)
	}
	return pid
}

func writeSized(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Truncate makes a sparse file of the size, so big ones cost nothing.
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func listDir(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

func TestCleanRemovesLeftoversAndSparesLiveOnes(t *testing.T) {
	dir := t.TempDir()
	aofDir := filepath.Join(dir, "appendonlydir")
	self, live, dead := os.Getpid(), os.Getppid(), deadPID(t)
	s, l, d := strconv.Itoa(self), strconv.Itoa(live), strconv.Itoa(dead)

	gone := map[string]int64{
		// The server's own PID: left by its previous life.
		"temp-" + s + ".rdb":               11,
		"temp-rewriteaof-bg-" + s + ".aof": 12,
		// Dead writers.
		"temp-" + d + ".rdb":                         13,
		"temp-1733306400." + d + ".rdb":              14,
		"temp-rewriteaof-" + d + ".aof":              15,
		"temp-rewriteaof-bg-" + d + ".aof":           16,
		"temp-bg-" + d + ".rdb":                      17,
		"temp-redoubt-identity-" + d:                 18,
		"appendonlydir/temp-appendonly.aof.incr":     19,
		"appendonlydir/temp-appendonly.aof.manifest": 20,
	}
	kept := []string{
		// A live process other than the server may be writing them.
		"temp-" + l + ".rdb",
		"temp-bg-" + l + ".rdb",
		"temp-rewriteaof-" + l + ".aof",
		"temp-redoubt-identity-" + l,
		// Not leftovers.
		"dump.rdb", "redoubt-identity", "temp-abc.rdb", "temp-bg-.rdb", "temp-bg-x1.rdb",
		"temp-other.aof.manifest", "notes.txt",
		"appendonlydir/appendonly.aof.manifest", "appendonlydir/appendonly.aof.1.base.rdb",
		"appendonlydir/appendonly.aof.1.incr.aof",
	}
	for name, size := range gone {
		writeSized(t, filepath.Join(dir, name), size)
	}
	for _, name := range kept {
		writeSized(t, filepath.Join(dir, name), 1)
	}
	// A directory with a leftover's name is not a file to remove.
	if err := os.Mkdir(filepath.Join(dir, "temp-"+d+".aof.rdb"), 0o755); err != nil {
		t.Fatal(err)
	}

	removed, err := Clean(dir, aofDir, "appendonly.aof", self)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	for _, r := range removed {
		rel, _ := filepath.Rel(dir, r.Path)
		got[filepath.ToSlash(rel)] = r.Size
	}
	for name, size := range gone {
		if got[name] != size {
			t.Errorf("%s: removed with size %d, want %d", name, got[name], size)
		}
		if _, err := os.Stat(filepath.Join(dir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there (%v)", name, err)
		}
	}
	if len(got) != len(gone) {
		t.Errorf("removed %v, want only %v", got, gone)
	}
	for _, name := range append(kept, "temp-"+d+".aof.rdb") {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("%s should be kept: %v", name, err)
		}
	}
}

func TestCleanSparesTheFilesOfALiveServerThatIsNotSelf(t *testing.T) {
	dir := t.TempDir()
	mine := "temp-bg-" + strconv.Itoa(os.Getpid()) + ".rdb"
	writeSized(t, filepath.Join(dir, mine), 5)
	// Another server starting in the same directory while this process
	// (a live server for it) is saving.
	removed, err := Clean(dir, filepath.Join(dir, "appendonlydir"), "appendonly.aof", deadPID(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 0 || !slices.Contains(listDir(t, dir), mine) {
		t.Fatalf("removed %v; the live process's %s must stay", removed, mine)
	}
}

func TestCleanWithoutAOFDirectory(t *testing.T) {
	dir := t.TempDir()
	writeSized(t, filepath.Join(dir, "temp-"+strconv.Itoa(deadPID(t))+".rdb"), 3)
	removed, err := Clean(dir, filepath.Join(dir, "appendonlydir"), "appendonly.aof", os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || len(listDir(t, dir)) != 0 {
		t.Fatalf("removed %v, left %v", removed, listDir(t, dir))
	}
}

func TestCleanSameDirectoryTwice(t *testing.T) {
	// appenddirname cannot be "." in Redis, but a caller passing the same
	// directory twice must not see its files twice.
	dir := t.TempDir()
	writeSized(t, filepath.Join(dir, "temp-appendonly.aof.incr"), 3)
	removed, err := Clean(dir, dir+"/", "appendonly.aof", os.Getpid())
	if err != nil || len(removed) != 1 {
		t.Fatalf("removed %v, %v", removed, err)
	}
}

func TestCleanMissingDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "nosuch")
	if _, err := Clean(dir, filepath.Join(dir, "appendonlydir"), "appendonly.aof", os.Getpid()); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("got %v, want a not-exist error", err)
	}
}
