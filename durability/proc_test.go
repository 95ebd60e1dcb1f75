package durability

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/proctest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// A server is a redoubt-server or redis-server process the test started
// on a free loopback port, over a data directory of the test's choosing,
// so that the test can kill it, restart it on the same directory, or
// hand the directory to the other server.
type server struct {
	*proctest.Proc
	t    testing.TB
	kind string // "redoubt" or "redis"
	dir  string
	addr string
}

const (
	redoubtKind = "redoubt"
	redisKind   = "redis"
)

// startServer starts a server on dir and waits until it answers PING
// (after loading), failing the test if it does not come up. settings are
// redis.conf directives, "name value".
func startServer(t testing.TB, kind, dir string, settings ...string) *server {
	t.Helper()
	s := launch(t, kind, dir, settings...)
	if err := s.waitReady(); err != nil {
		t.Fatalf("%s on %s did not start: %v\n%s", kind, dir, err, s.log())
	}
	return s
}

// launch starts the process without waiting for it to be ready (a test
// that expects it to refuse to start waits for its exit instead).
func launch(t testing.TB, kind, dir string, settings ...string) *server {
	t.Helper()
	bin := serverBin
	if kind == redisKind {
		bin = refredis.Tool(t, "redis-server")
	}
	port := difftest.FreePort(t)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "",
		"--enable-debug-command", "yes"}
	for _, s := range settings {
		name, val, _ := strings.Cut(s, " ")
		args = append(args, "--"+name, val)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	// The log stays out of the data directory, whose listing tests compare.
	logPath := filepath.Join(t.TempDir(), kind+".log")
	return &server{Proc: proctest.Start(t, bin, args, addr, logPath), t: t, kind: kind, dir: dir, addr: addr}
}

// waitReady waits until the server answers PING with PONG: it listens
// and has loaded its data (a server loading answers -LOADING).
func (s *server) waitReady() error { return s.WaitReady(60 * time.Second) }

// waitExit waits for the process to end by itself and returns its exit
// code (-1 when a signal ended it).
func (s *server) waitExit(timeout time.Duration) (int, bool) { return s.WaitExit(timeout) }

// kill ends the process with SIGKILL, a crash: no shutdown code runs.
func (s *server) kill() {
	s.t.Helper()
	if err := s.Cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Fatalf("kill -9 %s: %v", s.kind, err)
	}
	<-s.Exited
}

// stop shuts the server down cleanly (SIGTERM, as an init system does)
// and fails the test unless it exits with 0.
func (s *server) stop() {
	s.t.Helper()
	if err := s.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("SIGTERM %s: %v", s.kind, err)
	}
	code, ok := s.waitExit(30 * time.Second)
	if !ok {
		s.t.Fatalf("%s did not exit within 30 s of SIGTERM\n%s", s.kind, s.log())
	}
	if code != 0 {
		s.t.Fatalf("%s exited with %d after SIGTERM\n%s", s.kind, code, s.log())
	}
}

// log is what the server has logged so far.
func (s *server) log() string { return s.Log() }

// logLines returns the messages of the log lines containing substr,
// without Redis's "pid:role date time level " prefix, so that two
// servers' lines compare.
func (s *server) logLines(substr string) []string {
	var out []string
	for _, l := range strings.Split(s.log(), "\n") {
		if !strings.Contains(l, substr) {
			continue
		}
		// "123:M 04 Dec 2026 15:57:27.972 * message"
		if f := strings.SplitN(l, " ", 7); len(f) == 7 && strings.Contains(f[0], ":") {
			l = f[6]
		}
		out = append(out, l)
	}
	return out
}

// conn opens a connection for the test.
func (s *server) conn() *difftest.Conn {
	s.t.Helper()
	return difftest.Dial(s.t, s.addr)
}

// info returns the fields of an INFO section.
func (s *server) info(section string) map[string]string {
	s.t.Helper()
	c := s.conn()
	defer c.Close()
	return difftest.InfoFields(s.t, c, section)
}

// waitRewriteDone waits until no AOF rewrite is in progress or
// scheduled, and fails the test if the last one failed.
func (s *server) waitRewriteDone() {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		f := s.info("persistence")
		if f["aof_rewrite_in_progress"] == "0" && f["aof_rewrite_scheduled"] == "0" {
			if f["aof_last_bgrewrite_status"] != "ok" {
				s.t.Fatalf("%s: AOF rewrite failed\n%s", s.kind, s.log())
			}
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("%s: AOF rewrite still running after 60 s", s.kind)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
