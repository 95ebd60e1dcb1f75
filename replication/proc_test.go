package replication

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/proctest"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

const (
	redoubtKind = "redoubt"
	redisKind   = "redis"
)

// kinds are the servers every scenario runs over, as primary and as
// replica: redis->redis validates the test itself.
var kinds = []string{redisKind, redoubtKind}

// syncTimeout bounds every wait for replication to converge.
const syncTimeout = 12 * time.Second

// eachPair runs a scenario once per primary kind × replica kind, as
// subtests named "primary->replica" ("redis->redoubt"): go test -run
// '/redis->redis' selects the all-Redis controls.
func eachPair(t *testing.T, scenario func(t *testing.T, primaryKind, replicaKind string)) {
	for _, pk := range kinds {
		for _, rk := range kinds {
			t.Run(pk+"->"+rk, func(t *testing.T) { scenario(t, pk, rk) })
		}
	}
}

// A cluster is the servers one test started. Every failure reports all
// of them (INFO replication and the tail of the log), since a
// replication failure is usually explained by the other side.
type cluster struct {
	t       *testing.T
	servers []*server
}

func newCluster(t *testing.T) *cluster { return &cluster{t: t} }

// fatalf fails the test with a message followed by every server's state.
func (c *cluster) fatalf(format string, args ...any) {
	c.t.Helper()
	c.t.Fatalf(format+"\n%s", append(args, c.diag())...)
}

// errorf is fatalf without stopping the test.
func (c *cluster) errorf(format string, args ...any) {
	c.t.Helper()
	c.t.Errorf(format+"\n%s", append(args, c.diag())...)
}

// diag describes every server: INFO replication, read without failing
// (the server may be dead), and the last lines of its log.
func (c *cluster) diag() string {
	var b strings.Builder
	for _, s := range c.servers {
		state := "running"
		select {
		case <-s.Exited:
			state = fmt.Sprintf("exited: %v", s.WaitErr)
		default:
		}
		fmt.Fprintf(&b, "===== %s: %s-server on %s (%s)\n", s.name, s.kind, s.addr, state)
		if info, err := quickInfo(s.addr, "replication"); err != nil {
			fmt.Fprintf(&b, "INFO replication: %v\n", err)
		} else {
			b.WriteString(strings.ReplaceAll(strings.TrimSpace(info), "\r\n", "\n") + "\n")
		}
		fmt.Fprintf(&b, "----- last lines of its log:\n%s\n", tail(s.log(), 25))
	}
	return b.String()
}

// quickInfo reads an INFO section without involving the test.
func quickInfo(addr, section string) (string, error) {
	cl, err := dial(addr)
	if err != nil {
		return "", err
	}
	defer cl.close()
	v, err := cl.do("INFO", section)
	if err == nil && v.Type == '-' {
		err = fmt.Errorf("%s", v.Str)
	}
	return v.Str, err
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// A server is a redoubt-server or redis-server process on a free
// loopback port over a data directory of its own.
type server struct {
	*proctest.Proc
	c    *cluster
	name string // its part in the test: "primary", "replica", "R1", ...
	kind string // redisKind or redoubtKind
	dir  string
	port int
	addr string
	main *conn // the connection of do and info, opened on first use
}

// baseSettings are the redis.conf lines every server starts with; a
// test's settings come after them and so override them.
var baseSettings = []string{
	`bind 127.0.0.1`,
	`save ""`,
	`appendonly no`,
	`repl-diskless-sync-delay 0`,
	`enable-debug-command yes`,
	`logfile ""`,
}

// start starts a server of kind on a fresh directory and waits until it
// answers PING. settings are redis.conf lines.
func (c *cluster) start(name, kind string, settings ...string) *server {
	c.t.Helper()
	return c.startOn(c.t.TempDir(), name, kind, settings...)
}

// startOn starts a server on dir (a restart hands it the directory of a
// server that stopped).
func (c *cluster) startOn(dir, name, kind string, settings ...string) *server {
	c.t.Helper()
	for attempt := 0; ; attempt++ {
		s := c.launch(dir, name, kind, settings)
		err := s.waitReady()
		if err == nil {
			return s
		}
		// Another process may have taken the free port first.
		if attempt < 3 && s.PortTaken() {
			c.servers = c.servers[:len(c.servers)-1]
			continue
		}
		c.fatalf("%s (%s) did not start: %v", name, kind, err)
	}
}

func (c *cluster) launch(dir, name, kind string, settings []string) *server {
	c.t.Helper()
	var bin string
	if kind == redisKind {
		bin = refredis.Tool(c.t, "redis-server")
	} else {
		bin = redoubtServer(c.t)
	}
	port := refredis.FreePort(c.t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	confDir := c.t.TempDir()
	lines := append([]string{"port " + strconv.Itoa(port), "dir " + strconv.Quote(dir)}, baseSettings...)
	conf := filepath.Join(confDir, "redis.conf")
	if err := os.WriteFile(conf, []byte(strings.Join(append(lines, settings...), "\n")+"\n"), 0o644); err != nil {
		c.t.Fatal(err)
	}
	s := &server{c: c, name: name, kind: kind, dir: dir, port: port, addr: addr}
	// The main connection closes before the process is killed (cleanups
	// run last-registered first).
	s.Proc = proctest.Start(c.t, bin, []string{conf}, addr, filepath.Join(confDir, "server.log"))
	c.t.Cleanup(func() {
		if s.main != nil {
			s.main.cl.close()
		}
	})
	c.servers = append(c.servers, s)
	return s
}

// waitReady waits until the server answers PING with PONG, as the
// process the test started.
func (s *server) waitReady() error { return s.WaitReady(20 * time.Second) }

// shutdown sends SHUTDOWN (after which the connection just closes) and
// waits for a clean exit.
func (s *server) shutdown(args ...string) {
	s.c.t.Helper()
	cl, err := dial(s.addr)
	if err != nil {
		s.c.fatalf("%s: %v", s.name, err)
	}
	defer cl.close()
	if v, err := cl.do(append([]string{"SHUTDOWN"}, args...)...); err == nil {
		s.c.fatalf("%s: SHUTDOWN replied %s", s.name, v)
	}
	select {
	case <-s.Exited:
	case <-time.After(10 * time.Second):
		s.c.fatalf("%s did not exit within 10 s of SHUTDOWN", s.name)
	}
	if s.WaitErr != nil {
		s.c.fatalf("%s exited with %v after SHUTDOWN", s.name, s.WaitErr)
	}
}

// log is what the server has logged so far.
func (s *server) log() string { return s.Log() }

// conn opens a connection of the test's own (for SELECT, MULTI, ...).
func (s *server) conn() *conn {
	s.c.t.Helper()
	cl, err := dial(s.addr)
	if err != nil {
		s.c.fatalf("connecting to %s: %v", s.name, err)
	}
	s.c.t.Cleanup(cl.close)
	return &conn{s: s, cl: cl}
}

// do runs a command on the server's main connection (which stays on db
// 0) and fails the test on an error reply.
func (s *server) do(args ...string) protocol.Value {
	s.c.t.Helper()
	if s.main == nil {
		s.main = s.conn()
	}
	return s.main.do(args...)
}

// info returns the fields of an INFO section.
func (s *server) info(section string) map[string]string {
	s.c.t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(s.do("INFO", section).Str, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// infoInt returns an integer field of an INFO section, failing the test
// if it is missing.
func (s *server) infoInt(section, field string) int64 {
	s.c.t.Helper()
	v, ok := s.info(section)[field]
	n, err := strconv.ParseInt(v, 10, 64)
	if !ok || err != nil {
		s.c.fatalf("%s: INFO %s has no integer %s (%q)", s.name, section, field, v)
	}
	return n
}

// A conn is a connection to a server that fails the test (with the
// cluster's diagnostics) on I/O errors.
type conn struct {
	s  *server
	cl *client
}

// do runs a command and fails the test on an error reply.
func (c *conn) do(args ...string) protocol.Value {
	c.s.c.t.Helper()
	v := c.doErr(args...)
	if v.Type == '-' {
		c.s.c.fatalf("%s: %s: %s", c.s.name, quote(args), v.Str)
	}
	return v
}

// doErr runs a command and returns its reply, error replies included.
func (c *conn) doErr(args ...string) protocol.Value {
	c.s.c.t.Helper()
	v, err := c.cl.do(args...)
	if err != nil {
		c.s.c.fatalf("%s: %s: %v", c.s.name, quote(args), err)
	}
	return v
}

// client is a minimal RESP client that returns errors instead of
// failing the test, for diagnostics and for SHUTDOWN.
type client struct {
	nc net.Conn
	r  *bufio.Reader
}

func dial(addr string) (*client, error) {
	nc, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		return nil, err
	}
	return &client{nc: nc, r: bufio.NewReader(nc)}, nil
}

// do sends one command and reads its reply; an error reply is a value,
// not an error.
func (c *client) do(args ...string) (protocol.Value, error) {
	c.nc.SetDeadline(time.Now().Add(15 * time.Second))
	if _, err := c.nc.Write(protocol.AppendCommand(nil, args...)); err != nil {
		return protocol.Value{}, err
	}
	return protocol.ReadValue(c.r)
}

func (c *client) close() { c.nc.Close() }

// replicate makes r a replica of p with REPLICAOF and waits for it to be
// in sync.
func (c *cluster) replicate(r, p *server) {
	c.t.Helper()
	if v := r.do("REPLICAOF", "127.0.0.1", strconv.Itoa(p.port)); v.Str != "OK" {
		c.fatalf("%s: REPLICAOF replied %s", r.name, v)
	}
	c.waitSync(p, r)
}

// startPair starts a primary and a replica with the same settings,
// attaches the replica and waits for the initial sync.
func startPair(t *testing.T, primaryKind, replicaKind string, settings ...string) (c *cluster, p, r *server) {
	t.Helper()
	c = newCluster(t)
	p = c.start("primary", primaryKind, settings...)
	r = c.start("replica", replicaKind, settings...)
	c.replicate(r, p)
	return c, p, r
}

// waitSync waits until r's link to p is up and r has processed
// everything p has sent: r's slave_repl_offset equals p's
// master_repl_offset.
func (c *cluster) waitSync(p, r *server) {
	c.t.Helper()
	deadline := time.Now().Add(syncTimeout)
	var why string
	for {
		ri := r.info("replication")
		if ri["master_link_status"] != "up" {
			why = fmt.Sprintf("%s's master_link_status is %q", r.name, ri["master_link_status"])
		} else {
			// The primary is read after the replica: equal offsets then
			// mean nothing was in flight in between.
			ro := ri["slave_repl_offset"]
			po := p.info("replication")["master_repl_offset"]
			if po == ro && po != "" {
				return
			}
			why = fmt.Sprintf("%s's slave_repl_offset %s, %s's master_repl_offset %s", r.name, ro, p.name, po)
		}
		if time.Now().After(deadline) {
			c.fatalf("%s not in sync with %s after %v: %s", r.name, p.name, syncTimeout, why)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitFor polls cond until it holds, failing the test after syncTimeout
// with what describes the last state.
func (c *cluster) waitFor(what string, cond func() (bool, string)) {
	c.t.Helper()
	deadline := time.Now().Add(syncTimeout)
	for {
		ok, state := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			c.fatalf("timed out after %v waiting for %s: %s", syncTimeout, what, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// quote renders a command for messages.
func quote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if len(a) > 60 {
			a = a[:60] + "..."
		}
		q[i] = strconv.Quote(a)
	}
	return strings.Join(q, " ")
}
