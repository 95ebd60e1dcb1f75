package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// redisAOFDir has the real redis-server write an AOF directory: writes of
// several kinds (a transaction, a value bigger than a read buffer, a
// timestamp per second), a rewrite, then more writes in the new
// incremental file. It returns the path of the manifest.
func redisAOFDir(t testing.TB, preamble bool) string {
	t.Helper()
	dir := t.TempDir()
	yes := map[bool]string{true: "yes", false: "no"}[preamble]
	s, log := refredis.Start(t, dir, "appendonly yes", "aof-timestamp-enabled yes", "aof-use-rdb-preamble "+yes)
	if s == nil {
		t.Fatal(log)
	}
	s.Do("SET", "k", "v")
	s.Do("RPUSH", "l", "a", "b", "c")
	s.Do("HSET", "h", "f", "v", "g", "w")
	s.Do("SET", "big", strings.Repeat("0123456789", 10000))
	s.Do("PEXPIREAT", "k", "4102444800000")
	s.Rewrite()
	s.Do("SET", "n", "1")
	s.Do("MULTI")
	s.Do("INCR", "n")
	s.Do("LPUSH", "l", "z")
	s.Do("EXEC")
	s.Do("SADD", "s", "x", "y")
	s.Do("DEL", "h")
	s.Shutdown()
	return filepath.Join(dir, "appendonlydir", aof.ManifestName("appendonly.aof"))
}

// copyDir copies a directory of files.
func copyDir(t testing.TB, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}
