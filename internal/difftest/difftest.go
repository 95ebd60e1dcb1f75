// Package difftest runs the same commands against Redoubt and the real
// redis-server and compares the replies byte for byte. The reference is
// Debian's redis-server: a test that needs it fails when it is missing,
// so CI cannot pass by skipping.
package difftest

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

// StartRedoubt starts an embedded Redoubt for the test and returns its
// address. settings are redis.conf directives.
func StartRedoubt(t testing.TB, settings ...string) string {
	t.Helper()
	srv, err := redoubt.Start(context.Background(), redoubt.Config{
		Settings: append([]string{"enable-debug-command yes", "dir " + t.TempDir()}, settings...),
	})
	if err != nil {
		t.Fatalf("starting redoubt: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.Addr()
}

// RedisServerPath finds the reference redis-server, failing the test if
// it is not installed.
func RedisServerPath(t testing.TB) string {
	t.Helper()
	return refredis.Tool(t, "redis-server")
}

// StartRedis starts the reference redis-server on a free port for the
// test and returns its address. It waits for the server's own "Ready to
// accept connections" line rather than for the port to answer: another
// test binary's server may hold the port, and then this one exits (and
// is started again on another port) instead of being mistaken for it.
// The server logs to redis.log in its directory, as CONFIG GET logfile
// answers "" (standard output), whatever settings the test gives.
func StartRedis(t testing.TB, settings ...string) string {
	t.Helper()
	bin := RedisServerPath(t)
	for attempt := 0; ; attempt++ {
		addr, retry := tryStartRedis(t, bin, settings)
		if !retry {
			return addr
		}
		if attempt == 5 {
			t.Fatalf("redis-server did not start: no free port in 6 attempts")
		}
	}
}

func tryStartRedis(t testing.TB, bin string, settings []string) (addr string, retry bool) {
	t.Helper()
	port := FreePort(t)
	dir := t.TempDir()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--enable-debug-command", "yes"}
	for _, s := range settings {
		name, val, _ := strings.Cut(s, " ")
		args = append(args, "--"+name, val)
	}
	cmd := exec.Command(bin, args...)
	logPath := filepath.Join(dir, "redis.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = refredis.DieWithParent()
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting redis-server: %v", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
		logf.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, _ := os.ReadFile(logPath)
		select {
		case <-done:
			if bytes.Contains(out, []byte("Address already in use")) {
				return "", true
			}
			t.Fatalf("redis-server exited:\n%s", out)
		default:
		}
		if bytes.Contains(out, []byte("Ready to accept connections")) {
			return fmt.Sprintf("127.0.0.1:%d", port), false
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis-server did not start:\n%s", out)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// FreePort returns a TCP port free on the loopback interface.
func FreePort(t testing.TB) int {
	t.Helper()
	return refredis.FreePort(t)
}

// Conn is a raw protocol connection that returns replies as the exact
// bytes the server sent.
type Conn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// Dial connects to addr.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Conn{t: t, conn: c, r: bufio.NewReader(c)}
}

// Send writes a command without reading its reply.
func (c *Conn) Send(args ...string) {
	c.t.Helper()
	if _, err := c.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// WriteRaw writes bytes as they are.
func (c *Conn) WriteRaw(b []byte) {
	c.t.Helper()
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// ReadRaw reads one reply and returns its exact bytes.
func (c *Conn) ReadRaw() []byte {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var buf bytes.Buffer
	if err := CopyReply(&buf, c.r); err != nil {
		c.t.Fatalf("reading reply: %v", err)
	}
	return buf.Bytes()
}

// Do sends a command and returns the raw reply.
func (c *Conn) Do(args ...string) []byte {
	c.t.Helper()
	c.Send(args...)
	return c.ReadRaw()
}

// DoValue sends a command and returns the decoded reply.
func (c *Conn) DoValue(args ...string) protocol.Value {
	c.t.Helper()
	raw := c.Do(args...)
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		c.t.Fatalf("decoding %q: %v", raw, err)
	}
	return v
}

// Close closes the connection.
func (c *Conn) Close() { c.conn.Close() }

// Addr is the address of the server the connection goes to.
func (c *Conn) Addr() string { return c.conn.RemoteAddr().String() }

// CopyReply copies one complete reply from r to w, RESP2 or RESP3.
func CopyReply(w io.Writer, r *bufio.Reader) error {
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	w.Write(line)
	if len(line) < 3 {
		return fmt.Errorf("short line %q", line)
	}
	body := string(line[1 : len(line)-2])
	switch line[0] {
	case '$', '=', '!':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return err
		}
		_, err = io.CopyN(w, r, int64(n)+2)
		return err
	case '*', '~', '>', '%', '|':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return err
		}
		if line[0] == '%' || line[0] == '|' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			if err := CopyReply(w, r); err != nil {
				return err
			}
		}
		if line[0] == '|' {
			return CopyReply(w, r)
		}
	}
	return nil
}

// Pair is a connection to each server, for differential tests.
type Pair struct {
	t       testing.TB
	Redoubt *Conn
	Redis   *Conn
}

// NewPair starts both servers with the same settings and connects to each.
func NewPair(t testing.TB, settings ...string) *Pair {
	t.Helper()
	return PairOf(t, StartRedoubt(t, settings...), StartRedis(t, settings...))
}

// PairOf connects to servers the test started itself.
func PairOf(t testing.TB, redoubtAddr, redisAddr string) *Pair {
	t.Helper()
	return &Pair{t: t, Redoubt: Dial(t, redoubtAddr), Redis: Dial(t, redisAddr)}
}

// Do sends a command to both servers and fails the test unless the
// replies are byte-identical. It returns Redis's reply.
func (p *Pair) Do(args ...string) []byte {
	p.t.Helper()
	want := p.Redis.Do(args...)
	got := p.Redoubt.Do(args...)
	if !bytes.Equal(got, want) {
		p.t.Errorf("%s\n redis:   %q\n redoubt: %q", Quote(args), want, got)
	}
	return want
}

// DoUnordered is Do for replies whose element order Redis leaves
// unspecified (KEYS, SMEMBERS, CONFIG GET *): it compares the decoded
// replies with aggregate elements sorted.
func (p *Pair) DoUnordered(args ...string) {
	p.t.Helper()
	want := normalize(decode(p.t, p.Redis.Do(args...)))
	got := normalize(decode(p.t, p.Redoubt.Do(args...)))
	if want != got {
		p.t.Errorf("%s\n redis:   %s\n redoubt: %s", Quote(args), want, got)
	}
}

// Script runs each line of a script (arguments split as redis-cli
// splits them) through Do.
func (p *Pair) Script(script string) {
	p.t.Helper()
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args, ok := protocol.SplitArgs([]byte(line), nil)
		if !ok {
			p.t.Fatalf("bad script line %q", line)
		}
		s := make([]string, len(args))
		for i, a := range args {
			s[i] = string(a)
		}
		p.Do(s...)
	}
}

func decode(t testing.TB, raw []byte) protocol.Value {
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	return v
}

// normalize renders a value with every aggregate's elements sorted; the
// key/value pairs of a map are sorted as pairs.
func normalize(v protocol.Value) string {
	if v.Elems == nil {
		return v.String()
	}
	var parts []string
	if v.Type == '%' {
		for i := 0; i+1 < len(v.Elems); i += 2 {
			parts = append(parts, normalize(v.Elems[i])+"=>"+normalize(v.Elems[i+1]))
		}
	} else {
		for _, e := range v.Elems {
			parts = append(parts, normalize(e))
		}
	}
	sort.Strings(parts)
	return string(v.Type) + "[" + strings.Join(parts, ",") + "]"
}

// DoPairs is DoUnordered for RESP2 replies that are flat key/value lists
// (CONFIG GET, HGETALL): pairs are compared as pairs, in any order.
func (p *Pair) DoPairs(args ...string) {
	p.t.Helper()
	pairs := func(raw []byte) string {
		v := decode(p.t, raw)
		v.Type = '%'
		return normalize(v)
	}
	want, got := pairs(p.Redis.Do(args...)), pairs(p.Redoubt.Do(args...))
	if want != got {
		p.t.Errorf("%s\n redis:   %s\n redoubt: %s", Quote(args), want, got)
	}
}

// Quote renders a command for messages.
func Quote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}

// CompareSignals runs each command (split on spaces) on a fresh real
// redis-server and a fresh Redoubt, and compares after each what it
// signalled besides its reply: the keyspace events it published, the
// dirty counter (rdb_changes_since_last_save) and the keyspace hits and
// misses. Type packages use it to check what their commands count as a
// change or a lookup.
func CompareSignals(t *testing.T, commands []string) {
	t.Helper()
	const conf = "notify-keyspace-events KEA"
	var servers [2]struct{ c, sub *Conn }
	for i, addr := range []string{StartRedis(t, conf), StartRedoubt(t, conf)} {
		servers[i].c = Dial(t, addr)
		servers[i].sub = Dial(t, addr)
		servers[i].sub.Do("psubscribe", "__key*")
	}
	redis, redoubt := servers[0], servers[1]
	for _, s := range commands {
		args := strings.Fields(s)
		if want, got := redis.c.Do(args...), redoubt.c.Do(args...); !bytes.Equal(want, got) {
			t.Errorf("%s\n redis:   %q\n redoubt: %q", s, want, got)
		}
		for _, f := range []struct{ section, field string }{
			{"persistence", "rdb_changes_since_last_save"}, {"stats", "keyspace_hits"}, {"stats", "keyspace_misses"},
		} {
			want := InfoFields(t, redis.c, f.section)[f.field]
			if got := InfoFields(t, redoubt.c, f.section)[f.field]; want != got {
				t.Errorf("%s: %s redis %s, redoubt %s", s, f.field, want, got)
			}
		}
		if want, got := events(t, redis.c, redis.sub), events(t, redoubt.c, redoubt.sub); !slices.Equal(want, got) {
			t.Errorf("%s: events\n redis:   %q\n redoubt: %q", s, want, got)
		}
	}
}

// events publishes a marker through c and returns the channels and
// payloads sub received before it.
func events(t testing.TB, c, sub *Conn) []string {
	const marker = "__key-end"
	c.Do("publish", marker, "x")
	var out []string
	for {
		v := decode(t, sub.ReadRaw())
		if len(v.Elems) != 4 {
			t.Fatalf("unexpected message %v", v)
		}
		if v.Elems[2].Str == marker {
			return out
		}
		out = append(out, v.Elems[2].Str+" "+v.Elems[3].Str)
	}
}

// Seed returns the seed of a randomized test: the environment variable
// env when it is set, so that a failing run can be replayed, the clock
// otherwise. The seed is logged.
func Seed(t testing.TB, env string) uint64 {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv(env); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("%s=%q: %v", env, s, err)
		}
	}
	t.Logf("%s=%d", env, seed)
	return seed
}

// Seeded is a random source seeded by Seed; stream picks the test's own
// sequence for a given seed.
func Seeded(t testing.TB, env string, stream uint64) (*rand.Rand, uint64) {
	seed := Seed(t, env)
	return rand.New(rand.NewPCG(seed, stream)), seed
}
