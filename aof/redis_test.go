package aof

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// The reference Redis is Debian's redis-server 7.0: a test that needs it
// fails, never skips, when it is missing.

// redisServer is a reference redis-server the test started, working in
// its own directory.
type redisServer struct {
	t    testing.TB
	cmd  *exec.Cmd
	conn net.Conn
	r    *bufio.Reader
	dir  string
	log  string
	done chan error
}

func toolPath(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("the reference %s is not installed (apt-get install redis-server redis-tools): %v", name, err)
	}
	return p
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startRedis starts redis-server in dir with settings ("name value") on a
// free loopback port, or returns nil and its log if it exits first (a
// refused file, for one). It makes sure the server it talks to is the one
// it started: another test may take the port first.
func startRedis(t testing.TB, dir string, settings ...string) (*redisServer, string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		s, log, retry := tryStartRedis(t, dir, settings...)
		if !retry || attempt == 5 {
			return s, log
		}
	}
}

func tryStartRedis(t testing.TB, dir string, settings ...string) (*redisServer, string, bool) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	logf := filepath.Join(t.TempDir(), "redis.log")
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--logfile", logf}
	for _, kv := range settings {
		name, val, _ := strings.Cut(kv, " ")
		args = append(args, "--"+name, val)
	}
	s := &redisServer{t: t, cmd: exec.Command(toolPath(t, "redis-server"), args...), done: make(chan error, 1)}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	t.Cleanup(func() {
		s.cmd.Process.Kill()
		<-s.done
		if s.conn != nil {
			s.conn.Close()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			s.conn, s.r = c, bufio.NewReader(c)
			if strings.Contains(s.do("INFO", "server").Str, fmt.Sprintf("process_id:%d\r\n", s.cmd.Process.Pid)) {
				return s, "", false
			}
			c.Close()
			s.conn = nil
		}
		select {
		case <-s.done:
			s.done <- nil // for the clean-up
			out, _ := os.ReadFile(logf)
			return nil, string(out), strings.Contains(string(out), "Address already in use")
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("redis-server did not start")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *redisServer) do(args ...string) protocol.Value {
	s.t.Helper()
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(AppendCommand(nil, b...)); err != nil {
		s.t.Fatal(err)
	}
	v, err := protocol.ReadValue(s.r)
	if err != nil {
		s.t.Fatalf("%q: %v", args, err)
	}
	if v.Type == '-' {
		s.t.Fatalf("%q: %s", args, v.Str)
	}
	return v
}

// info returns a field of INFO persistence.
func (s *redisServer) info(field string) string {
	for _, line := range strings.Split(s.do("INFO", "persistence").Str, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	s.t.Fatalf("no %s in INFO", field)
	return ""
}

// rewrite runs BGREWRITEAOF and waits for its end.
func (s *redisServer) rewrite() {
	s.t.Helper()
	s.do("BGREWRITEAOF")
	deadline := time.Now().Add(30 * time.Second)
	for s.info("aof_rewrite_in_progress") != "0" || s.info("aof_rewrite_scheduled") != "0" {
		if time.Now().After(deadline) {
			s.t.Fatal("the rewrite does not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.info("aof_last_bgrewrite_status"); st != "ok" {
		s.t.Fatalf("rewrite status %s", st)
	}
}

// shutdown stops the server as SHUTDOWN does and waits for its exit.
func (s *redisServer) shutdown() {
	s.t.Helper()
	b := AppendCommand(nil, []byte("SHUTDOWN"))
	s.conn.Write(b)
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(30 * time.Second):
		s.t.Fatal("redis-server does not stop")
	}
}
