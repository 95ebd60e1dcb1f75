package server_test

import (
	"net"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// hostPort splits a test server's address for MIGRATE's arguments.
func hostPort(t *testing.T, addr string) (string, string) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

// TestMigrateMatchesRedis: each source server, Redis and Redoubt, moves
// the same keys to a target of its own (a fresh redis-server each), and
// the replies and the targets' contents must be the same.
func TestMigrateMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	targetAddrs := map[*difftest.Conn]string{p.Redis: difftest.StartRedis(t, "requirepass pw"), p.Redoubt: difftest.StartRedis(t, "requirepass pw")}
	targets := map[*difftest.Conn]*difftest.Conn{}
	for src, addr := range targetAddrs {
		targets[src] = difftest.Dial(t, addr)
		targets[src].Do("auth", "pw")
	}
	byteKeys, _ := difftest.EveryEncoding(p)
	p.Do("set", "ttl", "v")
	p.Do("pexpireat", "ttl", "4102444800000")
	// migrate runs the same MIGRATE on both sources, to their own targets.
	migrate := func(args ...string) {
		t.Helper()
		var replies [2]string
		for i, src := range []*difftest.Conn{p.Redis, p.Redoubt} {
			host, port := hostPort(t, targetAddrs[src])
			full := append([]string{"migrate", host, port}, args...)
			replies[i] = string(src.Do(full...))
		}
		if replies[0] != replies[1] {
			t.Errorf("MIGRATE %q:\n redis:   %q\n redoubt: %q", args, replies[0], replies[1])
		}
	}
	migrate("nokey", "0", "1000", "auth", "pw")
	migrate("s:short", "0", "1000")                       // no AUTH: the target refuses
	migrate("s:short", "0", "1000", "auth", "wrong")      // wrong password
	migrate("s:short", "0", "1000", "auth", "pw", "copy") // stays here too
	migrate("s:short", "0", "1000", "auth", "pw")         // BUSYKEY on the target
	migrate("s:short", "0", "1000", "auth", "pw", "replace")
	migrate("ttl", "2", "1000", "auth", "pw")
	migrate("x", "0", "1000", "auth", "pw", "keys", "a")
	migrate("", "0", "1000", "auth", "pw", "bogus")
	migrate("", "0", "1000", "auth2", "default", "pw", "keys", "nokey1", "nokey2")
	migrate(append([]string{"", "0", "5000", "auth2", "default", "pw", "keys"}, append(byteKeys, "nokey")...)...)
	migrate("k", "x", "1000")
	migrate("k", "0", "y")
	for _, k := range append(byteKeys, "s:short", "ttl") {
		p.Do("exists", k)
	}
	for _, cmd := range [][]string{{"select", "2"}, {"exists", "ttl"}, {"select", "0"}, {"dbsize"}} {
		if a, b := targets[p.Redis].Do(cmd...), targets[p.Redoubt].Do(cmd...); string(a) != string(b) {
			t.Errorf("targets differ on %q: %q vs %q", cmd, a, b)
		}
	}
	// MIGRATE sends the TTL relative, as Redis does: the deadline lands
	// within the milliseconds the transfer took.
	for _, target := range targets {
		target.Do("select", "2")
		if at := target.DoValue("pexpiretime", "ttl").Int; at < 4102444800000-1000 || at > 4102444800000+1000 {
			t.Errorf("the migrated TTL became deadline %d", at)
		}
		target.Do("select", "0")
	}
	for _, k := range byteKeys {
		if a, b := targets[p.Redis].Do("dump", k), targets[p.Redoubt].Do("dump", k); string(a) != string(b) {
			t.Errorf("targets hold different %s", k)
		}
	}
	// The connection is cached: INFO counts it.
	if got := difftest.InfoFields(t, p.Redoubt, "stats")["migrate_cached_sockets"]; got != "1" {
		t.Errorf("migrate_cached_sockets: %q", got)
	}
}

// TestMigrateIntoRedoubt: Redis moves keys to Redoubt with MIGRATE, and
// they arrive as they arrive in a redis-server target.
func TestMigrateIntoRedoubt(t *testing.T) {
	p := difftest.NewPair(t)
	byteKeys, keys := difftest.EveryEncoding(p)
	targets := difftest.PairOf(t, difftest.StartRedoubt(t), difftest.StartRedis(t))
	for _, addr := range []string{targets.Redoubt.Addr(), targets.Redis.Addr()} {
		host, port := hostPort(t, addr)
		args := append([]string{"migrate", host, port, "", "3", "5000", "copy", "keys"}, keys...)
		if got := string(p.Redis.Do(args...)); got != "+OK\r\n" {
			t.Fatalf("MIGRATE to %s: %q", addr, got)
		}
	}
	targets.Do("select", "3")
	for _, k := range byteKeys {
		targets.Do("dump", k)
	}
	targets.Do("dbsize")
}

// TestMigrateUnreachableTarget: a target that does not answer costs one
// IOERR reply and leaves the keys in place.
func TestMigrateUnreachableTarget(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("set", "k", "v")
	port := strconv.Itoa(difftest.FreePort(t))
	p.Do("migrate", "127.0.0.1", port, "k", "0", "200")
	p.Do("get", "k")
}
