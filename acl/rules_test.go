package acl

import (
	"reflect"
	"strings"
	"testing"
)

// TestRules checks the ACL LIST text of users made with rules, and the
// error texts of malformed rules. The differential tests check the same
// against Redis on a larger corpus; these pin down the texts.
func TestRules(t *testing.T) {
	hash := hashPassword([]byte("p"))
	for _, c := range []struct {
		rules []string
		want  string // ACL LIST's line, or the error
	}{
		{nil, "user u off resetchannels -@all"},
		{[]string{"reset"}, "user u off sanitize-payload resetchannels -@all"},
		{[]string{"on", "nopass", "~*", "&*", "+@all"}, "user u on nopass ~* &* +@all"},
		{[]string{"on", "off", "skip-sanitize-payload"}, "user u off skip-sanitize-payload resetchannels -@all"},
		{[]string{">p", ">p", "#" + hash}, "user u off #" + hash + " resetchannels -@all"},
		{[]string{">p", "<p"}, "user u off resetchannels -@all"},
		{[]string{">p", "nopass"}, "user u off nopass resetchannels -@all"},
		{[]string{"%R~a", "%W~a", "%W~b", "~c", "%r~d"}, "user u off ~a %W~b ~c %R~d resetchannels -@all"},
		{[]string{"%RW~*", "~x"}, "user u off ~* ~x resetchannels -@all"},
		{[]string{"~a", "allkeys"}, "user u off ~* resetchannels -@all"},
		{[]string{"&a", "&b", "&a"}, "user u off resetchannels &a &b -@all"},
		{[]string{"+@all", "-get"}, "user u off resetchannels +@all -get"},
		{[]string{"+@all", "-@string"}, "user u off resetchannels +@all -@string"},
		{[]string{"-@all", "+@string"}, "user u off resetchannels -@all +@string"},
		{[]string{"+@all", "-client|kill"}, "user u off resetchannels +@all -client|kill"},
		{[]string{"+memory|doctor", "+memory"}, "user u off resetchannels -@all +memory"},
		{[]string{"+@all", "+client|id"}, "user u off resetchannels +@all"},
		{[]string{"-@all", "+acl", "+config", "-config|set"}, "user u off resetchannels -@all +acl +config -config|set"},
		{[]string{"+select|0", "+select|1", "+SELECT|0"}, "user u off resetchannels -@all +select|0 +select|1"},
		{[]string{"+select|0", "+select"}, "user u off resetchannels -@all +select"},
		{[]string{"+select|0", "-select"}, "user u off resetchannels -@all"},
		{[]string{"+@all", "-select", "+select|0"}, "user u off resetchannels +@all -select +select|0"},
		{[]string{"(~a +get)", "( %R~b  +set )"}, "user u off resetchannels -@all (~a resetchannels -@all +get) (%R~b resetchannels -@all +set)"},
		{[]string{"(~a", "+get)"}, "user u off resetchannels -@all (~a resetchannels -@all +get)"},
		{[]string{"(~a)", "clearselectors"}, "user u off resetchannels -@all"},
		{[]string{`("unbalanced)`}, "user u off resetchannels -@all (resetchannels -@all)"},
		{[]string{"", "on"}, "user u on resetchannels -@all"},
		{[]string{"on\x00junk"}, "user u on resetchannels -@all"},

		{[]string{"bad"}, "Error in ACL SETUSER modifier 'bad': Syntax error"},
		{[]string{"+nosuch"}, "Error in ACL SETUSER modifier '+nosuch': Unknown command or category name in ACL"},
		{[]string{"+@nosuch"}, "Error in ACL SETUSER modifier '+@nosuch': Unknown command or category name in ACL"},
		{[]string{"+config|nosuch"}, "Error in ACL SETUSER modifier '+config|nosuch': Unknown command or category name in ACL"},
		{[]string{"-select|0"}, "Error in ACL SETUSER modifier '-select|0': Unknown command or category name in ACL"},
		{[]string{"+get|a|b"}, "Error in ACL SETUSER modifier '+get|a|b': Unknown command or category name in ACL"},
		{[]string{"+config|get|x"}, "Error in ACL SETUSER modifier '+config|get|x': Allowing first-arg of a subcommand is not supported"},
		{[]string{"+get|"}, "Error in ACL SETUSER modifier '+get|': Syntax error"},
		{[]string{"~*", "~a"}, "Error in ACL SETUSER modifier '~a': Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"},
		{[]string{"&*", "&a"}, "Error in ACL SETUSER modifier '&a': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
		{[]string{"<p"}, "Error in ACL SETUSER modifier '<p': The password you are trying to remove from the user does not exist"},
		{[]string{"#" + strings.ToUpper(hash)}, "Error in ACL SETUSER modifier '#" + strings.ToUpper(hash) + "': The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"},
		{[]string{"%~a"}, "Error in ACL SETUSER modifier '%~a': Syntax error"},
		{[]string{"%RR~a"}, "Error in ACL SETUSER modifier '%RR~a': Syntax error"},
		{[]string{"~a b"}, "Error in ACL SETUSER modifier '~a b': Syntax error"},
		{[]string{"~a\nb"}, "Error in ACL SETUSER modifier '~a b': Syntax error"},
		{[]string{"\xff\r"}, "Error in ACL SETUSER modifier '\xff ': Syntax error"},
		{[]string{"(~a", "(~b"}, "Unmatched parenthesis in acl selector starting at '(~b'."},
		{[]string{"(on)"}, "Error in ACL SETUSER modifier '(on)': Syntax error"},
		{[]string{"(&* &b)"}, "Error in ACL SETUSER modifier '(&* &b)': Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"},
		{[]string{"+bad\x00tail"}, "Error in ACL SETUSER modifier '+bad': Unknown command or category name in ACL"},
	} {
		us := NewUsers(nil)
		ch, err := us.SetUser([]byte("u"), toBytes(c.rules))
		got := ""
		if err != nil {
			got = err.Error()
			if us.Get([]byte("u")) != nil {
				t.Errorf("%q: a refused SETUSER created the user", c.rules)
			}
		} else {
			got = ch.User.Line()
			if !ch.Created {
				t.Errorf("%q: not reported created", c.rules)
			}
		}
		if got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.rules, got, c.want)
		}
	}
}

// TestSetUserIsAtomic: a refused ACL SETUSER leaves the user as it was.
func TestSetUserIsAtomic(t *testing.T) {
	us := NewUsers(nil)
	u := newTestUser(t, us, "u", "on", ">p", "~a", "+get")
	before := u.Line()
	if _, err := us.SetUser([]byte("u"), toBytes([]string{"reset", "+set", "bad"})); err == nil {
		t.Fatal("accepted a bad rule")
	}
	if u.Line() != before || !u.CheckPassword([]byte("p")) {
		t.Errorf("changed by a refused SETUSER: %q", u.Line())
	}
	ch, err := us.SetUser([]byte("u"), toBytes([]string{"-get"}))
	if err != nil || ch.User != u || ch.Created {
		t.Errorf("SETUSER of an existing user: %+v %v", ch, err)
	}
}

func TestUserNames(t *testing.T) {
	us := NewUsers(nil)
	for _, name := range []string{"a b", "a\tb", "a\x00b", "a\nb"} {
		if _, err := us.SetUser([]byte(name), nil); err == nil || err.Error() != "Usernames can't contain spaces or null characters" {
			t.Errorf("%q: %v", name, err)
		}
	}
	newTestUser(t, us, "b")
	newTestUser(t, us, "a")
	newTestUser(t, us, "B")
	if got, want := us.Names(), []string{"B", "a", "b", "default"}; !reflect.DeepEqual(got, want) {
		t.Errorf("ACL USERS: %q, want %q", got, want)
	}
}

func TestPubsubDefault(t *testing.T) {
	us := NewUsers(nil)
	us.SetPubsubDefault(true)
	if got := newTestUser(t, us, "u").Line(); got != "user u off &* -@all" {
		t.Errorf("new user with allchannels: %q", got)
	}
	if _, err := us.SetUser([]byte("v"), toBytes([]string{"&a"})); err == nil {
		t.Error("&a accepted on an allchannels user")
	}
	us.SetPubsubDefault(false)
	if got := us.Get([]byte("u")).Line(); got != "user u off &* -@all" {
		t.Errorf("existing user changed by acl-pubsub-default: %q", got)
	}
	if got := newTestUser(t, us, "u", "reset", "(~a)").Line(); got != "user u off sanitize-payload resetchannels -@all (~a resetchannels -@all)" {
		t.Errorf("reset: %q", got)
	}
}

func TestGetUser(t *testing.T) {
	us := NewUsers(nil)
	u := newTestUser(t, us, "u", "-@all", "+get", "resetchannels", "&channel1", "%R~foo1", "%W~bar1", "~baz1", "on", ">p",
		"(-@all +set resetchannels &channel2 %R~foo2 %W~bar2 ~baz2)", "(~* &* +@all)")
	want := UserInfo{
		Flags:     []string{"on"},
		Passwords: []string{hashPassword([]byte("p"))},
		Root:      SelectorInfo{Commands: "-@all +get", Keys: "%R~foo1 %W~bar1 ~baz1", Channels: "&channel1"},
		Selectors: []SelectorInfo{
			{Commands: "-@all +set", Keys: "%R~foo2 %W~bar2 ~baz2", Channels: "&channel2"},
			{Commands: "+@all", Keys: "~*", Channels: "&*"},
		},
	}
	if got := u.Info(); !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v\nwant %+v", got, want)
	}
	if got := us.Default().Info(); !reflect.DeepEqual(got, UserInfo{Flags: []string{"on", "nopass"}, Passwords: []string{},
		Root: SelectorInfo{Commands: "+@all", Keys: "~*", Channels: "&*"}, Selectors: []SelectorInfo{}}) {
		t.Errorf("default: %+v", got)
	}
}

func TestUsersAuthAndDelete(t *testing.T) {
	us := NewUsers(nil)
	newTestUser(t, us, "on", "on", ">p1", ">p2")
	newTestUser(t, us, "off", "off", ">p1")
	newTestUser(t, us, "free", "on", "nopass")
	for _, c := range []struct {
		user, pass string
		ok         bool
	}{
		{"on", "p1", true}, {"on", "p2", true}, {"on", "p3", false}, {"off", "p1", false},
		{"free", "anything", true}, {"nobody", "", false}, {"default", "", true},
	} {
		if got := us.Authenticate([]byte(c.user), []byte(c.pass)) != nil; got != c.ok {
			t.Errorf("AUTH %s %s: %v", c.user, c.pass, got)
		}
	}
	us.SetRequirePass("secret")
	if us.Authenticate([]byte("default"), []byte("")) != nil || us.Authenticate([]byte("default"), []byte("secret")) == nil {
		t.Error("requirepass")
	}
	if got := us.Default().Line(); got != "user default on #"+hashPassword([]byte("secret"))+" ~* &* +@all" {
		t.Errorf("requirepass: %q", got)
	}
	us.SetRequirePass("")
	if !us.Default().NoPass() {
		t.Error("requirepass \"\" is nopass")
	}

	on := us.Get([]byte("on"))
	if _, err := us.Delete(toBytes([]string{"on", "default"})); err == nil || err.Error() != MsgDeleteDefault {
		t.Errorf("deleting default: %v", err)
	}
	if us.Get([]byte("on")) == nil {
		t.Error("a refused DELUSER deleted a user")
	}
	gone, err := us.Delete(toBytes([]string{"on", "on", "nobody", "off"}))
	if err != nil || len(gone) != 2 || gone[0] != on || !on.Removed() || us.Get([]byte("on")) != nil {
		t.Errorf("DELUSER: %v %v", gone, err)
	}
}
