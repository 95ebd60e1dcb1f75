package command_test

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/protocol"
)

// Redis lists whole tables and subcommands in its hash table order, which
// differs between processes. These helpers put exactly those parts of
// COMMAND, COMMAND INFO and COMMAND DOCS replies in name order, re-encode
// the reply, and leave every other byte alone, so that the rest can be
// compared byte for byte.

func decode(t testing.TB, raw []byte) protocol.Value {
	t.Helper()
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	return v
}

// encode writes a decoded reply back in RESP, counting aggregates again.
func encode(b []byte, v protocol.Value) []byte {
	if v.Null {
		switch v.Type {
		case '$':
			return append(b, "$-1\r\n"...)
		case '*':
			return append(b, "*-1\r\n"...)
		}
		return append(b, "_\r\n"...)
	}
	b = append(b, v.Type)
	switch v.Type {
	case '+', '-', ',', '(':
		b = append(b, v.Str...)
	case ':':
		b = strconv.AppendInt(b, v.Int, 10)
	case '#':
		b = append(b, "ft"[v.Int])
	case '$', '=', '!':
		b = strconv.AppendInt(b, int64(len(v.Str)), 10)
		b = append(b, '\r', '\n')
		b = append(b, v.Str...)
	case '%':
		b = strconv.AppendInt(b, int64(len(v.Elems)/2), 10)
	default:
		b = strconv.AppendInt(b, int64(len(v.Elems)), 10)
	}
	b = append(b, '\r', '\n')
	if v.Type == '$' || v.Type == '=' || v.Type == '!' || v.Type == '+' || v.Type == '-' {
		return b
	}
	for _, e := range v.Elems {
		b = encode(b, e)
	}
	return b
}

// keep decides which commands of a listing to keep; nil keeps all.
type keep func(name string) bool

func (k keep) has(name string) bool { return k == nil || k(name) }

// canonInfo puts the subcommands of a COMMAND INFO entry in name order,
// dropping those keep rejects.
func canonInfo(v protocol.Value, k keep) protocol.Value {
	if v.Null || len(v.Elems) != 10 {
		return v
	}
	subs := v.Elems[9]
	var kept []protocol.Value
	for _, s := range subs.Elems {
		if k.has(s.Elems[0].Str) {
			kept = append(kept, s)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Elems[0].Str < kept[j].Elems[0].Str })
	subs.Elems = kept
	elems := append([]protocol.Value(nil), v.Elems...)
	elems[9] = subs
	v.Elems = elems
	return v
}

// canonPairs puts the pairs of a map (a flat array in RESP2) in key order,
// dropping those keep rejects, and applies fn to each value.
func canonPairs(v protocol.Value, k keep, fn func(protocol.Value) protocol.Value) protocol.Value {
	type pair struct{ k, v protocol.Value }
	var ps []pair
	for i := 0; i+1 < len(v.Elems); i += 2 {
		if k.has(v.Elems[i].Str) {
			ps = append(ps, pair{v.Elems[i], fn(v.Elems[i+1])})
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].k.Str < ps[j].k.Str })
	v.Elems = nil
	for _, p := range ps {
		v.Elems = append(v.Elems, p.k, p.v)
	}
	if v.Elems == nil {
		v.Elems = []protocol.Value{}
	}
	return v
}

// canonDocs puts the subcommands of a COMMAND DOCS entry in name order.
func canonDocs(v protocol.Value, k keep) protocol.Value {
	elems := append([]protocol.Value(nil), v.Elems...)
	for i := 0; i+1 < len(elems); i += 2 {
		if elems[i].Str == "subcommands" {
			elems[i+1] = canonPairs(elems[i+1], k, func(d protocol.Value) protocol.Value { return d })
		}
	}
	v.Elems = elems
	return v
}

// canonInfoList canonicalizes a COMMAND / COMMAND INFO reply: every
// entry, in name order (null entries stay where they are when the reply
// answers named commands, so only whole-table replies are sorted).
func canonInfoList(v protocol.Value, k keep, sortAll bool) []byte {
	var kept []protocol.Value
	for _, e := range v.Elems {
		if e.Null || k.has(e.Elems[0].Str) {
			kept = append(kept, canonInfo(e, k))
		}
	}
	if sortAll {
		sort.Slice(kept, func(i, j int) bool { return kept[i].Elems[0].Str < kept[j].Elems[0].Str })
	}
	if kept == nil {
		kept = []protocol.Value{}
	}
	v.Elems = kept
	return encode(nil, v)
}

// canonDocsList canonicalizes a COMMAND DOCS reply.
func canonDocsList(v protocol.Value, k keep) []byte {
	return encode(nil, canonPairs(v, k, func(d protocol.Value) protocol.Value { return canonDocs(d, k) }))
}

// canonNames returns the names of a COMMAND LIST reply, sorted.
func canonNames(v protocol.Value, k keep) []string {
	var out []string
	for _, e := range v.Elems {
		if k.has(e.Str) {
			out = append(out, e.Str)
		}
	}
	sort.Strings(out)
	return out
}

// diff describes where two replies part, with some context, for test
// messages that stay readable when replies are whole command tables.
func diff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(i-200, 0)
	return fmt.Sprintf("differ at byte %d of %d/%d after %q\n redis:   %q\n redoubt: %q",
		i, len(want), len(got), want[from:i], want[i:min(i+200, len(want))], got[i:min(i+200, len(got))])
}

func TestEncodeRoundTrip(t *testing.T) {
	for _, raw := range []string{
		"+OK\r\n", "-ERR x\r\n", ":-12\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*-1\r\n", "_\r\n",
		"*2\r\n$1\r\na\r\n*0\r\n", "%1\r\n$1\r\nk\r\n~2\r\n+a\r\n:1\r\n", "#t\r\n", "#f\r\n",
		",1.5\r\n", "(123\r\n", "=7\r\ntxt:abc\r\n",
	} {
		if got := encode(nil, decode(t, []byte(raw))); string(got) != raw {
			t.Errorf("%q re-encoded as %q", raw, got)
		}
	}
}
