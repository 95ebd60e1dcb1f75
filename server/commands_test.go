package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

func TestConnectionCommandsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
ping
ping hello
ping a b
echo "hello world"
echo
select 1
set k v1
select 0
get k
select 1
get k
select 16
select -1
select x
select 0
auth
auth nopass
auth default whatever
auth a b c
hello 4
hello x
hello 2 setname "bad name"
hello 2 foo
client setname bad\nname
client setname ok-name
client getname
client setname ""
client getname
client id extra
client reply maybe
client no-evict maybe
client pause x
client pause -1
client pause 0 bogus
client kill 1.2.3.4:5
client kill id 0
client kill id x
client kill type foo
client kill user nobody
client kill skipme maybe
client kill addr
client kill addr 1.2.3.4:5 id
client list type foo
client list id x
client list foo
client nosuch
client
time extra
lastsave extra
nosuchcommand a b
quit extra
`)
}

// TestHelloReply compares HELLO's map, minus the fields that differ by
// nature (id, version).
func TestHelloReply(t *testing.T) {
	p := difftest.NewPair(t)
	for _, ver := range []string{"2", "3"} {
		want := p.Redis.DoValue("HELLO", ver).Map()
		got := p.Redoubt.DoValue("HELLO", ver).Map()
		for _, f := range []string{"server", "proto", "mode", "role"} {
			if want[f].String() != got[f].String() {
				t.Errorf("HELLO %s %s: redis %v, redoubt %v", ver, f, want[f], got[f])
			}
		}
		if len(want) != len(got) {
			t.Errorf("HELLO %s: %d fields, want %d", ver, len(got), len(want))
		}
	}
	// After HELLO 3 replies use RESP3 types. HELLO's own reply carries
	// the client id, which differs between servers.
	p.Redis.Do("HELLO", "3", "SETNAME", "x")
	p.Redoubt.Do("HELLO", "3", "SETNAME", "x")
	p.Do("CLIENT", "GETNAME")
	p.Do("GET", "nokey")
	for _, typ := range []string{"map", "double", "attrib", "push", "verbatim", "bignum", "true", "null", "set"} {
		p.Do("DEBUG", "PROTOCOL", typ)
		if typ == "push" {
			// The push is followed by a regular reply.
			if r, d := p.Redis.ReadRaw(), p.Redoubt.ReadRaw(); string(r) != string(d) {
				t.Errorf("reply after push: redis %q, redoubt %q", r, d)
			}
		}
	}
	p.Redis.Do("HELLO", "2")
	p.Redoubt.Do("HELLO", "2")
	p.Do("DEBUG", "PROTOCOL", "map")
	p.Do("DEBUG", "PROTOCOL", "push")
	p.Do("DEBUG", "PROTOCOL", "nosuch")
}

func TestAuthMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t, "requirepass s3cret")
	p.Script(`
get k
ping
hello 3
hello 2 auth default wrong
auth wrong
auth default wrong
auth s3cret
get k
client getname
reset
get k
auth default s3cret
get k
`)
}

func TestTransactionsMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
exec
discard
multi
multi
set a 1
get a
nosuchcommand
set a
exec
get a
multi
set a 2
get a
discard
get a
multi
set a 3
watch a
exec
multi
exec
watch a
multi
unwatch
exec
`)
}

// TestWatchMatchesRedis drives WATCH from two connections per server: a
// change from another client fails the watcher's EXEC.
func TestWatchMatchesRedis(t *testing.T) {
	redis, redoubt := difftest.StartRedis(t), difftest.StartRedoubt(t)
	type side struct{ a, b *difftest.Conn }
	sides := []side{
		{difftest.Dial(t, redis), difftest.Dial(t, redis)},
		{difftest.Dial(t, redoubt), difftest.Dial(t, redoubt)},
	}
	steps := []struct {
		who  string
		args []string
	}{
		{"a", []string{"SET", "x", "1"}},
		{"a", []string{"WATCH", "x"}},
		{"b", []string{"SET", "x", "2"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"GET", "x"}},
		{"a", []string{"EXEC"}},
		// Not touched: EXEC runs.
		{"a", []string{"WATCH", "x"}},
		{"b", []string{"GET", "x"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"GET", "x"}},
		{"a", []string{"EXEC"}},
		// The watched key's database matters.
		{"a", []string{"WATCH", "x"}},
		{"b", []string{"SELECT", "1"}},
		{"b", []string{"SET", "x", "other-db"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"GET", "x"}},
		{"a", []string{"EXEC"}},
		// FLUSHALL touches watched keys that exist.
		{"a", []string{"WATCH", "x"}},
		{"b", []string{"FLUSHALL"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"PING"}},
		{"a", []string{"EXEC"}},
		// ... but not keys that did not exist.
		{"a", []string{"WATCH", "nokey"}},
		{"b", []string{"FLUSHALL"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"PING"}},
		{"a", []string{"EXEC"}},
		// SWAPDB touches a watched key that exists in either database.
		{"b", []string{"SELECT", "1"}},
		{"b", []string{"SET", "y", "1"}},
		{"a", []string{"WATCH", "y"}},
		{"b", []string{"SWAPDB", "0", "1"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"PING"}},
		{"a", []string{"EXEC"}},
		// DISCARD unwatches.
		{"a", []string{"WATCH", "y"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"DISCARD"}},
		{"b", []string{"SET", "y", "2"}},
		{"a", []string{"MULTI"}},
		{"a", []string{"PING"}},
		{"a", []string{"EXEC"}},
	}
	for _, st := range steps {
		var replies [2]string
		for i, sd := range sides {
			c := sd.a
			if st.who == "b" {
				c = sd.b
			}
			replies[i] = string(c.Do(st.args...))
		}
		if replies[0] != replies[1] {
			t.Errorf("%s %v:\n redis:   %q\n redoubt: %q", st.who, st.args, replies[0], replies[1])
		}
	}
}

// TestEmbeddedWithGoRedis uses the embedded server the way an application
// test would: through go-redis, with a transaction and a pipeline.
func TestEmbeddedWithGoRedis(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	if err := rdb.Set(ctx, "greeting", "hello", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := rdb.Get(ctx, "greeting").Result(); err != nil || v != "hello" {
		t.Fatalf("GET: %q %v", v, err)
	}
	if _, err := rdb.Get(ctx, "missing").Result(); err != redis.Nil {
		t.Fatalf("GET missing: %v", err)
	}
	cmds, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Get(ctx, "a")
		return nil
	})
	if err != nil || len(cmds) != 2 || cmds[1].(*redis.StringCmd).Val() != "1" {
		t.Fatalf("MULTI/EXEC via go-redis: %v %v", cmds, err)
	}
	r3 := redis.NewClient(&redis.Options{Addr: addr, Protocol: 3})
	defer r3.Close()
	if v, err := r3.Get(ctx, "a").Result(); err != nil || v != "1" {
		t.Fatalf("RESP3 GET: %q %v", v, err)
	}
}

// TestClientListAndKill checks CLIENT LIST fields and that a killed
// client is gone at once.
func TestClientListAndKill(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	a, b := difftest.Dial(t, addr), difftest.Dial(t, addr)
	b.Do("CLIENT", "SETNAME", "victim")
	id := b.DoValue("CLIENT", "ID").Int
	list := a.DoValue("CLIENT", "LIST").Str
	if !strings.Contains(list, "name=victim") || !strings.Contains(list, "cmd=client|list") {
		t.Fatalf("CLIENT LIST: %q", list)
	}
	if got := a.DoValue("CLIENT", "KILL", "ID", strconv.FormatInt(id, 10)).Int; got != 1 {
		t.Fatalf("CLIENT KILL ID: %d", got)
	}
	if list := a.DoValue("CLIENT", "LIST").Str; strings.Contains(list, "name=victim") {
		t.Fatalf("killed client still listed: %q", list)
	}
}

// TestClientPauseWrite checks that CLIENT PAUSE WRITE holds writes but not
// reads, and that UNPAUSE releases them.
func TestClientPauseWrite(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	admin, reader, writer := difftest.Dial(t, addr), difftest.Dial(t, addr), difftest.Dial(t, addr)
	admin.Do("SET", "k", "before")
	admin.Do("CLIENT", "PAUSE", "100000", "WRITE")
	if got := string(reader.Do("GET", "k")); got != "$6\r\nbefore\r\n" {
		t.Fatalf("read during pause: %q", got)
	}
	writer.Send("SET", "k", "after")
	done := make(chan []byte)
	go func() { done <- writer.ReadRaw() }()
	select {
	case r := <-done:
		t.Fatalf("write ran during pause: %q", r)
	case <-time.After(200 * time.Millisecond):
	}
	admin.Do("CLIENT", "UNPAUSE")
	if r := <-done; string(r) != "+OK\r\n" {
		t.Fatalf("write after unpause: %q", r)
	}
	if got := string(reader.Do("GET", "k")); got != "$5\r\nafter\r\n" {
		t.Fatalf("value after unpause: %q", got)
	}
}

// TestClientNoTouch checks that reads of a CLIENT NO-TOUCH client leave
// the access data alone (the LFU counter, which with lfu-log-factor 0
// counts every access), while TOUCH still counts.
func TestClientNoTouch(t *testing.T) {
	addr := difftest.StartRedoubt(t, "maxmemory-policy allkeys-lfu", "lfu-log-factor 0")
	normal, quiet := difftest.Dial(t, addr), difftest.Dial(t, addr)
	normal.Do("SET", "k", "v")
	freq := func() int64 { return normal.DoValue("OBJECT", "FREQ", "k").Int }
	start := freq()
	if got := string(quiet.Do("CLIENT", "NO-TOUCH", "ON")); got != "+OK\r\n" {
		t.Fatalf("CLIENT NO-TOUCH ON: %q", got)
	}
	quiet.Do("GET", "k")
	if f := freq(); f != start {
		t.Fatalf("GET from a no-touch client moved the LFU counter from %d to %d", start, f)
	}
	quiet.Do("TOUCH", "k")
	if f := freq(); f != start+1 {
		t.Fatalf("TOUCH from a no-touch client: counter %d, want %d", f, start+1)
	}
	normal.Do("GET", "k")
	if f := freq(); f != start+2 {
		t.Fatalf("GET from a normal client: counter %d, want %d", f, start+2)
	}
	if got := string(quiet.Do("CLIENT", "NO-TOUCH", "maybe")); got != "-ERR syntax error\r\n" {
		t.Fatalf("CLIENT NO-TOUCH maybe: %q", got)
	}
}

// TestConfigSetPortRebinds moves the server to a new port with CONFIG
// SET, and checks that a port already in use fails as in Redis, leaving
// the server where it was.
func TestConfigSetPortRebinds(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c := difftest.Dial(t, addr)
	busy := difftest.StartRedis(t)
	_, busyPort, _ := strings.Cut(busy, ":")
	want := "-ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.\r\n"
	if got := string(c.Do("CONFIG", "SET", "port", busyPort)); got != want {
		t.Fatalf("CONFIG SET port <busy>: %q", got)
	}
	port := difftest.FreePort(t)
	if got := string(c.Do("CONFIG", "SET", "port", strconv.Itoa(port))); got != "+OK\r\n" {
		t.Fatalf("CONFIG SET port: %q", got)
	}
	moved := difftest.Dial(t, "127.0.0.1:"+strconv.Itoa(port))
	if got := string(moved.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("PING on the new port: %q", got)
	}
	// Existing connections stay.
	if got := string(c.Do("PING")); got != "+PONG\r\n" {
		t.Fatalf("PING on the old connection: %q", got)
	}
}

// TestSensitiveArgumentsRedacted checks that passwords never reach
// SLOWLOG or MONITOR, as in Redis.
func TestSensitiveArgumentsRedacted(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c, mon := difftest.Dial(t, addr), difftest.Dial(t, addr)
	mon.Do("MONITOR")
	c.Do("CONFIG", "SET", "slowlog-log-slower-than", "0")
	c.Do("SLOWLOG", "RESET")
	c.Do("AUTH", "not-real")
	c.Do("AUTH", "user", "secret-password")
	c.Do("HELLO", "2", "AUTH", "user", "secret-password")
	c.Do("CONFIG", "SET", "masterauth", "secret-password")
	c.Do("CONFIG", "SET", "slowlog-log-slower-than", "-1")
	log := c.DoValue("SLOWLOG", "GET", "-1").String()
	for _, want := range []string{
		`["AUTH", "(redacted)"]`,
		`["AUTH", "(redacted)", "(redacted)"]`,
		`["HELLO", "2", "AUTH", "(redacted)", "(redacted)"]`,
		`["CONFIG", "SET", "masterauth", "(redacted)"]`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("SLOWLOG lacks %s: %s", want, log)
		}
	}
	if strings.Contains(log, "secret") || strings.Contains(log, "not-real") {
		t.Errorf("a password reached SLOWLOG: %s", log)
	}
	// AUTH twice and HELLO; admin commands (CONFIG, SLOWLOG) are not shown.
	for i := 0; i < 3; i++ {
		line := string(mon.ReadRaw())
		if strings.Contains(line, "secret") || strings.Contains(line, "not-real") {
			t.Errorf("a password reached MONITOR: %s", line)
		}
	}
}
