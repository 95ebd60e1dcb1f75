package acl

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestGenPass(t *testing.T) {
	for bits, n := range map[int64]int{256: 64, 1: 1, 5: 2, 4096: 1024, 7: 2} {
		p, err := GenPass(bits)
		if err != nil || len(p) != n || strings.Trim(p, "0123456789abcdef") != "" {
			t.Errorf("GENPASS %d: %q %v", bits, p, err)
		}
	}
	for _, bits := range []int64{0, -236, 4097, 5000} {
		if _, err := GenPass(bits); err == nil || err.Error() != "ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096" {
			t.Errorf("GENPASS %d: %v", bits, err)
		}
	}
	a, _ := GenPass(256)
	b, _ := GenPass(256)
	if a == b {
		t.Error("two equal passwords")
	}
}

func TestCategories(t *testing.T) {
	if got := strings.Join(Categories(), " "); got != "keyspace read write set sortedset list hash string bitmap hyperloglog geo stream pubsub admin fast slow blocking dangerous connection transaction scripting" {
		t.Errorf("ACL CAT: %s", got)
	}
	if ParseCategory("READ") != CatRead || ParseCategory("all") != 0 || ParseCategory("read\x00x") != CatRead || ParseCategory("reaD ") != 0 {
		t.Error("ParseCategory")
	}
	cmds := DefaultCommands()
	if c, ok := cmds.CategoriesOf("GET"); !ok || !reflect.DeepEqual(c.Names(), []string{"read", "string", "fast"}) {
		t.Errorf("GET: %v", c.Names())
	}
	if c, _ := cmds.CategoriesOf("config|set"); c != CatAdmin|CatSlow|CatDangerous {
		t.Errorf("CONFIG SET: %v", c.Names())
	}
	list, err := cmds.Category("transaction")
	if err != nil || strings.Join(list, " ") != "discard exec multi unwatch watch" {
		t.Errorf("ACL CAT transaction: %q %v", list, err)
	}
	list, _ = cmds.Category("slow")
	i, j := indexOf(list, "config"), indexOf(list, "config|get")
	if i < 0 || j < i {
		t.Errorf("ACL CAT slow: a container after its subcommands, or missing: %q", list)
	}
	if _, err := cmds.Category("NON_EXISTS"); err == nil || err.Error() != "Unknown category 'NON_EXISTS'" {
		t.Errorf("%v", err)
	}
}

func indexOf(s []string, x string) int {
	for i, v := range s {
		if v == x {
			return i
		}
	}
	return -1
}

func TestLoad(t *testing.T) {
	us := NewUsers(nil)
	def := us.Default()
	old := newTestUser(t, us, "alice", "on")
	replaced, err := us.Load([]byte("user alice on >a ~* +@all\nuser bob off\n"), "users.acl")
	if err != nil {
		t.Fatal(err)
	}
	if len(replaced) != 1 || replaced[0] != old || !old.Removed() || us.Get([]byte("alice")) == old {
		t.Errorf("the previous users are returned as removed: %v", replaced)
	}
	if us.Default() != def || def.Line() != "user default on nopass ~* &* +@all" {
		t.Errorf("default user: %q", def.Line())
	}
	if _, err := us.Load([]byte("user default off -@all\n"), "users.acl"); err != nil || us.Default() != def || def.Enabled() {
		t.Errorf("the file's default user: %v %q", err, def.Line())
	}
	before := strings.Join(us.List(), "\n")
	_, err = us.Load([]byte("user carol on\nuser x on +nosuch badrule >p <q\nfoo\n"), "users.acl")
	want := "users.acl:2: Error in applying operation '+nosuch': Unknown command or category name in ACL. users.acl:2: Syntax error. users.acl:3 should start with user keyword followed by the username. WARNING: ACL errors detected, no change to the previously active ACL rules was performed"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if strings.Join(us.List(), "\n") != before {
		t.Error("a refused file changed the users")
	}
}

func TestFileText(t *testing.T) {
	long := strings.Repeat("x", 2000)
	for in, want := range map[string]string{
		"a\x00b\nc\n":            "ac\n",
		long[:1030] + "\x00y\nz": long[:1023] + long[:7] + "z",
		"":                       "",
		"no newline":             "no newline",
	} {
		if got := fileText([]byte(in)); got != want {
			t.Errorf("%q: got %q, want %q", in[:min(len(in), 20)], got[:min(len(got), 40)], want[:min(len(want), 40)])
		}
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	us := NewUsers(nil)
	newTestUser(t, us, "alice", "on", ">a", "~k*", "+get", "(+set ~s*)")
	path := filepath.Join(dir, "users.acl")
	if err := us.SaveFile(path); err != nil {
		t.Fatal(err)
	}
	data, err := ReadFile(path, "users.acl")
	if err != nil || string(data) != strings.Join(us.List(), "\n")+"\n" {
		t.Fatalf("saved %q, %v", data, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("ACL SAVE left %d files", len(entries))
	}
	if _, err := ReadFile(filepath.Join(dir, "nope"), "nope.acl"); err == nil || err.Error() != "Error loading ACLs, opening file 'nope.acl': No such file or directory" {
		t.Errorf("%v", err)
	}
	if err := us.SaveFile(filepath.Join(dir, "no", "such", "dir")); err == nil || !strings.HasPrefix(err.Error(), "Opening temp ACL file for ACL SAVE: No such file") {
		t.Errorf("%v", err)
	}
}

func TestDirectives(t *testing.T) {
	d := NewDirectives(nil)
	for _, c := range []struct {
		line string
		want string
	}{
		{"user alice on ~* +@all", ""},
		{"user alice off", "Error in user declaration 'alice': Duplicate user found. A user can only be defined once in config files"},
		{"user bob on badrule", "Error in user declaration 'bob': Syntax error"},
		{"user bob badrule", "Error in user declaration 'user': Syntax error"},
		{"user bob on +nosuch", ""},
		{"user default on nopass ~* -@all +get", ""},
		{"user carol (~x", "Error in user declaration 'user': Unknown command or category name in ACL"},
	} {
		err := d.Add(strings.Fields(c.line), false)
		if got := errText(err); got != c.want {
			t.Errorf("%q: got %q, want %q", c.line, got, c.want)
		}
	}
	us := NewUsers(nil)
	_, err := us.ApplyDirectives(d)
	if got := errText(err); got != "Error loading ACL rule '+nosuch' for the user named 'bob': Unknown command or category name in ACL" {
		t.Errorf("%q", got)
	}
	d = NewDirectives(nil)
	d.Add([]string{"user", "default", "on", "nopass", "~*", "-@all", "+get"}, false)
	d.Add([]string{"user", "dave"}, false)
	notices, err := us.ApplyDirectives(d)
	if err != nil || us.Default().Line() != "user default on nopass sanitize-payload ~* resetchannels -@all +get" ||
		len(notices) != 1 || notices[0] != "The user 'dave' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error." {
		t.Errorf("%q %v %q", notices, err, us.Default().Line())
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
