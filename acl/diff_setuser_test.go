package acl

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// setUserCase is a user and the ACL SETUSER calls made on it, in order.
type setUserCase struct {
	name  string // "" for a generated one
	steps [][]string
}

func steps(s ...[]string) [][]string { return s }
func rules(r ...string) []string     { return r }

// setUserCorpus is hand-written rules, malformed ones included, covering
// every branch of the rule parser, then random mixes of command and
// category rules for the normalisation.
func setUserCorpus() []setUserCase {
	hashA := hashPassword([]byte("a"))
	one := func(r ...string) setUserCase { return setUserCase{steps: steps(r)} }
	cases := []setUserCase{
		one(), one("on"), one("off"), one("on", "off"), one("ON"), one("On\x00junk"),
		one("nopass"), one("resetpass"), one(">pass"), one(">pass", ">pass"),
		one(">a", ">b", "<a"), one("<nope"), one(">a", "nopass"), one("nopass", ">a"),
		one("#" + hashA), one("#" + strings.ToUpper(hashA)), one("#short"), one("!" + hashA),
		one(">a", "!"+hashA), one("!zz"), one(">"), one("<"), one("#"), one("!"),
		one(">a\x00b"), one("\xffbad"), one("+\xff"), one("~\xff\r"), one(">sp ace"), one("#"+hashA, ">a"),
		one("sanitize-payload"), one("skip-sanitize-payload"),
		one("sanitize-payload", "skip-sanitize-payload"), one("reset"),
		one("on", ">x", "~*", "+@all", "&*", "reset"),
		one("~*"), one("allkeys"), one("~foo", "~bar"), one("~foo", "~foo"), one("~*", "~foo"),
		one("allkeys", "resetkeys", "~a"), one("%R~a", "%W~a"), one("%R~a", "%RW~b", "%W~c"),
		one("%r~x"), one("%wr~x"), one("%~x"), one("%X~a"), one("%RR~a"), one("%R"), one("%"),
		one("%W~"), one("%RW"), one("%Rx~a"), one("~"), one("~a b"), one("~a\tb"), one("~a\x00b"),
		one("%RW~*"), one("%RW~*", "~foo"), one("~*", "resetkeys"), one("~a", "allkeys", "~b"),
		one("~a", "allkeys"), one("%R~a", "~a"), one("~a", "%W~a"),
		one("&*"), one("allchannels"), one("&foo", "&bar"), one("&foo", "&foo"),
		one("allchannels", "&foo"), one("resetchannels", "&foo"), one("&"), one("&a b"),
		one("&foo", "allchannels"), one("&foo", "resetchannels"), one("&a\x00"),
		one("+@all"), one("allcommands"), one("nocommands"), one("-@all"), one("+get"),
		one("+GET"), one("-get"), one("+@all", "-get"), one("+nosuch"), one("-nosuch"),
		one("+@nosuch"), one("+@"), one("-@"), one("+"), one("-"), one("+@READ"),
		one("+@read", "-@write"), one("-@read"), one("+@all", "-@read"),
		one("+config|get"), one("+config|GET"), one("-config|get"), one("+config|nosuch"),
		one("-config|nosuch"), one("+config|get|x"), one("+get|"), one("+config|"),
		one("+select|0"), one("+select|0", "+select|1"), one("+select|0", "+SELECT|0"),
		one("+select|0", "+select"), one("+select", "+select|0"), one("+select|0", "-select"),
		one("-select|0"), one("+debug|object"), one("+@all", "-debug", "+debug|digest"),
		one("+client|id", "+client|setname"), one("+memory|doctor"),
		one("+memory|doctor", "+memory"), one("+@all", "+client|id"),
		one("+@all", "-memory|doctor"), one("+@all", "-memory"), one("+get|a|b"),
		one("-get|a|b"), one("+|"), one("-|"), one("+nosuch|x"), one("+@all", "-@all", "+get"),
		one("+@all", "-get", "+get"), one("+get\x00x"), one("+@all", "-select", "+select|0", "+select|1"),
		one("-@all", "+select|0", "+@connection"), one("+@all", "-@connection", "+select|A"),
		one("+@read", "+@write", "-@dangerous"), one("+@all", "-@dangerous", "-@admin", "+config|get"),
		one("+@fast", "-@write"), one("+@slow"), one("-@all", "+@slow", "-config"),
		one("+@all", "-@slow"), one("+@admin", "+@dangerous", "-@all", "+@keyspace"),
		one("+@pubsub"), one("+@all", "-@pubsub", "+publish"),
		one("+@scripting", "+@transaction", "+@connection"),
		one("+@string", "+@hash", "+@list", "+@set", "+@sortedset"),
		one("+@all", "-@string", "-@hash", "-@list", "+get", "-script|flush"),
		one("-@all", "+client", "-client|kill", "+config|get", "+acl|whoami"),
		one("()"), one("( )"), one("(~foo +get)"), one("(~foo", "+get)"), one("(~foo", "+get", ")"),
		one("(", ")"), one("("), one("(~a", "(~b", "+get)"), one(")"), one("(this-is-invalid)"),
		one("(&* &fail)"), one("(%R~read* +@all)", "(%W~write* +@all)"), one("(~a)", "clearselectors"),
		one("(on)"), one("(>pass)"), one("(nopass)"), one("(+@all ~* &*)"), one(`("~a b")`),
		one(`("unbalanced)`), one(`('~a' +get)`), one(`("" ~a)`), one("(~a)", "(~b)", "reset"),
		one("(allchannels &x)"), one(" () "), one("(~a) junk"), one("(~a", "", "+get)"),
		one("(~a\x00 +get", "+set)"), one("(+select|0 +debug|object)"), one("(+config|get|x)"),
		one("(-@all +@read -@keyspace &chan ~k %R~r)"), one("(resetchannels)"), one("(allchannels)"),
		one("", "on", ""), one("reset", "(~a)"), one("clearselectors"), one("CLEARSELECTORS", "(~a)"),
		one("resetkeys", "~*", "%R~x"), one("allkeys", "foo"), one("selectors"),
		{steps: steps(rules("on", "~a", "&b", "+get", "(~c +set)"), rules("-get", "clearselectors"),
			rules("bad"), rules("+@all", "~*"), rules("resetkeys", "(+get ~x)"))},
		{steps: steps(rules(">a", ">b"), rules("<a", "<a"), rules("<b"))},
		{steps: steps(rules("&a", "&b"), rules("allchannels"), rules("resetchannels", "&c"))},
		{name: "a b", steps: steps(rules("on"))},
		{name: "a\x00b", steps: steps(rules("on"))},
		{name: "a\tb", steps: steps(rules())},
		{name: "Default-like", steps: steps(rules("on", "nopass", "~*", "&*", "+@all"))},
		{name: "default", steps: steps(rules("-@all", "+get"), rules("reset", "on", "nopass", "~*", "+@all"))},
	}
	for _, cat := range categoryNames {
		cases = append(cases, one("+@all", "-@"+cat), one("-@all", "+@"+cat))
	}
	return append(cases, randomCases(400)...)
}

// randomCases mixes command, subcommand and category rules at random,
// with a fixed seed, to exercise how rules are compacted.
func randomCases(n int) []setUserCase {
	rnd := rand.New(rand.NewPCG(7, 70))
	cmds := refCommands()
	var pool []string
	for _, c := range categoryNames {
		pool = append(pool, "+@"+c, "-@"+c)
	}
	for _, c := range cmds.cmds {
		pool = append(pool, "+"+c.name, "-"+c.name)
	}
	pool = append(pool, "+select|0", "+select|1", "+debug|object", "+@all", "-@all")
	var out []setUserCase
	for range n {
		var r []string
		for range 1 + rnd.IntN(8) {
			// Categories more often than single commands, so that the
			// bitmaps are varied.
			if rnd.IntN(2) == 0 {
				r = append(r, pool[rnd.IntN(2*numCategories)])
			} else {
				r = append(r, pool[rnd.IntN(len(pool))])
			}
		}
		out = append(out, setUserCase{steps: steps(r)})
	}
	return out
}

// TestDiffSetUser sends the corpus to Redis and to Users, with both
// settings of acl-pubsub-default, and compares the replies, ACL GETUSER
// and ACL LIST after every call, then ACL LIST and ACL USERS as a whole.
func TestDiffSetUser(t *testing.T) {
	for _, pubsub := range []string{"resetchannels", "allchannels"} {
		t.Run(pubsub, func(t *testing.T) {
			r := startRef(t, "", "acl-pubsub-default "+pubsub)
			us := NewUsers(refCommands())
			us.SetPubsubDefault(pubsub == "allchannels")
			// The corpus changes the default user: work as another.
			compareSetUser(t, r, us, "admin", rules("on", "nopass", "~*", "&*", "+@all"))
			r.ok("AUTH", "admin", "x")
			for i, c := range setUserCorpus() {
				name := c.name
				if name == "" {
					name = fmt.Sprintf("u%d", i)
				}
				for _, step := range c.steps {
					compareSetUser(t, r, us, name, step)
				}
			}
			var want []string
			for _, e := range r.ok("ACL", "LIST").Elems {
				want = append(want, normRules(e.Str))
			}
			var got []string
			for _, l := range us.List() {
				got = append(got, normRules(l))
			}
			compareLines(t, "ACL LIST", got, want)
			var names []string
			for _, e := range r.ok("ACL", "USERS").Elems {
				names = append(names, e.Str)
			}
			if got := us.Names(); !reflect.DeepEqual(got, names) {
				t.Errorf("ACL USERS: got %q, want %q", got, names)
			}
		})
	}
}

func compareSetUser(t *testing.T, r *ref, us *Users, name string, rules []string) {
	t.Helper()
	want := r.do(append([]string{"ACL", "SETUSER", name}, rules...)...)
	_, err := us.SetUser([]byte(name), toBytes(rules))
	switch {
	case want.Type == '-' && err == nil:
		t.Errorf("SETUSER %q %q: Redis refuses with %q, we accept", name, rules, want.Str)
	case want.Type != '-' && err != nil:
		t.Errorf("SETUSER %q %q: we refuse with %q, Redis accepts", name, rules, err)
	case err != nil && "ERR "+err.Error() != want.Str:
		t.Errorf("SETUSER %q %q:\n got %q\nwant %q", name, rules, "ERR "+err.Error(), want.Str)
	}
	g := r.do("ACL", "GETUSER", name)
	u := us.Get([]byte(name))
	if g.Null || u == nil {
		if !g.Null || u != nil {
			t.Errorf("SETUSER %q %q: user exists in Redis: %v, here: %v", name, rules, !g.Null, u != nil)
		}
		return
	}
	if got, want := normInfo(u.Info()), normInfo(userInfoFromRef(t, g)); !reflect.DeepEqual(got, want) {
		t.Errorf("SETUSER %q %q: ACL GETUSER\n got %+v\nwant %+v", name, rules, got, want)
	}
	checkRuleOrder(t, u)
}

// checkRuleOrder checks what sorting for the comparison hides: a
// container's rule comes before its subcommands' (the other way round
// would mean something else), and the command rules read back give the
// same bitmap, which Redis asserts each time it describes them.
func checkRuleOrder(t *testing.T, u *User) {
	t.Helper()
	for i, s := range u.selectors {
		rules := s.describeCommands(u.cmds)
		subSeen := map[string]bool{}
		back := newSelector(u.cmds, false, false)
		for _, tok := range strings.Split(rules, " ") {
			base, _, isSub := strings.Cut(tok[1:], "|")
			if isSub {
				subSeen[base] = true
			} else if subSeen[base] {
				t.Errorf("user %s: %q comes after a subcommand rule of it in %q", u.name, tok, rules)
			}
			if err := back.apply(u.cmds, tok); err != 0 {
				t.Fatalf("user %s: rule %q of %q does not read back: %s", u.name, tok, rules, err)
			}
		}
		if !reflect.DeepEqual(s.bits, back.bits) || s.future != back.future {
			t.Errorf("user %s: selector %d's rules %q read back as other commands", u.name, i, rules)
		}
	}
}

// compareLines reports the lines that differ, not whole lists.
func compareLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d lines, want %d:\n got %q\nwant %q", what, len(got), len(want), got, want)
		return
	}
	bad := 0
	for i := range got {
		if got[i] != want[i] && bad < 10 {
			t.Errorf("%s, line %d:\n got %q\nwant %q", what, i, got[i], want[i])
			bad++
		}
	}
}
