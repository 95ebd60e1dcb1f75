package acl

import (
	"fmt"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/command"
)

// newTestUser makes a user with rules, failing the test on an error.
func newTestUser(t testing.TB, us *Users, name string, rules ...string) *User {
	t.Helper()
	ch, err := us.SetUser([]byte(name), toBytes(rules))
	if err != nil {
		t.Fatalf("SETUSER %s %q: %v", name, rules, err)
	}
	return ch.User
}

// call resolves and checks a call as the server does.
func call(t testing.TB, tbl *command.Table, u *User, args ...string) (Verdict, *command.Command) {
	t.Helper()
	b := toBytes(args)
	cmd := tbl.Lookup(b[0])
	if cmd != nil && len(cmd.Subs) > 0 && len(b) > 1 {
		cmd = cmd.LookupSub(b[1])
	}
	if cmd == nil {
		t.Fatalf("no command %q", args)
	}
	var keys []command.KeyRef
	if u.NeedsKeys(cmd) {
		keys, _ = cmd.Spec.AppendKeys(nil, b)
	}
	return u.Check(cmd, b, keys), cmd
}

func TestCheck(t *testing.T) {
	tbl := fullTable()
	us := NewUsers(nil)
	for _, c := range []struct {
		rules []string
		call  []string
		want  Verdict
	}{
		{nil, []string{"GET", "k"}, Verdict{DeniedCommand, 0}},
		{[]string{"+get"}, []string{"GET", "k"}, Verdict{DeniedKey, 1}},
		{[]string{"+get", "~k"}, []string{"GET", "k"}, Verdict{}},
		{[]string{"+get", "~K"}, []string{"GET", "k"}, Verdict{DeniedKey, 1}},
		{[]string{"+mget", "~a"}, []string{"MGET", "a", "b", "c"}, Verdict{DeniedKey, 2}},
		{[]string{"+@all", "%R~r*"}, []string{"SET", "r1", "v"}, Verdict{DeniedKey, 1}},
		{[]string{"+@all", "%W~w*"}, []string{"SET", "w1", "v"}, Verdict{}},
		{[]string{"+@all", "%W~w*"}, []string{"SET", "w1", "v", "GET"}, Verdict{DeniedKey, 1}},
		{[]string{"+@all", "%R~*"}, []string{"EXISTS", "any"}, Verdict{}},
		{[]string{"+@all", "resetkeys"}, []string{"PING"}, Verdict{}},
		{[]string{"+@all", "resetkeys"}, []string{"EXISTS", "a"}, Verdict{DeniedKey, 1}},
		{[]string{"-@all"}, []string{"AUTH", "a", "b"}, Verdict{}},
		{[]string{"-@all"}, []string{"HELLO"}, Verdict{}},
		{[]string{"-@all", "+select|0"}, []string{"SELECT", "0"}, Verdict{}},
		{[]string{"-@all", "+select|0"}, []string{"SELECT", "1"}, Verdict{DeniedCommand, 0}},
		{[]string{"-@all", "+debug|Object", "~*"}, []string{"DEBUG", "object", "k"}, Verdict{}},
		{[]string{"+@all", "-config|set", "~*"}, []string{"CONFIG", "SET", "a", "b"}, Verdict{DeniedCommand, 0}},
		{[]string{"+@all", "-config|set", "~*"}, []string{"CONFIG", "GET", "a"}, Verdict{}},
		{[]string{"+@all", "-config", "+config|get"}, []string{"CONFIG", "GET", "a"}, Verdict{}},
		{[]string{"+@all"}, []string{"PUBLISH", "c", "m"}, Verdict{DeniedChannel, 1}},
		{[]string{"+@all", "&c*"}, []string{"PUBLISH", "c1", "m"}, Verdict{}},
		{[]string{"+@all", "&c*"}, []string{"SUBSCRIBE", "c1", "d", "c2"}, Verdict{DeniedChannel, 2}},
		{[]string{"+@all", "&c*"}, []string{"PSUBSCRIBE", "c1"}, Verdict{DeniedChannel, 1}},
		{[]string{"+@all", "&c*"}, []string{"PSUBSCRIBE", "c*"}, Verdict{}},
		{[]string{"+@all", "&c*"}, []string{"UNSUBSCRIBE", "x"}, Verdict{}},
		{[]string{"+@all", "&c"}, []string{"SPUBLISH", "c", "m"}, Verdict{}},
		// The last denial of the selectors that allow the command wins:
		// a channel over a key, a later argument over an earlier one.
		{[]string{"+mget", "~a", "(+mget ~a ~b)"}, []string{"MGET", "b", "c"}, Verdict{DeniedKey, 2}},
		{[]string{"+mget", "~a", "(+mget ~a ~b)"}, []string{"GET", "a"}, Verdict{DeniedCommand, 0}},
		{[]string{"-@all", "(+publish &a)", "(+publish ~* &b)"}, []string{"PUBLISH", "c", "m"}, Verdict{DeniedChannel, 1}},
		{[]string{"(%R~r* +@all)", "(%W~w* +@all)"}, []string{"COPY", "r", "w"}, Verdict{DeniedKey, 2}},
		{[]string{"(%R~r* +@all)", "(%W~w* +@all)"}, []string{"GET", "r"}, Verdict{}},
	} {
		name := fmt.Sprintf("%q %q", c.rules, c.call)
		u := newTestUser(t, us, "u", append([]string{"reset"}, c.rules...)...)
		if got, _ := call(t, tbl, u, c.call...); got != c.want {
			t.Errorf("%s: got %+v, want %+v", name, got, c.want)
		}
	}
}

// TestCheckUnknownCommand: a command the ACL's table does not know (one
// added after the rules were written) runs only for a +@all user, as a
// module command loaded later does in Redis.
func TestCheckUnknownCommand(t *testing.T) {
	us := NewUsers(nil)
	spec := &command.Spec{Name: "brandnew", Arity: 1}
	cmd := &command.Command{Name: "brandnew", Arity: 1, Spec: spec}
	for rules, want := range map[string]bool{"+@all": true, "+@all -get": true, "-@all": false, "-@all +@read": false} {
		u := newTestUser(t, us, "u", append([]string{"reset", "~*"}, splitSpaces(rules)...)...)
		if got := u.Check(cmd, toBytes([]string{"brandnew"}), nil).OK(); got != want {
			t.Errorf("%s: allowed %v, want %v", rules, got, want)
		}
	}
}

func splitSpaces(s string) []string { return strings.Fields(s) }

func TestNeedsKeys(t *testing.T) {
	tbl := fullTable()
	us := NewUsers(nil)
	get, ping := tbl.Get("get"), tbl.Get("ping")
	if us.Default().NeedsKeys(get) {
		t.Error("the default user needs keys")
	}
	u := newTestUser(t, us, "u", "~*", "(+get ~a)")
	if !u.NeedsKeys(get) || u.NeedsKeys(ping) {
		t.Error("a selector without allkeys needs the keys of GET only")
	}
}

func TestKeyAndChannelAccess(t *testing.T) {
	us := NewUsers(nil)
	u := newTestUser(t, us, "u", "%R~r*", "(~w* &news.*)")
	for _, c := range []struct {
		key   string
		flags command.KeyFlag
		want  bool
	}{
		{"r1", command.KeyAccess, true},
		{"r1", command.KeyUpdate, false},
		{"w1", command.KeyUpdate | command.KeyAccess, true},
		{"x", 0, false},
		{"r1", 0, true},
	} {
		if got := u.CanAccessKey([]byte(c.key), c.flags); got != c.want {
			t.Errorf("key %s %v: %v, want %v", c.key, c.flags.Names(), got, c.want)
		}
	}
	if !u.CanAccessChannel([]byte("news.a"), false) || u.CanAccessChannel([]byte("news.a"), true) ||
		!u.CanAccessChannel([]byte("news.*"), true) || u.CanAccessChannel([]byte("x"), false) {
		t.Error("channel access")
	}
	if !us.Default().CanAccessChannel([]byte("*"), true) {
		t.Error("the default user has all channels")
	}
}

// TestCheckWithAllKeys follows Redis's tests of SORT BY and GET, which
// need one selector with the command and read access to every key.
func TestCheckWithAllKeys(t *testing.T) {
	tbl := fullTable()
	us := NewUsers(nil)
	args := toBytes([]string{"SORT", "mylist", "BY", "v*"})
	sort := tbl.Get("sort")
	keys, _ := sort.Spec.AppendKeys(nil, args)
	for rules, want := range map[string]bool{
		"(+sort ~mylist)":         false,
		"(+sort ~mylist ~v*)":     false,
		"(+sort ~mylist %W~*)":    false,
		"(+sort ~mylist %R~*)":    true,
		"+sort ~mylist (%R~*)":    false,
		"+sort allkeys":           true,
		"+sort %RW~*":             true,
		"+sort ~mylist %R~* %W~*": true,
	} {
		u := newTestUser(t, us, "u", append([]string{"reset"}, splitSpaces(rules)...)...)
		if got := u.CheckWithAllKeys(sort, args, keys, command.KeyAccess); got != want {
			t.Errorf("%s: %v, want %v", rules, got, want)
		}
	}
}

// TestCheckAllocs: checks allocate nothing, for the default user and for
// a user with many patterns and selectors.
func TestCheckAllocs(t *testing.T) {
	tbl := fullTable()
	us := NewUsers(nil)
	rules := []string{"+@all", "&chan*"}
	for i := range 20 {
		rules = append(rules, fmt.Sprintf("~pattern:%d:*", i))
	}
	narrow := newTestUser(t, us, "narrow", append(rules, "(+get ~x)", "(+select|0)")...)
	for _, c := range []struct {
		u    *User
		args []string
	}{
		{us.Default(), []string{"SET", "k", "v"}},
		{narrow, []string{"MSET", "pattern:19:a", "v", "pattern:3:b", "v"}},
		{narrow, []string{"MSET", "pattern:19:a", "v", "nope", "v"}},
		{narrow, []string{"SUBSCRIBE", "chan1", "chan2"}},
		{narrow, []string{"SELECT", "1"}},
	} {
		b := toBytes(c.args)
		cmd := tbl.Lookup(b[0])
		keys, _ := cmd.Spec.AppendKeys(nil, b)
		if n := testing.AllocsPerRun(100, func() { c.u.Check(cmd, b, keys) }); n != 0 {
			t.Errorf("%s %q: %v allocations", c.u.Name(), c.args, n)
		}
	}
}

func TestMessages(t *testing.T) {
	tbl := fullTable()
	get := tbl.Get("get")
	cfg := tbl.Get("config|set")
	args := toBytes([]string{"GET", "k\x00tail"})
	for _, c := range []struct{ got, want string }{
		{Verdict{DeniedCommand, 0}.Error(cfg), "NOPERM this user has no permissions to run the 'config|set' command"},
		{Verdict{DeniedKey, 1}.Error(get), "NOPERM this user has no permissions to access one of the keys used as arguments"},
		{Verdict{DeniedChannel, 1}.Error(get), "NOPERM this user has no permissions to access one of the channels used as arguments"},
		{Verdict{DeniedKey, 1}.ExecError(), "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to touch the specified keys"},
		{Verdict{DeniedCommand, 0}.ExecError(), "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: no permission to execute the command or subcommand"},
		{Verdict{DeniedChannel, 1}.ScriptError(), "The user executing the script can't publish to the channel mentioned in the command"},
		{Verdict{DeniedCommand, 0}.ScriptError(), "The user executing the script can't run this command or subcommand"},
		{Verdict{DeniedKey, 1}.Object(get, args), "k\x00tail"},
		{Verdict{DeniedCommand, 0}.Object(cfg, args), "config|set"},
		{Verdict{DeniedAuth, 0}.Reason.String() + Verdict{DeniedChannel, 0}.Reason.String(), "authchannel"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
	if text, ok := (Verdict{DeniedKey, 1}).DryRun(get, args); ok || text != "This user has no permissions to access the 'k' key" {
		t.Errorf("DRYRUN: %q %v", text, ok)
	}
}
