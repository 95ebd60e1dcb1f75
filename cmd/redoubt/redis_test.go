package main

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

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/protocol"
)

// redisServer is a reference redis-server working in a directory of the
// test's.
type redisServer struct {
	t    testing.TB
	cmd  *exec.Cmd
	conn net.Conn
	r    *bufio.Reader
	done chan error
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
	s.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		s.t.Fatal(err)
	}
	v, err := protocol.ReadValue(s.r)
	if err != nil || v.Type == '-' {
		s.t.Fatalf("%q: %v %s", args, err, v.Str)
	}
	return v
}

// waitRewrite waits for the end of a BGREWRITEAOF.
func (s *redisServer) waitRewrite() {
	s.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		info := s.do("INFO", "persistence").Str
		if strings.Contains(info, "aof_rewrite_in_progress:0") && strings.Contains(info, "aof_rewrite_scheduled:0") {
			return
		}
		if time.Now().After(deadline) {
			s.t.Fatal("the rewrite does not end")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// shutdown stops the server with SHUTDOWN and waits for it to exit.
func (s *redisServer) shutdown() {
	s.t.Helper()
	s.conn.Write(protocol.AppendCommand(nil, "SHUTDOWN"))
	select {
	case err := <-s.done:
		s.done <- err
	case <-time.After(30 * time.Second):
		s.t.Fatal("redis-server does not stop")
	}
}

// redisAOFDir has the real redis-server write an AOF directory: writes of
// several kinds (a transaction, a value bigger than a read buffer, a
// timestamp per second), a rewrite, then more writes in the new
// incremental file. It returns the path of the manifest.
func redisAOFDir(t testing.TB, preamble bool) string {
	t.Helper()
	dir := t.TempDir()
	yes := map[bool]string{true: "yes", false: "no"}[preamble]
	s, log := startRedis(t, dir, "appendonly yes", "aof-timestamp-enabled yes", "aof-use-rdb-preamble "+yes)
	if s == nil {
		t.Fatal(log)
	}
	s.do("SET", "k", "v")
	s.do("RPUSH", "l", "a", "b", "c")
	s.do("HSET", "h", "f", "v", "g", "w")
	s.do("SET", "big", strings.Repeat("0123456789", 10000))
	s.do("PEXPIREAT", "k", "4102444800000")
	s.do("BGREWRITEAOF")
	s.waitRewrite()
	s.do("SET", "n", "1")
	s.do("MULTI")
	s.do("INCR", "n")
	s.do("LPUSH", "l", "z")
	s.do("EXEC")
	s.do("SADD", "s", "x", "y")
	s.do("DEL", "h")
	s.shutdown()
	return filepath.Join(dir, "appendonlydir", aof.ManifestName("appendonly.aof"))
}

// copyDir copies a directory of files.
func copyDir(t testing.TB, from string) string {
	t.Helper()
	to := t.TempDir()
	entries, err := os.ReadDir(from)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(from, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return to
}
