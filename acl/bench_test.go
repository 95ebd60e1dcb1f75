package acl

import (
	"fmt"
	"testing"

	"github.com/redoubt-db/redoubt/command"
)

// benchCall prepares a call for the check benchmarks.
func benchCall(b *testing.B, args ...string) (*command.Command, [][]byte, []command.KeyRef) {
	b.Helper()
	tbl := fullTable()
	argv := toBytes(args)
	cmd := tbl.Lookup(argv[0])
	keys, _ := cmd.Spec.AppendKeys(nil, argv)
	return cmd, argv, keys
}

func patternUser(b *testing.B) *User {
	rules := []string{"+@all", "&*"}
	for i := range 20 {
		rules = append(rules, fmt.Sprintf("~app:%d:*", i))
	}
	return newTestUser(b, NewUsers(nil), "patterns", rules...)
}

// The default user's check does not depend on the command or its keys.
func BenchmarkCheckDefaultUser(b *testing.B) {
	u := NewUsers(nil).Default()
	cmd, args, keys := benchCall(b, "SET", "key", "value")
	b.ReportAllocs()
	for b.Loop() {
		u.Check(cmd, args, keys)
	}
}

// A key that matches the last of 20 patterns.
func BenchmarkCheck20PatternsLastMatch(b *testing.B) {
	u := patternUser(b)
	cmd, args, keys := benchCall(b, "GET", "app:19:user:1000")
	b.ReportAllocs()
	for b.Loop() {
		if !u.Check(cmd, args, keys).OK() {
			b.Fatal("denied")
		}
	}
}

// A key that matches none of 20 patterns.
func BenchmarkCheck20PatternsDenied(b *testing.B) {
	u := patternUser(b)
	cmd, args, keys := benchCall(b, "GET", "other:user:1000")
	b.ReportAllocs()
	for b.Loop() {
		if u.Check(cmd, args, keys).OK() {
			b.Fatal("allowed")
		}
	}
}

// A command only the third selector allows.
func BenchmarkCheckSelectors(b *testing.B) {
	u := newTestUser(b, NewUsers(nil), "sel", "-@all", "(+get ~a:*)", "(+set ~b:*)", "(+@string ~c:* ~d:*)")
	cmd, args, keys := benchCall(b, "MSET", "c:1", "v", "d:2", "v")
	b.ReportAllocs()
	for b.Loop() {
		if !u.Check(cmd, args, keys).OK() {
			b.Fatal("denied")
		}
	}
}

// Describing rules scans the command table once per category and step;
// ACL LIST caches it per user.
func BenchmarkDescribeCommands(b *testing.B) {
	u := newTestUser(b, NewUsers(nil), "d", "+@read", "+@write", "-@dangerous", "+config|get", "-get")
	b.ReportAllocs()
	for b.Loop() {
		u.root().describeCommands(u.cmds)
	}
}

func BenchmarkSetUser(b *testing.B) {
	us := NewUsers(nil)
	rules := toBytes([]string{"reset", "on", ">pass", "~app:*", "&chan", "+@all", "-@dangerous", "(+get ~x)"})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := us.SetUser([]byte("u"), rules); err != nil {
			b.Fatal(err)
		}
	}
}
