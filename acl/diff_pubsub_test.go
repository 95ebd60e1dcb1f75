package acl

import (
	"fmt"
	"testing"
	"time"
)

// subscription is one SUBSCRIBE, SSUBSCRIBE or PSUBSCRIBE a connection
// holds.
type subscription struct {
	cmd, channel string
}

// revocationCases: rules, subscriptions made under them, then the ACL
// SETUSER that changes them.
var revocationCases = []struct {
	before []string
	subs   []subscription
	after  []string
}{
	{[]string{"resetchannels", "&foo:1"}, []subscription{{"SUBSCRIBE", "foo:1"}}, []string{"resetchannels"}},
	{[]string{"resetchannels", "&foo:1"}, []subscription{{"SSUBSCRIBE", "foo:1"}}, []string{"resetchannels"}},
	{[]string{"resetchannels", "&bar:*"}, []subscription{{"PSUBSCRIBE", "bar:*"}}, []string{"resetchannels"}},
	{[]string{"allchannels"}, []subscription{{"PSUBSCRIBE", "foo"}}, []string{"resetchannels"}},
	{[]string{"resetchannels", "&foo:1", "&bar:*", "&orders"},
		[]subscription{{"SUBSCRIBE", "foo:1"}, {"SSUBSCRIBE", "orders"}, {"PSUBSCRIBE", "bar:*"}},
		[]string{"resetchannels", "&foo:1", "&bar:*", "&orders", "&baz:qaz", "&zoo:*"}},
	{[]string{"resetchannels", "&foo:1", "&bar:*"}, []subscription{{"PSUBSCRIBE", "bar:*"}}, []string{"allchannels"}},
	{[]string{"resetchannels", "&foo:*"}, []subscription{{"SUBSCRIBE", "foo:1"}}, []string{"resetchannels", "&foo:1"}},
	{[]string{"resetchannels", "&foo:*"}, []subscription{{"PSUBSCRIBE", "foo:*"}}, []string{"resetchannels", "&foo:1"}},
	{[]string{"resetchannels", "&foo:*"}, []subscription{{"PSUBSCRIBE", "foo:*"}}, []string{"resetchannels", "&foo:*", "&x"}},
	{[]string{"resetchannels", "(&a +@all)"}, []subscription{{"SUBSCRIBE", "a"}}, []string{"clearselectors"}},
	{[]string{"resetchannels", "(&a +@all)"}, []subscription{{"SUBSCRIBE", "a"}}, []string{"(&b)"}},
	{[]string{"resetchannels", "&a"}, []subscription{{"SUBSCRIBE", "a"}}, []string{"resetchannels", "(&a)"}},
	{[]string{"resetchannels", "&a"}, []subscription{{"SUBSCRIBE", "a"}}, []string{"(allchannels)"}},
	{[]string{"resetchannels", "&a"}, []subscription{{"SUBSCRIBE", "a"}}, []string{"-@all"}},
	{[]string{"resetchannels", "&a", "&b"}, []subscription{{"SUBSCRIBE", "a"}}, []string{"resetchannels", "&a"}},
	{[]string{"resetchannels", "&a", "&b"}, []subscription{{"SUBSCRIBE", "b"}}, []string{"resetchannels", "&a"}},
}

// TestDiffRevocation subscribes a connection as a user, changes the
// user, and compares whether Redis closed the connection with what
// Change.Revoked says of its subscriptions.
func TestDiffRevocation(t *testing.T) {
	r := startRef(t, "")
	us := NewUsers(refCommands())
	closedCount := 0
	defer func() { t.Logf("%d of %d subscribers closed", closedCount, len(revocationCases)) }()
	for i, c := range revocationCases {
		name := fmt.Sprintf("ps%d", i)
		before := append([]string{"on", "nopass", "+@all", "~*"}, c.before...)
		r.ok(append([]string{"ACL", "SETUSER", name}, before...)...)
		if _, err := us.SetUser([]byte(name), toBytes(before)); err != nil {
			t.Fatal(err)
		}
		sub := dialRef(t, r.srv)
		sub.ok("AUTH", name, "x")
		for _, s := range c.subs {
			sub.send(s.cmd, s.channel)
			if v := sub.read(); v.Type == '-' {
				t.Fatalf("case %d: %s %s: %s", i, s.cmd, s.channel, v.Str)
			}
		}
		r.ok(append([]string{"ACL", "SETUSER", name}, c.after...)...)
		ch, err := us.SetUser([]byte(name), toBytes(c.after))
		if err != nil {
			t.Fatal(err)
		}
		dropped := false
		if ch.Revoked != nil {
			for _, s := range c.subs {
				dropped = dropped || !ch.Revoked.Allows([]byte(s.channel), s.cmd == "PSUBSCRIBE")
			}
		}
		sub.conn.SetDeadline(time.Now().Add(30 * time.Second))
		closed := sub.closed()
		if closed {
			closedCount++
		}
		if closed != dropped {
			t.Errorf("case %d (%q, %v, %q): Redis closed the subscriber: %v, we would: %v",
				i, c.before, c.subs, c.after, closed, dropped)
		}
	}
}

// TestDiffLog makes the same denials in Redis and through Check and
// Log.Add, and compares ACL LOG but for the ages and client info, with
// a small acllog-max-len so that entries are grouped and dropped.
func TestDiffLog(t *testing.T) {
	r := startRef(t, "", "acllog-max-len 6")
	us := NewUsers(refCommands())
	log := NewLog(6)
	tbl := fullTable()
	setup := [][]string{
		{"antirez", "on", ">foo", "+set", "~object:1234", "+eval", "+multi", "+exec", "resetchannels", "+publish", "+auth"},
		{"sel", "on", "nopass", "+mget", "~key", "(+mget ~key ~otherkey)", "+auth"},
	}
	for _, s := range setup {
		r.ok(append([]string{"ACL", "SETUSER"}, s...)...)
		if _, err := us.SetUser([]byte(s[0]), toBytes(s[1:])); err != nil {
			t.Fatal(err)
		}
	}
	c := dialRef(t, r.srv)
	now := time.Now()
	run := func(user string, args ...string) {
		v := c.do(args...)
		cmd := tbl.Lookup([]byte(args[0]))
		if len(cmd.Subs) > 0 {
			cmd = cmd.LookupSub([]byte(args[1]))
		}
		u := us.Get([]byte(user))
		b := toBytes(args)
		keys, _ := cmd.Spec.AppendKeys(nil, b)
		verdict := u.Check(cmd, b, keys)
		if verdict.OK() != (v.Type != '-') {
			t.Fatalf("%s %q: Redis says %v, we say %+v", user, args, v, verdict)
		}
		if !verdict.OK() {
			if v.Str != verdict.Error(cmd) {
				t.Errorf("%s %q: got %q, want %q", user, args, verdict.Error(cmd), v.Str)
			}
			log.Add(LogEntry{Reason: verdict.Reason, Context: ContextToplevel,
				Object: verdict.Object(cmd, b), Username: user, Updated: now})
		}
	}
	auth := func(user, pass string) {
		v := c.do("AUTH", user, pass)
		if (us.Authenticate([]byte(user), []byte(pass)) != nil) != (v.Type == '+') {
			t.Fatalf("AUTH %s %s: Redis says %v", user, pass, v)
		}
		if v.Type == '-' {
			if v.Str != MsgWrongPass {
				t.Errorf("AUTH: got %q, want %q", v.Str, MsgWrongPass)
			}
			log.Add(LogEntry{Reason: DeniedAuth, Context: ContextToplevel, Object: "AUTH", Username: user, Updated: now})
		}
	}
	auth("antirez", "wrong")
	auth("antirez", "foo")
	for range 3 {
		run("antirez", "GET", "foo")
	}
	run("antirez", "SET", "somekeynotallowed", "1")
	run("antirez", "SET", "object:1234", "1")
	run("antirez", "PUBLISH", "chan", "m")
	run("antirez", "SET", "somekeynotallowed", "1")
	auth("nobody", "x")
	auth("sel", "x")
	run("sel", "GET", "key")
	run("sel", "MGET", "otherkey", "someotherkey")
	run("sel", "MGET", "key", "otherkey", "someotherkey")
	for i := range 8 {
		run("sel", "MGET", fmt.Sprintf("k%d", i))
	}
	run("sel", "GET", "key")
	auth("antirez", "foo")
	run("antirez", "GET", "foo")

	want := r.do("ACL", "LOG", "100")
	got := log.Entries(100)
	if len(want.Elems) != len(got) {
		t.Fatalf("ACL LOG: %d entries, want %d: %v", len(got), len(want.Elems), want)
	}
	for i, e := range want.Elems {
		m := e.Map()
		w := fmt.Sprintf("%d %s %s %s %s", m["count"].Int, m["reason"].Str, m["context"].Str, m["object"].Str, m["username"].Str)
		g := fmt.Sprintf("%d %s %s %s %s", got[i].Count, got[i].Reason, got[i].Context, got[i].Object, got[i].Username)
		if g != w {
			t.Errorf("ACL LOG entry %d: got %q, want %q", i, g, w)
		}
	}
}

// TestDiffRevocationAfterAuth: a RESP3 connection may subscribe as one
// user and then authenticate as another. Redis checks it against the
// new rules even when they only add channels, and closes it.
func TestDiffRevocationAfterAuth(t *testing.T) {
	r := startRef(t, "")
	us := NewUsers(refCommands())
	rules := []string{"on", "nopass", "+@all", "resetchannels", "&foo"}
	r.ok(append([]string{"ACL", "SETUSER", "late"}, rules...)...)
	us.SetUser([]byte("late"), toBytes(rules))
	sub := dialRef(t, r.srv)
	sub.ok("HELLO", "3")
	sub.ok("SUBSCRIBE", "bar")
	sub.ok("AUTH", "late", "x")
	more := []string{"&baz"}
	r.ok(append([]string{"ACL", "SETUSER", "late"}, more...)...)
	ch, _ := us.SetUser([]byte("late"), toBytes(more))
	dropped := ch.Revoked != nil && !ch.Revoked.Allows([]byte("bar"), false)
	if closed := sub.closed(); closed != dropped || !closed {
		t.Errorf("Redis closed the subscriber: %v, we would: %v", closed, dropped)
	}
}
