package aoftest

import (
	"fmt"
	"testing"

	"github.com/redoubt-db/redoubt/protocol"
)

// recorder collects the errors Same reports.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func commands(t *testing.T, cmds ...[]string) []Command {
	var b []byte
	for _, c := range cmds {
		b = protocol.AppendCommand(b, c...)
	}
	return Parse(t, b)
}

// TestSame shows what Same tells apart: in a table's order, elements in
// other commands pass, other elements, batches or trailing commands do
// not; in order, any difference fails.
func TestSame(t *testing.T) {
	redis := commands(t, []string{"SADD", "k", "a", "b"}, []string{"SADD", "k", "c"}, []string{"PEXPIREAT", "k", "5"})
	for _, c := range []struct {
		name    string
		got     []Command
		ordered bool
		fails   bool
	}{
		{"same", redis, true, false},
		{"reordered", commands(t, []string{"SADD", "k", "c", "a"}, []string{"SADD", "k", "b"}, []string{"PEXPIREAT", "k", "5"}), false, false},
		{"reordered in order", commands(t, []string{"SADD", "k", "c", "a"}, []string{"SADD", "k", "b"}, []string{"PEXPIREAT", "k", "5"}), true, true},
		{"another element", commands(t, []string{"SADD", "k", "a", "b"}, []string{"SADD", "k", "d"}, []string{"PEXPIREAT", "k", "5"}), false, true},
		{"other batches", commands(t, []string{"SADD", "k", "a"}, []string{"SADD", "k", "b", "c"}, []string{"PEXPIREAT", "k", "5"}), false, true},
		{"other deadline", commands(t, []string{"SADD", "k", "b", "a"}, []string{"SADD", "k", "c"}, []string{"PEXPIREAT", "k", "6"}), false, true},
		{"missing command", redis[:2], false, true},
	} {
		r := &recorder{TB: t}
		Same(r, "k", redis, c.got, c.ordered)
		if fails := len(r.errs) > 0; fails != c.fails {
			t.Errorf("%s: fails %v, errors %q", c.name, fails, r.errs)
		}
	}
}

// TestParse reads back RESP commands, and refuses what Redis never
// writes in an AOF.
func TestParse(t *testing.T) {
	cmds := commands(t, []string{"XGROUP", "CREATE", "s", "g", "0"}, []string{"SET", "\r\n", ""})
	if len(cmds) != 2 || cmds[0].Key() != "s" || cmds[1].Key() != "\r\n" || cmds[1].Args[2] != "" {
		t.Errorf("parsed %v", cmds)
	}
	for _, bad := range []string{"*1\r\n$01\r\nx\r\n", "*1\r\n$2\r\nx\r\n", "+OK\r\n", "*0\r\n", "*2\r\n$1\r\nx\r\n", "*1\r\n$-1\r\n"} {
		if cmds, err := parse([]byte(bad)); err == nil {
			t.Errorf("%q reads as %v", bad, cmds)
		}
	}
}
