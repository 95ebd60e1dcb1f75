package aoftest

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Command is one command of an append-only file: its arguments and the
// exact bytes it took.
type Command struct {
	Args []string
	Raw  []byte
}

func (c Command) String() string { return fmt.Sprintf("%q", c.Args) }

// Key is the key a rewritten command is about: XGROUP names it after its
// subcommand, every other command first.
func (c Command) Key() string {
	if c.Args[0] == "XGROUP" {
		return c.Args[2]
	}
	return c.Args[1]
}

// Parse splits b into commands, each an array of bulk strings as an AOF
// holds them, failing the test on anything else.
func Parse(t testing.TB, b []byte) []Command {
	t.Helper()
	cmds, err := parse(b)
	if err != nil {
		t.Fatal(err)
	}
	return cmds
}

func parse(b []byte) ([]Command, error) {
	var cmds []Command
	for len(b) > 0 {
		start := b
		n, rest, ok := header(b, '*')
		if !ok || n < 1 {
			return nil, fmt.Errorf("aof: bad command at %q", prefix(b))
		}
		b = rest
		args := make([]string, n)
		for i := range args {
			l, rest, ok := header(b, '$')
			if !ok || len(rest) < l+2 || string(rest[l:l+2]) != "\r\n" {
				return nil, fmt.Errorf("aof: bad bulk string at %q", prefix(b))
			}
			args[i] = string(rest[:l])
			b = rest[l+2:]
		}
		cmds = append(cmds, Command{Args: args, Raw: start[:len(start)-len(b)]})
	}
	return cmds, nil
}

// header reads "<kind><decimal>\r\n" as Redis writes it, no sign, no
// leading zero.
func header(b []byte, kind byte) (int, []byte, bool) {
	i := bytes.Index(b, []byte("\r\n"))
	if i < 2 || b[0] != kind || (b[1] == '0' && i > 2) {
		return 0, nil, false
	}
	n, err := strconv.Atoi(string(b[1:i]))
	if err != nil || n < 0 {
		return 0, nil, false
	}
	return n, b[i+2:], true
}

func prefix(b []byte) []byte { return b[:min(len(b), 40)] }

// ByKey groups commands by their key, in order, leaving SELECT out.
func ByKey(cmds []Command) map[string][]Command {
	m := map[string][]Command{}
	for _, c := range cmds {
		if c.Args[0] != "SELECT" {
			m[c.Key()] = append(m[c.Key()], c)
		}
	}
	return m
}

// Rewrite returns what Redoubt's rewrite writes for every key of h's
// database, by key.
func Rewrite(h *cmdtest.Harness) map[string][]Command {
	h.T.Helper()
	var w protocol.Writer
	h.DB.Dict().ForEach(func(id uint32) bool {
		h.DB.RewriteKey(id, &w)
		return true
	})
	return ByKey(Parse(h.T, w.Buf))
}

// Ordered reports whether Redis writes a value of encoding e in an order
// its content decides, which Redoubt's rewrite must then match byte for
// byte. Redis walks a hashtable set or hash, and the dict of a skiplist,
// in its table's order, which depends on the table's history and on a
// hash seed drawn at each start.
func Ordered(e keyspace.Encoding) bool {
	return e != keyspace.EncHashtable && e != keyspace.EncPackedHashtable && e != keyspace.EncSkiplist
}

// unit is the number of arguments per element of the commands a
// collection is written in (SADD member, ZADD score member, HMSET field
// value), 0 for other commands.
func unit(name string) int {
	switch name {
	case "SADD":
		return 1
	case "ZADD", "HMSET":
		return 2
	}
	return 0
}

// Same checks got against want, the commands Redis wrote for key. If
// ordered, they must be the same bytes. Otherwise the commands must be
// the same in number and in order, SADD, ZADD and HMSET with the same
// key and number of arguments (the batching) and together the same
// elements in any order, any other command the same bytes.
func Same(t testing.TB, key string, want, got []Command, ordered bool) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("key %q: %d commands, Redis wrote %d\n redis:   %v\n redoubt: %v", key, len(got), len(want), want, got)
		return
	}
	var wantElems, gotElems []string
	for i, w := range want {
		g := got[i]
		u := unit(w.Args[0])
		if ordered || u == 0 {
			if !bytes.Equal(g.Raw, w.Raw) {
				t.Errorf("key %q, command %d: %s", key, i, difference(w, g))
			}
			continue
		}
		if g.Args[0] != w.Args[0] || g.Args[1] != w.Args[1] || len(g.Args) != len(w.Args) {
			t.Errorf("key %q, command %d: %q... with %d arguments, Redis wrote %q... with %d",
				key, i, g.Args[:2], len(g.Args), w.Args[:2], len(w.Args))
			continue
		}
		wantElems = elems(wantElems, w.Args[2:], u)
		gotElems = elems(gotElems, g.Args[2:], u)
	}
	slices.Sort(wantElems)
	slices.Sort(gotElems)
	if !slices.Equal(gotElems, wantElems) {
		t.Errorf("key %q: the elements differ\n redis:   %q\n redoubt: %q", key, wantElems, gotElems)
	}
}

// elems appends the elements of args, u arguments each, as strings.
func elems(to []string, args []string, u int) []string {
	for i := 0; i+u <= len(args); i += u {
		to = append(to, fmt.Sprintf("%q", args[i:i+u]))
	}
	return to
}

// difference describes where got's bytes first part from want's.
func difference(want, got Command) string {
	i := 0
	for i < len(want.Args) && i < len(got.Args) && want.Args[i] == got.Args[i] {
		i++
	}
	arg := func(c Command) string {
		if i >= len(c.Args) {
			return "(none)"
		}
		return fmt.Sprintf("%.80q", c.Args[i])
	}
	return fmt.Sprintf("%q... with %d arguments, Redis wrote %d; argument %d is %s, Redis wrote %s",
		got.Args[:min(2, len(got.Args))], len(got.Args), len(want.Args), i, arg(got), arg(want))
}
