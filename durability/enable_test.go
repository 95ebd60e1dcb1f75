package durability

import (
	"testing"
	"time"
)

// Switching the AOF on at run time (CONFIG SET appendonly yes) starts a
// rewrite that makes the first base; meanwhile commands go to a
// temporary incremental file that becomes incr 1 when the rewrite ends.
// Once it has ended, everything acknowledged (before the switch, during
// the rewrite, after it) is in the AOF: a crash then loses nothing under
// appendfsync always.
func TestCrashAfterEnablingAOF(t *testing.T) {
	dir := t.TempDir()
	srv := startServer(t, redoubtKind, dir, "appendonly no", "appendfsync always", "rdb-key-save-delay 200")
	bulk := preload(t, srv)
	if got := string(srv.conn().Do("CONFIG", "SET", "appendonly", "yes")); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET appendonly yes: %q", got)
	}
	var during bool
	var files []string
	ws, killed := crashRound(t, srv, 0, 100*time.Millisecond, func() {
		// The writers run during the rewrite, then a while after it.
		during = srv.info("persistence")["aof_rewrite_in_progress"] == "1"
		srv.waitRewriteDone()
		time.Sleep(300 * time.Millisecond)
		files = listDir(t, dir)
	})
	if !during {
		t.Errorf("the first rewrite had ended before the writers ran 100 ms: it is not slowed enough to test writes made during it")
	}
	t.Logf("the directory at the kill: %q", files)
	srv = startServer(t, redoubtKind, dir, "appendonly yes", "appendfsync always")
	res := verifyWriters(t, srv, ws, map[int]time.Time{0: killed}, 0)
	t.Logf("after the restart: %d acknowledged writes checked, %d missing; %d preloaded keys checked", res.acked, res.lost, len(bulk))
	checkPreloaded(t, srv, bulk)
	srv.stop()
}
