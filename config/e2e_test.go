package config_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// End-to-end tests of redoubt-server against redis-server: both run from
// the same config files and command lines.

var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// redoubtServer builds redoubt-server once for the test binary.
func redoubtServer(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		binary.dir, binary.err = os.MkdirTemp("", "redoubt-config-test")
		if binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "redoubt-server")
		out, err := exec.Command("go", "build", "-o", binary.path, "github.com/redoubt-db/redoubt/cmd/redoubt-server").CombinedOutput()
		if err != nil {
			binary.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// runToExit runs a server that must refuse to start, in dir, and returns
// its standard error.
func runToExit(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s %q started instead of failing", filepath.Base(bin), args)
	}
	if err == nil {
		t.Errorf("%s %q exited with status 0", filepath.Base(bin), args)
	}
	return stderr.String()
}

func TestFatalConfigErrorsMatchRedis(t *testing.T) {
	redis := difftest.RedisServerPath(t)
	redoubt := redoubtServer(t)
	dir := t.TempDir()
	inc := filepath.Join(dir, "inc.conf")
	if err := os.WriteFile(inc, []byte("# included\nhz 20\nbogus directive\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bind17 := "bind" + strings.Repeat(" 127.0.0.1", 17)
	for _, tc := range []struct {
		file string   // config file content, "" for none
		opts []string // command line options
	}{
		{file: "port 7000\nfoo bar\n"},
		{file: "port abc\n"},
		{file: "port 1 2\n"},
		{file: "port\n"},
		{file: "# comment\n\n  port \"1\n"},
		{file: "requirepass 'abc\n"},
		{file: "maxmemory 1xb\n"},
		{file: "maxmemory -1\n"},
		{file: "maxmemory-clients 200%\n"},
		{file: "timeout -1\n"},
		{file: "hz abc\n"},
		{file: "tcp-backlog -1\n"},
		{file: "maxclients 0\n"},
		{file: "unixsocketperm 1000\n"},
		{file: "unixsocketperm 9\n"},
		{file: "activerehashing maybe\n"},
		{file: "activedefrag yes\n"},
		{file: "loglevel nothing\n"},
		{file: "shutdown-on-sigterm save nosave\n"},
		{file: "shutdown-on-sigint\n"},
		{file: "save 100\n"},
		{file: "save \"100 1\" 200\n"},
		{file: "save 100 1\nsave 0 1\n"},
		{file: bind17 + "\n"},
		{file: "replicaof 127.0.0.1\n"},
		{file: "slaveof 127.0.0.1 99999\n"},
		{file: "replicaof 127.0.0.1 6379 extra\n"},
		{file: "client-output-buffer-limit normal 1 2\n"},
		{file: "client-output-buffer-limit master 0 0 0\n"},
		{file: "oom-score-adj-values 1 2\n"},
		{file: "oom-score-adj-values 1 2 3000\n"},
		{file: "notify-keyspace-events Q\n"},
		{file: "notify-keyspace-events K E\n"},
		{file: "latency-tracking-info-percentiles 50 abc\n"},
		{file: "latency-tracking-info-percentiles 200\n"},
		{file: "dbfilename a/b.rdb\n"},
		{file: "appendfilename \"\"\n"},
		{file: "appenddirname a/b\n"},
		{file: "cluster-announce-hostname bad_name\n"},
		{file: "proc-title-template {bogus}\n"},
		{file: "dir /nonexistent/redoubt\n"},
		{file: "dir /etc/hostname\n"},
		{file: "logfile /nonexistent/redoubt/log\n"},
		{file: "cluster-enabled yes\nreplicaof 127.0.0.1 6379\n"},
		{file: "include\n"},
		{file: "include a b\n"},
		{file: "include " + inc + "\n"},
		{file: "rename-command get\n"},
		{file: "list-max-ziplist-entries 1 2\n"},
		{file: "lua-replicate-commands yes\nbogus\n"},
		{file: "sentinel monitor mymaster 127.0.0.1 6379 2\n"},
		{file: "sentinel\nbogus\n"},
		{file: "module.option\n"},
		{file: "port 7000\n", opts: []string{"--port", "abc"}},
		{opts: []string{"--port", "abc"}},
		{opts: []string{"--port"}},
		{opts: []string{"--save", "--port", "abc"}},
		{opts: []string{"--save"}, file: "bogus\n"},
		{opts: []string{"--port", "--loglevel"}},
		{opts: []string{"--bogus", "x", "y z"}},
		{opts: []string{"--port 7000 --loglevel", "debug"}},
		{opts: []string{"--maxmemory", "1mb", "--maxmemory-policy", "lru"}},
		{opts: []string{"--save", "100 1 200"}},
		{opts: []string{"--bogus", "quote\"and\\back\tslash\x01\xff"}},
	} {
		var args []string
		if tc.file != "" {
			path := filepath.Join(dir, "bad.conf")
			if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
				t.Fatal(err)
			}
			args = append(args, path)
		}
		args = append(args, tc.opts...)
		want := runToExit(t, dir, redis, args...)
		got := runToExit(t, dir, redoubt, args...)
		if !strings.Contains(want, "FATAL CONFIG FILE ERROR") {
			t.Errorf("%q %q: redis-server did not report a config error: %q", tc.file, tc.opts, want)
		}
		if got != want {
			t.Errorf("%q %q:\n redis:   %q\n redoubt: %q", tc.file, tc.opts, want, got)
		}
	}
}

// server is a redis-server or redoubt-server started from a config file.
type server struct {
	conf string
	port int
	conn *difftest.Conn
	stop func()
}

func startFromFile(t *testing.T, bin, conf string, port int) *server {
	t.Helper()
	cmd := exec.Command(bin, conf)
	cmd.Dir = filepath.Dir(conf)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	stop := sync.OnceFunc(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	t.Cleanup(stop)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s did not start:\n%s", bin, conf, out.String())
		}
	}
	return &server{conf: conf, port: port, conn: difftest.Dial(t, addr), stop: stop}
}

// startBoth starts both servers from copies of the same config file in
// their own directories ({PORT} is each one's port).
func startBoth(t *testing.T, text string) (redis, redoubt *server) {
	t.Helper()
	start := func(bin, sub string) *server {
		dir := filepath.Join(t.TempDir(), sub)
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		port := difftest.FreePort(t)
		conf := filepath.Join(dir, "redis.conf")
		if err := os.WriteFile(conf, []byte(strings.ReplaceAll(text, "{PORT}", fmt.Sprint(port))), 0o644); err != nil {
			t.Fatal(err)
		}
		return startFromFile(t, bin, conf, port)
	}
	return start(difftest.RedisServerPath(t), "redis"), start(redoubtServer(t), "redoubt")
}

// do sends the same command to both servers and requires the same reply.
func do(t *testing.T, a, b *server, args ...string) {
	t.Helper()
	want, got := a.conn.Do(args...), b.conn.Do(args...)
	if !bytes.Equal(want, got) {
		t.Errorf("%s\n redis:   %q\n redoubt: %q", difftest.Quote(args), want, got)
	}
}

// sameFiles compares the rewritten config files: the lines up to the
// signature in order; the appended ones, which Redis writes in the order
// of its hash table, as a set. Each server's own port is masked.
func sameFiles(t *testing.T, redis, redoubt *server) {
	t.Helper()
	read := func(s *server) (head string, tail []string) {
		data, err := os.ReadFile(s.conf)
		if err != nil {
			t.Fatal(err)
		}
		text := strings.ReplaceAll(string(data), fmt.Sprintf("port %d\n", s.port), "port {PORT}\n")
		head, rest, _ := strings.Cut(text, "# Generated by CONFIG REWRITE\n")
		for _, l := range strings.Split(rest, "\n") {
			if name, _, _ := strings.Cut(l, " "); !config.IsExtension(name) {
				tail = append(tail, l)
			}
		}
		sort.Strings(tail)
		return head, tail
	}
	wantHead, wantTail := read(redis)
	gotHead, gotTail := read(redoubt)
	if wantHead != gotHead {
		t.Errorf("rewritten files differ before the signature:\n--- redis:\n%s\n--- redoubt:\n%s", wantHead, gotHead)
	}
	if strings.Join(wantTail, "\n") != strings.Join(gotTail, "\n") {
		t.Errorf("rewritten files append different lines:\n--- redis:\n%s\n--- redoubt:\n%s", strings.Join(wantTail, "\n"), strings.Join(gotTail, "\n"))
	}
}

const rewriteConf = `# Redis configuration for the CONFIG REWRITE test
port {PORT}
bind 127.0.0.1

# Snapshots.
save 900 1
save 300 10
SAVE 60 10000
maxmemory 1mb
maxmemory 2mb
slaveof 127.0.0.1 9
slave-read-only no
rename-command FLUSHALL ""
list-max-ziplist-entries 512
lua-replicate-commands yes
hash-max-ziplist-entries 64
client-output-buffer-limit pubsub 64mb 16mb 90
client-output-buffer-limit normal 0 0 0
notify-keyspace-events Ex
   loglevel   notice
timeout 0
dir {DIR}
latency-tracking-info-percentiles 50 99.9
requirepass ""
logfile ""
unixsocketperm 700



appendonly no
`

func TestRewriteMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	redis, redoubt := startBoth(t, strings.ReplaceAll(rewriteConf, "{DIR}", dir))
	empty := filepath.Join(dir, "empty.conf")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// Lines added once the servers run: unknown ones get commented out,
	// directives other than parameters stay or go as in Redis.
	for _, s := range []*server{redis, redoubt} {
		f, err := os.OpenFile(s.conf, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(f, "foo bar\nunbalanced \"quote\nuser alice on\ninclude %s\nsentinel monitor m 127.0.0.1 1 1\nloadmodule /nonexistent/module.so\nmaxmemory 3mb\n", empty)
		f.Close()
	}
	for _, args := range [][]string{
		{"save", "100 1"},
		{"maxmemory", "0"},
		{"hash-max-listpack-entries", "128"},
		{"client-output-buffer-limit", "pubsub 32mb 8mb 60"},
		{"maxmemory-clients", "5%"},
		{"notify-keyspace-events", ""},
		{"oom-score-adj-values", "0 100 900"},
		{"shutdown-on-sigterm", "save now"},
		{"rdb-key-save-delay", "10"},
		{"proto-max-bulk-len", "3mb"},
		{"cluster-announce-hostname", "host.example"},
		{"ignore-warnings", "with \"quotes\"\n"},
	} {
		do(t, redis, redoubt, "CONFIG", "SET", args[0], args[1])
	}
	do(t, redis, redoubt, "CONFIG", "REWRITE")
	sameFiles(t, redis, redoubt)

	// A second rewrite reuses the appended lines and the signature.
	for _, args := range [][]string{
		{"save", ""},
		{"maxmemory-clients", "0"},
		{"slave-read-only", "yes"},
		{"latency-tracking-info-percentiles", ""},
		{"requirepass", "secret"},
	} {
		do(t, redis, redoubt, "CONFIG", "SET", args[0], args[1])
	}
	do(t, redis, redoubt, "AUTH", "secret")
	do(t, redis, redoubt, "CONFIG", "REWRITE")
	sameFiles(t, redis, redoubt)

	// Both read their rewritten files back to the same configuration
	// (once rid of the sentinel line, which only a sentinel accepts).
	redis.stop()
	redoubt.stop()
	for _, s := range []*server{redis, redoubt} {
		data, err := os.ReadFile(s.conf)
		if err != nil {
			t.Fatal(err)
		}
		data = bytes.Replace(data, []byte("sentinel monitor m 127.0.0.1 1 1\n"), nil, 1)
		if err := os.WriteFile(s.conf, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	redis = startFromFile(t, difftest.RedisServerPath(t), redis.conf, redis.port)
	redoubt = startFromFile(t, redoubtServer(t), redoubt.conf, redoubt.port)
	do(t, redis, redoubt, "AUTH", "secret")
	want, got := configMap(t, redis.conn, "*"), configMap(t, redoubt.conn, "*")
	delete(want, "port")
	delete(got, "port")
	for name, w := range want {
		if got[name] != w {
			t.Errorf("after restart, %s: redis %q, redoubt %q", name, w, got[name])
		}
	}
}

// TestLoadMatchesRedis starts both servers from the same config files and
// compares every parameter.
func TestLoadMatchesRedis(t *testing.T) {
	// The redis.conf of Debian's redis-server, the reference.
	stock, err := os.ReadFile("/etc/redis/redis.conf")
	if err != nil {
		t.Fatalf("the reference's redis.conf: %v", err)
	}
	shared := t.TempDir()
	inc := filepath.Join(shared, "inc.conf")
	if err := os.WriteFile(inc, []byte("save 50 5\nhz 30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Run in the foreground, in the test's directories.
	stockConf := string(stock) + "\nport {PORT}\ndaemonize no\npidfile redis.pid\nlogfile \"\"\ndir .\n"
	for _, text := range []string{
		stockConf,
		// The first save line replaces the default points and the next
		// ones add to them, until the end of an included file, after
		// which each save line replaces the points.
		"port {PORT}\nsave 100 1\ninclude " + inc + "\nsave 200 2\nsave 300 3\n",
		"port {PORT}\nsave 100 1\nsave \"\"\nsave 200 2\n",
		"port {PORT}\nsave\n",
		"port {PORT}\nsave \"100 1 200 2\"\ninclude " + filepath.Join(shared, "none*.conf") + "\n",
		// Aliases, case, deprecated and ignored directives.
		"PORT {PORT}\nSLAVEOF 127.0.0.1 9\nSlave-Priority 5\nlua-time-limit 100\nhash-max-ziplist-value 1kb\n" +
			"list-max-ziplist-size -3\nlist-max-ziplist-entries 7\nlua-replicate-commands yes\nsentinel\n" +
			"rename-command flushdb renamed-flushdb\nrename-command keys \"\"\n",
		// Multi-word values, given as one argument or several.
		"port {PORT}\nclient-output-buffer-limit \"pubsub 1mb 2mb 3\"\nclient-output-buffer-limit replica 1gb 2gb 0\n" +
			"oom-score-adj-values \"1 2 3\"\nshutdown-on-sigint \"now save\"\nshutdown-on-sigterm force nosave\n" +
			"latency-tracking-info-percentiles 10 20.5\nbind 127.0.0.1\nnotify-keyspace-events AKEn\n",
		"port {PORT}\nmaxmemory 5GB\nmaxmemory-clients 3%\nunixsocketperm 0755\nhz 0\ntimeout 7\nbind \"\"\nbind 127.0.0.1 -::1\n",
		"port {PORT}\nhz 1000\nlatency-tracking-info-percentiles \"\"\nuser default on nopass sanitize-payload ~* &* +@all\n",
		"port {PORT}\ndir " + shared + "\ndir .\nlogfile log.txt\nrequirepass \"\"\nmasterauth \"\"\n",
		// Once in dir, an include is relative to it.
		"port {PORT}\ndir " + shared + "\ninclude inc.conf\n",
	} {
		redis, redoubt := startBoth(t, text)
		want, got := configMap(t, redis.conn, "*"), configMap(t, redoubt.conn, "*")
		delete(want, "port")
		delete(got, "port")
		if !strings.Contains(strings.ToLower(text), "bind ") {
			// Redoubt's default bind is loopback only (docs/ARCHITECTURE.md).
			delete(want, "bind")
			delete(got, "bind")
		}
		if !strings.Contains(text, "\ndir "+shared) { // each its own working directory

			delete(want, "dir")
			delete(got, "dir")
		}
		for name, w := range want {
			if got[name] != w {
				t.Errorf("%q\n %s: redis %q, redoubt %q", text[:min(len(text), 200)], name, w, got[name])
			}
		}
		for name := range got {
			if config.IsExtension(name) {
				delete(got, name)
			}
		}
		if len(got) != len(want) {
			t.Errorf("redis has %d parameters, redoubt %d", len(want), len(got))
		}
		redis.stop()
		redoubt.stop()
	}
}

// TestRewriteForceAllMatchesRedis compares RewriteForceAll with Redis's
// DEBUG CONFIG-REWRITE-FORCE-ALL, from the same file and the same changes.
func TestRewriteForceAllMatchesRedis(t *testing.T) {
	dir := t.TempDir()
	text := strings.ReplaceAll(rewriteConf, "{DIR}", dir) + "enable-debug-command yes\n"
	redis, _ := startBoth(t, text)
	port := fmt.Sprint(redis.port)
	cfg := config.New()
	if err := cfg.Load(strings.ReplaceAll(text, "{PORT}", port)); err != nil {
		t.Fatal(err)
	}
	cfg.File = filepath.Join(dir, "redoubt.conf")
	if err := os.WriteFile(cfg.File, []byte(strings.ReplaceAll(text, "{PORT}", port)), 0o644); err != nil {
		t.Fatal(err)
	}
	changes := [][2]string{{"maxmemory", "0"}, {"save", ""}, {"maxmemory-clients", "5%"}, {"unixsocket", "/tmp/x.sock"}}
	for _, kv := range changes {
		if kv[0] != "unixsocket" { // immutable
			redis.conn.Do("CONFIG", "SET", kv[0], kv[1])
		}
	}
	if err := cfg.Set(changes[:3], false); err != nil {
		t.Fatal(err)
	}
	if reply := redis.conn.Do("DEBUG", "CONFIG-REWRITE-FORCE-ALL"); string(reply) != "+OK\r\n" {
		t.Fatalf("DEBUG CONFIG-REWRITE-FORCE-ALL: %q", reply)
	}
	if err := cfg.RewriteForceAll(); err != nil {
		t.Fatal(err)
	}
	sameFiles(t, redis, &server{conf: cfg.File, port: redis.port})
}

// TestUserLinesMatchRedis rewrites config files declaring the default
// user, in the ways Redoubt accepts, on both servers.
func TestUserLinesMatchRedis(t *testing.T) {
	const fooHash = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae"
	shared := t.TempDir()
	for _, text := range []string{
		"user default on nopass ~* &* +@all\n",
		"user default on nopass skip-sanitize-payload ~* &* +@all\n",
		"user default reset on nopass allkeys allchannels allcommands\n",
		"user default on nopass ~* +@all\nacl-pubsub-default allchannels\n",
		"requirepass foo\nuser default on #" + fooHash + " ~* &* +@all\n",
		"user default on >foo %RW~* &* +@all sanitize-payload\nrequirepass foo\n",
		"requirepass foo\n",
	} {
		redis, redoubt := startBoth(t, "port {PORT}\ndir "+shared+"\n"+text)
		if strings.Contains(text, "requirepass") {
			do(t, redis, redoubt, "AUTH", "foo")
		}
		do(t, redis, redoubt, "CONFIG", "REWRITE")
		sameFiles(t, redis, redoubt)
		redis.stop()
		redoubt.stop()
	}
}
