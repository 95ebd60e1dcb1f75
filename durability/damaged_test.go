package durability

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Damage a crash cannot explain: a torn file that is not the last one,
// and bytes that are not commands. Both servers must refuse to start
// whatever aof-load-truncated says, with the same log lines and the same
// effect on the files, and the two checkers must agree on the repair.

// twoIncrDir makes a directory whose manifest names two incremental
// files: a rewrite is started (slowed down so that it cannot finish),
// more is written, and the server stops, which abandons the rewrite.
func twoIncrDir(t *testing.T) string {
	dir := t.TempDir()
	srv := startServer(t, redoubtKind, dir, "appendonly yes", "rdb-key-save-delay 100000")
	c := srv.conn()
	for i := range 50 {
		c.Do("SET", "before:"+strconv.Itoa(i), "v")
	}
	c.Do("BGREWRITEAOF")
	for i := range 50 {
		c.Do("SET", "after:"+strconv.Itoa(i), "v")
	}
	srv.stop()
	// Stopping abandons the rewrite, and removes what it had written.
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("a shutdown during a rewrite left %q", left)
	}
	if got := manifestOf(t, dir); !strings.Contains(got, "i:appendonly.aof.1.incr.aof#1 i:appendonly.aof.2.incr.aof#2") {
		t.Fatalf("the manifest is %s, want two incremental files", got)
	}
	return dir
}

func TestDamagedAOF(t *testing.T) {
	for _, tc := range []struct {
		name   string
		damage func(t *testing.T, dir string) string // returns the damaged file's name
		// checkExit is redis-check-aof --fix's exit code: 1 when it
		// cannot repair, 0 when it repairs or finds nothing wrong (it
		// does not know the commands).
		checkExit int
	}{
		{name: "torn-incr-not-last", checkExit: 1, damage: func(t *testing.T, dir string) string {
			appendTo(t, filepath.Join(dir, appendDir, "appendonly.aof.1.incr.aof"), "*3\r\n$3\r\nSET\r\n$3\r\nfo")
			return "appendonly.aof.1.incr.aof"
		}},
		{name: "garbage-in-last", damage: func(t *testing.T, dir string) string {
			path := lastIncr(t, dir)
			b := readFile(t, path)
			// The bulk header of an argument half-way through becomes
			// something else.
			i := len(b)/2 + bytes.Index(b[len(b)/2:], []byte("\r\n$")) + 2
			b[i] = 'x'
			if err := os.WriteFile(path, b, 0o644); err != nil {
				t.Fatal(err)
			}
			return filepath.Base(path)
		}},
		{name: "unknown-command", damage: func(t *testing.T, dir string) string {
			appendTo(t, lastIncr(t, dir), "*1\r\n$7\r\nNOSUCHX\r\n")
			return filepath.Base(lastIncr(t, dir))
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := twoIncrDir(t)
			name := tc.damage(t, src)
			for _, truncated := range []string{"yes", "no"} {
				dirs := map[string]string{}
				refused := map[string][]string{}
				for _, kind := range []string{redisKind, redoubtKind} {
					dirs[kind] = t.TempDir()
					copyDir(t, src, dirs[kind])
					s := refuseToStart(t, kind, dirs[kind], []string{"appendonly yes", "aof-load-truncated " + truncated})
					refused[kind] = loadErrorLines(s)
				}
				if len(refused[redoubtKind]) == 0 {
					t.Errorf("aof-load-truncated %s: redoubt logged no reason for refusing to start", truncated)
				}
				if !slices.Equal(refused[redisKind], refused[redoubtKind]) {
					t.Errorf("aof-load-truncated %s: log lines\n redis:   %q\n redoubt: %q", truncated, refused[redisKind], refused[redoubtKind])
				}
				p := filepath.Join(appendDir, name)
				if w, g := readFile(t, filepath.Join(dirs[redisKind], p)), readFile(t, filepath.Join(dirs[redoubtKind], p)); !bytes.Equal(w, g) {
					t.Errorf("aof-load-truncated %s: after the refusal %s has %d bytes (redis-server left %d)", truncated, name, len(g), len(w))
				}
			}
			// The checkers, with --fix, on identical copies.
			redisDir, ourDir := t.TempDir(), t.TempDir()
			copyDir(t, src, redisDir)
			copyDir(t, src, ourDir)
			rout, rcode := runTool(t, "y\n", refredis.Tool(t, "redis-check-aof"), "--fix", filepath.Join(redisDir, appendDir, manifestName))
			out, code := runTool(t, "y\n", toolBin, "check-aof", "--fix", filepath.Join(ourDir, appendDir, manifestName))
			if code != rcode || rcode != tc.checkExit {
				t.Errorf("check-aof --fix: redis-check-aof exit %d, redoubt check-aof exit %d, want %d\n--- redis-check-aof:\n%s--- redoubt check-aof:\n%s", rcode, code, tc.checkExit, rout, out)
			}
			p := filepath.Join(appendDir, name)
			if w, g := readFile(t, filepath.Join(redisDir, p)), readFile(t, filepath.Join(ourDir, p)); !bytes.Equal(w, g) {
				t.Errorf("check-aof --fix: redis-check-aof left %s with %d bytes, redoubt check-aof %d", name, len(w), len(g))
			}
			t.Logf("%s: redis-check-aof exit %d, %s now %d bytes", tc.name, rcode, name, fileSize(t, filepath.Join(redisDir, p)))
		})
	}
}

func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
}

// loadErrorLines are the log lines of a failed AOF load.
func loadErrorLines(s *server) []string {
	var out []string
	for _, l := range s.logLines("") {
		for _, m := range []string{"!!!", "aof-load-truncated", "Unexpected end of file", "not the last file",
			"Bad file format", "Unknown command", "Revert incomplete"} {
			if strings.Contains(l, m) {
				out = append(out, l)
				break
			}
		}
	}
	return out
}
