package acl

import (
	"bufio"
	"net"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

// The differential tests compare this package with the reference
// redis-server 7.0 (refredis): the same rules, files and calls go to
// both. A missing redis-server fails them.

// ref is a connection to a reference server that returns error replies
// rather than failing on them.
type ref struct {
	t    testing.TB
	srv  *refredis.Server
	conn net.Conn
	r    *bufio.Reader
}

// startRef starts a reference server in dir (a temporary one if empty)
// with redis.conf settings.
func startRef(t testing.TB, dir string, settings ...string) *ref {
	t.Helper()
	if dir == "" {
		dir = t.TempDir()
	}
	srv, log := refredis.Start(t, dir, settings...)
	if srv == nil {
		t.Fatalf("the reference redis-server did not start:\n%s", log)
	}
	return dialRef(t, srv)
}

// dialRef opens another connection to the server.
func dialRef(t testing.TB, srv *refredis.Server) *ref {
	t.Helper()
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &ref{t: t, srv: srv, conn: c, r: bufio.NewReader(c)}
}

func (r *ref) send(args ...string) {
	r.t.Helper()
	r.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := r.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		r.t.Fatalf("redis: %v", err)
	}
}

func (r *ref) read() protocol.Value {
	r.t.Helper()
	v, err := protocol.ReadValue(r.r)
	if err != nil {
		r.t.Fatalf("redis: reading a reply: %v", err)
	}
	return v
}

// do sends a command and returns its reply, errors included.
func (r *ref) do(args ...string) protocol.Value {
	r.t.Helper()
	r.send(args...)
	return r.read()
}

// ok sends a command that must succeed.
func (r *ref) ok(args ...string) protocol.Value {
	r.t.Helper()
	v := r.do(args...)
	if v.Type == '-' {
		r.t.Fatalf("redis: %q: %s", args, v.Str)
	}
	return v
}

// closed reports whether the server closed the connection, which it
// does on its next event loop iteration: a PING sent after the
// server-side change is answered only if the connection survived.
func (r *ref) closed() bool {
	r.conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := r.conn.Write(protocol.AppendCommand(nil, "PING")); err != nil {
		return true
	}
	_, err := protocol.ReadValue(r.r)
	return err != nil
}

// refCommands is the command table of the reference: Redoubt's commands
// that appeared after Redis 7.0 are left out, since they would change
// the categories' sizes and so the described rules.
func refCommands() *Commands {
	var specs []*command.Spec
	for _, s := range command.Specs() {
		if command.NewerThanReference(s.Name) {
			continue
		}
		cp := *s
		cp.Subcommands = nil
		for _, sub := range s.Subcommands {
			if !command.NewerThanReference(sub.Name) {
				cp.Subcommands = append(cp.Subcommands, sub)
			}
		}
		specs = append(specs, &cp)
	}
	return NewCommands(specs)
}

// fullTable is a command table with every command of the specs, for
// resolving calls as the server would.
func fullTable() *command.Table {
	tbl := command.NewTable()
	for _, s := range command.Specs() {
		tbl.Handle(s.Name, nil)
		for _, sub := range s.Subcommands {
			tbl.Handle(sub.Name, nil)
		}
	}
	return tbl
}

// normRules makes a described rule list comparable with Redis's: the
// category rules stay in order, and each run of single-command rules,
// which Redis lists in its hash table's order, is sorted. In ACL LIST
// lines the parentheses of selectors become tokens of their own, so that
// they end runs.
func normRules(s string) string {
	var toks []string
	depth := 0
	for _, tok := range strings.Split(s, " ") {
		if strings.HasPrefix(tok, "(") {
			toks = append(toks, "(")
			tok = tok[1:]
			depth++
		}
		closing := depth > 0 && strings.HasSuffix(tok, ")")
		if closing {
			tok = tok[:len(tok)-1]
		}
		toks = append(toks, tok)
		if closing {
			toks = append(toks, ")")
			depth--
		}
	}
	var out, run []string
	for _, tok := range toks {
		if len(tok) > 1 && (tok[0] == '+' || tok[0] == '-') && tok[1] != '@' {
			run = append(run, tok)
			continue
		}
		sort.Strings(run)
		out = append(append(out, run...), tok)
		run = nil
	}
	sort.Strings(run)
	return strings.Join(append(out, run...), " ")
}

// userInfoFromRef decodes Redis's ACL GETUSER reply (RESP2).
func userInfoFromRef(t testing.TB, v protocol.Value) UserInfo {
	t.Helper()
	m := v.Map()
	strs := func(v protocol.Value) []string {
		out := []string{}
		for _, e := range v.Elems {
			out = append(out, e.Str)
		}
		return out
	}
	sel := func(m map[string]protocol.Value) SelectorInfo {
		return SelectorInfo{Commands: m["commands"].Str, Keys: m["keys"].Str, Channels: m["channels"].Str}
	}
	info := UserInfo{Flags: strs(m["flags"]), Passwords: strs(m["passwords"]), Root: sel(m), Selectors: []SelectorInfo{}}
	for _, s := range m["selectors"].Elems {
		info.Selectors = append(info.Selectors, sel(s.Map()))
	}
	if keys := len(v.Elems) / 2; keys != 6 {
		t.Fatalf("ACL GETUSER has %d fields: %v", keys, v)
	}
	return info
}

// normInfo sorts the single-command runs of an UserInfo's rules.
func normInfo(info UserInfo) UserInfo {
	info.Root.Commands = normRules(info.Root.Commands)
	sels := make([]SelectorInfo, len(info.Selectors))
	for i, s := range info.Selectors {
		s.Commands = normRules(s.Commands)
		sels[i] = s
	}
	info.Selectors = sels
	return info
}

func toBytes(args []string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}
