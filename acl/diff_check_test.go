package acl

import (
	"sort"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/command"
)

// dryRunUsers are users for the permission matrix, from the unrestricted
// to the very narrow, with selectors, key permissions, channels and
// first-args.
var dryRunUsers = map[string][]string{
	"all":       {"on", "nopass", "~*", "&*", "+@all"},
	"none":      {"on", "-@all"},
	"cmdonly":   {"on", "+@all"},
	"rw":        {"+@all", "%R~read*", "%W~write*", "%RW~rw*"},
	"prefixes":  {"+@all", "~foo:*", "~bar", "&*"},
	"selectors": {"+mget", "~key", "(+mget ~key ~otherkey)"},
	"rwsel":     {"(%R~read* +@all)", "(%W~write* +@all)"},
	"channels":  {"+@all", "~*", "resetchannels", "&foo", "&bar:*"},
	"patterns":  {"+@all", "~*", "resetchannels", "&news.*", "&*x"},
	"chansel":   {"-@all", "(+publish &a)", "(+publish &b)", "(+subscribe +psubscribe ~* &c*)"},
	"firstargs": {"-@all", "+select|0", "+debug|object", "+debug|Digest", "~*"},
	"readonly":  {"+@read", "-@keyspace", "~*"},
	"subs":      {"+@all", "-config|set", "-client", "+client|id", "~*", "&*"},
	"starperm":  {"+@all", "%R~*", "%W~w*"},
	"mixed":     {"-@all", "+@string", "-set", "~s*", "(+@list %W~l*)", "(+@hash %R~h*)"},
	"nokeys":    {"+@all", "resetkeys", "&*"},
	"emptypat":  {"+@all", "%R", "~"},
}

// dryRunCalls are calls whose keys or channels come from every kind of
// key spec, from commands' own key finders, and from channel arguments.
var dryRunCalls = [][]string{
	{"GET", "read"}, {"GET", "write"}, {"GET", "rw"}, {"GET", "foo:1"}, {"GET", "bar"},
	{"GET", "key"}, {"GET", "s1"}, {"GET", ""}, {"SET", "read", "v"}, {"SET", "write", "v"},
	{"SET", "rw", "v"}, {"SET", "write", "v", "GET"}, {"SET", "rw", "v", "GET"}, {"SET", "s1", "v"},
	{"COPY", "read", "write"}, {"COPY", "write", "read"}, {"MGET", "key", "otherkey"},
	{"MGET", "otherkey", "someotherkey"}, {"MGET", "key", "otherkey", "someotherkey"},
	{"MSET", "read", "1", "write", "2"}, {"LPUSH", "write", "1"}, {"LPUSH", "l1", "1"},
	{"LRANGE", "l1", "0", "1"}, {"HGET", "h1", "f"}, {"HSET", "h1", "f", "v"},
	{"EXISTS", "read"}, {"EXISTS", "nothing"}, {"TOUCH", "read", "write"},
	{"SORT", "read", "STORE", "write"}, {"SORT", "read", "BY", "x"}, {"SORT_RO", "read"},
	{"EVAL", "", "1", "rw1"}, {"EVAL", "", "1", "read"}, {"EVAL_RO", "", "1", "read"},
	{"EVAL", "", "0", "read"}, {"EVAL", "", "-1", "read"}, {"EVAL", "", "3", "rw", "rw"},
	{"FCALL", "f", "1", "read"}, {"FCALL_RO", "f", "1", "read"},
	{"GEORADIUS", "read", "0", "0", "1", "M", "STOREDIST", "write"},
	{"GEORADIUS", "write1", "0", "0", "1", "M", "STORE", "write2"},
	{"MIGRATE", "h", "1", "rw", "0", "500"}, {"MIGRATE", "h", "1", "read", "0", "500"},
	{"MIGRATE", "h", "1", "", "0", "5000", "KEYS", "rw", "read"},
	{"MIGRATE", "h", "1", "", "0", "5000", "AUTH2", "KEYS", "123", "KEYS", "write"},
	{"XREAD", "STREAMS", "read", "write", "0", "0"}, {"XREADGROUP", "GROUP", "g", "c", "STREAMS", "read", "0"},
	{"XADD", "write", "*", "f", "v"}, {"BITFIELD", "read", "GET", "u4", "0"},
	{"BITFIELD", "read", "SET", "u4", "0", "1"}, {"BITFIELD_RO", "read", "GET", "u4", "0"},
	{"SINTERCARD", "2", "read", "write"}, {"ZUNIONSTORE", "write", "2", "read", "rw"},
	{"LMOVE", "read", "write", "LEFT", "RIGHT"}, {"BLMPOP", "0", "2", "read", "write", "LEFT"},
	{"RENAME", "read", "write"}, {"HEXISTS", "write", "f"}, {"PFCOUNT", "read", "write"},
	{"MEMORY", "USAGE", "read"}, {"MEMORY", "USAGE", "nothing"}, {"OBJECT", "ENCODING", "read"},
	{"PUBLISH", "foo", "m"}, {"PUBLISH", "bar:1", "m"}, {"PUBLISH", "baz", "m"},
	{"PUBLISH", "news.x", "m"}, {"PUBLISH", "a", "m"}, {"PUBLISH", "b", "m"}, {"PUBLISH", "c1", "m"},
	{"SPUBLISH", "foo", "m"}, {"SPUBLISH", "zz", "m"}, {"SUBSCRIBE", "foo", "bar:x"},
	{"SUBSCRIBE", "foo", "zz"}, {"SUBSCRIBE", "c1", "c2"}, {"SUBSCRIBE", "c1", "a"},
	{"SSUBSCRIBE", "foo"}, {"SSUBSCRIBE", "foo", "zz"}, {"PSUBSCRIBE", "bar:*"},
	{"PSUBSCRIBE", "bar:x"}, {"PSUBSCRIBE", "foo"}, {"PSUBSCRIBE", "*"}, {"PSUBSCRIBE", "news.*"},
	{"PSUBSCRIBE", "news.*\x00tail"}, {"PSUBSCRIBE", "c*"}, {"PSUBSCRIBE", "c1"}, {"PSUBSCRIBE", "*x"},
	{"UNSUBSCRIBE", "zz"}, {"PUNSUBSCRIBE", "zz"}, {"SUNSUBSCRIBE", "zz"}, {"SUNSUBSCRIBE"},
	{"SELECT", "0"}, {"SELECT", "1"}, {"SELECT", "0\x00x"}, {"DEBUG", "OBJECT", "foo"},
	{"DEBUG", "digest"}, {"DEBUG", "DIGEST-VALUE", "k"}, {"DEBUG", "SLEEP", "0"},
	{"CONFIG", "GET", "x"}, {"CONFIG", "SET", "x", "y"}, {"CLIENT", "ID"}, {"CLIENT", "KILL", "x"},
	{"AUTH", "a", "b"}, {"HELLO"}, {"QUIT"}, {"RESET"}, {"PING"}, {"PUBSUB", "CHANNELS"},
	{"FLUSHALL"}, {"KEYS", "*"}, {"SCAN", "0"}, {"ACL", "WHOAMI"}, {"MULTI"}, {"EXEC"},
	{"WATCH", "read"}, {"WATCH", "nothing"}, {"SUBSTR", "s1", "0", "1"}, {"APPEND", "s2", "x"},
	{"SETRANGE", "read", "0", "x"}, {"GETDEL", "rw"}, {"GETEX", "read"}, {"GETEX", "read", "PERSIST"},
	{"LPOS", "l1", "x"}, {"RPOPLPUSH", "l1", "l2"}, {"HINCRBY", "h1", "f", "1"},
	{"DEL", "w1", "rw"}, {"UNLINK", "read"}, {"TYPE", "nothing"}, {"STRLEN", "write"},
	{"RESTORE", "write", "0", "x"}, {"DUMP", "read"}, {"OBJECT", "FREQ", "write"},
	{"XINFO", "STREAM", "read"}, {"XGROUP", "CREATE", "write", "g", "$"},
}

// TestDiffDryRun compares ACL DRYRUN for every user and call of the
// matrix, and DRYRUN's errors for unknown users and commands.
func TestDiffDryRun(t *testing.T) {
	r := startRef(t, "")
	us := NewUsers(refCommands())
	for name, rules := range dryRunUsers {
		r.ok(append([]string{"ACL", "SETUSER", name}, rules...)...)
		if _, err := us.SetUser([]byte(name), toBytes(rules)); err != nil {
			t.Fatalf("SETUSER %s: %v", name, err)
		}
	}
	tbl := fullTable()
	names := append([]string{"default"}, sortedKeys(dryRunUsers)...)
	kinds := map[string]int{}
	defer func() { t.Logf("verdicts compared: %v", kinds) }()
	for _, name := range names {
		u := us.Get([]byte(name))
		for _, call := range dryRunCalls {
			want := r.do(append([]string{"ACL", "DRYRUN", name}, call...)...)
			got, gotOK := dryRun(t, tbl, u, toBytes(call))
			wantOK := want.Type == '+'
			kind := "ok"
			if !wantOK {
				kind = want.Str[strings.LastIndexByte(want.Str, ' ')+1:]
			}
			kinds[kind]++
			if want.Type == '-' {
				t.Fatalf("DRYRUN %s %q: Redis errs: %s", name, call, want.Str)
			}
			if got != want.Str || gotOK != wantOK {
				t.Errorf("DRYRUN %s %q:\n got %q (ok %v)\nwant %q (ok %v)", name, call, got, gotOK, want.Str, wantOK)
			}
		}
	}
	if v := r.do("ACL", "DRYRUN", "nobody", "GET", "x"); "ERR "+DryRunNoUser([]byte("nobody")).Msg != v.Str {
		t.Errorf("DRYRUN unknown user: got %q, want %q", DryRunNoUser([]byte("nobody")).Msg, v.Str)
	}
	for _, call := range [][]string{{"nosuch"}, {"CONFIG", "nosuch"}, {"no\x00such"}} {
		v := r.do(append([]string{"ACL", "DRYRUN", "all"}, call...)...)
		if got := "ERR " + DryRunNoCommand([]byte(call[0])).Msg; got != v.Str {
			t.Errorf("DRYRUN %q: got %q, want %q", call, got, v.Str)
		}
	}
}

// dryRun resolves a call as the server does and checks it.
func dryRun(t *testing.T, tbl *command.Table, u *User, args [][]byte) (string, bool) {
	t.Helper()
	cmd := tbl.Lookup(args[0])
	if cmd != nil && len(cmd.Subs) > 0 && len(args) > 1 {
		cmd = cmd.LookupSub(args[1])
	}
	if cmd == nil || !cmd.ArityOK(len(args)) {
		t.Fatalf("%q is not a valid call", args)
	}
	var keys []command.KeyRef
	if u.NeedsKeys(cmd) {
		keys, _ = cmd.Spec.AppendKeys(nil, args)
	}
	return u.Check(cmd, args, keys).DryRun(cmd, args)
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDiffDeniedLater compares what Redis says of a command refused
// after it was queued in MULTI (EXEC's reply), inside a script, and by
// SORT's BY option (CheckWithAllKeys).
func TestDiffDeniedLater(t *testing.T) {
	r := startRef(t, "")
	us := NewUsers(refCommands())
	tbl := fullTable()
	setuser := func(name string, rules ...string) *User {
		r.ok(append([]string{"ACL", "SETUSER", name}, rules...)...)
		return newTestUser(t, us, name, rules...)
	}
	u := setuser("later", "on", "nopass", "+@all", "~*", "&*")
	c := dialRef(t, r.srv)
	c.ok("AUTH", "later", "x")

	for _, revoke := range [][]string{{"-incr"}, {"resetkeys", "~other"}, {"resetchannels"}} {
		setuser("later", "+@all", "allkeys", "allchannels")
		args := []string{"INCR", "k"}
		if revoke[0] == "resetchannels" {
			args = []string{"PUBLISH", "ch", "m"}
		}
		c.ok("MULTI")
		c.ok(args...)
		setuser("later", revoke...)
		exec := c.ok("EXEC")
		v, _ := call(t, tbl, u, args...)
		if len(exec.Elems) != 1 || exec.Elems[0].Str != v.ExecError() {
			t.Errorf("EXEC after %q: got %q, want %v", revoke, v.ExecError(), exec)
		}
	}

	setuser("later", "+@all", "allkeys", "-incr")
	v, _ := call(t, tbl, u, "INCR", "foo")
	e := c.do("EVAL", "return redis.call('incr','foo')", "0")
	if !strings.Contains(e.Str, v.ScriptError()) {
		t.Errorf("script: %q does not contain %q", e.Str, v.ScriptError())
	}

	args := toBytes([]string{"SORT", "mylist", "BY", "v*"})
	sort := tbl.Get("sort")
	keys, _ := sort.Spec.AppendKeys(nil, args)
	for _, rules := range []string{"(+sort ~mylist)", "(+sort ~mylist ~v*)", "(+sort ~mylist %W~*)",
		"(+sort ~mylist %R~*)", "+sort ~mylist (%R~*)", "+sort %RW~*", "+sort ~mylist %R~* %W~*"} {
		u := setuser("sorter", append([]string{"reset", "on", "nopass"}, strings.Fields(rules)...)...)
		c.ok("AUTH", "sorter", "x")
		want := c.do("SORT", "mylist", "BY", "v*").Type != '-'
		if got := u.CheckWithAllKeys(sort, args, keys, command.KeyAccess); got != want {
			t.Errorf("SORT BY as %s: Redis allows it: %v, we: %v", rules, want, got)
		}
		c.ok("AUTH", "later", "x")
	}
}
