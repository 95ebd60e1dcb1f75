package command_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Differential tests of COMMAND against the running server. Redoubt lists
// only the commands it implements, which change as handlers are added, so
// the tests take that list from Redoubt's own COMMAND LIST and compare it
// with the same commands of Redis.

// available returns Redoubt's COMMAND LIST as a set.
func available(t testing.TB, redoubt *difftest.Conn) map[string]bool {
	t.Helper()
	set := map[string]bool{}
	for _, e := range redoubt.DoValue("COMMAND", "LIST").Elems {
		// Commands newer than the reference cannot be compared with it.
		if !command.NewerThanReference(e.Str) {
			set[e.Str] = true
		}
	}
	if !set["command"] || !set["command|info"] {
		t.Fatalf("COMMAND LIST does not list COMMAND itself: %v", set)
	}
	return set
}

// sameCanon compares canonical forms of the two servers' replies.
func sameCanon(t testing.TB, args []string, want, got []byte) {
	t.Helper()
	if !bytes.Equal(want, got) {
		t.Errorf("%s: %s", difftest.Quote(args), diff(want, got))
	}
}

func TestCommandInfoAndDocs(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		avail := available(t, p.Redoubt)
		k := keep(func(name string) bool { return avail[name] })
		for name := range avail {
			// INFO and DOCS take names in any case.
			for _, arg := range []string{name, strings.ToUpper(name)} {
				args := []string{"COMMAND", "INFO", arg}
				sameCanon(t, args, canonInfoList(p.Redis.DoValue(args...), k, false),
					canonInfoList(p.Redoubt.DoValue(args...), k, false))
				args = []string{"COMMAND", "DOCS", arg}
				sameCanon(t, args, canonDocsList(p.Redis.DoValue(args...), k),
					canonDocsList(p.Redoubt.DoValue(args...), k))
			}
		}

		// Whole tables, limited to the available commands.
		for _, args := range [][]string{{"COMMAND"}, {"COMMAND", "INFO"}} {
			sameCanon(t, args, canonInfoList(p.Redis.DoValue(args...), k, true),
				canonInfoList(p.Redoubt.DoValue(args...), k, true))
		}
		args := []string{"COMMAND", "DOCS"}
		sameCanon(t, args, canonDocsList(p.Redis.DoValue(args...), k), canonDocsList(p.Redoubt.DoValue(args...), k))

		// Several names at once, unknown ones and malformed ones in
		// between: nulls in INFO, left out of DOCS. These commands are
		// always there: COMMAND itself and its subcommands.
		args = []string{"COMMAND", "INFO", "command", "nosuch", "command|info", "COMMAND|DOCS", "get|key",
			"command|info|x", "command|", "|info", "", "command|nosuch", "command||info"}
		sameCanon(t, args, canonInfoList(p.Redis.DoValue(args...), k, false),
			canonInfoList(p.Redoubt.DoValue(args...), k, false))
		args = []string{"COMMAND", "DOCS", "nosuch", "command", "", "command|count|x", "Command|Help"}
		sameCanon(t, args, canonDocsList(p.Redis.DoValue(args...), k), canonDocsList(p.Redoubt.DoValue(args...), k))
		p.Do("COMMAND", "DOCS", "nosuch", "command|count", "", "command|count|x", "Command|Help")
		p.Do("COMMAND", "DOCS", "nosuch")
		p.Do("COMMAND", "INFO", "nosuch")
		p.Do("COMMAND", "HELP")
		p.Do("command", "help")
		p.Do("COMMAND", "COUNT", "x")
		p.Do("COMMAND", "NOSUCH")
		p.Do("COMMAND", "GETKEYS")
		p.Do("COMMAND", "GETKEYS", "get")
	})
}

func TestCommandCount(t *testing.T) {
	redoubt := difftest.Dial(t, difftest.StartRedoubt(t))
	avail := available(t, redoubt)
	top := 0
	for name := range avail {
		if !strings.Contains(name, "|") {
			top++
		}
	}
	count := redoubt.DoValue("COMMAND", "COUNT").Int
	if count != int64(top) {
		t.Errorf("COMMAND COUNT is %d, COMMAND LIST has %d commands", count, top)
	}
	if n := len(redoubt.DoValue("COMMAND").Elems); int64(n) != count {
		t.Errorf("COMMAND has %d entries, COMMAND COUNT says %d", n, count)
	}
	if n := len(redoubt.DoValue("COMMAND", "DOCS").Elems) / 2; int64(n) != count {
		t.Errorf("COMMAND DOCS has %d entries, COMMAND COUNT says %d", n, count)
	}
}

func TestCommandList(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		avail := available(t, p.Redoubt)
		k := keep(func(name string) bool { return avail[name] })
		same := func(args ...string) {
			t.Helper()
			want := strings.Join(canonNames(p.Redis.DoValue(args...), k), " ")
			got := strings.Join(canonNames(p.Redoubt.DoValue(args...), k), " ")
			if want != got {
				t.Errorf("%s\n redis:   %s\n redoubt: %s", difftest.Quote(args), want, got)
			}
		}
		same("COMMAND", "LIST")
		for _, cat := range []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash",
			"string", "bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow",
			"blocking", "dangerous", "connection", "transaction", "scripting",
			"READ", "Fast", "@read", "read\x00x", "nosuch", ""} {
			same("COMMAND", "LIST", "FILTERBY", "ACLCAT", cat)
		}
		for _, pat := range []string{"*", "set", "get", "config*", "config|*re*", "cl*help", "*|*",
			"COMMAND*", "[a-c]*", "?et", "command|*", "non_exists", "non_exists*", "", "*\x00*", "\\*"} {
			same("COMMAND", "LIST", "FILTERBY", "PATTERN", pat)
		}
		same("command", "list", "filterby", "pattern", "command*")
		same("COMMAND", "LIST", "FILTERBY", "MODULE", "non_existing_module")
		same("COMMAND", "LIST", "FILTERBY\x00x", "PATTERN\x00x", "command|count")
		// The pattern a COMMAND entry always matches, compared byte for
		// byte: its order is not hash order.
		p.Do("COMMAND", "LIST", "FILTERBY", "PATTERN", "command|count")
		for _, args := range [][]string{
			{"bad_arg"}, {"filterby", "bad_arg"}, {"filterby", "bad_arg", "bad_arg2"},
			{"filterby", "pattern"}, {"filterby", "pattern", "x", "y"},
			{"filterby", "pattern", "x", "filterby", "pattern", "y"}, {"filterby"},
		} {
			p.Do(append([]string{"COMMAND", "LIST"}, args...)...)
		}
	})
}

// getkeysCases cover every key spec shape and every command with its own
// key finder, including arguments those finders trip on. Each runs as
// GETKEYS and GETKEYSANDFLAGS.
var getkeysCases = [][]string{
	// index + range, fixed and to the end, with steps.
	{"get", "k"}, {"GET", "k"}, {"set", "k", "v"}, {"getdel", "k"}, {"mget", "a", "b", "c"},
	{"mset", "a", "1", "b", "2"}, {"mset", "a", "1", "b"}, {"msetnx", "a", "1", "b", "2"},
	{"del", "a", "b"}, {"exists", "a"}, {"rename", "a", "b"}, {"lmove", "a", "b", "left", "right"},
	{"blpop", "a", "b", "0"}, {"brpoplpush", "a", "b", "0"}, {"lcs", "a", "b"},
	{"smove", "a", "b", "m"}, {"sinterstore", "d", "a", "b"}, {"pfmerge", "d", "a", "b"},
	{"bitop", "and", "d", "a", "b"}, {"copy", "a", "b", "db", "1"}, {"object", "encoding", "k"},
	{"OBJECT", "ENCODING", "k"}, {"memory", "usage", "k"}, {"memory", "usage", "k", "samples", "5"},
	{"xgroup", "create", "k", "g", "$"}, {"xinfo", "stream", "k"}, {"georadius_ro", "k", "0", "0", "1", "km"},
	{"watch", "a", "b"}, {"touch", "a"}, {"restore", "k", "0", "x"},
	// SET and BITFIELD: flags depend on the arguments.
	{"set", "k", "v", "get"}, {"set", "k", "v", "EX", "10", "GET"}, {"set", "k", "v", "get\x00x"},
	{"set", "k", "get"}, {"set", "k", "v", "nx"},
	{"bitfield", "k"}, {"bitfield", "k", "get", "u8", "0"}, {"bitfield", "k", "set", "u8", "0", "1"},
	{"bitfield", "k", "incrby", "u8", "0", "1"}, {"bitfield", "k", "overflow", "wrap", "get", "u8", "0"},
	{"bitfield", "k", "get", "u8"}, {"bitfield", "k", "overflow"}, {"bitfield", "k", "foo"},
	{"bitfield", "k", "GET", "u8", "0", "SET", "u8", "0", "1"}, {"bitfield", "k", "set", "u8", "0"},
	{"bitfield_ro", "k", "get", "u8", "0"},
	// index + keynum, and the finders used when the count is bad.
	{"zunionstore", "d", "2", "a", "b"}, {"zunionstore", "d", "2", "a", "b", "weights", "1", "2"},
	{"zunionstore", "d", "0", "a"}, {"zunionstore", "d", "3", "a", "b"}, {"zunionstore", "d", "-1", "a"},
	{"zunionstore", "d", "2abc", "a", "b"}, {"zunionstore", "d", " 2", "a", "b"},
	{"zunionstore", "d", "+2", "a", "b"}, {"zunionstore", "d", "02", "a", "b"},
	{"zunionstore", "d", "4294967297", "a", "b"}, {"zunionstore", "d", "4294967296", "a"},
	{"zunionstore", "d", "99999999999999999999", "a"}, {"zunionstore", "d", "x", "a"},
	{"zinterstore", "d", "1", "a"}, {"zdiffstore", "d", "2", "a", "b"},
	{"zunion", "2", "a", "b"}, {"zunion", "2", "a"}, {"zunion", "2x", "a", "b"}, {"zinter", "1", "a", "withscores"},
	{"zdiff", "2", "a", "b"}, {"zintercard", "2", "a", "b", "limit", "1"}, {"zintercard", "3", "a", "b"},
	{"sintercard", "2", "a", "b"}, {"sintercard", "1x", "a", "b"},
	{"eval", "return 1", "2", "a", "b", "c"}, {"eval", "return 1", "0"}, {"eval", "return 1", "0", "a"},
	{"eval", "return 1", "-1"}, {"eval", "return 1", "3", "a"}, {"eval", "return 1", "1x", "a"},
	{"eval", "return 1", "x"}, {"evalsha", "abc", "1", "a"}, {"eval_ro", "s", "1", "a"},
	{"evalsha_ro", "abc", "2", "a", "b"}, {"fcall", "f", "1", "a", "x"}, {"fcall_ro", "f", "0"},
	{"fcall", "f", "2", "a"}, {"fcall", "f", "1 ", "a"},
	{"lmpop", "2", "a", "b", "left"}, {"lmpop", "0", "a", "left"}, {"lmpop", "1a", "a", "left"},
	{"blmpop", "0", "2", "a", "b", "left"}, {"blmpop", "0", "2", "a", "b"}, {"blmpop", "0", "x", "a", "b"},
	{"zmpop", "1", "a", "min"}, {"zmpop", "2", "a", "min"}, {"bzmpop", "0", "1", "a", "min", "count", "2"},
	{"bzmpop", "0", "3", "a", "min"},
	// keyword + range with a limit (XREAD, XREADGROUP).
	{"xread", "streams", "a", "b", "0", "0"}, {"xread", "count", "1", "block", "0", "streams", "a", "0"},
	{"xread", "STREAMS", "a", "b", "0"}, {"xread", "streams", "streams", "0"}, {"xread", "count", "streams", "a", "0"},
	{"xread", "block", "0", "foo", "streams", "a", "0"}, {"xread", "streams", "a", "0", "streams", "0"},
	{"xreadgroup", "group", "g", "c", "streams", "a", "0"},
	{"xreadgroup", "group", "g", "c", "count", "1", "noack", "streams", "a", "b", "0", "0"},
	{"xreadgroup", "group", "streams", "c", "streams", "a", ">"}, {"xreadgroup", "group", "g", "c", "streams", "a"},
	{"xreadgroup", "group", "g", "c", "streams", "a", "b", ">"},
	// keyword STORE / STOREDIST searched from the sixth argument.
	{"georadius", "k", "0", "0", "1", "km"}, {"georadius", "k", "0", "0", "1", "km", "store", "d"},
	{"georadius", "k", "0", "0", "1", "km", "storedist", "d"},
	{"georadius", "k", "0", "0", "1", "km", "store", "d", "storedist", "e"},
	{"georadius", "k", "0", "0", "1", "km", "store"}, {"georadius", "store", "0", "0", "1", "km", "withdist", "store", "d"},
	{"georadiusbymember", "k", "m", "1", "km", "STORE", "d"}, {"georadiusbymember", "k", "m", "1", "store", "d"},
	// keyword searched backwards, incomplete (MIGRATE).
	{"migrate", "h", "1", "k", "0", "1000"}, {"migrate", "h", "1", "", "0", "1000", "keys", "a", "b"},
	{"migrate", "h", "1", "k", "0", "1000", "keys", "a", "b"}, {"migrate", "h", "1", "", "0", "1000", "copy", "replace"},
	{"migrate", "h", "1", "", "0", "1000", "auth", "keys", "keys", "a"},
	{"migrate", "h", "1", "", "0", "1000", "copy", "replace", "auth2", "u", "keys", "KEYS", "a", "b"},
	{"migrate", "h", "1", "", "0", "1000", "keys"}, {"migrate", "h", "1", "", "0", "1000", "keys", "a", "keys"},
	{"migrate", "h", "1", "\x00", "0", "1000", "keys", "a"},
	// unknown specs (SORT, SORT_RO).
	{"sort", "k"}, {"sort", "k", "store", "d"}, {"sort", "k", "by", "p", "get", "g", "limit", "0", "1", "store", "d", "store", "e"},
	{"sort", "k", "store"}, {"sort", "k", "limit", "store", "x", "store", "d"}, {"sort", "k", "get", "store", "store", "d"},
	{"sort", "k", "STORE", "limit", "0", "1"}, {"sort", "k", "by", "store"}, {"sort_ro", "k", "by", "x", "get", "#"},
	// Channels are not keys.
	{"spublish", "ch", "m"}, {"publish", "ch", "m"}, {"ssubscribe", "a", "b"},
	// Errors.
	{"nosuch", "k"}, {"get", "a", "b"}, {"ping", "x"}, {"object", "nosuch", "k"}, {"object", "help"},
	{"config", "get", "x"}, {"object|encoding", "k"}, {"OBJECT", "encoding|x", "k"},
	{"zunionstore", "d"}, {"mset", "a"}, {"lmove", "a", "b", "left"}, {"eval", "s"},
}

func TestGetKeys(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		for _, c := range getkeysCases {
			p.Do(append([]string{"COMMAND", "GETKEYS"}, c...)...)
			p.Do(append([]string{"COMMAND", "GETKEYSANDFLAGS"}, c...)...)
		}
		// More keys than Redis's preallocated result holds.
		args := []string{"COMMAND", "GETKEYS", "ZUNIONSTORE", "target", "260"}
		for i := 1; i <= 260; i++ {
			args = append(args, "key"+strconv.Itoa(i))
		}
		p.Do(args...)
	})
}

// Renamed commands answer to their new name but are described under
// their own; hidden ones are gone. The commands renamed are picked among
// those Redoubt implements.
func TestCommandRenamed(t *testing.T) {
	probe := difftest.Dial(t, difftest.StartRedoubt(t))
	avail := available(t, probe)
	var keyed []string
	container := ""
	for _, name := range canonNames(probe.DoValue("COMMAND", "LIST"), nil) {
		if strings.Contains(name, "|") || name == "command" {
			continue
		}
		info := probe.DoValue("COMMAND", "INFO", name).Elems[0]
		switch {
		case len(info.Elems[9].Elems) > 0 && container == "":
			container = name
		case len(info.Elems[9].Elems) == 0 && info.Elems[3].Int > 0:
			keyed = append(keyed, name)
		}
	}
	if len(keyed) < 2 || container == "" {
		t.Fatalf("not enough commands to rename: %v %q", keyed, container)
	}
	renamed, hidden := keyed[0], keyed[1]
	var sub string
	for name := range avail {
		if strings.HasPrefix(name, container+"|") {
			sub = strings.TrimPrefix(name, container+"|")
			break
		}
	}

	conf := filepath.Join(t.TempDir(), "rename.conf")
	if err := os.WriteFile(conf, []byte("rename-command "+renamed+" renamed-cmd\n"+
		"rename-command "+hidden+" \"\"\nrename-command "+container+" renamed-container\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	k := keep(func(name string) bool { return avail[name] })
	difftest.EachProtocol(t, []string{"include " + conf}, func(t *testing.T, p *difftest.Pair) {
		for _, name := range []string{renamed, "renamed-cmd", "RENAMED-CMD", hidden, container, "renamed-container",
			"renamed-container|" + sub, container + "|" + sub} {
			args := []string{"COMMAND", "INFO", name}
			sameCanon(t, args, canonInfoList(p.Redis.DoValue(args...), k, false),
				canonInfoList(p.Redoubt.DoValue(args...), k, false))
			args = []string{"COMMAND", "DOCS", name}
			sameCanon(t, args, canonDocsList(p.Redis.DoValue(args...), k), canonDocsList(p.Redoubt.DoValue(args...), k))
		}
		for _, args := range [][]string{{renamed, "k"}, {"renamed-cmd", "k"}, {hidden, "k"}, {container, sub, "k"},
			{"renamed-container", sub, "k"}} {
			p.Do(append([]string{"COMMAND", "GETKEYS"}, args...)...)
		}
		names := map[string]bool{}
		for _, e := range p.Redoubt.DoValue("COMMAND", "LIST").Elems {
			names[e.Str] = true
		}
		if !names[renamed] || names["renamed-cmd"] || names[hidden] || !names[container+"|"+sub] {
			t.Errorf("COMMAND LIST after renames: %v", names)
		}
		for _, pat := range []string{renamed, "renamed*", hidden, container + "|*"} {
			want := canonNames(p.Redis.DoValue("COMMAND", "LIST", "FILTERBY", "PATTERN", pat), k)
			got := canonNames(p.Redoubt.DoValue("COMMAND", "LIST", "FILTERBY", "PATTERN", pat), k)
			if strings.Join(want, " ") != strings.Join(got, " ") {
				t.Errorf("COMMAND LIST FILTERBY PATTERN %s\n redis:   %v\n redoubt: %v", pat, want, got)
			}
		}
		top := 0
		for name := range avail {
			if !strings.Contains(name, "|") {
				top++
			}
		}
		if got := p.Redoubt.DoValue("COMMAND", "COUNT").Int; got != int64(top-1) {
			t.Errorf("COMMAND COUNT after hiding one command: %d, want %d", got, top-1)
		}
		if got := len(p.Redoubt.DoValue("COMMAND").Elems); got != top-1 {
			t.Errorf("COMMAND lists %d commands after hiding one, want %d", got, top-1)
		}
	})
}
