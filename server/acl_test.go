package server_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/server"
)

// A user's session, sent to both servers: AUTH as the user, commands,
// keys and channels it may and may not touch, a transaction that
// queues a refused command, the same commands after the rules change
// under a queued EXEC, a script calling what the user may not run, and
// the ACL LOG those denials leave (its ages and client lines, which
// differ between any two servers, aside). DELUSER closes the user's
// connection on both.
func TestACLSessionMatchesRedis(t *testing.T) {
	redoubtAddr, redisAddr := difftest.StartRedoubt(t), difftest.StartRedis(t)
	admin := difftest.PairOf(t, redoubtAddr, redisAddr)
	user := difftest.PairOf(t, redoubtAddr, redisAddr)
	for _, cmd := range [][]string{
		{"ACL", "SETUSER", "alice", "on", ">pw", "~app:*", "%R~ro:*", "&news", "+@read", "+@write", "+@pubsub", "+@transaction", "+@scripting", "-flushall"},
		{"ACL", "SETUSER", "bob", "off", ">pw", "+@all", "~*"},
		{"SET", "ro:1", "r"},
	} {
		admin.Do(cmd...)
	}
	for _, cmd := range [][]string{
		{"AUTH", "alice", "wrong"},
		{"AUTH", "bob", "pw"},
		{"AUTH", "nobody", "pw"},
		{"AUTH", "alice", "pw"},
		{"ACL", "WHOAMI"},
		{"SET", "app:1", "v"},
		{"GET", "app:1"},
		{"SET", "other", "v"},
		{"GET", "ro:1"},
		{"SET", "ro:1", "w"},
		{"DEL", "app:1"},
		{"FLUSHALL"},
		{"PUBLISH", "news", "hi"},
		{"PUBLISH", "sports", "hi"},
		{"RPUSH", "app:list", "2", "1"},
		{"SORT", "app:list", "BY", "app:w_*"},
		{"SORT", "app:list", "GET", "#"},
		{"SORT", "app:list", "BY", "nosort"},
		{"MULTI"},
		{"SET", "app:2", "v"},
		{"FLUSHALL"},
		{"EXEC"},
		{"MULTI"},
		{"SET", "app:3", "v"},
		{"GET", "app:3"},
	} {
		user.Do(cmd...)
	}
	admin.Do("ACL", "SETUSER", "alice", "-@write")
	for _, cmd := range [][]string{
		{"EXEC"},
		{"EVAL", "return redis.call('set', 'app:4', 'v')", "0"},
		{"EVAL", "return redis.call('get', 'secret')", "0"},
		{"EVAL", "return redis.acl_check_cmd('set', 'app:4', 'v')", "0"},
		{"EVAL", "return redis.acl_check_cmd('get', 'app:4')", "0"},
	} {
		user.Do(cmd...)
	}
	for _, cmd := range [][]string{
		{"ACL", "DRYRUN", "alice", "get", "app:1"},
		{"ACL", "DRYRUN", "alice", "set", "app:1", "v"},
		{"ACL", "DRYRUN", "alice", "get", "other"},
		{"ACL", "DRYRUN", "nobody", "get", "x"},
		{"ACL", "DRYRUN", "alice", "nosuchcommand"},
		{"ACL", "USERS"},
		{"ACL", "GETUSER", "nobody"},
		{"ACL", "CAT", "dangerous"},
		{"ACL", "LOG", "-1"},
		{"ACL", "DELUSER", "default"},
	} {
		if cmd[1] == "CAT" {
			// Redoubt's own commands (OBJECT HOTKEYS) are in their
			// categories too; Redis's list is the rest.
			var got []string
			for _, e := range admin.Redoubt.DoValue(cmd...).Elems {
				if !command.NewerThanReference(e.Str) {
					got = append(got, e.Str)
				}
			}
			var want []string
			for _, e := range admin.Redis.DoValue(cmd...).Elems {
				want = append(want, e.Str)
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("%v\n redis:   %v\n redoubt: %v", cmd, want, got)
			}
			continue
		}
		if cmd[1] == "USERS" {
			admin.DoUnordered(cmd...)
			continue
		}
		admin.Do(cmd...)
	}
	// ACL LOG: the same entries, but for their ages and client lines.
	volatile := regexp.MustCompile(`(?s)\$11\r\nage-seconds\r\n[^\r]*\r\n[^\r]*\r\n\$11\r\nclient-info\r\n\$\d+\r\n[^\r]*\r\n`)
	want := volatile.ReplaceAll(admin.Redis.Do("ACL", "LOG"), nil)
	got := volatile.ReplaceAll(admin.Redoubt.Do("ACL", "LOG"), nil)
	if string(got) != string(want) {
		t.Errorf("ACL LOG\n redis:   %q\n redoubt: %q", want, got)
	}
	admin.Do("ACL", "LOG", "RESET")
	admin.Do("ACL", "LOG")
	admin.Do("ACL", "DELUSER", "alice", "nobody")
	for name, c := range map[string]*difftest.Conn{"redis": admin.Redis, "redoubt": admin.Redoubt} {
		for deadline := time.Now().Add(10 * time.Second); strings.Contains(string(c.Do("CLIENT", "LIST")), "user=alice"); time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s keeps the connection of a deleted user:\n%s", name, c.Do("CLIENT", "LIST"))
			}
		}
	}
}

// The users of aclfile are loaded at start; a file with a bad line stops
// the start; ACL SAVE writes the file ACL LOAD reads back.
func TestACLFileAtStart(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "users.acl")
	os.WriteFile(file, []byte("user alice on >pw ~* +@all\nuser default on nopass ~* &* +@all\n"), 0o600)
	addr := difftest.StartRedoubt(t, "aclfile "+file)
	c := difftest.Dial(t, addr)
	if r := string(c.Do("AUTH", "alice", "pw")); r != "+OK\r\n" {
		t.Fatalf("AUTH as a user of the aclfile: %q", r)
	}
	c.Do("ACL", "SETUSER", "bob", "on", ">pw2", "+get", "~*")
	if r := string(c.Do("ACL", "SAVE")); r != "+OK\r\n" {
		t.Fatalf("ACL SAVE: %q", r)
	}
	c.Do("ACL", "DELUSER", "bob")
	if r := string(c.Do("ACL", "LOAD")); r != "+OK\r\n" {
		t.Fatalf("ACL LOAD: %q", r)
	}
	// LOAD replaced alice, so her connection closed after the reply,
	// as in Redis.
	c = difftest.Dial(t, addr)
	if r := string(c.Do("AUTH", "bob", "pw2")); r != "+OK\r\n" {
		t.Fatalf("AUTH as a user saved and loaded back: %q", r)
	}

	bad := filepath.Join(dir, "bad.acl")
	os.WriteFile(bad, []byte("user carol on >pw ~* +nosuchcommand\n"), 0o600)
	if _, err := redoubt.Start(context.Background(), redoubt.Config{Settings: []string{"aclfile " + bad, "dir " + dir}}); err == nil {
		t.Fatal("started with an aclfile holding a bad rule")
	}
}

// User lines of redis.conf declare users at start; a bad one fails the
// start with Redis's message for its line; CONFIG REWRITE writes the
// users back; CLIENT KILL USER closes a user's connections.
func TestACLUserLinesAndKillUser(t *testing.T) {
	addr := startBound(t, "user alice on >pw ~app:* +@all", "user bob on nopass ~* +get")
	admin := difftest.Dial(t, addr)
	alice := difftest.Dial(t, addr)
	if r := string(alice.Do("AUTH", "alice", "pw")); r != "+OK\r\n" {
		t.Fatalf("AUTH as a user of a user line: %q", r)
	}
	if r := string(alice.Do("SET", "other", "v")); r != "-NOPERM this user has no permissions to access one of the keys used as arguments\r\n" {
		t.Fatalf("alice's key pattern: %q", r)
	}
	if r := string(admin.Do("CLIENT", "KILL", "USER", "alice")); r != ":1\r\n" {
		t.Fatalf("CLIENT KILL USER alice: %q", r)
	}
	if r := string(admin.Do("CLIENT", "KILL", "USER", "nobody")); r != "-ERR No such user 'nobody'\r\n" {
		t.Fatalf("CLIENT KILL USER nobody: %q", r)
	}
	// A rule that cannot be read fails the start as an error of its line;
	// an unknown command passes that check and fails when the users are
	// created, as Redis checks and applies in two steps.
	for text, lineErr := range map[string]bool{"user carol on >pw badrule": true, "user carol on >pw +nosuchcommand": false} {
		cfg := config.New()
		err := cfg.Load(text)
		if err == nil {
			_, err = server.New(cfg, server.Options{LogOutput: io.Discard})
		}
		var le *config.LoadError
		if err == nil || errors.As(err, &le) != lineErr || (lineErr && le.Line != 1) {
			t.Errorf("%q: %v", text, err)
		}
	}
}
