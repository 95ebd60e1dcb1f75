//go:build linux

package durability

import (
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"
)

// Writes to the AOF that fail. The server's file size limit
// (RLIMIT_FSIZE, set from outside with prlimit) makes the incremental
// file's writes fail with EFBIG once it reaches a size, without root and
// without filling a disk. Go ignores the SIGXFSZ that comes with it, so
// the server sees the error, as it would see a full disk.
//
//   - appendfsync always: the promise is broken, so the server must exit,
//     and everything it acknowledged must be in the file.
//   - everysec: the server refuses writes with MISCONF while the file
//     cannot be written, keeps what it acknowledged in memory, and writes
//     it once the limit is lifted; a crash after that loses nothing.

const fsizeLimit = 2 << 20

// setFileSizeLimit sets the soft RLIMIT_FSIZE of process pid (the hard
// limit stays, so lifting it needs no privilege).
func setFileSizeLimit(t *testing.T, pid int, soft uint64) {
	t.Helper()
	var old syscall.Rlimit
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, 0, uintptr(unsafe.Pointer(&old)), 0, 0); e != 0 {
		t.Fatalf("prlimit: %v", e)
	}
	lim := syscall.Rlimit{Cur: min(soft, old.Max), Max: old.Max}
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), syscall.RLIMIT_FSIZE, uintptr(unsafe.Pointer(&lim)), 0, 0, 0); e != 0 {
		t.Fatalf("prlimit: %v", e)
	}
}

const unlimited = ^uint64(0)

// startLimitedWriters runs crash writers until the server dies or
// refuses them all.
func startLimitedWriters(addr string) ([]*crashWriter, func()) {
	ws := make([]*crashWriter, crashClients)
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &crashWriter{id: i, applied: -1}
		wg.Add(1)
		go func(w *crashWriter) {
			defer wg.Done()
			w.run(addr)
		}(ws[i])
	}
	return ws, wg.Wait
}

func TestAOFWriteErrorAlways(t *testing.T) {
	dir := t.TempDir()
	settings := []string{"appendonly yes", "appendfsync always"}
	srv := startServer(t, redoubtKind, dir, settings...)
	setFileSizeLimit(t, srv.Cmd.Process.Pid, fsizeLimit)
	ws, wait := startLimitedWriters(srv.addr)
	code, exited := srv.waitExit(60 * time.Second)
	if !exited {
		srv.kill()
		wait()
		t.Fatalf("appendfsync always: the server still runs 60 s after its AOF reached the file size limit; the incremental file is %d bytes\n%s",
			fileSize(t, lastIncr(t, dir)), srv.log())
	}
	wait()
	died := time.Now()
	if code == 0 {
		t.Errorf("appendfsync always: the server exited with 0 after a failed AOF write")
	}
	const msg = "Can't recover from AOF write error when the AOF fsync policy is 'always'"
	if len(srv.logLines(msg)) == 0 {
		t.Errorf("the log lacks %q:\n%s", msg, srv.log())
	}
	acked := 0
	for _, w := range ws {
		acked += len(w.acks)
		if w.fault != "" || w.refused != "" {
			t.Errorf("client %d: %s%s", w.id, w.fault, w.refused)
		}
	}
	t.Logf("the server exited (code %d) with %s at %d bytes, after acknowledging %d writes", code, filepath.Base(lastIncr(t, dir)), fileSize(t, lastIncr(t, dir)), acked)
	srv = startServer(t, redoubtKind, dir, settings...)
	res := verifyWriters(t, srv, ws, map[int]time.Time{0: died}, 0)
	t.Logf("after the restart: %d acknowledged writes checked, %d missing", res.acked, res.lost)
	srv.stop()
}

func TestAOFWriteErrorEverysec(t *testing.T) {
	dir := t.TempDir()
	settings := []string{"appendonly yes", "appendfsync everysec"}
	srv := startServer(t, redoubtKind, dir, settings...)
	setFileSizeLimit(t, srv.Cmd.Process.Pid, fsizeLimit)
	ws, wait := startLimitedWriters(srv.addr)
	// Every writer ends on MISCONF once the file cannot grow.
	done := make(chan struct{})
	go func() { wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		srv.kill()
		<-done
		t.Fatalf("everysec: writes were still accepted 60 s after the AOF reached the file size limit")
	}
	acked, refused := 0, 0
	for _, w := range ws {
		acked += len(w.acks)
		if w.refused != "" {
			refused++
		}
		if w.fault != "" {
			t.Errorf("client %d: %s", w.id, w.fault)
		}
	}
	if refused != len(ws) {
		t.Fatalf("everysec: %d of %d writers were refused with MISCONF; the server:\n%s", refused, len(ws), srv.log())
	}
	f := srv.info("persistence")
	t.Logf("everysec: %d writes acknowledged, then MISCONF (%q); aof_last_write_status:%s, %s at %d bytes",
		acked, ws[0].refused, f["aof_last_write_status"], filepath.Base(lastIncr(t, dir)), fileSize(t, lastIncr(t, dir)))
	if f["aof_last_write_status"] != "err" {
		t.Errorf("aof_last_write_status:%s while writes are refused", f["aof_last_write_status"])
	}
	// Lifted: what was acknowledged and kept in memory is written, and
	// writes are accepted again.
	setFileSizeLimit(t, srv.Cmd.Process.Pid, unlimited)
	deadline := time.Now().Add(30 * time.Second)
	for srv.info("persistence")["aof_last_write_status"] != "ok" {
		if time.Now().After(deadline) {
			t.Fatalf("the AOF write error was not cleared 30 s after the limit was lifted\n%s", srv.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := string(srv.conn().Do("SET", "after-recovery", "1")); got != "+OK\r\n" {
		t.Errorf("SET after the recovery: %q", got)
	}
	const solved = "AOF write error looks solved"
	if len(srv.logLines(solved)) == 0 {
		t.Errorf("the log lacks %q", solved)
	}
	// A crash now loses nothing that was acknowledged.
	killed := time.Now()
	srv.kill()
	srv = startServer(t, redoubtKind, dir, settings...)
	c := srv.conn()
	if got := string(c.Do("DEL", "after-recovery")); got != ":1\r\n" {
		t.Errorf("the write acknowledged after the recovery is missing (DEL: %q)", got)
	}
	res := verifyWriters(t, srv, ws, map[int]time.Time{0: killed}, 0)
	t.Logf("after a crash and a restart: %d acknowledged writes checked, %d missing", res.acked, res.lost)
	srv.stop()
}
