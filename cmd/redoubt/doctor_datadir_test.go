package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// leave writes a file of size bytes last written age ago.
func leave(t *testing.T, path string, size int, age time.Duration) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, make([]byte, size), 0o644); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-age)
	if err := os.Chtimes(path, at, at); err != nil {
		t.Fatal(err)
	}
}

// Incident 9: the temporary files interrupted saves and rewrites leave,
// Redis's and Redoubt's, are found in --datadir and its AOF directory;
// one being written now is not stale.
func TestDoctorStaleTempFiles(t *testing.T) {
	dir := t.TempDir()
	redis, log := refredis.Start(t, dir, "maxmemory 100mb")
	if redis == nil {
		t.Fatal(log)
	}
	rdir := t.TempDir()
	redoubt := difftest.StartRedoubt(t, "maxmemory 100mb", "dir "+rdir)
	for _, c := range []struct{ name, addr, dir string }{{"Redis", redis.Addr(), dir}, {"Redoubt", redoubt, rdir}} {
		leave(t, filepath.Join(c.dir, "temp-4242.rdb"), 3000, 2*time.Hour)
		leave(t, filepath.Join(c.dir, "temp-bg-77.rdb"), 100, 30*time.Minute)
		leave(t, filepath.Join(c.dir, "appendonlydir", "temp-rewriteaof-bg-99.aof"), 50, 3*time.Hour)
		leave(t, filepath.Join(c.dir, "temp-5555.rdb"), 10, 0)          // a save in progress
		leave(t, filepath.Join(c.dir, "temp-notes.txt"), 10, time.Hour) // not a server's
		r := runDoctor(t, c.addr, "--json", "--datadir", c.dir)
		stale := r.with("9", levelWarning)
		if r.code != 1 || len(stale) != 1 {
			t.Fatalf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+"'s stale files", stale[0].Title+": "+stale[0].Evidence, "3 stale temporary files",
			"temp-4242.rdb (2.93K, unwritten for 2.0h)", "temp-bg-77.rdb", "appendonlydir/temp-rewriteaof-bg-99.aof", "in "+c.dir)
		for _, no := range []string{"temp-5555.rdb", "temp-notes.txt"} {
			if strings.Contains(stale[0].Evidence, no) {
				t.Errorf("%s: %s reported stale: %s", c.name, no, stale[0].Evidence)
			}
		}
	}
	// Without --datadir, one note for all servers says what was not
	// checked.
	r := runDoctor(t, redis.Addr(), redoubt, "--json")
	if notes := r.with("9/10", levelNote); len(notes) != 1 || notes[0].Host != "" || len(r.with("9", levelWarning)) != 0 {
		t.Errorf("without --datadir: %s", r)
	}
	// A --datadir that cannot be read is a check that did not run.
	r = runDoctor(t, redis.Addr(), "--json", "--datadir", filepath.Join(dir, "nosuch"))
	if un := r.with("9/10", levelUnchecked); len(un) != 1 || !strings.Contains(un[0].Evidence, "no such file") {
		t.Errorf("a missing --datadir: %s", r)
	}
}

// Incident 10: Redoubt's identity marker is compared with the server's
// node-name and with the files it records; a Redis or Redoubt --datadir
// that is not where the server saved is seen from its last save.
func TestDoctorDatadirIdentity(t *testing.T) {
	rdir := t.TempDir()
	redoubt := difftest.StartRedoubt(t, "node-name cache-1", "dir "+rdir)
	// As started: the marker matches.
	r := runDoctor(t, redoubt, "--json", "--datadir", rdir)
	if f := r.with("10"); len(f) != 0 {
		t.Fatalf("a fresh Redoubt directory: %s", r)
	}
	marker, err := os.ReadFile(filepath.Join(rdir, datadir.MarkerName))
	if err != nil {
		t.Fatal(err)
	}
	// The volume of another node, whose snapshot is gone.
	other := strings.Replace(string(marker), "node cache-1", "node cache-0", 1) + "wrote snapshot 4300000 2026-01-02T10:00:00Z dump.rdb\n"
	if err := os.WriteFile(filepath.Join(rdir, datadir.MarkerName), []byte(other), 0o644); err != nil {
		t.Fatal(err)
	}
	r = runDoctor(t, redoubt, "--json", "--datadir", rdir)
	id := r.with("10", levelCritical)
	if r.code != 1 || len(id) != 1 {
		t.Fatalf("another node's directory: %s", r)
	}
	mustContain(t, "the identity finding", id[0].Evidence, "the marker says node cache-0 wrote here last, and this server is node cache-1",
		"the marker says the node wrote dump.rdb held 4.10M at 2026-01-02 10:00:00 UTC, but dump.rdb is missing")
	// No marker at all where Redoubt keeps one; an unreadable one.
	os.Remove(filepath.Join(rdir, datadir.MarkerName))
	r = runDoctor(t, redoubt, "--json", "--datadir", rdir)
	if f := r.with("10", levelWarning); len(f) != 1 || !strings.Contains(f[0].Title, "no identity marker") {
		t.Errorf("no marker: %s", r)
	}
	os.WriteFile(filepath.Join(rdir, datadir.MarkerName), []byte("dataset nonsense\n"), 0o644)
	r = runDoctor(t, redoubt, "--json", "--datadir", rdir)
	if f := r.with("10", levelWarning); len(f) != 1 || !strings.Contains(f[0].Title, "cannot be read") {
		t.Errorf("an unreadable marker: %s", r)
	}

	// Redis saved in its dir; --datadir names another: not its directory.
	dir := t.TempDir()
	redis, log := refredis.Start(t, dir, "maxmemory 100mb")
	if redis == nil {
		t.Fatal(log)
	}
	redis.Do("SET", "k", "v")
	redis.Do("SAVE")
	r = runDoctor(t, redis.Addr(), "--json", "--datadir", dir)
	if f := r.with("10", problems...); len(f) != 0 {
		t.Errorf("Redis's own directory after a save: %s", r)
	}
	if f := r.with("10", levelNote); len(f) != 1 || !strings.Contains(f[0].Evidence, "Redis keeps none") {
		t.Errorf("Redis's directory: the note on its missing identity: %s", r)
	}
	elsewhere := t.TempDir()
	r = runDoctor(t, redis.Addr(), "--json", "--datadir", elsewhere)
	f := r.with("10", levelWarning)
	if len(f) != 1 || !strings.Contains(f[0].Evidence, "dump.rdb is not there") {
		t.Errorf("Redis audited with another directory: %s", r)
	}
	if n := r.with("9/10", levelNote); len(n) != 1 || !strings.Contains(n[0].Evidence, "the server's dir is "+dir) {
		t.Errorf("Redis audited with another directory: no note on its dir: %s", r)
	}
}

func TestIsTempName(t *testing.T) {
	for name, want := range map[string]bool{
		"temp-123.rdb": true, "temp-1700000000.123.rdb": true, "temp-rewriteaof-9.aof": true,
		"temp-rewriteaof-bg-9.aof": true, "temp-appendonly.aof.incr": true, "temp-appendonly.aof.manifest": true,
		"temp-bg-12.rdb": true, "temp-redoubt-identity-77": true,
		"dump.rdb": false, "temp-abc.rdb": false, "temp-bg-.rdb": false, "temp-redoubt-identity-x": false, "appendonly.aof.1.incr.aof": false,
	} {
		if got := isTempName(name, "appendonly.aof"); got != want {
			t.Errorf("isTempName(%q) = %v", name, got)
		}
	}
}
