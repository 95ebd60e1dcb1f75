package acl

import (
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

// TestDiffCat compares ACL CAT and ACL CAT <category>, whose commands
// Redis lists in hash table order, so they are compared as sets.
func TestDiffCat(t *testing.T) {
	r := startRef(t, "")
	cmds := refCommands()
	var want []string
	for _, e := range r.ok("ACL", "CAT").Elems {
		want = append(want, e.Str)
	}
	compareLines(t, "ACL CAT", Categories(), want)
	for _, cat := range append(Categories(), "READ", "Keyspace") {
		got, err := cmds.Category(cat)
		if err != nil {
			t.Fatalf("ACL CAT %s: %v", cat, err)
		}
		var want []string
		for _, e := range r.ok("ACL", "CAT", cat).Elems {
			want = append(want, e.Str)
		}
		sort.Strings(want)
		got = append([]string(nil), got...)
		sort.Strings(got)
		compareLines(t, "ACL CAT "+cat, got, want)
	}
	for _, bad := range []string{"nosuch", "all", "", strings.Repeat("x", 200), "a\nb", "read\x00junk"} {
		v := r.do("ACL", "CAT", bad)
		_, err := cmds.Category(bad)
		if v.Type != '-' {
			if err != nil {
				t.Errorf("ACL CAT %q: Redis accepts it, we say %v", bad, err)
			}
			continue
		}
		if err == nil || "ERR "+err.Error() != v.Str {
			t.Errorf("ACL CAT %q: got %v, want %q", bad, err, v.Str)
		}
	}
}

// aclFiles are ACL files for ACL LOAD, good and bad. Each is loaded in
// turn, so a good one replaces the users the next ones are checked
// against.
var aclFiles = []string{
	"user alice on >alice ~* &* +@all\nuser bob on -@all +@set +acl ~set* &* >bob\n",
	"user default on nopass ~* &* +@all\nuser carol off\n",
	"user default on nopass ~* -@all +get +acl +ping\n",
	"user alice on\nuser alice off\n",
	"user default on\nuser default off\n",
	"foo\n", "user\n", "User alice\n", "user alice on badrule\n",
	"user alice +nosuch +nosuch2 badrule bad2 +nosuch3 #00\n",
	"user a\tb on\n", "user a\vb on\n", "user alice (~foo\n", "user alice (~foo +get\n",
	"  user alice on  \r\n\tuser bob on\t\n", "user  alice on\n",
	"user alice on (~foo +get)\nuser bob on (~foo +get) (%R~bar +@read) ~x\n",
	"user alice on #zz >x <y\n", "user alice on <y #zz\n", "\n\n\nuser alice on\n\n",
	"user alice on +get\x00junk\nuser bob on\n", "user alice on ~" + strings.Repeat("k", 1500) + " +get\n",
	"user alice on ~" + strings.Repeat("k", 1020) + "\x00" + strings.Repeat("k", 10) + "\n",
	"user alice on ~a\t +get\n", "user alice on (~a\t+get)\n", "user alice on\r\nuser bob on\r\n",
	"user alice on ~* ~foo\n", "user alice on &* &foo\n", "user alice on (&foo &bar) &baz\n",
	"user alice on ( ~foo +get )\n", "user alice (\n", "user alice on %R~a %W~a %~b\n",
	"user alice on +select|0 +config|get|x\n", "", "\n", "user default on nopass ~* &* +@all\n",
}

// TestDiffLoad loads each file into Redis with ACL LOAD and into Users
// with Load, and compares the errors or the users loaded.
func TestDiffLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	if err := os.WriteFile(path, []byte("user default on nopass ~* &* +@all\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := startRef(t, dir, "aclfile users.acl")
	us := NewUsers(refCommands())
	for _, content := range aclFiles {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		want := r.do("ACL", "LOAD")
		data, err := ReadFile(path, "users.acl")
		if err != nil {
			t.Fatal(err)
		}
		_, err = us.Load(data, "users.acl")
		switch {
		case want.Type == '-' && err == nil:
			t.Errorf("LOAD %q: Redis refuses with %q, we accept", content, want.Str)
		case want.Type != '-' && err != nil:
			t.Errorf("LOAD %q: we refuse with %q, Redis accepts", content, err)
		case err != nil && "ERR "+err.Error() != want.Str:
			t.Errorf("LOAD %q:\n got %q\nwant %q", content, "ERR "+err.Error(), want.Str)
		}
		compareLists(t, "after LOAD "+strings.ReplaceAll(content, "\n", "|"), r, us)
	}
	os.Remove(path)
	want := r.do("ACL", "LOAD")
	if _, err := ReadFile(path, "users.acl"); err == nil || "ERR "+err.Error() != want.Str {
		t.Errorf("LOAD of a missing file: got %v, want %q", err, want.Str)
	}
}

// compareLists compares ACL LIST.
func compareLists(t *testing.T, what string, r *ref, us *Users) {
	t.Helper()
	var want, got []string
	for _, e := range r.ok("ACL", "LIST").Elems {
		want = append(want, normRules(e.Str))
	}
	for _, l := range us.List() {
		got = append(got, normRules(l))
	}
	compareLines(t, what, got, want)
}

// TestDiffSave compares the file ACL SAVE writes.
func TestDiffSave(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "users.acl")
	os.WriteFile(path, nil, 0o644)
	r := startRef(t, dir, "aclfile users.acl")
	us := NewUsers(refCommands())
	for _, c := range setUserCorpus()[:200] {
		for _, step := range c.steps {
			if _, err := us.SetUser([]byte("x"+c.name), toBytes(step)); err == nil {
				r.ok(append([]string{"ACL", "SETUSER", "x" + c.name}, step...)...)
			}
		}
	}
	r.ok("ACL", "SAVE")
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(t.TempDir(), "mine.acl")
	if err := us.SaveFile(mine); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(mine)
	if err != nil {
		t.Fatal(err)
	}
	norm := func(b []byte) []string {
		var out []string
		for _, l := range strings.SplitAfter(string(b), "\n") {
			out = append(out, normRules(l))
		}
		return out
	}
	compareLines(t, "ACL SAVE", norm(got), norm(want))
	// What ACL SAVE wrote loads back into the same users.
	back := NewUsers(refCommands())
	if _, err := back.Load(got, "mine.acl"); err != nil {
		t.Fatal(err)
	}
	compareLines(t, "ACL SAVE read back", back.List(), us.List())
}

// TestDiffDirectives compares the checks of redis.conf user lines (a
// server refusing its configuration prints the error and exits) and the
// users they declare.
func TestDiffDirectives(t *testing.T) {
	bin := refredis.Tool(t, "redis-server")
	bad := []string{
		"user alice on badrule", "user alice badrule", "user alice on (~foo",
		"user alice (~foo +get", "user alice on >p (~x) nocmd", "user alice on ~* ~x",
		"user alice on (~a) (&* &b)", "user alice #zz", "user alice on +config|get|x",
		"user alice on\nuser alice off", "user alice on &x",
	}
	for _, line := range bad {
		conf := filepath.Join(t.TempDir(), "redis.conf")
		pubsub := strings.HasSuffix(line, "&x")
		text := "port 0\nsave \"\"\n"
		if pubsub {
			text += "acl-pubsub-default allchannels\n"
		}
		os.WriteFile(conf, []byte(text+line+"\n"), 0o644)
		out, _ := exec.Command(bin, conf).CombinedOutput()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		want := lines[len(lines)-1]
		d := NewDirectives(refCommands())
		var err error
		for _, l := range strings.Split(line, "\n") {
			args, ok := protocol.SplitArgs([]byte(l), nil)
			if !ok {
				t.Fatal(l)
			}
			if err = d.Add(bytesToStrings(args), pubsub); err != nil {
				break
			}
		}
		if err == nil || err.Error() != want {
			t.Errorf("config %q: got %v, want %q", line, err, want)
		}
	}

	// Lines that pass the first check: the server starts (or not, for
	// errors found when the users are created).
	good := []string{
		"user alice on >a ~* +@all (~x +get)\nuser default on nopass -@all +get +info +acl ~*",
		"user alice on +nosuch", "user \"a b\" on", "user bob\nuser default on nopass ~* &* +@all sanitize-payload",
		"user default on nopass ~* +@all -flushdb",
	}
	for _, lines := range good {
		dir := t.TempDir()
		conf := filepath.Join(dir, "users.conf")
		os.WriteFile(conf, []byte(lines+"\n"), 0o644)
		srv, log := refredis.Start(t, dir, "include "+conf)
		d := NewDirectives(refCommands())
		for _, l := range strings.Split(lines, "\n") {
			args, _ := protocol.SplitArgs([]byte(l), nil)
			if err := d.Add(bytesToStrings(args), false); err != nil {
				t.Fatalf("%q: %v", l, err)
			}
		}
		us := NewUsers(refCommands())
		notices, err := us.ApplyDirectives(d)
		if srv == nil {
			if err == nil || !strings.Contains(log, "# "+err.Error()+"\n") {
				t.Errorf("config %q: Redis exits with\n%s\nwe say %v", lines, log, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("config %q: Redis starts, we say %v", lines, err)
			continue
		}
		compareLists(t, "config "+lines, dialRef(t, srv), us)
		if len(notices) != strings.Count(lines, "user ")-strings.Count(lines, " on") {
			t.Errorf("config %q: notices %q", lines, notices)
		}
	}
}

func bytesToStrings(b [][]byte) []string {
	out := make([]string, len(b))
	for i := range b {
		out[i] = string(b[i])
	}
	return out
}
