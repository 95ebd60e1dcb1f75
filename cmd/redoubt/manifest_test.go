package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/aof"
)

// logPrefix is the "pid:C date time.ms # " of the lines Redis logs.
var logPrefix = regexp.MustCompile(`(?m)^\d+:C \d+ \w+ \d+ [\d:.]+ # `)

// redisLines is redis-check-aof's output with its log lines as plain
// lines and no blank ones, as we print them.
func redisLines(out string) string {
	out = logPrefix.ReplaceAllString(out, "")
	var keep []string
	for _, line := range strings.Split(out, "\n") {
		if line != "" {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n") + "\n"
}

// Manifests Redis refuses, and manifests that name files that are not
// there: the same verdict and messages.
func TestCheckAOFManifests(t *testing.T) {
	for _, in := range []string{
		"file a.aof seq 1 type i",
		"file a.aof seq 1 type i\nfile b.aof seq 1 type i\n",
		"file a.aof seq 1 type b\nfile b.aof seq 2 type b\n",
		"file a/b seq 1 type i\n",
		"file a.aof seq 1 type z\n",
		"file a.aof seq 0 type i\n",
		"# comment\nfile \"a b.aof\" seq 1 type i\n",
		"file a.aof seq 1 type b\n",
		"file a.aof seq 1 type b\nfile b.aof seq 1 type i\n",
		"file a.aof seq 1 type h\n",
	} {
		path := filepath.Join(t.TempDir(), aof.ManifestName("appendonly.aof"))
		os.WriteFile(path, []byte(in), 0o644)
		want := theirs(t, "", "redis-check-aof", path)
		got := ours(t, "", "check-aof", path)
		if got.code != want.code || got.out != redisLines(want.out) {
			t.Errorf("%q: exit %d, want %d\n--- ours:\n%s--- redis-check-aof:\n%s", in, got.code, want.code, got.out, want.out)
		}
	}
	// No such file to check at all.
	sameAsRedis(t, "missing", "", false, filepath.Join(t.TempDir(), "nothing.aof"))
	// An empty file, an old-style AOF, and one whose strings start lines
	// with "file" (redis-check-aof takes it for a manifest).
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.aof")
	os.WriteFile(empty, nil, 0o644)
	sameAsRedis(t, "empty", "", false, empty)
	old := filepath.Join(dir, "appendonly.aof")
	os.WriteFile(old, aof.AppendCommand(nil, []byte("SET"), []byte("k"), []byte("v")), 0o644)
	sameAsRedis(t, "old style", "", false, old)
	os.WriteFile(old, aof.AppendCommand(nil, []byte("SET"), []byte("file"), []byte("v")), 0o644)
	got := ours(t, "", "check-aof", old)
	if want := theirs(t, "", "redis-check-aof", old); got.code != 0 || want.code != 1 ||
		!strings.Contains(want.out, "Invalid AOF manifest file format") {
		t.Errorf("a key named file: ours %+v, redis-check-aof %+v", got, want)
	}
}

// --truncate-to-timestamp cuts the last file before its first timestamp
// past the limit, as redis-check-aof does.
func TestCheckAOFTruncateToTimestamp(t *testing.T) {
	var data []byte
	for _, ts := range []int64{100, 200, 300} {
		data = aof.AppendTimestamp(data, ts)
		data = aof.AppendCommand(data, []byte("SET"), []byte("k"), []byte(itoa(int(ts))))
	}
	withTail := append(append([]byte(nil), data...), "*1\r\n$4\r\nPI"...)
	badTS := append(append([]byte(nil), data...), "#TS:abc\r\n"...)
	for _, tc := range []struct {
		data []byte
		ts   string
	}{
		{data, "50"}, {data, "100"}, {data, "150"}, {data, "200"}, {data, "299"}, {data, "300"}, {data, "400"},
		{data, "0"}, {data, "-1"}, {withTail, "400"}, {withTail, "150"}, {badTS, "400"}, {badTS, "0"},
	} {
		a, b := t.TempDir(), t.TempDir()
		for _, dir := range []string{a, b} {
			os.WriteFile(filepath.Join(dir, "appendonly.aof"), tc.data, 0o644)
		}
		want := theirs(t, "", "redis-check-aof", "--truncate-to-timestamp", tc.ts, filepath.Join(a, "appendonly.aof"))
		got := ours(t, "", "check-aof", "--truncate-to-timestamp", tc.ts, filepath.Join(b, "appendonly.aof"))
		if got.code != want.code || got.out != strings.ReplaceAll(want.out, a, b) {
			t.Errorf("%q to %s: exit %d, want %d\n--- ours:\n%s--- redis-check-aof:\n%s", tc.data, tc.ts, got.code, want.code, got.out, want.out)
		}
		sameFiles(t, "to "+tc.ts, a, b)
	}
	// In a manifest, only the last file may be cut.
	m := &aof.Manifest{}
	m.NewIncr("appendonly.aof")
	m.NewIncr("appendonly.aof")
	for _, ts := range []string{"150", "350"} {
		a, b := t.TempDir(), t.TempDir()
		for _, dir := range []string{a, b} {
			aof.WriteManifest(dir, "appendonly.aof", m)
			os.WriteFile(filepath.Join(dir, "appendonly.aof.1.incr.aof"), data, 0o644)
			os.WriteFile(filepath.Join(dir, "appendonly.aof.2.incr.aof"), aof.AppendTimestamp(aof.AppendCommand(nil, []byte("PING")), 400), 0o644)
		}
		want := theirs(t, "", "redis-check-aof", "--truncate-to-timestamp", ts, filepath.Join(a, "appendonly.aof.manifest"))
		got := ours(t, "", "check-aof", "--truncate-to-timestamp", ts, filepath.Join(b, "appendonly.aof.manifest"))
		if got.code != want.code || got.out != strings.ReplaceAll(want.out, a, b) {
			t.Errorf("manifest to %s: exit %d, want %d\n--- ours:\n%s--- redis-check-aof:\n%s", ts, got.code, want.code, got.out, want.out)
		}
		sameFiles(t, "manifest to "+ts, a, b)
	}
}
