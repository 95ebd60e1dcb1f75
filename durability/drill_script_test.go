package durability

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Incident 4 of the incident catalogue: a script that wrote and then
// looped (a `while true do end` after a SET) made Redis unusable until a
// restart: every client got BUSY, SCRIPT KILL answered UNKILLABLE, and
// SHUTDOWN NOSAVE, the only way out, lost every write since the last
// save. The drill runs the script on both servers with the AOF on
// (appendfsync always) and a 200 ms busy-reply-threshold:
//
//   - both answer another client BUSY within the threshold and keep
//     serving it promptly while the script loops;
//   - Redis answers SCRIPT KILL with UNKILLABLE (the incident) and is
//     stopped with SHUTDOWN NOSAVE;
//   - Redoubt kills the script, puts the key back to its old value, keeps
//     serving without a restart, and its AOF holds nothing of the script.
func TestDrillIncident4UnkillableScript(t *testing.T) {
	for _, kind := range []string{redisKind, redoubtKind} {
		t.Run(kind, func(t *testing.T) { drill4(t, kind) })
	}
}

func drill4(t *testing.T, kind string) {
	dir := t.TempDir()
	srv := startServer(t, kind, dir, "appendonly yes", "appendfsync always", "busy-reply-threshold 200")
	c := srv.conn()
	c.Do("SET", "balance", "100")
	c.Do("SET", "untouched", "1")

	looper := srv.conn()
	looper.Send("EVAL", "redis.call('set', KEYS[1], '0') redis.call('incr', 'created') while true do end", "1", "balance")
	started := time.Now()

	// Another client: BUSY once the threshold passed, and promptly.
	other := srv.conn()
	var busyAfter time.Duration
	for {
		t0 := time.Now()
		reply := string(other.Do("GET", "untouched"))
		if rt := time.Since(t0); rt > 100*time.Millisecond {
			t.Logf("%s: a reply took %v while the script ran", kind, rt)
		}
		if strings.HasPrefix(reply, "-BUSY ") {
			busyAfter = time.Since(started)
			break
		}
		if time.Since(started) > 5*time.Second {
			t.Fatalf("%s: no BUSY after 5s (last reply %q)", kind, reply)
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("%s: BUSY after %v", kind, busyAfter.Round(time.Millisecond))
	if busyAfter > 2*time.Second {
		t.Errorf("%s: BUSY only after %v", kind, busyAfter)
	}
	for range 20 {
		if reply := string(other.Do("PING")); !strings.HasPrefix(reply, "-BUSY ") {
			t.Fatalf("%s: PING during the busy script: %q", kind, reply)
		}
	}

	kill := string(other.Do("SCRIPT", "KILL"))
	if kind == redisKind {
		if !strings.HasPrefix(kill, "-UNKILLABLE ") {
			t.Fatalf("redis-server: SCRIPT KILL answered %q, want UNKILLABLE", kill)
		}
		t.Logf("redis-server: %s", strings.TrimSpace(kill))
		other.Send("SHUTDOWN", "NOSAVE")
		if _, exited := srv.waitExit(10 * time.Second); !exited {
			t.Fatal("redis-server did not exit on SHUTDOWN NOSAVE")
		}
		return
	}

	if kill != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", kill)
	}
	reply := string(looper.ReadRaw())
	if !strings.Contains(reply, "rolled back") {
		t.Errorf("the killed script's caller got %q", reply)
	}
	for _, kv := range [][2]string{{"balance", "$3\r\n100\r\n"}, {"created", "$-1\r\n"}, {"untouched", "$1\r\n1\r\n"}} {
		if got := string(c.Do("GET", kv[0])); got != kv[1] {
			t.Errorf("after the kill, GET %s: %q, want %q", kv[0], got, kv[1])
		}
	}
	// It serves without a restart, the script's writes included.
	if got := string(c.Do("EVAL", "return redis.call('incr', KEYS[1])", "1", "balance")); got != ":101\r\n" {
		t.Errorf("a script after the kill: %q", got)
	}
	aof := aofText(t, filepath.Join(dir, "appendonlydir"))
	if strings.Contains(aof, "created") || strings.Contains(aof, "balance\r\n$1\r\n0\r\n") {
		t.Errorf("the AOF holds the killed script's writes:\n%q", aof)
	}
	if !strings.Contains(aof, "incr") && !strings.Contains(aof, "INCR") {
		t.Errorf("the AOF lacks the later script's INCR:\n%q", aof)
	}
	srv.stop()
	// And the AOF loads back into the same dataset.
	srv = startServer(t, kind, dir, "appendonly yes")
	if got := string(srv.conn().Do("GET", "balance")); got != "$3\r\n101\r\n" {
		t.Errorf("after a restart, GET balance: %q", got)
	}
}

// aofText is the content of every incremental file of an AOF directory.
func aofText(t *testing.T, dir string) string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range entries {
		if strings.Contains(e.Name(), ".incr.") {
			data, err := os.ReadFile(filepath.Join(dir, e.Name()))
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
	}
	return b.String()
}
