package main

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Ports that are not a Redis server: each is exit 2 with a message that
// says what is there, in the report and on standard error, and no panic.
func TestDoctorNotRedis(t *testing.T) {
	http := fakeServer(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
	})
	garbage := fakeServer(t, func(c net.Conn) { c.Write([]byte("\x00\x01\xfe\xffSSH-2.0-OpenSSH_9.6\r\n")) })
	noLine := fakeServer(t, func(c net.Conn) {
		c.Write([]byte("\x16\x03\x01\x02\x00 a TLS record, no line end"))
		io.Copy(io.Discard, c)
	})
	silent := fakeServer(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	closes := fakeServer(t, func(c net.Conn) {})
	// Lengths that would have a trusting reader allocate terabytes.
	hugeBulk := fakeServer(t, func(c net.Conn) { io.WriteString(c, "$99999999999999\r\n"); io.Copy(io.Discard, c) })
	hugeArray := fakeServer(t, func(c net.Conn) { io.WriteString(c, "*9223372036854775807\r\n:1\r\n"); io.Copy(io.Discard, c) })
	shortBulk := fakeServer(t, func(c net.Conn) { io.WriteString(c, "$1000\r\nredis_version:7") })
	// RESP, but not Redis: INFO answers an integer, or text without
	// redis_version.
	notInfo := respServer(t, func([]string) string { return ":1\r\n" })
	noVersion := respServer(t, func([]string) string { return bulk("hello:world\r\n") })
	for _, c := range []struct{ name, addr, want string }{
		{"HTTP", http, `not a Redis server: it answered "HTTP/1.1 400 Bad Request" (at INFO)`},
		{"garbage", garbage, `not a Redis server: it answered "\x00\x01\xfe\xffSSH-2.0-OpenSSH_9.6"`},
		{"TLS", noLine, `not a Redis server: it answered "\x16\x03\x01\x02\x00 a TLS record, no line end"`},
		{"silent", silent, "no reply within 300ms"},
		{"closing", closes, "the server closed the connection"},
		{"huge bulk", hugeBulk, `not a Redis server: it answered "$99999999999999"`},
		{"huge array", hugeArray, `not a Redis server: it answered "*9223372036854775807"`},
		{"short bulk", shortBulk, "the server closed the connection"},
		{"INFO not text", notInfo, "not a Redis server: INFO answered"},
		{"INFO without a version", noVersion, "not a Redis server: INFO has no redis_version"},
	} {
		r := runDoctor(t, c.addr, "--timeout", "300ms")
		if r.code != 2 {
			t.Errorf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+": the report", r.out, "the server could not be audited", c.want)
		mustContain(t, c.name+": standard error", r.err, c.addr+": "+c.want)
		if strings.Contains(r.out, "No findings") {
			t.Errorf("%s: %s", c.name, r)
		}
	}
	// One bad server does not hide the others' findings.
	redis, log := refredis.Start(t, t.TempDir(), "busy-reply-threshold 0")
	if redis == nil {
		t.Fatal(log)
	}
	r := runDoctor(t, http, redis.Addr(), "--json", "--timeout", "300ms")
	if r.code != 2 || len(r.with("4", levelWarning)) != 1 || len(r.with("-", levelUnchecked)) != 1 {
		t.Errorf("a bad server beside a good one: %s", r)
	}
}

// redisInfo is INFO of a Redis-like server with no memory limit.
const redisInfo = "# Server\r\nredis_version:7.0.15\r\n# Clients\r\nconnected_clients:1\r\nmaxclients:10000\r\n" +
	"# Memory\r\nused_memory:1000000\r\nmaxmemory:0\r\nmaxmemory_policy:noeviction\r\n" +
	"# Persistence\r\nrdb_last_bgsave_status:err\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n# Keyspace\r\ndb0:keys=5,expires=0,avg_ttl=0\r\n"

// A server that answers INFO and then stops answering: the report holds
// what INFO told, says which checks did not run, and the status is 2.
func TestDoctorServerStopsAnswering(t *testing.T) {
	addr := respServer(t, func(args []string) string {
		if strings.EqualFold(args[0], "INFO") {
			return bulk(redisInfo)
		}
		return "" // hang
	})
	r := runDoctor(t, addr, "--json", "--timeout", "300ms")
	if r.code != 2 {
		t.Fatalf("%s", r)
	}
	if f := r.with("9", levelCritical); len(f) != 1 {
		t.Errorf("INFO's failed save not reported: %s", r)
	}
	if f := r.with("6", levelInfo); len(f) != 1 {
		t.Errorf("INFO's maxmemory 0 not reported without CONFIG: %s", r)
	}
	partial := r.with("-", levelUnchecked)
	var said string
	for _, f := range partial {
		said += f.Title + ": " + f.Evidence + "\n"
	}
	mustContain(t, "the partial report", said, "the audit is partial: the server stopped answering",
		"no reply within 300ms", "CONFIG GET", "not run: scripts (4), commands that stall (7), connections (8), big and hot keys (1, 3)")
	// A check that panics (a reply nothing expected) costs that check
	// only.
	a := &audit{host: "h:1"}
	a.runCheck(doctorCheck{name: "boom (0)", run: func(*audit) { panic("index out of range") }})
	if len(a.findings) != 1 || a.findings[0].Level != levelUnchecked || !strings.Contains(a.findings[0].Evidence, "index out of range") {
		t.Errorf("a panicking check: %+v", a.findings)
	}
	mustContain(t, "standard error", r.err, "the server stopped answering")
}

// A server that refuses commands (ACL NOPERM, renamed or unknown
// commands): each check that could not run says why, the others run,
// and the status says what was found, not 2.
func TestDoctorRefusedCommands(t *testing.T) {
	// A fake: every command but INFO, SELECT and SCAN refused.
	addr := respServer(t, func(args []string) string {
		switch strings.ToUpper(args[0]) {
		case "INFO":
			if len(args) > 1 && args[1] == "guardrails" {
				return bulk("")
			}
			return bulk(redisInfo)
		case "SELECT":
			return "+OK\r\n"
		case "SCAN":
			return "*2\r\n" + bulk("0") + "*1\r\n" + bulk("k")
		}
		return "-NOPERM this user has no permissions to run the '" + strings.ToLower(args[0]) + "' command\r\n"
	})
	r := runDoctor(t, addr, "--json", "--timeout", "2s")
	if r.code != 1 {
		t.Fatalf("%s", r)
	}
	var said string
	for _, f := range r.findings {
		if f.Level == levelUnchecked {
			said += f.Incident + " " + f.Title + ": " + f.Evidence + "\n"
		}
	}
	mustContain(t, "the unchecked list", said,
		"4 busy-reply-threshold and script-kill-rollback not checked: CONFIG GET refused: NOPERM",
		"7 whether KEYS, FLUSHALL, FLUSHDB and DEBUG are enabled not checked: COMMAND INFO: NOPERM",
		"8 idle connections not checked: CLIENT LIST: NOPERM",
		"1 big keys (TYPE) not checked: TYPE: NOPERM this user has no permissions to run the 'type' command; 0 of 5 keys sampled")

	// Both INFO and CONFIG refused (a password needed): nothing to audit.
	noauth := respServer(t, func([]string) string { return "-NOAUTH Authentication required.\r\n" })
	r = runDoctor(t, noauth, "--timeout", "2s")
	if r.code != 2 {
		t.Errorf("NOAUTH: %s", r)
	}
	mustContain(t, "NOAUTH", r.out, "nothing could be audited: INFO refused: NOAUTH Authentication required.; CONFIG GET refused: NOAUTH")

	// The real Redis with ACL: the default user may not run CONFIG,
	// MEMORY or CLIENT; the big key is still found by its length.
	redis, log := refredis.Start(t, t.TempDir(), "maxmemory 100mb")
	if redis == nil {
		t.Fatal(log)
	}
	fillBigHash(t, redis.Addr(), "big", 110000)
	redis.Do("ACL", "SETUSER", "default", "-config", "-memory", "-client")
	r = runDoctor(t, redis.Addr(), "--json")
	if r.code != 1 {
		t.Fatalf("Redis with ACL: %s", r)
	}
	said = ""
	for _, f := range r.findings {
		if f.Level == levelUnchecked {
			said += f.Incident + " " + f.Title + ": " + f.Evidence + "\n"
		}
	}
	mustContain(t, "Redis with ACL", said, "CONFIG GET refused: NOPERM", "CLIENT LIST: NOPERM", "MEMORY USAGE: NOPERM")
	if big := r.with("1", levelWarning); len(big) != 1 || !strings.Contains(big[0].Evidence, "db0:'big' (hash, 110000 elements)") {
		t.Errorf("Redis with ACL: the big key: %s", r)
	}

	// Redoubt with CONFIG renamed away: what INFO shows is still
	// audited (the memory limit, the policy).
	redoubt := difftest.StartRedoubt(t, `rename-command CONFIG ""`)
	r = runDoctor(t, redoubt, "--json")
	if f := r.with("6", levelInfo); len(f) != 1 {
		t.Errorf("Redoubt without CONFIG: no memory limit not found from INFO: %s", r)
	}
	if f := r.with("10", levelUnchecked); len(f) != 1 || !strings.Contains(f[0].Evidence, "CONFIG GET refused") {
		t.Errorf("Redoubt without CONFIG: datadir-guard should be unchecked: %s", r)
	}
}
