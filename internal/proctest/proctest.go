// Package proctest runs a server process, redoubt-server or the
// reference redis-server, for a test: started on a loopback port with its
// output in a log file, known to be ready once it answers PING (after
// loading) as the process the test started, and killed when the test
// ends. The durability and replication tests build their harnesses on
// it; what differs between them (settings on the command line or in a
// redis.conf, what a failure reports) stays with each.
package proctest

import (
	"bufio"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// A Proc is a server process a test started.
type Proc struct {
	Addr    string // 127.0.0.1:port
	LogPath string
	Cmd     *exec.Cmd
	// Exited is closed once the process has ended; WaitErr is then
	// what exec.Cmd.Wait returned.
	Exited  chan struct{}
	WaitErr error
}

// Start runs bin with args, its stdout and stderr going to logPath. addr
// is where it will listen (its port is among args). The process dies
// with the test binary and is killed when the test ends.
func Start(t testing.TB, bin string, args []string, addr, logPath string) *Proc {
	t.Helper()
	p := &Proc{Addr: addr, LogPath: logPath, Exited: make(chan struct{})}
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	p.Cmd = exec.Command(bin, args...)
	p.Cmd.Stdout, p.Cmd.Stderr = logf, logf
	p.Cmd.SysProcAttr = refredis.DieWithParent()
	if err := p.Cmd.Start(); err != nil {
		logf.Close()
		t.Fatalf("starting %s: %v", bin, err)
	}
	go func() {
		p.WaitErr = p.Cmd.Wait()
		logf.Close()
		close(p.Exited)
	}()
	t.Cleanup(func() {
		p.Cmd.Process.Kill()
		<-p.Exited
	})
	return p
}

// WaitReady waits up to timeout until the process answers PING with
// PONG, which it does once it listens and has loaded its data (a server
// loading answers -LOADING), and INFO server names its process id:
// another process may have taken the port the test picked.
func (p *Proc) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		select {
		case <-p.Exited:
			return fmt.Errorf("exited (%v)", p.WaitErr)
		default:
		}
		if last = p.answers(); last == nil {
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("not ready after %v: %v", timeout, last)
}

// PortTaken reports whether the process could not listen because the
// port was taken (a test then starts it again on another one).
func (p *Proc) PortTaken() bool {
	return strings.Contains(p.Log(), "already in use")
}

// answers returns nil once PING gets PONG from the process the test
// started.
func (p *Proc) answers() error {
	c, err := net.DialTimeout("tcp", p.Addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nINFO\r\n$6\r\nserver\r\n")); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("PING: %q", line)
	}
	head, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	var n int
	if _, err := fmt.Sscanf(head, "$%d\r\n", &n); err != nil {
		return fmt.Errorf("INFO server: %q", head)
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	if pid := fmt.Sprintf("process_id:%d\r\n", p.Cmd.Process.Pid); !strings.Contains(string(body), pid) {
		return fmt.Errorf("%s is another server's (no %q in INFO server)", p.Addr, strings.TrimSpace(pid))
	}
	return nil
}

// WaitExit waits up to timeout for the process to end by itself and
// returns its exit code (-1 when a signal ended it); ok is false on a
// timeout.
func (p *Proc) WaitExit(timeout time.Duration) (code int, ok bool) {
	select {
	case <-p.Exited:
	case <-time.After(timeout):
		return 0, false
	}
	var ee *exec.ExitError
	if errors.As(p.WaitErr, &ee) {
		return ee.ExitCode(), true
	}
	if p.WaitErr != nil {
		return -1, true
	}
	return 0, true
}

// Log is what the process has written so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

var (
	buildMu sync.Mutex
	built   = map[string]string{}
)

// Build builds the main package pkg of this module (a path from the
// module root, "./cmd/redoubt-server") once per test binary, and returns
// the executable's path. The module root is found from the working
// directory, which go test sets to the package's own. The executable
// goes to a directory of the system's temporary one named after the
// testing package.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if bin, ok := built[pkg]; ok {
		return bin
	}
	root, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(root, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(root)
		if parent == root {
			t.Fatal("proctest: no go.mod above the working directory")
		}
		root = parent
	}
	// One directory per testing package, reused by every run, so that
	// runs leave nothing behind but it, and packages that go test runs
	// at once do not write the same file.
	wd, _ := os.Getwd()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("redoubt-proctest-%x", crc32.ChecksumIEEE([]byte(wd))))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", bin, pkg)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", pkg, err, out)
	}
	built[pkg] = bin
	return bin
}
