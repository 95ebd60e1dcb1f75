//go:build unix

package durability

// Drills of incidents 9 and 10 of the incident catalogue: each replays
// the post-mortem over TCP against the real processes, shows what Redis
// does (the incident) where the reference can be driven into it, and
// asserts what Redoubt does instead (the guardrail, package datadir)
// while it keeps Redis's replies, INFO fields and log lines.

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/protocol"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Incident 9, first half: AOF rewrites interrupted by an OOM kill leave
// their temporary files, Redis never removes them, and each new
// interrupted rewrite adds one until the disk is full. The drill kills
// redis-server (parent and rewrite child) three times in the middle of
// BGREWRITEAOF, checks that the three temporary files are still there
// when Redis runs again (the incident), then starts Redoubt on the same
// directory: it removes them, logs each, and loads the dataset.
func TestDrillIncident9StaleRewriteFiles(t *testing.T) {
	dir := t.TempDir()
	// A slow rewrite (1 ms per key) so that the kill lands inside it.
	settings := []string{"appendonly yes", "appendfsync everysec"}
	slow := append(settings, "rdb-key-save-delay 1000")
	srv := startServer(t, redisKind, dir, slow...)
	bulk := preload(t, srv)
	const rounds = 3
	for round := range rounds {
		known := tempFiles(t, dir)
		if got := string(srv.conn().Do("BGREWRITEAOF")); !strings.Contains(got, "rewriting started") {
			t.Fatalf("round %d: BGREWRITEAOF: %q", round, got)
		}
		waitNewTempFile(t, dir, known)
		child := children(t, srv.Cmd.Process.Pid)
		srv.kill()
		for _, pid := range child {
			syscall.Kill(pid, syscall.SIGKILL)
		}
		waitGone(t, child)
		srv = startServer(t, redisKind, dir, slow...)
	}
	piled := tempFiles(t, dir)
	t.Logf("after %d interrupted rewrites Redis runs with %q in its directory", rounds, piled)
	if len(piled) < rounds {
		t.Fatalf("the drill did not reproduce the incident: after %d interrupted rewrites Redis's directory holds %q", rounds, piled)
	}
	var piledBytes int64
	for _, f := range piled {
		piledBytes += fileSize(t, filepath.Join(dir, f))
	}
	srv.stop()

	ours := startServer(t, redoubtKind, dir, settings...)
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("Redoubt started with %q still in the directory", left)
	}
	logged := ours.logLines("left by an interrupted save or AOF rewrite")
	for _, f := range piled {
		if !containsSubstring(logged, filepath.Join(dir, f)) {
			t.Errorf("no log line names the removed %s; removal lines: %q", f, logged)
		}
	}
	t.Logf("Redoubt removed %d files (%d bytes) and logged: %q", len(piled), piledBytes, logged)
	checkPreloaded(t, ours, bulk)
	ours.conn().Do("BGREWRITEAOF")
	ours.waitRewriteDone()
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("after a completed rewrite %q are left", left)
	}
	ours.stop()
}

// Incident 9, second half: the disk fills while the AOF grows and
// rewrites run. On a 64 MiB volume, Redoubt refuses a rewrite and a
// snapshot that cannot fit, saying so in the log, before writing any of
// it; when the disk is full it refuses writes with Redis's MISCONF
// errors instead of leaving a short AOF, accepts them again once space
// is freed, and loses no acknowledged write across a crash.
func TestDrillIncident9DiskFull(t *testing.T) {
	dir := smallVolume(t, "64m")
	// A save point (never reached) as in production, which is what makes
	// a failed BGSAVE stop writes (stop-writes-on-bgsave-error).
	srv := startServer(t, redoubtKind, dir, "appendonly yes", "appendfsync everysec", "auto-aof-rewrite-percentage 0", "save 3600 1000000")
	// About 8 MiB of data, so that the rewrite's need is well known.
	c, err := dialRaw(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	value := strings.Repeat("v", 1024)
	var cmds [][]string
	for i := range 8000 {
		cmds = append(cmds, []string{"SET", "big:" + strconv.Itoa(i), value})
	}
	mustPipeline(t, c, cmds)
	srv.conn().Do("BGREWRITEAOF")
	srv.waitRewriteDone()

	// The disk fills (with something else, as in the post-mortem): 3 MiB
	// remain, less than a new base needs beside the old one.
	fill1 := fill(t, dir, "other-data-1", 3<<20)
	before := files(t, dir, true)
	if got := string(srv.conn().Do("BGREWRITEAOF")); got != "-ERR Can't execute an AOF background rewriting. Please check the server logs for more information.\r\n" {
		t.Errorf("BGREWRITEAOF with 3 MiB free: %q", got)
	}
	if l := srv.logLines("not enough free disk space in " + filepath.Join(dir, appendDir) + " to write the AOF base"); len(l) != 1 {
		t.Errorf("the refused rewrite logged %q, want one line saying the disk is short", srv.logLines("disk space"))
	}
	if after := files(t, dir, true); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("the refused rewrite changed the directory: %q, then %q", before, after)
	}
	if f := srv.info("persistence"); f["aof_last_bgrewrite_status"] != "err" || f["aof_rewrite_in_progress"] != "0" {
		t.Errorf("after the refused rewrite: aof_last_bgrewrite_status %s, aof_rewrite_in_progress %s", f["aof_last_bgrewrite_status"], f["aof_rewrite_in_progress"])
	}
	// Appends go on: a failed rewrite does not stop writes, as in Redis.
	acked := map[string]string{}
	write := func(k, v string) protocol.Value {
		got, err := c.do("SET", k, v)
		if err != nil {
			t.Fatal(err)
		}
		if got.Type == '+' {
			acked[k] = v
		}
		return got
	}
	for i := range 100 {
		if got := write("after-refusal:"+strconv.Itoa(i), value); got.Type != '+' {
			t.Fatalf("SET after the refused rewrite: %v", got)
		}
	}

	// The disk fills completely: the next append fails, and writes are
	// refused with Redis's MISCONF until the file can be written again.
	fill2 := fill(t, dir, "other-data-2", 0)
	var refusal protocol.Value
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; time.Now().Before(deadline); i++ {
		if got := write("full:"+strconv.Itoa(i), value); got.Type == '-' {
			refusal = got
			break
		}
	}
	if refusal.Str != "MISCONF Errors writing to the AOF file: No space left on device" {
		t.Fatalf("writes on a full disk: %q, want Redis's MISCONF refusal", refusal.Str)
	}
	if f := srv.info("persistence"); f["aof_last_write_status"] != "err" {
		t.Errorf("on a full disk aof_last_write_status is %s", f["aof_last_write_status"])
	}
	if got := write("refused", "x"); got.Type != '-' || !strings.HasPrefix(got.Str, "MISCONF") {
		t.Errorf("a write while the disk is full: %v", got)
	}
	t.Logf("full disk: %d writes acknowledged before the refusal %q", len(acked), refusal.Str)

	// Space comes back: writes are accepted again within a few seconds.
	if err := os.Remove(fill2); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if srv.info("persistence")["aof_last_write_status"] == "ok" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for i := range 100 {
		if got := write("recovered:"+strconv.Itoa(i), value); got.Type != '+' {
			t.Fatalf("SET once space is back: %v\n%s", got, srv.log())
		}
	}

	// A snapshot that cannot fit is refused before a byte is written,
	// and, as when Redis's BGSAVE fails, writes are refused while
	// stop-writes-on-bgsave-error is on (the post-mortem's symptom,
	// here caught before the disk is touched).
	before = files(t, dir, true)
	// Redis replies a bare -ERR when its BGSAVE cannot start; the reason
	// is given here too.
	if got := string(srv.conn().Do("BGSAVE")); !strings.HasPrefix(got, "-ERR not enough free disk space in "+dir+" to write the snapshot") {
		t.Errorf("BGSAVE with 3 MiB free: %q", got)
	}
	if l := srv.logLines("not enough free disk space in " + dir + " to write the snapshot"); len(l) != 1 {
		t.Errorf("the refused snapshot logged %q", srv.logLines("disk space"))
	}
	if after := files(t, dir, true); strings.Join(after, " ") != strings.Join(before, " ") {
		t.Errorf("the refused snapshot changed the directory: %q, then %q", before, after)
	}
	if got := write("after-bgsave", "x"); got.Type != '-' || !strings.HasPrefix(got.Str, "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk") {
		t.Errorf("a write after the refused BGSAVE: %v", got)
	}
	if err := os.Remove(fill1); err != nil {
		t.Fatal(err)
	}
	if got := string(srv.conn().Do("BGSAVE")); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE once space is back: %q", got)
	}
	waitSaved(t, srv)
	if got := write("after-space", value); got.Type != '+' {
		t.Errorf("a write after a successful BGSAVE: %v", got)
	}
	srv.conn().Do("BGREWRITEAOF")
	srv.waitRewriteDone()

	// Nothing acknowledged is lost, and the files are whole.
	srv.kill()
	srv = startServer(t, redoubtKind, dir, "appendonly yes", "appendfsync everysec")
	rc := srv.conn()
	missing := 0
	for k, v := range acked {
		if got := string(rc.Do("GET", k)); got != "$"+strconv.Itoa(len(v))+"\r\n"+v+"\r\n" {
			missing++
		}
	}
	t.Logf("after the crash: %d acknowledged writes checked, %d missing", len(acked), missing)
	if missing > 0 {
		t.Errorf("%d acknowledged writes lost", missing)
	}
	if got := string(rc.Do("DBSIZE")); got != ":"+strconv.Itoa(8000+len(acked))+"\r\n" {
		t.Errorf("DBSIZE after the crash: %q, want %d", got, 8000+len(acked))
	}
	srv.stop()
	if out, code := runTool(t, "", refredis.Tool(t, "redis-check-aof"), filepath.Join(dir, appendDir, manifestName)); code != 0 {
		t.Errorf("redis-check-aof on the directory: exit %d\n%s", code, out)
	}
}

// Incident 10: a new pod starts on the empty path where its volume
// should be, starts with no data, and by the time the volume's files are
// there, the next save writes the empty dataset over them. Both servers
// run the same scenario: 1000 keys saved by a clean shutdown; a server
// started on an empty directory with the same settings; the volume's
// files arrive in that directory; the pod is stopped (SIGTERM, which
// saves). Redis writes its empty snapshot over the 1000 keys (the
// incident); Redoubt refuses, keeps the file byte for byte, stays up as
// Redis does when its shutdown save fails, and after the restart that
// follows serves the 1000 keys.
func TestDrillIncident10EmptyVolume(t *testing.T) {
	for _, kind := range []string{redisKind, redoubtKind} {
		t.Run(kind, func(t *testing.T) { drill10(t, kind) })
	}
}

func drill10(t *testing.T, kind string) {
	volume, mountPoint := t.TempDir(), t.TempDir()
	settings := []string{"save 3600 1"}
	srv := startServer(t, kind, volume, settings...)
	c := srv.conn()
	for i := range 1000 {
		c.Send("SET", "key:"+strconv.Itoa(i), "value:"+strconv.Itoa(i))
	}
	for range 1000 {
		c.ReadRaw()
	}
	srv.stop()
	saved := readFile(t, filepath.Join(volume, "dump.rdb"))

	// The new pod: same settings, an empty directory.
	srv = startServer(t, kind, mountPoint, settings...)
	if got := string(srv.conn().Do("DBSIZE")); got != ":0\r\n" {
		t.Fatalf("%s on an empty directory: DBSIZE %q", kind, got)
	}
	srv.conn().Do("SET", "written-by-the-new-pod", "1")
	// The volume's files show up where the server writes.
	entries, err := os.ReadDir(volume)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := os.Rename(filepath.Join(volume, e.Name()), filepath.Join(mountPoint, e.Name())); err != nil {
			t.Fatal(err)
		}
	}
	// The rollout stops the pod.
	if err := srv.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	code, exited := srv.waitExit(5 * time.Second)
	now := readFile(t, filepath.Join(mountPoint, "dump.rdb"))

	if kind == redisKind {
		if !exited || code != 0 {
			t.Fatalf("redis-server did not exit on SIGTERM (exited %v, code %d)", exited, code)
		}
		srv = startServer(t, kind, mountPoint, settings...)
		got := string(srv.conn().Do("DBSIZE"))
		t.Logf("Redis replaced the %d-byte snapshot of 1000 keys with a %d-byte one; after the restart DBSIZE is %q", len(saved), len(now), got)
		if got == ":1000\r\n" {
			t.Fatalf("the drill did not reproduce the incident: Redis kept the 1000 keys")
		}
		return
	}

	if exited {
		t.Fatalf("Redoubt exited (code %d) after writing over the volume's snapshot\n%s", code, srv.log())
	}
	if string(now) != string(saved) {
		t.Errorf("Redoubt changed the volume's snapshot (%d bytes, was %d)", len(now), len(saved))
	}
	refused := srv.logLines("Refusing to write " + filepath.Join(mountPoint, "dump.rdb"))
	if len(refused) == 0 || !strings.Contains(srv.log(), "SIGTERM received but errors trying to shut down the server, check the logs for more information") {
		t.Errorf("Redoubt's log does not say why it did not stop:\n%s", srv.log())
	}
	t.Logf("Redoubt stayed up and logged: %q", refused)
	// A SHUTDOWN from the operator is refused the same way, with Redis's
	// reply.
	if got := string(srv.conn().Do("SHUTDOWN")); got != "-ERR Errors trying to SHUTDOWN. Check logs.\r\n" {
		t.Errorf("SHUTDOWN: %q", got)
	}
	// The orchestrator's SIGKILL, then the pod starts again on its
	// volume: everything is there.
	srv.kill()
	srv = startServer(t, kind, mountPoint, settings...)
	rc := srv.conn()
	if got := string(rc.Do("DBSIZE")); got != ":1000\r\n" {
		t.Fatalf("after the restart on the volume: DBSIZE %q\n%s", got, srv.log())
	}
	for _, i := range []int{0, 499, 999} {
		if got := string(rc.Do("GET", "key:"+strconv.Itoa(i))); got != "$"+strconv.Itoa(len("value:"+strconv.Itoa(i)))+"\r\nvalue:"+strconv.Itoa(i)+"\r\n" {
			t.Errorf("key:%d after the restart: %q", i, got)
		}
	}
	srv.stop()
}

// smallVolume mounts a tmpfs of the given size (mount's notation) on a
// new temporary directory for the test, and unmounts it at the end.
// Mounting needs root, which CI has.
func smallVolume(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size+",mode=0755", "redoubt-drill", dir).CombinedOutput(); err != nil {
		t.Fatalf("this drill needs a small volume: mounting a %s tmpfs on %s (as root, as CI runs): %v\n%s", size, dir, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v\n%s", dir, err, out)
		}
	})
	return dir
}

// fill writes a file of zeros named name in dir until only leave bytes
// remain available (0: until the disk is full), and returns its path.
func fill(t *testing.T, dir, name string, leave int64) string {
	t.Helper()
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 64<<10)
	for {
		avail, err := datadir.Available(dir)
		if err != nil {
			t.Fatal(err)
		}
		n := min(avail-leave, int64(len(chunk)))
		if leave > 0 && n <= 0 {
			return path
		}
		if n <= 0 {
			n = int64(len(chunk))
		}
		if _, err := f.Write(chunk[:n]); err != nil {
			if errors.Is(err, syscall.ENOSPC) {
				return path
			}
			t.Fatal(err)
		}
	}
}

// waitNewTempFile waits until dir holds a temporary file, not one of
// known, with data in it: a rewrite child is writing it.
func waitNewTempFile(t *testing.T, dir string, known []string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		for _, name := range tempFiles(t, dir) {
			// The writer may rename it meanwhile: a failed stat is
			// looked at again.
			if st, err := os.Stat(filepath.Join(dir, name)); err == nil && st.Size() > 0 && !contains(known, name) {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("no new rewrite temporary file appeared in %s: %q", dir, listDir(t, dir))
}

// children lists the child processes of pid (a forked rewrite).
func children(t *testing.T, pid int) []int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

// waitGone waits until the processes have died, so that their PIDs name
// no live process when a server looks at their files.
func waitGone(t *testing.T, pids []int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for _, pid := range pids {
		for syscall.Kill(pid, 0) == nil {
			if time.Now().After(deadline) {
				t.Fatalf("process %d still alive", pid)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// waitSaved waits for the running BGSAVE to end and fails the test
// unless it succeeded.
func waitSaved(t *testing.T, srv *server) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if f := srv.info("persistence"); f["rdb_bgsave_in_progress"] == "0" {
			if f["rdb_last_bgsave_status"] != "ok" {
				t.Fatalf("BGSAVE failed\n%s", srv.log())
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("BGSAVE still running after 30 s")
}

func mustPipeline(t *testing.T, c *rawClient, cmds [][]string) {
	t.Helper()
	replies, err := c.pipeline(cmds)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range replies {
		if v.Type == '-' {
			t.Fatalf("%q: %s", cmds[i], v.Str)
		}
	}
}

func containsSubstring(lines []string, s string) bool {
	for _, l := range lines {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}
