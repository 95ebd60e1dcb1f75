package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// cloneAOF copies the AOF directory of a manifest into a new directory
// (as its appendonlydir, so redis-server can load it) and returns the
// copy's manifest.
func cloneAOF(t testing.TB, manifest string) string {
	t.Helper()
	root := t.TempDir()
	sub := filepath.Join(root, "appendonlydir")
	if err := os.Rename(copyDir(t, filepath.Dir(manifest)), sub); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(sub, filepath.Base(manifest))
}

var (
	eofInMulti = regexp.MustCompile(`(?m)^0x *[0-9a-f]+: Reached EOF before reading EXEC for MULTI$`)
	gotBytes   = regexp.MustCompile(`(?m)^(0x *[0-9a-f]+: Expected \\r\\n, got: ).*$`)
)

// normalize drops from our output what we add to redis-check-aof's, and
// from both the two places where we differ on purpose: the offset given
// with "Reached EOF before reading EXEC for MULTI" (we give the end of the
// file, redis-check-aof the last string it read) and, for a length line
// cut by the end of the file (torn), the bytes "got" (redis-check-aof
// shows what its stack buffer held before).
func normalize(out string, torn bool) string {
	var keep []string
	for _, line := range strings.SplitAfter(out, "\n") {
		if !strings.HasPrefix(line, "The damage at offset ") {
			keep = append(keep, line)
		}
	}
	out = eofInMulti.ReplaceAllString(strings.Join(keep, ""), "0x?: Reached EOF before reading EXEC for MULTI")
	if torn {
		out = gotBytes.ReplaceAllString(out, "${1}?")
	}
	return out
}

// sameAsRedis runs both tools with the same arguments and input and
// compares their exit codes and output. A command of no arguments (*0),
// which Redis's loader refuses and redis-check-aof lets pass, is the one
// place where the verdicts may differ: only the exit codes are compared.
func sameAsRedis(t *testing.T, label, stdin string, torn bool, args ...string) (got, want result) {
	t.Helper()
	want = theirs(t, stdin, "redis-check-aof", args...)
	got = ours(t, stdin, append([]string{"check-aof"}, args...)...)
	if strings.Contains(got.out, "Expected a command of one argument or more") {
		if got.code != 1 {
			t.Errorf("%s: exit %d", label, got.code)
		}
		return got, want
	}
	if got.code != want.code || normalize(got.out, torn) != normalize(want.out, torn) {
		t.Errorf("%s: exit %d, want %d\n--- ours:\n%s--- redis-check-aof:\n%s", label, got.code, want.code, got.out, want.out)
	}
	return got, want
}

func TestCheckAOFSoundDirectories(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		m := redisAOFDir(t, preamble)
		sameAsRedis(t, "sound", "", false, m)
		for _, fi := range []string{"appendonly.aof.2.incr.aof", "appendonly.aof.2.base.aof", "appendonly.aof.2.base.rdb"} {
			if p := filepath.Join(filepath.Dir(m), fi); fileExists(p) {
				sameAsRedis(t, fi+" alone", "", false, p)
			}
		}
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Cuts and flipped bytes of the last file (every byte), and of a base file
// that is not the last (every fifth byte of its start).
func TestCheckAOFDamage(t *testing.T) {
	m := cloneAOF(t, redisAOFDir(t, true))
	damage(t, m, "appendonly.aof.2.incr.aof", 1)
	m = cloneAOF(t, redisAOFDir(t, false))
	damage(t, m, "appendonly.aof.2.base.aof", 5)
}

func damage(t *testing.T, manifest, name string, step int) {
	path := filepath.Join(filepath.Dir(manifest), name)
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer os.WriteFile(path, orig, 0o644)
	n := min(len(orig), 600)
	for i := 0; i < n; i += step {
		os.WriteFile(path, orig[:i], 0o644)
		sameAsRedis(t, name+" cut at "+itoa(i), "", true, manifest)
		b := bytes.Clone(orig)
		b[i] ^= []byte{0x41, 0x01}[i/step%2]
		os.WriteFile(path, b, 0o644)
		sameAsRedis(t, name+" flipped at "+itoa(i), "", false, manifest)
	}
}

// A pre-7.0 AOF: an RDB preamble and commands after it, in one file.
func TestCheckAOFOldStylePreamble(t *testing.T) {
	rdbData, err := os.ReadFile(redisRDB(t))
	if err != nil {
		t.Fatal(err)
	}
	data := append(bytes.Clone(rdbData), "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"...)
	path := filepath.Join(t.TempDir(), "appendonly.aof")
	for cut := len(rdbData); cut <= len(data); cut++ {
		os.WriteFile(path, data[:cut], 0o644)
		sameAsRedis(t, "cut at "+itoa(cut), "", true, path)
	}
}
