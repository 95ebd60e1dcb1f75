// Package aoftest compares Redoubt's AOF rewrite with Redis's: it has the
// reference redis-server rewrite its append-only file as commands
// (aof-use-rdb-preamble no), runs the same commands in process, and
// compares what each wrote for each key. Like difftest, it fails, never
// skips, when redis-server is missing. It does not import the server, so
// that the tests of a data type build with the type alone.
package aoftest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// RedisRewrite starts the reference redis-server with appendonly yes and
// aof-use-rdb-preamble no (then settings, redis.conf lines), runs script,
// failing on an error reply, has it rewrite its AOF with BGREWRITEAOF and
// returns the base file the rewrite made. The server is stopped and its
// directory removed when the test ends.
func RedisRewrite(t testing.TB, script [][]string, settings ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	s, log := refredis.Start(t, dir, append([]string{"appendonly yes", "aof-use-rdb-preamble no", "enable-debug-command yes"}, settings...)...)
	if s == nil {
		t.Fatalf("redis-server did not start:\n%s", log)
	}
	for _, args := range script {
		s.Do(args...)
	}
	s.Rewrite()
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", baseFile(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// baseFile reads the AOF manifest for the name of the base file, which
// Redis numbers anew at each rewrite.
func baseFile(t testing.TB, dir string) string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(m), "\n") {
		// file <name> seq <n> type b
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "file" && f[4] == "type" && f[5] == "b" {
			return f[1]
		}
	}
	t.Fatalf("redis: no base file in the manifest:\n%s", m)
	return ""
}
