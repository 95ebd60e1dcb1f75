package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// The tests run the built binary, beside Redis's redis-check-aof and
// redis-check-rdb on the same files (Debian's redis-tools: a test fails,
// never skips, without them).

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "redoubt-tool")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "redoubt")
	if out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building redoubt: %v\n%s", err, out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type result struct {
	out, errOut string
	code        int
}

func runProgram(t testing.TB, stdin string, bin string, args ...string) result {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return result{out.String(), errOut.String(), code}
}

// ours runs redoubt.
func ours(t testing.TB, stdin string, args ...string) result {
	t.Helper()
	return runProgram(t, stdin, binPath, args...)
}

// theirs runs a Redis tool.
func theirs(t testing.TB, stdin, tool string, args ...string) result {
	t.Helper()
	return runProgram(t, stdin, refredis.Tool(t, tool), args...)
}

func TestUsage(t *testing.T) {
	for _, args := range [][]string{nil, {"bogus"}, {"check-aof"}, {"check-aof", "--yes", "f"},
		{"check-aof", "--fix", "--truncate-to-timestamp", "1", "f"}, {"check-rdb"}, {"check-rdb", "a", "b"}} {
		r := ours(t, "", args...)
		if r.code != 1 || !strings.Contains(r.out+r.errOut, "Usage:") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	// doctor without a server to audit cannot audit anything: 2.
	if r := ours(t, "", "doctor"); r.code != 2 || !strings.Contains(r.errOut, "Usage:") {
		t.Errorf("doctor: %+v", r)
	}
	r := ours(t, "", "--help")
	if r.code != 0 || !strings.Contains(r.out, "check-aof") || !strings.Contains(r.out, "check-rdb") {
		t.Errorf("--help: %+v", r)
	}
	if r := ours(t, "", "check-aof", "--truncate-to-timestamp", "x1", "f"); r.code != 1 || r.out != "Invalid timestamp, aborting...\n" {
		t.Errorf("%+v", r)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
