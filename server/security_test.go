package server_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/server"
)

// pipelineUnread sends n PINGs without reading, then reads what the
// server sent before it closed the connection (or until the deadline).
func pipelineUnread(t *testing.T, addr string, n int) (read int, closed bool) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.(*net.TCPConn).SetReadBuffer(4096)
	c.SetDeadline(time.Now().Add(10 * time.Second))
	req := bytes.Repeat([]byte("PING\r\n"), n)
	for off := 0; off < len(req); {
		w, err := c.Write(req[off:min(off+65536, len(req))])
		off += w
		if err != nil {
			break
		}
	}
	got, err := io.ReadAll(c)
	var ne net.Error
	timedOut := errors.As(err, &ne) && ne.Timeout()
	return len(got), !timedOut // closed, or reset with input unread
}

// A client that has not authenticated and does not read its replies is
// closed once a few KiB wait for it, on both servers (Redis's fix of
// CVE-2025-21605), instead of growing the server's memory; an
// authenticated one is not.
func TestUnauthenticatedOutputIsCapped(t *testing.T) {
	for name, addr := range map[string]string{
		"redis":   difftest.StartRedis(t, "requirepass secret"),
		"redoubt": difftest.StartRedoubt(t, "requirepass secret"),
	} {
		if _, closed := pipelineUnread(t, addr, 200000); !closed {
			t.Errorf("%s kept an unauthenticated client with 1.4 MB of replies unread", name)
		}
	}
}

// localAddr is an address of this machine that is not loopback.
func localAddr(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() && ipn.IP.To4() != nil {
			return ipn.IP.String()
		}
	}
	t.Fatal("this machine has no IPv4 address but loopback: protected mode cannot be tried")
	return ""
}

// Protected mode as Redis 7.0 has it: while the default user has no
// password, a client from anything but loopback gets the DENIED
// explanation, whatever bind says; with a password it is served. And
// bind 0.0.0.0 listens on IPv4 only.
func TestProtectedModeMatchesRedis(t *testing.T) {
	ip := localAddr(t)
	for _, pass := range []string{"", "secret"} {
		settings := []string{"bind 0.0.0.0"}
		if pass != "" {
			settings = append(settings, "requirepass "+pass)
		}
		redisAddr, redoubtAddr := difftest.StartRedis(t, settings...), startBound(t, settings...)
		var replies [2]string
		for i, addr := range []string{redisAddr, redoubtAddr} {
			_, port, _ := net.SplitHostPort(addr)
			c, err := net.Dial("tcp", net.JoinHostPort(ip, port))
			if err != nil {
				t.Fatal(err)
			}
			c.SetDeadline(time.Now().Add(10 * time.Second))
			c.Write([]byte("PING\r\n"))
			var b []byte
			if pass == "" {
				b, _ = io.ReadAll(io.LimitReader(c, 4096)) // the reply, then the close
			} else {
				b = make([]byte, 64)
				n, _ := c.Read(b)
				b = b[:n]
			}
			c.Close()
			replies[i] = string(b)
		}
		if replies[0] != replies[1] {
			t.Errorf("requirepass %q, a client from %s:\n redis:   %q\n redoubt: %q", pass, ip, replies[0], replies[1])
		}
		if pass == "" && !strings.HasPrefix(replies[1], "-DENIED") {
			t.Errorf("no DENIED for a client from %s: %q", ip, replies[1])
		}
		_, port, _ := net.SplitHostPort(redoubtAddr)
		if c, err := net.DialTimeout("tcp", "[::1]:"+port, time.Second); err == nil {
			c.Close()
			t.Errorf("bind 0.0.0.0 also listens on IPv6 port %s", port)
		}
	}
}

// startBound starts a server that binds as its settings say (an
// embedded server listens where it is told instead), on a free port.
func startBound(t *testing.T, settings ...string) string {
	t.Helper()
	port := difftest.FreePort(t)
	cfg := config.New()
	all := append([]string{`save ""`, "dir " + t.TempDir(), "port " + strconv.Itoa(port)}, settings...)
	if err := cfg.Load(strings.Join(all, "\n")); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg, server.Options{LogOutput: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return "127.0.0.1:" + strconv.Itoa(port)
}

// MODULE answers as a Redis whose module loads fail, behind
// enable-module-command as in Redis.
func TestModuleCommandMatchesRedis(t *testing.T) {
	for _, setting := range []string{"no", "yes"} {
		p := difftest.NewPair(t, "enable-module-command "+setting)
		for _, cmd := range [][]string{
			{"MODULE", "LIST"}, {"MODULE", "LOAD", "/nonexistent.so"}, {"MODULE", "LOADEX", "/nonexistent.so"},
			{"MODULE", "UNLOAD", "x"}, {"MODULE", "HELP"}, {"MODULE", "NOSUCH"}, {"MODULE"},
		} {
			p.Do(cmd...)
		}
	}
}

// Failed AUTHs are counted per source in INFO guardrails; with
// failed-auth-backoff, a source that keeps failing is refused for a
// while (its guesses are not even checked), and a success resets it.
func TestFailedAuthBackoff(t *testing.T) {
	addr := difftest.StartRedoubt(t, "requirepass secret", "failed-auth-backoff 60000")
	c := difftest.Dial(t, addr)
	if r := string(c.Do("AUTH", "wrong")); !strings.HasPrefix(r, "-WRONGPASS") {
		t.Fatalf("a wrong password: %q", r)
	}
	// The right password during the back-off is refused too.
	if r := string(c.Do("AUTH", "secret")); !strings.HasPrefix(r, "-WRONGPASS") {
		t.Fatalf("AUTH during the back-off: %q", r)
	}
	info := string(difftest.Dial(t, difftest.StartRedoubt(t)).Do("INFO", "guardrails"))
	if !strings.Contains(info, "auth_failure_sources:0") {
		t.Errorf("a fresh server's guardrails: %s", info)
	}

	open := difftest.StartRedoubt(t, "requirepass secret")
	c2 := difftest.Dial(t, open)
	for range 3 {
		c2.Do("AUTH", "wrong")
	}
	if r := string(c2.Do("AUTH", "secret")); r != "+OK\r\n" {
		t.Fatalf("without failed-auth-backoff, the right password after failures: %q", r)
	}
	info = string(c2.Do("INFO", "guardrails"))
	for _, want := range []string{"auth_failures:3", "auth_failure_sources:1", "auth_failure_top_sources:127.0.0.1=3", "auth_backoff_refusals:0"} {
		if !strings.Contains(info, want) {
			t.Errorf("INFO guardrails lacks %q:\n%s", want, info)
		}
	}
}
