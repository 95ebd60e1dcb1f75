// Package aoftest compares Redoubt's AOF rewrite with Redis's: it has the
// reference redis-server rewrite its append-only file as commands
// (aof-use-rdb-preamble no), runs the same commands in process, and
// compares what each wrote for each key. Like difftest, it fails, never
// skips, when redis-server is missing. It does not import the server, so
// that the tests of a data type build with the type alone.
package aoftest

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// RedisRewrite starts the reference redis-server with appendonly yes and
// aof-use-rdb-preamble no (then settings, redis.conf lines), runs script,
// failing on an error reply, has it rewrite its AOF with BGREWRITEAOF and
// returns the base file the rewrite made. The server is stopped and its
// directory removed when the test ends.
func RedisRewrite(t testing.TB, script [][]string, settings ...string) []byte {
	t.Helper()
	dir := t.TempDir()
	c := startRedis(t, dir, settings)
	for _, args := range script {
		if v := c.do(args...); v.Type == '-' {
			t.Fatalf("redis: %q: %s", args, v.Str)
		}
	}
	if v := c.do("BGREWRITEAOF"); v.Type == '-' {
		t.Fatalf("redis: BGREWRITEAOF: %s", v.Str)
	}
	// A rewrite is in progress from the fork on, and the manifest names
	// the new base file before the parent reaps the child, which is when
	// both flags drop.
	deadline := time.Now().Add(30 * time.Second)
	for {
		info := c.do("INFO", "persistence").Str
		if strings.Contains(info, "aof_rewrite_in_progress:0\r\n") && strings.Contains(info, "aof_rewrite_scheduled:0\r\n") {
			if !strings.Contains(info, "aof_last_bgrewrite_status:ok\r\n") {
				t.Fatalf("redis: the AOF rewrite failed:\n%s", info)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis: the AOF rewrite did not finish:\n%s", info)
		}
		time.Sleep(10 * time.Millisecond)
	}
	b, err := os.ReadFile(filepath.Join(dir, "appendonlydir", baseFile(t, dir)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// baseFile reads the AOF manifest for the name of the base file, which
// Redis numbers anew at each rewrite.
func baseFile(t testing.TB, dir string) string {
	t.Helper()
	m, err := os.ReadFile(filepath.Join(dir, "appendonlydir", "appendonly.aof.manifest"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(m), "\n") {
		// file <name> seq <n> type b
		f := strings.Fields(line)
		if len(f) == 6 && f[0] == "file" && f[4] == "type" && f[5] == "b" {
			return f[1]
		}
	}
	t.Fatalf("redis: no base file in the manifest:\n%s", m)
	return ""
}

type conn struct {
	t testing.TB
	c net.Conn
	r *bufio.Reader
}

func (c *conn) do(args ...string) protocol.Value {
	c.t.Helper()
	c.c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := c.c.Write(protocol.AppendCommand(nil, args...)); err != nil {
		c.t.Fatalf("redis: %v", err)
	}
	v, err := protocol.ReadValue(c.r)
	if err != nil {
		c.t.Fatalf("redis: reading the reply to %q: %v", args, err)
	}
	return v
}

// startRedis starts redis-server on a free loopback port with its files
// in dir and connects to it.
func startRedis(t testing.TB, dir string, settings []string) *conn {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Fatalf("the reference redis-server is not installed (apt-get install redis-server redis-tools): %v", err)
	}
	port := freePort(t)
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
		"--dir", dir, "--appendonly", "yes", "--aof-use-rdb-preamble", "no", "--enable-debug-command", "yes"}
	for _, s := range settings {
		name, val, _ := strings.Cut(s, " ")
		args = append(args, "--"+name, val)
	}
	cmd := exec.Command(bin, args...)
	logf, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server dies with the test binary, even one killed by a timeout.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logf.Close()
	})
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		nc, err := net.Dial("tcp", addr)
		if err == nil {
			t.Cleanup(func() { nc.Close() })
			return &conn{t: t, c: nc, r: bufio.NewReader(nc)}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not start: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
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
