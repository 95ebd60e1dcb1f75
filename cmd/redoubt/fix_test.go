package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// sameFiles fails unless two directories hold the same files, byte for
// byte.
func sameFiles(t *testing.T, label, a, b string) {
	t.Helper()
	entries, _ := os.ReadDir(a)
	others, _ := os.ReadDir(b)
	if len(entries) != len(others) {
		t.Fatalf("%s: %d files and %d", label, len(entries), len(others))
	}
	for _, e := range entries {
		x, _ := os.ReadFile(filepath.Join(a, e.Name()))
		y, err := os.ReadFile(filepath.Join(b, e.Name()))
		if err != nil || !bytes.Equal(x, y) {
			t.Fatalf("%s: %s differs (%d and %d bytes)", label, e.Name(), len(x), len(y))
		}
	}
}

// TestCheckAOFFix damages the last file, fixes one copy with
// redis-check-aof --fix and one with ours (answering y, or with --yes),
// compares what they say and the files they leave, and has the real
// redis-server load our fixed copy with aof-load-truncated off.
func TestCheckAOFFix(t *testing.T) {
	m := redisAOFDir(t, true)
	path := filepath.Join(filepath.Dir(m), "appendonly.aof.2.incr.aof")
	orig, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Cuts, and flipped bytes (flip is where, or -1 for a cut).
	type damaged struct {
		data []byte
		flip int
	}
	var cases []damaged
	for i := 1; i < len(orig); i += 3 {
		cases = append(cases, damaged{orig[:i], -1})
	}
	for i := 0; i < len(orig); i += 7 {
		b := bytes.Clone(orig)
		b[i] ^= 0x41
		cases = append(cases, damaged{b, i})
	}
	for n, c := range cases {
		data := c.data
		os.WriteFile(path, data, 0o644)
		a, b := cloneAOF(t, m), cloneAOF(t, m)
		want := theirs(t, "y\n", "redis-check-aof", "--fix", a)
		args := []string{"check-aof", "--fix", b}
		stdin := "y\n"
		if n%2 == 1 {
			args, stdin = []string{"check-aof", "--fix", "--yes", b}, ""
		}
		got := ours(t, stdin, args...)
		if strings.Contains(got.out, "Expected a command of one argument or more") {
			continue // see sameAsRedis
		}
		gotOut := strings.ReplaceAll(normalize(got.out, true), "y (--yes)\n", "")
		if got.code != want.code || gotOut != normalize(strings.ReplaceAll(want.out, filepath.Dir(a), filepath.Dir(b)), true) {
			t.Fatalf("case %d: exit %d, want %d\n--- ours:\n%s--- redis-check-aof:\n%s", n, got.code, want.code, got.out, want.out)
		}
		sameFiles(t, "case "+itoa(n), filepath.Dir(a), filepath.Dir(b))
		// What is left must load, unless a flipped byte left in it made a
		// well-formed command of the wrong name, which neither tool checks.
		fixed, _ := os.ReadFile(filepath.Join(filepath.Dir(b), "appendonly.aof.2.incr.aof"))
		if got.code != 0 || !strings.Contains(got.out, "Successfully truncated") || c.flip >= 0 && c.flip < len(fixed) {
			continue
		}
		if s, log := refredis.Start(t, filepath.Dir(filepath.Dir(b)), "appendonly yes", "aof-load-truncated no"); s == nil {
			t.Fatalf("case %d: redis-server does not load the files fixed from %q to %q:\n%s", n, data, fixed, log)
		}
	}
}

// Without a yes, nothing changes; the last file only may be cut.
func TestCheckAOFFixRefused(t *testing.T) {
	m := redisAOFDir(t, false)
	incr := filepath.Join(filepath.Dir(m), "appendonly.aof.2.incr.aof")
	orig, _ := os.ReadFile(incr)
	os.WriteFile(incr, orig[:len(orig)-3], 0o644)
	for _, answer := range []string{"n\n", "", "no\n", "\n"} {
		got, want := sameAsRedis(t, "answer "+answer, answer, false, "--fix", m)
		if got.code != 1 || !strings.HasSuffix(want.out, "Aborting...\n") {
			t.Fatalf("%q: %+v", answer, got)
		}
		if now, _ := os.ReadFile(incr); len(now) != len(orig)-3 {
			t.Fatalf("%q: the file changed", answer)
		}
	}
	base := filepath.Join(filepath.Dir(m), "appendonly.aof.2.base.aof")
	data, _ := os.ReadFile(base)
	os.WriteFile(base, data[:len(data)-3], 0o644)
	got, _ := sameAsRedis(t, "base", "y\n", false, "--fix", m)
	if !strings.Contains(got.out, "because it is not the last file") {
		t.Fatalf("%+v", got)
	}
}

// A torn or damaged RDB base is not fixable: the preamble check says so.
func TestCheckAOFBadPreamble(t *testing.T) {
	m := redisAOFDir(t, true)
	base := filepath.Join(filepath.Dir(m), "appendonly.aof.2.base.rdb")
	orig, _ := os.ReadFile(base)
	defer os.WriteFile(base, orig, 0o644)
	for i := 0; i < len(orig); i += 11 {
		flipped := bytes.Clone(orig)
		flipped[i] ^= 0x41
		for _, data := range [][]byte{orig[:i], flipped} {
			os.WriteFile(base, data, 0o644)
			if i < 8 {
				// Too short to be taken for an RDB file: a RESP base.
				sameAsRedis(t, "base of "+itoa(len(data)), "", true, m)
				continue
			}
			want := theirs(t, "", "redis-check-aof", m)
			got := ours(t, "", "check-aof", m)
			// (redis-check-aof may die inside its RDB check, with another
			// last line.)
			if got.code != 1 || want.code != 1 || !strings.Contains(want.out, "RDB ERROR DETECTED") ||
				!strings.Contains(got.out, "RDB ERROR DETECTED") || lastLine(got.out) != "RDB preamble of AOF file is not sane, aborting." {
				t.Fatalf("byte %d: exit %d, want %d\n--- ours:\n%s--- redis-check-aof:\n%s", i, got.code, want.code, got.out, want.out)
			}
		}
	}
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	return lines[len(lines)-1]
}
