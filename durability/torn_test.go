package durability

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// A crash in the middle of a write leaves the last incremental file
// ending with part of a command. With aof-load-truncated yes the server
// cuts the file after the last complete command and starts; with no, it
// refuses to start; "redoubt check-aof --fix" then cuts it where
// redis-check-aof --fix does, and the server starts. redis-server 7.0.15
// is given identical copies of each directory, and its log lines and
// cuts must be Redoubt's.

// tornTails are endings a torn write can leave after complete commands.
var tornTails = []struct{ name, tail string }{
	{"mid-argument", "*3\r\n$3\r\nSET\r\n$3\r\nfo"},
	{"count-only", "*3"},
	{"last-argument-without-crlf", "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar"},
	{"last-argument-without-lf", "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$3\r\nbar\r"},
	{"bulk-length-cut", "*3\r\n$3\r\nSET\r\n$3\r\nfoo\r\n$"},
	// Complete commands, but the transaction's EXEC never came: Redis
	// drops the whole transaction.
	{"multi-without-exec", "*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$1\r\n1\r\n*2\r\n$4\r\nINCR\r\n$3\r\nctr\r\n"},
}

// tornSource writes a dataset with Redoubt and stops it cleanly; it
// returns the directory and the dataset.
func tornSource(t *testing.T) (string, dataset) {
	dir := t.TempDir()
	srv := startServer(t, redoubtKind, dir, "appendonly yes", "appendfsync always")
	c := srv.conn()
	for i := range 200 {
		db := strconv.Itoa(i % 3)
		c.Do("SELECT", db)
		c.Do("SET", "key:"+strconv.Itoa(i), strings.Repeat("v", i))
		c.Do("RPUSH", "list", strconv.Itoa(i))
		c.Do("INCR", "ctr")
	}
	c.Do("SELECT", "0")
	c.Do("MULTI")
	c.Do("SET", "in-multi", "1")
	c.Do("INCR", "ctr")
	c.Do("EXEC")
	want := readDataset(t, srv.addr)
	srv.stop()
	return dir, want
}

func TestTornTail(t *testing.T) {
	src, want := tornSource(t)
	incrName := filepath.Base(lastIncr(t, src))
	sound := fileSize(t, lastIncr(t, src))
	soundBytes := readFile(t, lastIncr(t, src))
	t.Logf("%s has %d sound bytes", incrName, sound)
	settings := []string{"appendonly yes", "appendfsync always"}
	for _, tc := range tornTails {
		t.Run(tc.name, func(t *testing.T) {
			// One torn directory, and a copy of it for each party.
			torn := t.TempDir()
			copyDir(t, src, torn)
			f, err := os.OpenFile(lastIncr(t, torn), os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.WriteString(tc.tail); err != nil {
				t.Fatal(err)
			}
			f.Close()
			tornSize := fileSize(t, lastIncr(t, torn))
			clone := func() string {
				d := t.TempDir()
				copyDir(t, torn, d)
				return d
			}

			// aof-load-truncated yes: loads, cut at the last complete
			// command, with Redis's warnings.
			loadDir, redisLoadDir := clone(), clone()
			srv := startServer(t, redoubtKind, loadDir, append(settings, "aof-load-truncated yes")...)
			compareDatasets(t, "loaded with aof-load-truncated yes", want, readDataset(t, srv.addr), 0)
			loadedSize := fileSize(t, lastIncr(t, loadDir))
			if got := loadedSize; got != sound {
				t.Errorf("aof-load-truncated yes: %s is %d bytes after loading, want %d (cut after the last complete command)", incrName, got, sound)
			}
			warnings := truncationLines(srv)
			for _, want := range []string{
				"!!! Warning: short read while loading the AOF file " + incrName + "!!!",
				"!!! Truncating the AOF " + incrName + " at offset " + strconv.FormatInt(sound, 10) + " !!!",
				"AOF " + incrName + " loaded anyway because aof-load-truncated is enabled",
			} {
				if !slices.Contains(warnings, want) {
					t.Errorf("aof-load-truncated yes: the log lacks %q; its truncation lines: %q", want, warnings)
				}
			}
			ref := startServer(t, redisKind, redisLoadDir, append(settings, "aof-load-truncated yes")...)
			if want := truncationLines(ref); !slices.Equal(warnings, want) {
				t.Errorf("aof-load-truncated yes: log lines\n redis:   %q\n redoubt: %q", want, warnings)
			}
			redisLoadedSize := fileSize(t, lastIncr(t, redisLoadDir))
			if !bytes.Equal(readFile(t, lastIncr(t, redisLoadDir)), readFile(t, lastIncr(t, loadDir))) {
				t.Errorf("aof-load-truncated yes: redis-server left %s with %d bytes, redoubt %d", incrName, redisLoadedSize, loadedSize)
			}
			ref.stop()
			// The cut file takes new writes and loads cleanly after them.
			c := srv.conn()
			c.Do("SET", "after-truncation", "1")
			want2 := readDataset(t, srv.addr)
			srv.stop()
			srv = startServer(t, redoubtKind, loadDir, append(settings, "aof-load-truncated no")...)
			compareDatasets(t, "restarted after writing to the cut file", want2, readDataset(t, srv.addr), cmpAll)
			srv.stop()

			// aof-load-truncated no: refuses to start, file untouched.
			refuseDir, redisRefuseDir := clone(), clone()
			refused := refuseToStart(t, redoubtKind, refuseDir, append(settings, "aof-load-truncated no"))
			if got := fileSize(t, lastIncr(t, refuseDir)); got != tornSize {
				t.Errorf("aof-load-truncated no: %s is %d bytes after the refusal, want it untouched (%d)", incrName, got, tornSize)
			}
			const eof = "Unexpected end of file reading the append only file"
			if len(refused.logLines(eof)) == 0 {
				t.Errorf("aof-load-truncated no: the log lacks %q:\n%s", eof, refused.log())
			}
			redisRefused := refuseToStart(t, redisKind, redisRefuseDir, append(settings, "aof-load-truncated no"))
			if want, got := truncationLines(redisRefused), truncationLines(refused); !slices.Equal(want, got) {
				t.Errorf("aof-load-truncated no: log lines\n redis:   %q\n redoubt: %q", want, got)
			}

			// redoubt check-aof --fix, answering y to its question, then
			// the server starts with aof-load-truncated no.
			out, code := runTool(t, "y\n", toolBin, "check-aof", "--fix", filepath.Join(refuseDir, appendDir, manifestName))
			if code != 0 || !strings.Contains(out, "Successfully truncated AOF "+incrName) {
				t.Errorf("redoubt check-aof --fix: exit %d\n%s", code, out)
			}
			fixed := readFile(t, lastIncr(t, refuseDir))
			// redis-check-aof --fix on an identical copy: the same cut.
			redisFixDir := clone()
			rout, rcode := runTool(t, "y\n", refredis.Tool(t, "redis-check-aof"), "--fix", filepath.Join(redisFixDir, appendDir, manifestName))
			if rcode != 0 {
				t.Errorf("redis-check-aof --fix: exit %d\n%s", rcode, rout)
			}
			redisFixed := readFile(t, lastIncr(t, redisFixDir))
			if !bytes.Equal(fixed, redisFixed) {
				t.Errorf("the fixed %s: redoubt check-aof cut it to %d bytes, redis-check-aof to %d", incrName, len(fixed), len(redisFixed))
			}
			if !bytes.Equal(fixed, soundBytes) {
				t.Errorf("redoubt check-aof --fix left %d bytes, want the %d sound bytes", len(fixed), sound)
			}
			t.Logf("torn at %d bytes; cut at %d by redoubt check-aof, %d by redis-check-aof, %d by redoubt-server, %d by redis-server",
				tornSize, len(fixed), len(redisFixed), loadedSize, redisLoadedSize)
			// Both checkers now find the directory sound.
			if out, code := runTool(t, "", toolBin, "check-aof", filepath.Join(refuseDir, appendDir, manifestName)); code != 0 {
				t.Errorf("redoubt check-aof after the fix: exit %d\n%s", code, out)
			}
			if out, code := runTool(t, "", refredis.Tool(t, "redis-check-aof"), filepath.Join(refuseDir, appendDir, manifestName)); code != 0 {
				t.Errorf("redis-check-aof after redoubt's fix: exit %d\n%s", code, out)
			}
			srv = startServer(t, redoubtKind, refuseDir, append(settings, "aof-load-truncated no")...)
			compareDatasets(t, "loaded after check-aof --fix", want, readDataset(t, srv.addr), cmpAll)
			srv.stop()
		})
	}
}

// truncationLines are the log lines about a torn file, without their
// prefixes.
func truncationLines(s *server) []string {
	var out []string
	for _, l := range s.logLines("") {
		if strings.Contains(l, "!!!") || strings.Contains(l, "aof-load-truncated") ||
			strings.Contains(l, "Revert incomplete") || strings.Contains(l, "Unexpected end of file") {
			out = append(out, l)
		}
	}
	return out
}

// refuseToStart starts a server that must exit with a non-zero code
// without ever serving.
func refuseToStart(t *testing.T, kind, dir string, settings []string) *server {
	t.Helper()
	s := launch(t, kind, dir, settings...)
	code, ok := s.waitExit(30 * time.Second)
	if !ok {
		t.Fatalf("%s started on a torn AOF with %q", kind, settings)
	}
	if code == 0 {
		t.Errorf("%s refused a torn AOF with exit code 0", kind)
	}
	return s
}

// runTool runs a command with stdin and returns its combined output and
// exit code.
func runTool(t *testing.T, stdin, bin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	}
	if err != nil {
		t.Fatalf("%s: %v", bin, err)
	}
	return string(out), 0
}
