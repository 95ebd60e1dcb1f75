// Package refredis starts the reference redis-server (and finds the
// reference redis-tools) for tests that have Redis write or read files:
// AOF directories, RDB files, rewrites. The reference is Debian's Redis
// 7.0: a test that needs it fails, never skips, when it is missing. It
// imports nothing of Redoubt's but protocol, so that the tests of any
// package, the file formats' own included, can use it.
package refredis

import (
	"bufio"
	"fmt"
	"math/rand/v2"
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

// Tool finds a reference program (redis-server, redis-check-aof, ...),
// failing the test if it is not installed.
func Tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("the reference %s is not installed (apt-get install redis-server redis-tools): %v", name, err)
	}
	return p
}

// FreePort returns a TCP port free on the loopback interface. It draws
// from 20000-32767, below Linux's ephemeral range: a port the kernel
// hands out for "port 0" is soon handed out again, to another test
// binary running beside this one (go test runs packages in parallel),
// and two tests whose servers took turns on one port would each talk to
// the other's. A random draw from a range the kernel does not use makes
// that a one-in-thousands event, which the starters check for (Start by
// the process id INFO gives, difftest.StartRedis by the server's log).
func FreePort(t testing.TB) int {
	t.Helper()
	for range 100 {
		port := 20000 + rand.IntN(12768)
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		l.Close()
		return port
	}
	t.Fatal("no free port in 20000-32767")
	return 0
}

// Server is a reference redis-server a test started, working in a
// directory of the test's, with a connection open to it.
type Server struct {
	t       testing.TB
	cmd     *exec.Cmd
	conn    net.Conn
	r       *bufio.Reader
	done    chan error
	addr    string
	logPath string
}

// Start starts redis-server in dir with settings (redis.conf lines, "name
// value") on a free loopback port, with no save points, or returns nil
// and its log if it exits first (a refused file, for one). It makes sure
// the server it talks to is the one it started: another test may take the
// port first. The server is killed when the test ends, or with the test
// binary where the system can do that (see DieWithParent).
func Start(t testing.TB, dir string, settings ...string) (*Server, string) {
	t.Helper()
	for attempt := 0; ; attempt++ {
		s, log, retry := tryStart(t, dir, settings...)
		if !retry || attempt == 5 {
			return s, log
		}
	}
}

func tryStart(t testing.TB, dir string, settings ...string) (*Server, string, bool) {
	t.Helper()
	port := FreePort(t)
	logf := filepath.Join(t.TempDir(), "redis.log")
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--dir", dir, "--logfile", logf}
	for _, kv := range settings {
		name, val, _ := strings.Cut(kv, " ")
		args = append(args, "--"+name, val)
	}
	s := &Server{t: t, cmd: exec.Command(Tool(t, "redis-server"), args...), done: make(chan error, 1),
		addr: fmt.Sprintf("127.0.0.1:%d", port), logPath: logf}
	s.cmd.SysProcAttr = DieWithParent()
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
		if c, err := net.Dial("tcp", s.addr); err == nil {
			s.conn, s.r = c, bufio.NewReader(c)
			// A server that refuses its files exits while loading, and
			// may reset a connection it accepted: not a failure here.
			if v, err := s.try("INFO", "server"); err == nil && strings.Contains(v.Str, fmt.Sprintf("process_id:%d\r\n", s.cmd.Process.Pid)) {
				// Redis answers INFO while it loads its files; the
				// server has started once loading is over (a file it
				// refuses ends the process instead).
				if s.loaded() {
					return s, "", false
				}
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

// try sends a command and reads its reply, with no test failure on a
// connection error.
func (s *Server) try(args ...string) (protocol.Value, error) {
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		return protocol.Value{}, err
	}
	return protocol.ReadValue(s.r)
}

// loaded waits for the server's loading to end: false if the connection
// fails first.
func (s *Server) loaded() bool {
	for {
		v, err := s.try("INFO", "persistence")
		if err != nil {
			return false
		}
		if strings.Contains(v.Str, "loading:0\r\n") {
			return true
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ExitsWithin reports whether the server's process ends within d, with
// its log: a server that refuses its files may still have answered a
// command or two while it read them.
func (s *Server) ExitsWithin(d time.Duration) (log string, exited bool) {
	select {
	case err := <-s.done:
		s.done <- err // for the clean-up
		out, _ := os.ReadFile(s.logPath)
		return string(out), true
	case <-time.After(d):
		return "", false
	}
}

// Addr is the server's address.
func (s *Server) Addr() string { return s.addr }

// Do sends a command and returns its reply, failing the test on an error
// reply.
func (s *Server) Do(args ...string) protocol.Value {
	s.t.Helper()
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		s.t.Fatalf("redis: %v", err)
	}
	v, err := protocol.ReadValue(s.r)
	if err != nil {
		s.t.Fatalf("redis: reading the reply to %q: %v", args, err)
	}
	if v.Type == '-' {
		s.t.Fatalf("redis: %q: %s", args, v.Str)
	}
	return v
}

// Info returns a field of INFO persistence.
func (s *Server) Info(field string) string {
	s.t.Helper()
	info := s.Do("INFO", "persistence").Str
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			return v
		}
	}
	s.t.Fatalf("redis: no %s in INFO persistence:\n%s", field, info)
	return ""
}

// Rewrite runs BGREWRITEAOF, waits for its end and fails the test unless
// it succeeded. The manifest names the new base file before the server
// reaps the rewrite, which is when both flags drop.
func (s *Server) Rewrite() {
	s.t.Helper()
	s.Do("BGREWRITEAOF")
	deadline := time.Now().Add(30 * time.Second)
	for s.Info("aof_rewrite_in_progress") != "0" || s.Info("aof_rewrite_scheduled") != "0" {
		if time.Now().After(deadline) {
			s.t.Fatal("redis: the AOF rewrite does not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if st := s.Info("aof_last_bgrewrite_status"); st != "ok" {
		s.t.Fatalf("redis: the AOF rewrite ended with status %s", st)
	}
}

// Shutdown stops the server with SHUTDOWN and waits for its exit.
func (s *Server) Shutdown() {
	s.t.Helper()
	s.conn.Write(protocol.AppendCommand(nil, "SHUTDOWN"))
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(30 * time.Second):
		s.t.Fatal("redis-server does not stop")
	}
}
