package command_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// The server makes available only the commands other packages implement.
// These tests instead build a table where every command of the specs has
// a handler, run COMMAND's handlers on it directly, and compare their
// replies with the reference Redis for all of its commands.

// nopServer is the engine around COMMAND's handlers, which only report
// errors; the embedded interface stays nil.
type nopServer struct{ command.Engine }

func (nopServer) RecordError(string) {}

// fullTable makes every command of the reference's specs available (not
// the newer commands Redoubt adds, which the reference does not have).
func fullTable() *command.Table {
	t := command.NewTable()
	nop := func(*command.Ctx) {}
	for _, s := range command.Specs() {
		if s.Name == "command" || command.NewerThanReference(s.Name) {
			continue
		}
		t.Handle(s.Name, nop)
		for _, sub := range s.Subcommands {
			if !command.NewerThanReference(sub.Name) {
				t.Handle(sub.Name, nop)
			}
		}
	}
	command.RegisterIntrospection(t)
	return t
}

// call runs a command of the table as the server would and returns the
// reply.
func call(t testing.TB, tab *command.Table, resp int, args ...string) []byte {
	t.Helper()
	argv := make([][]byte, len(args))
	for i, a := range args {
		argv[i] = []byte(a)
	}
	cmd := tab.Lookup(argv[0])
	if cmd != nil && cmd.Subs != nil && len(argv) > 1 {
		cmd = cmd.LookupSub(argv[1])
	}
	if cmd == nil || !cmd.ArityOK(len(argv)) {
		t.Fatalf("%s: not a valid call", difftest.Quote(args))
	}
	ctx := &command.Ctx{Args: argv, Cmd: cmd, W: &protocol.Writer{Resp: resp}, E: nopServer{}}
	cmd.Handler(ctx)
	return ctx.W.Buf
}

func TestFullTableMatchesRedis(t *testing.T) {
	tab := fullTable()
	redis := difftest.Dial(t, difftest.StartRedis(t))
	for _, resp := range []int{2, 3} {
		if resp == 3 {
			redis.Do("HELLO", "3")
		}
		same := func(what string, want, got []byte) {
			t.Helper()
			if !bytes.Equal(want, got) {
				t.Errorf("RESP%d %s: %s", resp, what, diff(want, got))
			}
		}
		do := func(args ...string) (want, got protocol.Value) {
			t.Helper()
			return decode(t, redis.Do(args...)), decode(t, call(t, tab, resp, args...))
		}

		want, got := do("COMMAND", "LIST")
		names := canonNames(want, nil)
		same("COMMAND LIST", []byte(strings.Join(names, " ")), []byte(strings.Join(canonNames(got, nil), " ")))
		same("COMMAND COUNT", redis.Do("COMMAND", "COUNT"), call(t, tab, resp, "COMMAND", "COUNT"))

		for _, name := range names {
			want, got := do("COMMAND", "INFO", name)
			same("COMMAND INFO "+name, canonInfoList(want, nil, false), canonInfoList(got, nil, false))
			want, got = do("COMMAND", "DOCS", name)
			same("COMMAND DOCS "+name, canonDocsList(want, nil), canonDocsList(got, nil))
		}

		want, got = do("COMMAND")
		same("COMMAND", canonInfoList(want, nil, true), canonInfoList(got, nil, true))
		want, got = do("COMMAND", "INFO")
		same("COMMAND INFO", canonInfoList(want, nil, true), canonInfoList(got, nil, true))
		want, got = do("COMMAND", "DOCS")
		same("COMMAND DOCS", canonDocsList(want, nil), canonDocsList(got, nil))
	}
}

// keyArgs returns argument vectors for a command: lengths its arity
// allows, up to a few extra arguments, filled with key names, numbers
// (for key counts), and the keywords its key specs search for at each
// position.
func keyArgs(s *command.Spec) [][]string {
	prefix := strings.Split(s.Name, "|")
	// One more than a fixed arity, to see the arity checked; GETKEYS
	// itself wants two arguments at least.
	lengths := []int{s.Arity, s.Arity + 1}
	if s.Arity < 0 {
		lengths = []int{-s.Arity, 1 - s.Arity, 2 - s.Arity, 3 - s.Arity, 6 - s.Arity}
	}
	var keywords []string
	for _, ks := range s.KeySpecs {
		if ks.Keyword != "" {
			keywords = append(keywords, ks.Keyword)
		}
	}
	var out [][]string
	for _, n := range lengths {
		n = max(n, 2)
		fill := func(f func(i int) string) []string {
			args := append([]string(nil), prefix...)
			for i := len(prefix); i < n; i++ {
				args = append(args, f(i))
			}
			return args
		}
		out = append(out,
			fill(func(i int) string { return "k" + strconv.Itoa(i) }),
			fill(func(int) string { return "2" }),
			fill(func(i int) string { return []string{"1", "k" + strconv.Itoa(i)}[i%2] }),
			fill(func(i int) string { return []string{"k" + strconv.Itoa(i), "3"}[i%2] }),
		)
		for _, kw := range keywords {
			for at := len(prefix); at < n; at++ {
				out = append(out, fill(func(i int) string {
					if i == at {
						return kw
					}
					return "k" + strconv.Itoa(i)
				}))
			}
		}
	}
	return out
}

// Every command of the specs, with or without a handler, must find the
// same keys as Redis in every argument vector keyArgs makes.
func TestGetKeysEveryCommand(t *testing.T) {
	tab := fullTable()
	redis := difftest.Dial(t, difftest.StartRedis(t))
	var all []*command.Spec
	for _, s := range command.Specs() {
		all = append(all, s)
		for _, sub := range s.Subcommands {
			if !command.NewerThanReference(sub.Name) {
				all = append(all, sub)
			}
		}
	}
	for _, resp := range []int{2, 3} {
		if resp == 3 {
			redis.Do("HELLO", "3")
		}
		n := 0
		for _, s := range all {
			for _, args := range keyArgs(s) {
				for _, sub := range []string{"GETKEYS", "GETKEYSANDFLAGS"} {
					req := append([]string{"COMMAND", sub}, args...)
					want, got := redis.Do(req...), call(t, tab, resp, req...)
					if !bytes.Equal(want, got) {
						t.Errorf("RESP%d %s\n redis:   %q\n redoubt: %q", resp, difftest.Quote(req), want, got)
					}
					n++
				}
			}
		}
		t.Logf("RESP%d: %d calls compared", resp, n)
	}
}
