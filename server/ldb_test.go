package server_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

// ldbConn is a raw connection for a debugging session: replies as the
// exact bytes the server sent, and the close that ends a session.
type ldbConn struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

func ldbDial(t testing.TB, addr string) *ldbConn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &ldbConn{t: t, conn: c, r: bufio.NewReader(c)}
}

func (c *ldbConn) send(args ...string) {
	c.t.Helper()
	if _, err := c.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		c.t.Fatal(err)
	}
}

func (c *ldbConn) write(b string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(b)); err != nil {
		c.t.Fatal(err)
	}
}

// read returns one reply's bytes, or "<EOF>" once the server closed.
func (c *ldbConn) read() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	var b bytes.Buffer
	if err := difftest.CopyReply(&b, c.r); err != nil {
		if errors.Is(err, io.EOF) && b.Len() == 0 {
			return "<EOF>"
		}
		c.t.Fatalf("reading a reply: %v (after %q)", err, b.String())
	}
	return b.String()
}

// readAll returns what the server sends until it pauses for 300ms or
// closes.
func (c *ldbConn) readAll() string {
	var b []byte
	buf := make([]byte, 4096)
	for {
		c.conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.r.Read(buf)
		b = append(b, buf[:n]...)
		if err != nil {
			if errors.Is(err, io.EOF) {
				b = append(b, "<EOF>"...)
			}
			return string(b)
		}
	}
}

// ldbSession runs script under SCRIPT DEBUG mode, sends the debugger
// commands one at a time, and returns everything the server answered,
// down to the close that ends the session.
func ldbSession(t testing.TB, addr, mode, script string, evalArgs []string, cmds [][]string) []string {
	t.Helper()
	c := ldbDial(t, addr)
	c.send("script", "debug", mode)
	out := []string{c.read()}
	c.send(append([]string{"eval", script}, evalArgs...)...)
	for _, cmd := range append([][]string{nil}, cmds...) {
		if cmd != nil {
			c.send(cmd...)
			out = append(out, "> "+strings.Join(cmd, " "))
		}
		r := c.read()
		out = append(out, r)
		if strings.Contains(r, "+<endsession>\r\n") {
			out = append(out, c.read(), c.read())
			return out
		}
	}
	t.Fatalf("the session did not end: %q", out)
	return nil
}

func cmdList(s string) [][]string {
	var cmds [][]string
	for _, c := range strings.Split(s, "|") {
		cmds = append(cmds, strings.Fields(c))
	}
	return cmds
}

// ldbAddress is a function's or a thread's address, which the
// debugger prints and no two processes share.
var ldbAddress = regexp.MustCompile(`@0x[0-9a-f]+`)

func sameTranscript(t *testing.T, name string, redis, redoubt []string) {
	t.Helper()
	for _, tr := range [][]string{redis, redoubt} {
		for i := range tr {
			tr[i] = ldbAddress.ReplaceAllString(tr[i], "@0x...")
		}
	}
	if strings.Join(redis, "\n") == strings.Join(redoubt, "\n") {
		return
	}
	for i := 0; i < max(len(redis), len(redoubt)); i++ {
		var a, b string
		if i < len(redis) {
			a = redis[i]
		}
		if i < len(redoubt) {
			b = redoubt[i]
		}
		if a != b {
			t.Errorf("%s: transcripts differ at step %d:\nredis:   %q\nredoubt: %q", name, i, a, b)
			return
		}
	}
}

// ldbScripts are stepped through on both servers. They avoid what
// gopher-lua shows otherwise than Redis's Lua (see docs/ARCHITECTURE.md):
// the order of a table's hash part, function addresses, parser messages.
var ldbScripts = []struct {
	name, script string
	args         []string
	cmds         string
}{
	{"basic", "local a = 1\nlocal t = {1,2,\"x\"}\nredis.call(\"set\", KEYS[1], ARGV[1])\nredis.debug(\"hi\", a, t)\nlocal b = redis.call(\"get\", KEYS[1])\nreturn b\n",
		[]string{"1", "k", "v"},
		"s|p|s|s|p t|p a|p KEYS|p ARGV|p nope|s|l|s|w|e a+1|e 1+1|e {1,'two',{3}}|e local q = 5|e redis.call('get','k')|r get k|r incr k|maxlen 70|t|b 5|b|b 0|b|h|xyz|r|c"},
	{"breakpoints", "local x = redis.call(\"incr\", KEYS[1])\nredis.breakpoint()\nlocal t = {}\nfor i=1,3 do\n  t[i] = string.rep(\"a\", 50)\nend\nlocal ok = redis.pcall(\"lpush\", KEYS[1], \"z\")\nredis.pcall(\"nosuchcmd\")\nredis.error_reply(\"boom\")\nredis.pcall()\nredis.pcall(\"get\", {})\nreturn t",
		[]string{"1", "cnt"},
		"p|c|s|s|s|s|p|p t|maxlen 0|p t|maxlen 10|maxlen|b 8|b 9|b 8|b -9|b -3|b 100|b x|b 01|c|s|s|s|s|list 3 1|l 0|l 1 0|l 20|w|a"},
	{"functions", "local function f(x)\n  local y = x * 2\n  return y\nend\nlocal r = f(3)\nlocal t = {1, {2, {3}}, 3.14159265, 1234567, \"q\\\"\\n\\1\"}\nfor i=1,2 do r = r + i end\nredis.debug(t, nil, true, 1.5)\nlocal co = coroutine.create(function(a)\n  local b = a + 1\n  coroutine.yield(b)\nend)\ncoroutine.resume(co, 5)\nreturn r\n",
		[]string{"0"},
		"s|s|t|p|s|s|s|p t|s|s|s|s|s|s|s|t|p|s|s|s|s"},
	{"replies", "redis.call('set', KEYS[1], string.rep('x', 300))\nredis.call('get', KEYS[1])\nredis.call('rpush', 'l', 'a', 'b')\nredis.call('lrange', 'l', 0, -1)\nredis.call('get', 'nokey')\nredis.pcall('lpush', KEYS[1], 'x')\nredis.call('set', 'a', 1, 'b', 2, 'c', 3, 'd', 4, 'e', 5, 'f')\nredis.setresp(3)\nredis.call('hset', 'h', 'f', 'v')\nredis.call('hgetall', 'h')\nredis.call('sadd', 's', 'm')\nredis.call('smembers', 's')\nredis.pcall('get', 'nokey')\nredis.call('zadd', 'z', 1.5, 'm')\nredis.call('zscore', 'z', 'm')\nreturn 1",
		[]string{"1", "big"},
		"s|s|s|s|s|s|s|s|s|s|s|s|s|s|s|s"},
	{"timeout", "local i = 0\nwhile true do\n  i = i + 1\nend\n",
		[]string{"0"},
		"c|t|a"},
	{"protocol", "return 'hello'", []string{"0"},
		"hello\x00world|\x00hello|redis " + strings.Repeat("test ", 100) + "|c"},
}

// TestLDBTranscriptsMatchRedis steps through scripts on Redoubt and on
// redis-server with the same debugger commands: the sessions must be
// the same bytes, and YES must leave the data set as it was where SYNC
// keeps the script's writes.
func TestLDBTranscriptsMatchRedis(t *testing.T) {
	settings := []string{"busy-reply-threshold 300"}
	redis := difftest.StartRedis(t, settings...)
	for _, poller := range []string{"epoll", "portable"} {
		redoubt := difftest.StartRedoubt(t, append(settings, "io-poller "+poller)...)
		for _, sc := range ldbScripts {
			for _, mode := range []string{"sync", "yes"} {
				if mode == "yes" && sc.name != "basic" && sc.name != "replies" {
					continue
				}
				name := poller + "/" + sc.name + "/" + mode
				var transcripts [2][]string
				var after [2]string
				for i, addr := range []string{redis, redoubt} {
					c := difftest.Dial(t, addr)
					c.Do("flushall")
					c.Do("set", "k", "orig")
					c.Do("set", "big", "orig")
					transcripts[i] = ldbSession(t, addr, mode, sc.script, sc.args, cmdList(sc.cmds))
					after[i] = string(c.Do("mget", "k", "big", "cnt"))
				}
				sameTranscript(t, name, transcripts[0], transcripts[1])
				if after[0] != after[1] {
					t.Errorf("%s: data after the session: redis %q, redoubt %q", name, after[0], after[1])
				}
				if mode == "yes" && after[1] != "*3\r\n$4\r\norig\r\n$4\r\norig\r\n$-1\r\n" {
					t.Errorf("%s: a YES session's writes were kept: %q", name, after[1])
				}
			}
		}
	}
}

// TestLDBSyncKeepsYesRollsBack checks the two modes' effect on the data
// set directly, and that a YES session's writes reach neither the AOF
// nor a MONITOR-like effect on later commands.
func TestLDBSyncKeepsYesRollsBack(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c := difftest.Dial(t, addr)
	script := "redis.call('set', KEYS[1], 'new')\nredis.call('del', KEYS[2])\nredis.call('rpush', KEYS[3], 'x')\nreturn 1\n"
	for _, mode := range []string{"yes", "sync"} {
		c.Do("flushall")
		c.Do("set", "a", "old")
		c.Do("set", "b", "keep")
		ldbSession(t, addr, mode, script, []string{"3", "a", "b", "l"}, cmdList("c"))
		got := string(c.Do("mget", "a", "b", "l"))
		want := "*3\r\n$3\r\nold\r\n$4\r\nkeep\r\n$-1\r\n"
		if mode == "sync" {
			want = "*3\r\n$3\r\nnew\r\n$-1\r\n$-1\r\n"
		}
		if got != want {
			t.Errorf("%s: after the session %q, want %q", mode, got, want)
		}
		if mode == "sync" && string(c.Do("lrange", "l", "0", "-1")) != "*1\r\n$1\r\nx\r\n" {
			t.Errorf("sync: the list was not kept")
		}
	}
	// A YES session cannot flush: the undo log could not take it back.
	out := ldbSession(t, addr, "yes", "redis.call('flushall')", []string{"0"}, cmdList("c"))
	if !strings.Contains(strings.Join(out, ""), "FLUSHALL is not allowed in a SCRIPT DEBUG YES session") {
		t.Errorf("FLUSHALL in a YES session: %q", out)
	}
}

// TestLDBCommandErrorsMatchRedis compares what surrounds a session:
// SCRIPT DEBUG's own errors, EVALSHA in debugging mode, the pipeline
// rule, a protocol error in a debugger command, FCALL (never debugged).
func TestLDBCommandErrorsMatchRedis(t *testing.T) {
	redis := difftest.StartRedis(t)
	redoubt := difftest.StartRedoubt(t)
	cases := []string{
		"SCRIPT DEBUG maybe\r\nSCRIPT DEBUG\r\nPING\r\n",
		"PING\r\nSCRIPT DEBUG SYNC\r\nPING\r\n",
		"MULTI\r\nSCRIPT DEBUG YES\r\nEXEC\r\n",
		"SCRIPT DEBUG YES\r\nEVALSHA e0e1f9fabfc9d4800c877a703b823ac0578ff8db 0\r\nEVALSHA abc 0\r\nSCRIPT DEBUG NO\r\n",
		"FUNCTION LOAD \"#!lua name=lib\\nredis.register_function('f', function() return 1 end)\"\r\nSCRIPT DEBUG SYNC\r\nFCALL f 0\r\nPING\r\n",
		"SCRIPT DEBUG SYNC\r\nEVAL \"return 1\" 0\r\nc\r\n",
		"SCRIPT DEBUG SYNC\r\nEVAL \"return 1\" 0\r\n*1\r\n$0\r\n\r\n",
		"SCRIPT DEBUG SYNC\r\nEVAL \"return 1\" 2 k\r\n",
		"SCRIPT DEBUG SYNC\r\nEVAL \"return (\" 0\r\n",
	}
	for _, in := range cases {
		var got [2]string
		for i, addr := range []string{redis, redoubt} {
			difftest.Dial(t, addr).Do("function", "flush")
			c := ldbDial(t, addr)
			c.write(in)
			out := []string{c.readAll()}
			// A session still waiting ends with its client.
			c.conn.Close()
			got[i] = strings.Join(out, "")
		}
		// The parse error of a script names gopher-lua's token where
		// Lua names its own: compare up to it.
		if strings.Contains(in, "return (") {
			cut := func(s string) string { return s[:strings.Index(s, "user_script")] }
			got[0], got[1] = cut(got[0]), cut(got[1])
		}
		if got[0] != got[1] {
			t.Errorf("%q:\nredis:   %q\nredoubt: %q", in, got[0], got[1])
		}
	}
}

// TestLDBBusyAndKill: while a session waits for its client, the server
// goes on as under a slow script: past busy-reply-threshold others are
// answered -BUSY, and SCRIPT KILL ends the session (a YES session's
// writes rolled back).
func TestLDBBusyAndKill(t *testing.T) {
	addr := difftest.StartRedoubt(t, "busy-reply-threshold 100")
	c := ldbDial(t, addr)
	c.send("script", "debug", "yes")
	c.read()
	c.send("eval", "redis.call('set', KEYS[1], 'x')\nreturn 1", "1", "k")
	c.read()
	c.send("s")
	if r := c.read(); !strings.Contains(r, "<redis> set k x") {
		t.Fatalf("step: %q", r)
	}
	other := difftest.Dial(t, addr)
	time.Sleep(300 * time.Millisecond)
	if r := string(other.Do("get", "k")); !strings.HasPrefix(r, "-BUSY") {
		t.Fatalf("another client during a session: %q", r)
	}
	if r := string(other.Do("script", "kill")); r != "+OK\r\n" {
		t.Fatalf("SCRIPT KILL: %q", r)
	}
	end := c.read()
	if !strings.Contains(end, "<endsession>") {
		t.Fatalf("after SCRIPT KILL: %q", end)
	}
	if r := c.read(); !strings.Contains(r, "Script killed by user") {
		t.Fatalf("the EVAL's reply: %q", r)
	}
	if r := string(other.Do("exists", "k")); r != ":0\r\n" {
		t.Fatalf("the killed session's write: %q", r)
	}
}

// TestLDBRedisCLI drives redis-cli --ldb --eval through its standard
// input against Redoubt and redis-server: the same screen.
func TestLDBRedisCLI(t *testing.T) {
	cli := refredis.Tool(t, "redis-cli")
	redis := difftest.StartRedis(t)
	redoubt := difftest.StartRedoubt(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "script.lua")
	body := "local a = 1\nredis.call('set', KEYS[1], ARGV[1])\nredis.debug('set', KEYS[1])\nlocal b = redis.call('get', KEYS[1])\nreturn {a, b}\n"
	if err := os.WriteFile(file, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"--ldb", "--ldb-sync-mode"} {
		var out [2]string
		for i, addr := range []string{redis, redoubt} {
			host, port, _ := net.SplitHostPort(addr)
			difftest.Dial(t, addr).Do("set", "k", "orig")
			cmd := exec.Command(cli, "-h", host, "-p", port, mode, "--eval", file, "k", ",", "v")
			cmd.Stdin = strings.NewReader("s\np\ns\nhelp\nw\nc\n")
			b, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s on %s: %v\n%s", mode, addr, err, b)
			}
			after := difftest.Dial(t, addr).Do("get", "k")
			out[i] = string(b) + fmt.Sprintf("[k=%q]", after)
		}
		if out[0] != out[1] {
			t.Errorf("%s:\nredis:\n%s\nredoubt:\n%s", mode, out[0], out[1])
		}
		if !strings.Contains(out[1], "<debug> line 3: \"set\", \"k\"") {
			t.Errorf("%s: no redis.debug output:\n%s", mode, out[1])
		}
	}
}
