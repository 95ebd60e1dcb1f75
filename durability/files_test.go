package durability

import (
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

const (
	appendDir    = "appendonlydir"
	manifestName = "appendonly.aof.manifest"
)

// manifestEntry is a line of a manifest: "file <name> seq <n> type <t>".
// The tests read manifests with this parser of their own rather than
// package aof's, so that a fault there cannot hide one in the server.
type manifestEntry struct{ name, seq, typ string }

func readManifest(t testing.TB, dir string) []manifestEntry {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, appendDir, manifestName))
	if err != nil {
		t.Fatalf("reading the manifest: %v", err)
	}
	var out []manifestEntry
	for _, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		f := strings.Fields(line)
		if len(f) != 6 || f[0] != "file" || f[2] != "seq" || f[4] != "type" {
			t.Fatalf("unexpected manifest line %q in\n%s", line, data)
		}
		out = append(out, manifestEntry{name: f[1], seq: f[3], typ: f[5]})
	}
	return out
}

// lastIncr is the path of the last incremental file the manifest of
// dir names: the one the server appends to.
func lastIncr(t testing.TB, dir string) string {
	t.Helper()
	var last string
	for _, e := range readManifest(t, dir) {
		if e.typ == "i" {
			last = e.name
		}
	}
	if last == "" {
		t.Fatalf("the manifest of %s names no incremental file", dir)
	}
	return filepath.Join(dir, appendDir, last)
}

// manifestOf renders a manifest's entries by type for messages and
// comparisons: "b:appendonly.aof.1.base.rdb i:appendonly.aof.1.incr.aof".
func manifestOf(t testing.TB, dir string) string {
	t.Helper()
	var parts []string
	for _, e := range readManifest(t, dir) {
		parts = append(parts, e.typ+":"+e.name+"#"+e.seq)
	}
	return strings.Join(parts, " ")
}

// copyDir copies the regular files of src and of its subdirectories
// (the AOF directory) into dst, which it creates: all of them, the
// identity marker too, as a backup would.
func copyDir(t testing.TB, src, dst string) {
	t.Helper()
	for _, name := range files(t, src, true) {
		if err := os.MkdirAll(filepath.Join(dst, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		copyFile(t, filepath.Join(src, name), filepath.Join(dst, name))
	}
	// An empty AOF directory is part of the state too.
	for _, sub := range subdirs(t, src) {
		if err := os.MkdirAll(filepath.Join(dst, sub), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

func subdirs(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

func copyFile(t testing.TB, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

// identityMarker is the file in which Redoubt records which dataset its
// data directory holds (package datadir). It is no part of the AOF and
// Redis has no counterpart, so the listings compared with Redis's leave
// it out.
const identityMarker = "redoubt-identity"

// listDir names the regular files of dir and of its subdirectories
// ("appendonlydir/appendonly.aof.1.incr.aof"), sorted, but for the
// identity marker.
func listDir(t testing.TB, dir string) []string {
	t.Helper()
	return files(t, dir, false)
}

func files(t testing.TB, dir string, withMarker bool) []string {
	t.Helper()
	var out []string
	for _, sub := range append([]string{""}, subdirs(t, dir)...) {
		entries, err := os.ReadDir(filepath.Join(dir, sub))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && (withMarker || sub != "" || e.Name() != identityMarker) {
				out = append(out, filepath.Join(sub, e.Name()))
			}
		}
	}
	sort.Strings(out)
	return out
}

// tempFiles are the files of dir and of its AOF directory whose names
// start with "temp-": the files a save or a rewrite writes before
// renaming them, which nothing reads once their writer is gone.
func tempFiles(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	for _, name := range listDir(t, dir) {
		if strings.HasPrefix(filepath.Base(name), "temp-") {
			out = append(out, name)
		}
	}
	return out
}

func fileSize(t testing.TB, path string) int64 {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
