package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// End-to-end tests of the redoubt-server binary, driven by the real
// redis-cli from Debian's redis-tools.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds redoubt-server once per test run.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "redoubt-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "redoubt-server")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("%v: %s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func redisCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-cli")
	if err != nil {
		t.Fatalf("redis-cli is not installed (apt-get install redis-tools): %v", err)
	}
	return p
}

type proc struct {
	cmd  *exec.Cmd
	port int
	log  *bytes.Buffer
	mu   *sync.Mutex
}

// start runs the server with the given options on a free port and waits
// until it answers.
func start(t *testing.T, args ...string) *proc {
	t.Helper()
	port := difftest.FreePort(t)
	args = append(args, "--port", strconv.Itoa(port), "--dir", t.TempDir())
	cmd := exec.Command(binary(t), args...)
	p := &proc{cmd: cmd, port: port, log: &bytes.Buffer{}, mu: &sync.Mutex{}}
	cmd.Stdout = lockedWriter{p}
	cmd.Stderr = lockedWriter{p}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := exec.Command(redisCLI(t), "-p", strconv.Itoa(port), "ping").Output()
		if err == nil && strings.TrimSpace(string(out)) == "PONG" {
			return p
		}
		if time.Now().After(deadline) {
			t.Fatalf("server did not start: %s", p.logText())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type lockedWriter struct{ p *proc }

func (w lockedWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	return w.p.log.Write(b)
}

func (p *proc) logText() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// cli runs redis-cli against the server and returns its output.
func (p *proc) cli(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(redisCLI(t), append([]string{"-p", strconv.Itoa(p.port)}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func TestRedisCLICommands(t *testing.T) {
	p := start(t)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"set", "greeting", "hello world"}, "OK\n"},
		{[]string{"get", "greeting"}, "hello world\n"},
		{[]string{"get", "nokey"}, "\n"},
		{[]string{"--no-raw", "get", "nokey"}, "(nil)\n"},
		{[]string{"--no-raw", "dbsize"}, "(integer) 1\n"},
		{[]string{"nosuchcommand"}, "ERR unknown command 'nosuchcommand', with args beginning with: \n\n"},
		{[]string{"-n", "3", "set", "in3", "x"}, "OK\n"},
		{[]string{"-n", "3", "dbsize"}, "1\n"},
	}
	for _, c := range cases {
		if got := p.cli(t, "", c.args...); got != c.want {
			t.Errorf("redis-cli %v: got %q, want %q", c.args, got, c.want)
		}
	}
	if info := p.cli(t, "", "info", "server"); !strings.Contains(info, "redis_version:") {
		t.Errorf("INFO server through redis-cli: %q", info)
	}
}

// TestRedisCLIPipe loads data with redis-cli --pipe (mass insertion) and
// checks its summary and the result.
func TestRedisCLIPipe(t *testing.T) {
	p := start(t)
	var in strings.Builder
	const n = 20000
	for i := 0; i < n; i++ {
		fmt.Fprintf(&in, "*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nval:%d\r\n",
			len("key:"+strconv.Itoa(i)), i, len("val:"+strconv.Itoa(i)), i)
	}
	out := p.cli(t, in.String(), "--pipe")
	if !strings.Contains(out, fmt.Sprintf("errors: 0, replies: %d", n)) {
		t.Fatalf("redis-cli --pipe: %q", out)
	}
	if got := strings.TrimSpace(p.cli(t, "", "dbsize")); got != strconv.Itoa(n) {
		t.Fatalf("DBSIZE after --pipe: %s", got)
	}
	if got := strings.TrimSpace(p.cli(t, "", "get", "key:12345")); got != "val:12345" {
		t.Fatalf("GET after --pipe: %s", got)
	}
}

// TestRedisCLIScan lists keys with redis-cli --scan and --pattern.
func TestRedisCLIScan(t *testing.T) {
	p := start(t)
	var in strings.Builder
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&in, "SET user:%d x\r\nSET item:%d y\r\n", i, i)
	}
	p.cli(t, in.String(), "--pipe")
	keys := strings.Fields(p.cli(t, "", "--scan", "--pattern", "user:*"))
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, "user:") {
			t.Fatalf("--scan --pattern returned %q", k)
		}
		seen[k] = true
	}
	if len(seen) != 3000 {
		t.Fatalf("--scan found %d distinct user keys, want 3000", len(seen))
	}
}

// TestSIGTERMShutsDownCleanly checks the exit status and the log lines of
// a shutdown by signal, in Redis's log format.
func TestSIGTERMShutsDownCleanly(t *testing.T) {
	p := start(t)
	p.cli(t, "", "set", "k", "v")
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, p.logText())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit after SIGTERM\n%s", p.logText())
	}
	log := p.logText()
	for _, want := range []string{"Received SIGTERM scheduling shutdown...", "Ready to accept connections tcp"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	// pid:role day month year time.ms level message
	line := regexp.MustCompile(`^\d+:M \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d\.\d{3} [.\-*#] .+$`)
	sc := bufio.NewScanner(strings.NewReader(log))
	for sc.Scan() {
		if !line.MatchString(sc.Text()) {
			t.Errorf("log line not in Redis's format: %q", sc.Text())
		}
	}
}

// TestShutdownCommand stops the server with SHUTDOWN NOSAVE.
func TestShutdownCommand(t *testing.T) {
	p := start(t)
	cmd := exec.Command(redisCLI(t), "-p", strconv.Itoa(p.port), "shutdown", "nosave")
	cmd.Run() // redis-cli reports the closed connection; the exit is what matters
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SHUTDOWN: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no exit after SHUTDOWN NOSAVE")
	}
}

// TestMaxClients checks Redis's error for one connection too many.
func TestMaxClients(t *testing.T) {
	p := start(t, "--maxclients", "3")
	var conns []*difftest.Conn
	for i := 0; i < 3; i++ {
		c := difftest.Dial(t, fmt.Sprintf("127.0.0.1:%d", p.port))
		c.Do("PING")
		conns = append(conns, c)
	}
	extra := difftest.Dial(t, fmt.Sprintf("127.0.0.1:%d", p.port))
	if got := string(extra.ReadRaw()); got != "-ERR max number of clients reached\r\n" {
		t.Fatalf("4th client got %q", got)
	}
	if got := string(conns[0].Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("existing client after refusal: %q", got)
	}
}

// TestIdleTimeout checks that timeout closes idle clients.
func TestIdleTimeout(t *testing.T) {
	p := start(t, "--timeout", "1")
	c := difftest.Dial(t, fmt.Sprintf("127.0.0.1:%d", p.port))
	c.Do("PING")
	deadline := time.Now().Add(15 * time.Second)
	for {
		n := strings.Count(p.cli(t, "", "client", "list"), "\n")
		if n == 1 { // only redis-cli's own connection
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("idle client not closed: %d clients listed", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestVersionFlag(t *testing.T) {
	out, err := exec.Command(binary(t), "--version").Output()
	if err != nil || !strings.HasPrefix(string(out), "Redis server v=7.") {
		t.Fatalf("--version: %q %v", out, err)
	}
}

// TestSentinelRefused checks that --sentinel fails clearly: Redoubt has no
// sentinel mode, and running as a plain server instead would mislead.
func TestSentinelRefused(t *testing.T) {
	out, err := exec.Command(binary(t), "--sentinel").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no sentinel mode") {
		t.Fatalf("--sentinel: %v %q", err, out)
	}
}

// TestMissingConfigFile checks Redis's message for an unreadable file.
func TestMissingConfigFile(t *testing.T) {
	out, err := exec.Command(binary(t), "/nonexistent/redis.conf").CombinedOutput()
	want := "Fatal error, can't open config file '/nonexistent/redis.conf': No such file or directory"
	if err == nil || !strings.Contains(string(out), want) {
		t.Fatalf("missing config file: %v %q", err, out)
	}
}
