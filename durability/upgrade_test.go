package durability

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A Redis 6 AOF is one file, appendonly.aof, in dir. Redis 7.0 upgrades
// it at start-up (aofUpgradePrepare): it writes a manifest naming it as
// base 1, moves it into appendonlydir, loads it, then opens incr 1. Redis
// 7 cannot write such a file, so the tests make one from what
// redis-server 7.0.15 wrote: its base (commands, or an RDB preamble)
// followed by its incremental file, which is what a Redis 6 AOF is. Both
// servers get identical copies and must leave the same files, manifest
// and dataset, and again after a rewrite.

func TestUpgradeRedis6AOF(t *testing.T) {
	for _, tc := range []struct {
		name, preamble string
		// prepare arranges the directory around appendonly.aof.
		prepare func(t *testing.T, dir string)
		// tail is a torn command at the end of the file, which loading
		// cuts off (aof-load-truncated is on by default).
		tail string
	}{
		{name: "commands", preamble: "no"},
		{name: "rdb-preamble", preamble: "yes"},
		{name: "torn-commands", preamble: "no", tail: "*3\r\n$3\r\nSET\r\n$3\r\nfo"},
		{name: "torn-rdb-preamble", preamble: "yes", tail: "*2\r\n$4\r\nINCR"},
		// appendonlydir exists, without a manifest.
		{name: "empty-appendonlydir", preamble: "yes", prepare: func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, appendDir), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		// A crash between the manifest's write and the file's move: the
		// manifest names appendonly.aof, which is still in dir.
		{name: "interrupted-upgrade", preamble: "no", prepare: func(t *testing.T, dir string) {
			if err := os.Mkdir(filepath.Join(dir, appendDir), 0o755); err != nil {
				t.Fatal(err)
			}
			m := []byte("file appendonly.aof seq 1 type b\n")
			if err := os.WriteFile(filepath.Join(dir, appendDir, manifestName), m, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, want := writeAOFDir(t, redisKind, tc.preamble, "no")
			var old []byte
			for _, e := range readManifest(t, src) {
				old = append(old, readFile(t, filepath.Join(src, appendDir, e.name))...)
			}
			dirs := map[string]string{}
			for _, kind := range []string{redisKind, redoubtKind} {
				d := t.TempDir()
				if err := os.WriteFile(filepath.Join(d, "appendonly.aof"), append(slices.Clip(old), tc.tail...), 0o644); err != nil {
					t.Fatal(err)
				}
				if tc.prepare != nil {
					tc.prepare(t, d)
				}
				dirs[kind] = d
			}
			settings := []string{"appendonly yes"}
			srv := map[string]*server{}
			loaded := map[string]dataset{}
			for kind, d := range dirs {
				srv[kind] = startServer(t, kind, d, settings...)
				loaded[kind] = readDataset(t, srv[kind].addr)
				compareDatasets(t, kind+" upgrading", want, loaded[kind], 0)
			}
			compareDatasets(t, "redoubt against redis, upgrading", loaded[redisKind], loaded[redoubtKind], cmpEnc|cmpLayout)
			sameDirs(t, "after the upgrade", dirs[redisKind], dirs[redoubtKind])
			moved := readFile(t, filepath.Join(dirs[redoubtKind], appendDir, "appendonly.aof"))
			if !bytes.Equal(moved, old) {
				t.Errorf("after the upgrade appendonly.aof holds %d bytes, the Redis 6 file had %d sound bytes (and %d torn)", len(moved), len(old), len(tc.tail))
			}
			const migrated = "Successfully migrated an old-style AOF file (appendonly.aof) into the AOF directory (appendonlydir)."
			for kind, s := range srv {
				if !slices.Contains(s.logLines("migrated"), migrated) {
					t.Errorf("%s did not log %q:\n%s", kind, migrated, s.log())
				}
			}
			t.Logf("upgraded a %d-byte appendonly.aof: %s", len(old), manifestOf(t, dirs[redoubtKind]))

			// A clean restart loads the upgraded directory as it is
			// (the data directory's guard does not record the Redis 6
			// file, which the upgrade moves).
			for kind, s := range srv {
				s.stop()
				srv[kind] = startServer(t, kind, dirs[kind], settings...)
				compareDatasets(t, kind+" restarted after the upgrade", want, readDataset(t, srv[kind].addr), 0)
			}
			sameDirs(t, "after a restart", dirs[redisKind], dirs[redoubtKind])

			// A write, then a rewrite, which makes the old file history
			// and deletes it.
			for kind, s := range srv {
				c := s.conn()
				c.Do("SET", "after-upgrade", "1")
				c.Do("BGREWRITEAOF")
				s.waitRewriteDone()
				s.stop()
				s = startServer(t, kind, dirs[kind], settings...)
				loaded[kind] = readDataset(t, s.addr)
				s.stop()
			}
			compareDatasets(t, "redoubt against redis, after a rewrite", loaded[redisKind], loaded[redoubtKind], cmpEnc|cmpLayout)
			sameDirs(t, "after a rewrite", dirs[redisKind], dirs[redoubtKind])
			t.Logf("after a rewrite: %s", manifestOf(t, dirs[redoubtKind]))
		})
	}
}

// sameDirs fails the test unless both directories hold the same files,
// the same manifest, and the same incremental files.
func sameDirs(t *testing.T, when, redisDir, redoubtDir string) {
	t.Helper()
	want, got := listDir(t, redisDir), listDir(t, redoubtDir)
	if !slices.Equal(want, got) {
		t.Errorf("%s: files\n redis:   %q\n redoubt: %q", when, want, got)
		return
	}
	m := filepath.Join(appendDir, manifestName)
	if w, g := readFile(t, filepath.Join(redisDir, m)), readFile(t, filepath.Join(redoubtDir, m)); !bytes.Equal(w, g) {
		t.Errorf("%s: manifest\n redis:   %q\n redoubt: %q", when, w, g)
	}
	for _, e := range readManifest(t, redisDir) {
		if e.typ != "i" {
			continue
		}
		p := filepath.Join(appendDir, e.name)
		if w, g := readFile(t, filepath.Join(redisDir, p)), readFile(t, filepath.Join(redoubtDir, p)); !bytes.Equal(w, g) {
			t.Errorf("%s: %s\n redis:   %q\n redoubt: %q", when, e.name, w, g)
		}
	}
}
