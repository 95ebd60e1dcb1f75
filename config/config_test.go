package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestApplyGroupsRunOncePerSet(t *testing.T) {
	c := New()
	calls := map[string]int{}
	c.OnApply("min-replicas-to-write", func() error { calls["min-replicas"]++; return nil })
	c.OnApply("bind", func() error { calls["bind"]++; return nil })
	c.OnApply("maxmemory", func() error { calls["maxmemory"]++; return nil })

	// Both parameters of the group change: one call.
	if err := c.Set([][2]string{{"min-replicas-to-write", "1"}, {"min-slaves-max-lag", "5"}}, false); err != nil {
		t.Fatal(err)
	}
	// A value that does not change calls nothing, except for bind, which
	// Redis always applies.
	if err := c.Set([][2]string{{"maxmemory", "0"}, {"min-replicas-to-write", "1"}, {"bind", "* -::*"}}, false); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"min-replicas": 1, "bind": 1}
	for k, n := range want {
		if calls[k] != n {
			t.Errorf("%s applied %d times, want %d", k, calls[k], n)
		}
	}
	if calls["maxmemory"] != 0 {
		t.Errorf("maxmemory applied %d times without a change", calls["maxmemory"])
	}
}

func TestApplyFailureRestoresAll(t *testing.T) {
	c := New()
	var order []string
	fail := true
	c.OnApply("maxmemory", func() error { order = append(order, "maxmemory"); return nil })
	c.OnApply("port", func() error {
		order = append(order, "port")
		if fail {
			fail = false
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
	err := c.Set([][2]string{{"maxmemory", "1mb"}, {"timeout", "5"}, {"port", "7000"}}, false)
	want := "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs."
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
	if c.MaxMemory != 0 || c.Timeout != 0 || c.Port != 6379 {
		t.Errorf("not restored: maxmemory %d timeout %d port %d", c.MaxMemory, c.Timeout, c.Port)
	}
	// Applied in order, then every apply function again with the old
	// values.
	if got := strings.Join(order, " "); got != "maxmemory port maxmemory port" {
		t.Errorf("apply calls %q", got)
	}
}

func TestOnApplyUnknownPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("OnApply of an unknown parameter did not panic")
		}
	}()
	New().OnApply("nosuch", func() error { return nil })
}

func TestUserDirective(t *testing.T) {
	const fooHash = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae" // sha256("foo")
	for _, tc := range []struct {
		text, err, line string
	}{
		{text: "user default on nopass ~* &* +@all", line: "user default on nopass sanitize-payload ~* &* +@all"},
		{text: "user default on nopass sanitize-payload ~* &* +@all", line: "user default on nopass sanitize-payload ~* &* +@all"},
		{text: "user default reset on nopass allkeys allchannels allcommands skip-sanitize-payload", line: "user default on nopass skip-sanitize-payload ~* &* +@all"},
		{text: "requirepass foo\nuser default on #" + fooHash + " ~* &* +@all", line: "user default on sanitize-payload #" + fooHash + " ~* &* +@all"},
		{text: "user default on >foo ~* &* +@all\nrequirepass foo", line: "user default on sanitize-payload #" + fooHash + " ~* &* +@all"},
		{text: "user default on nopass ~* +@all\nacl-pubsub-default allchannels", line: "user default on nopass sanitize-payload ~* &* +@all"},
		{text: "requirepass foo", line: "user default on #" + fooHash + " ~* &* +@all"},
		{text: "user alice on nopass ~* +@all", err: "Error in user declaration 'alice': Redoubt has no ACL users but default"},
		{text: "user default on nopass ~key:* +@all", err: "Error in user declaration '~key:*': Redoubt cannot apply this ACL rule"},
		{text: "user default off nopass ~* &* +@all", err: "Error in user declaration 'default': Redoubt's default user is on, with ~* &* +@all"},
		{text: "user default on nopass ~* +@all", err: "Error in user declaration 'default': Redoubt's default user is on, with ~* &* +@all"},
		{text: "user default on #abc ~* &* +@all", err: "Error in user declaration '#abc': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{text: "user default on nopass ~* &* +@all\nrequirepass foo", err: "Error in user declaration 'default': its password must be requirepass's in Redoubt"},
		{text: "user default on >bar ~* &* +@all\nrequirepass foo", err: "Error in user declaration 'default': its password must be requirepass's in Redoubt"},
		{text: "user default on >foo <foo ~* &* +@all\nrequirepass foo", err: "Error in user declaration 'default': its password must be requirepass's in Redoubt"},
	} {
		c := New()
		err := c.Load(tc.text)
		switch {
		case tc.err != "":
			var le *LoadError
			if !errors.As(err, &le) || le.Msg != tc.err || le.Line != 1 {
				t.Errorf("%q: error %v, want %q at line 1", tc.text, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.text, err)
		case c.userLine() != tc.line:
			t.Errorf("%q: user line %q, want %q", tc.text, c.userLine(), tc.line)
		}
	}
}

func TestRenameError(t *testing.T) {
	c := New()
	if err := c.Load("# renames\nrename-command get g\n\nrename-command nosuch x\n"); err != nil {
		t.Fatal(err)
	}
	if len(c.Renames) != 2 || c.Renames[1] != [2]string{"nosuch", "x"} {
		t.Fatalf("renames %q", c.Renames)
	}
	got := c.RenameError(1, errors.New("No such command in rename-command")).Error()
	want := "Reading the configuration file, at line 4\n>>> 'rename-command nosuch x'\nNo such command in rename-command"
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestUnsupportedDirectives(t *testing.T) {
	for text, want := range map[string]string{
		"loadmodule /x/y.so a b": "Reading the configuration file, at line 1\n>>> 'loadmodule /x/y.so a b'\nCan't load module from /x/y.so: Redoubt does not support modules",
		"mymodule.option 5":      "Module Configuration detected without loadmodule directive or no ApplyConfig call: aborting",
	} {
		if err := New().Load(text); err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}

// The rewrite of a file that does not exist yet writes every parameter
// not at its default (and those Redis always writes), after the
// signature.
func TestRewriteNewFile(t *testing.T) {
	dir := t.TempDir()
	c := New()
	if err := c.Load("dir " + dir + "\nmaxmemory 1gb\nnotify-keyspace-events KEA\nbind 127.0.0.1\nsave 10 1"); err != nil {
		t.Fatal(err)
	}
	c.File = filepath.Join(dir, "new.conf")
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(c.File)
	if err != nil {
		t.Fatal(err)
	}
	// The lines of Redis's rewrite in the same case (checked by hand:
	// Redis's order is that of its hash table), in table order.
	want := "# Generated by CONFIG REWRITE\n" +
		"maxmemory 1gb\n" +
		"dir \"" + dir + "\"\n" +
		"save 10 1\n" +
		"notify-keyspace-events \"AKE\"\n" +
		"bind 127.0.0.1\n" +
		"latency-tracking-info-percentiles 50 99 99.9\n" +
		"user default on nopass ~* &* +@all\n"
	if string(data) != want {
		t.Errorf("got:\n%s\nwant:\n%s", data, want)
	}
	if fi, err := os.Stat(c.File); err != nil || fi.Mode().Perm() != 0o644&^umask() {
		t.Errorf("mode %v, %v", fi.Mode(), err)
	}
}

func TestRewriteErrorsReadAsStrerror(t *testing.T) {
	c := New()
	c.File = filepath.Join(t.TempDir(), "missing-dir", "redis.conf")
	if err := c.Rewrite(); err == nil || err.Error() != "No such file or directory" {
		t.Errorf("error %v", err)
	}
	c.File = t.TempDir()
	if err := c.Rewrite(); err == nil || err.Error() != "Is a directory" {
		t.Errorf("error %v", err)
	}
}

func TestDirIsRelativeToTheCurrentOne(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	c := New()
	if err := c.Load("dir " + dir + "\ndir sub\n"); err != nil {
		t.Fatal(err)
	}
	if want, _ := filepath.EvalSymlinks(filepath.Join(dir, "sub")); c.Dir != want {
		t.Errorf("dir %q, want %q", c.Dir, want)
	}
	err := c.Set([][2]string{{"dir", ""}}, true)
	if err == nil || err.Error() != "ERR CONFIG SET failed (possibly related to argument 'dir') - No such file or directory" {
		t.Errorf("error %v", err)
	}
}

func TestNotifyKeepsFlagsRedisDoesNotShow(t *testing.T) {
	c := New()
	if err := c.Set([][2]string{{"notify-keyspace-events", "nKA"}}, false); err != nil {
		t.Fatal(err)
	}
	// Redis shows "AK" but still sends the "new" events.
	if got := c.Get([]string{"notify-keyspace-events"})[0][1]; got != "AK" {
		t.Errorf("CONFIG GET shows %q", got)
	}
	if c.NotifyKeyspaceEvents != "AnK" {
		t.Errorf("NotifyKeyspaceEvents %q", c.NotifyKeyspaceEvents)
	}
}

func TestMemtoull(t *testing.T) {
	for s, want := range map[string]uint64{
		"0": 0, "": 0, "gb": 0, "1": 1, "1b": 1, "1k": 1000, "1KB": 1024, "3m": 3000000, "3Mb": 3 << 20,
		"2g": 2000000000, "2gB": 2 << 30, "18446744073709551615": 1<<64 - 1,
		"99999999999999999999": 1<<64 - 1, "18014398509481984kb": 0, // wraps, as in Redis
	} {
		if got, ok := memtoull(s); !ok || got != want {
			t.Errorf("memtoull(%q) = %d, %v; want %d", s, got, ok, want)
		}
	}
	for _, s := range []string{"-1", "1x", "1 kb", " 1", "1.5mb", "+1", strings.Repeat("1", 128)} {
		if _, ok := memtoull(s); ok {
			t.Errorf("memtoull(%q) succeeded", s)
		}
	}
}

// Redoubt's immutable parameters accept their own value, so that a tool
// writing every parameter back works; any other value is refused as
// Redis refuses changes to its immutable ones.
func TestImmutableExtensionAcceptsItsValue(t *testing.T) {
	c := New()
	if err := c.Set([][2]string{{"node-name", ""}}, false); err != nil {
		t.Errorf("setting node-name to its value: %v", err)
	}
	if err := c.Set([][2]string{{"node-name", "other"}}, false); err == nil || !strings.Contains(err.Error(), "immutable") {
		t.Errorf("changing node-name: %v", err)
	}
	if err := c.Set([][2]string{{"daemonize", "no"}}, false); err == nil {
		t.Error("Redis's immutable daemonize was set")
	}
}
