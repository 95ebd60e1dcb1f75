package durability

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A crash in the middle of BGREWRITEAOF: the rewrite is slowed down
// (rdb-key-save-delay, a hidden setting, sleeps per key of its walk),
// clients write while it runs, and the server is killed while INFO says
// aof_rewrite_in_progress:1. The directory must load with every
// acknowledged write, the half-written base must not be left behind,
// and a rewrite after the restart must end with a clean directory.

const (
	bulkKeys = 3000
	bulkDB   = "1" // the preloaded keys; the writers use db 0
)

func TestRewriteInterrupted(t *testing.T) {
	kills := []time.Duration{300 * time.Millisecond, 1500 * time.Millisecond}
	if testing.Short() {
		kills = kills[:1]
	}
	for _, d := range kills {
		t.Run("kill-after-"+d.String(), func(t *testing.T) { rewriteInterrupted(t, d) })
	}
}

func rewriteInterrupted(t *testing.T, d time.Duration) {
	dir := t.TempDir()
	settings := []string{"appendonly yes", "appendfsync always"}
	srv := startServer(t, redoubtKind, dir, append(settings, "rdb-key-save-delay 1000")...)
	bulk := preload(t, srv)
	if got := string(srv.conn().Do("BGREWRITEAOF")); !strings.Contains(got, "rewriting started") {
		t.Fatalf("BGREWRITEAOF: %q", got)
	}
	var during []string
	ws, killed := crashRound(t, srv, 0, d, func() {
		if f := srv.info("persistence"); f["aof_rewrite_in_progress"] != "1" {
			t.Fatalf("the rewrite ended before the kill (%v): the walk is not slowed enough", f)
		}
		during = listDir(t, dir)
	})
	acked := 0
	for _, w := range ws {
		acked += len(w.acks)
	}
	t.Logf("killed %v into the rewrite, with %d writes acknowledged meanwhile; the directory held %q", d, acked, during)
	t.Logf("manifest at the kill: %s", manifestOf(t, dir))

	srv = startServer(t, redoubtKind, dir, settings...)
	res := verifyWriters(t, srv, ws, map[int]time.Time{0: killed}, 0)
	t.Logf("after the restart: %d acknowledged writes checked, %d missing; %d preloaded keys checked", res.acked, res.lost, len(bulk))
	checkPreloaded(t, srv, bulk)
	// The start-up clean-up (package datadir) removed what the
	// interrupted rewrite left.
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("after the restart the temporary files of the interrupted rewrite are still there: %q (all files: %q)", left, listDir(t, dir))
	}

	// A rewrite that completes replaces every part the crash left.
	srv.conn().Do("BGREWRITEAOF")
	srv.waitRewriteDone()
	srv.stop()
	var kinds []string
	for _, e := range readManifest(t, dir) {
		kinds = append(kinds, e.typ)
	}
	if strings.Join(kinds, "") != "bi" {
		t.Errorf("after a completed rewrite the manifest is %s, want a base and one incremental file", manifestOf(t, dir))
	}
	named := map[string]bool{appendDir + "/" + manifestName: true}
	for _, e := range readManifest(t, dir) {
		named[appendDir+"/"+e.name] = true
	}
	for _, f := range listDir(t, dir) {
		if !named[f] && !strings.HasPrefix(f, "temp-") {
			t.Errorf("after a completed rewrite %s is left, which the manifest does not name (%s)", f, manifestOf(t, dir))
		}
	}
	srv = startServer(t, redoubtKind, dir, settings...)
	verifyWriters(t, srv, ws, map[int]time.Time{0: killed}, 0)
	checkPreloaded(t, srv, bulk)
	srv.stop()
}

// preload writes bulkKeys keys of every type to bulkDB, pipelined, and
// returns the acknowledged state of each as "key: value".
func preload(t *testing.T, srv *server) map[string]string {
	t.Helper()
	c, err := dialRaw(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	cmds := [][]string{{"SELECT", bulkDB}}
	want := map[string]string{}
	for i := range bulkKeys {
		k := "bulk:" + strconv.Itoa(i)
		switch i % 4 {
		case 0:
			cmds = append(cmds, []string{"SET", k, strings.Repeat("x", i%100)})
		case 1:
			cmds = append(cmds, []string{"HSET", k, "f", strconv.Itoa(i)})
		case 2:
			cmds = append(cmds, []string{"RPUSH", k, "a", strconv.Itoa(i)})
		default:
			cmds = append(cmds, []string{"ZADD", k, strconv.Itoa(i), "m"})
		}
		want[k] = bulkValue(i)
	}
	replies, err := c.pipeline(cmds)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range replies {
		if v.Type == '-' {
			t.Fatalf("%q: %s", cmds[i], v.Str)
		}
	}
	return want
}

// bulkValue is key i's value as checkPreloaded reads it.
func bulkValue(i int) string {
	switch i % 4 {
	case 0:
		return strconv.Quote(strings.Repeat("x", i%100))
	case 1:
		return fmt.Sprintf("[\"f\", %q]", strconv.Itoa(i))
	case 2:
		return fmt.Sprintf("[\"a\", %q]", strconv.Itoa(i))
	}
	return fmt.Sprintf("[\"m\", %q]", strconv.Itoa(i))
}

func checkPreloaded(t *testing.T, srv *server, want map[string]string) {
	t.Helper()
	c, err := dialRaw(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	cmds := [][]string{{"SELECT", bulkDB}}
	var keys []string
	for i := range bulkKeys {
		k := "bulk:" + strconv.Itoa(i)
		keys = append(keys, k)
		switch i % 4 {
		case 0:
			cmds = append(cmds, []string{"GET", k})
		case 1:
			cmds = append(cmds, []string{"HGETALL", k})
		case 2:
			cmds = append(cmds, []string{"LRANGE", k, "0", "-1"})
		default:
			cmds = append(cmds, []string{"ZRANGE", k, "0", "-1", "WITHSCORES"})
		}
	}
	cmds = append(cmds, []string{"DBSIZE"})
	replies, err := c.pipeline(cmds)
	if err != nil {
		t.Fatal(err)
	}
	bad := 0
	for i, k := range keys {
		if got := replies[i+1].String(); got != want[k] && bad < 10 {
			bad++
			t.Errorf("db %s %s = %s, want %s", bulkDB, k, got, want[k])
		}
	}
	if n := replies[len(replies)-1].Int; n != bulkKeys {
		t.Errorf("db %s holds %d keys, want %d", bulkDB, n, bulkKeys)
	}
}

// A crash during BGSAVE with the AOF on: the AOF has everything, and the
// snapshot's temporary file must not outlive the crash either.
func TestBGSAVEInterrupted(t *testing.T) {
	dir := t.TempDir()
	settings := []string{"appendonly yes", "appendfsync always"}
	srv := startServer(t, redoubtKind, dir, append(settings, "rdb-key-save-delay 1000")...)
	bulk := preload(t, srv)
	if got := string(srv.conn().Do("BGSAVE")); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", got)
	}
	var during []string
	ws, killed := crashRound(t, srv, 0, 300*time.Millisecond, func() {
		if f := srv.info("persistence"); f["rdb_bgsave_in_progress"] != "1" {
			t.Fatalf("BGSAVE ended before the kill (%v): the walk is not slowed enough", f)
		}
		during = listDir(t, dir)
	})
	t.Logf("killed during BGSAVE; the directory held %q", during)
	srv = startServer(t, redoubtKind, dir, settings...)
	res := verifyWriters(t, srv, ws, map[int]time.Time{0: killed}, 0)
	checkPreloaded(t, srv, bulk)
	t.Logf("after the restart: %d acknowledged writes checked, %d missing; %d preloaded keys checked", res.acked, res.lost, len(bulk))
	// Removed at start-up, as in TestRewriteInterrupted.
	if left := tempFiles(t, dir); len(left) > 0 {
		t.Errorf("after the restart the temporary file of the interrupted BGSAVE is still there: %q", left)
	}
	srv.stop()
}
