package durability

import (
	"bufio"
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// A dataset is every key of every database with its full value, read
// over the protocol so that it compares across servers: Redoubt and
// Redis, or a server before a crash and after its restart.
type dataset map[string]keyValue

// keyValue is one key. value is the whole value in a canonical form
// (members of sets and fields of hashes sorted); the other fields are
// kept apart because some comparisons must leave them out:
//   - enc, OBJECT ENCODING: a loaded value may be encoded otherwise than
//     the value it was saved from (an appended string is raw, and embstr
//     once reloaded), so encodings are compared only between two servers
//     that loaded the same files;
//   - layout, a stream's radix-tree-keys and radix-tree-nodes: an AOF
//     written as commands rebuilds a stream's nodes with XADD, which
//     packs them otherwise than the stream it was written from;
//   - seen, the consumers' seen-time of XINFO STREAM FULL: a consumer
//     recreated by an AOF's commands is seen when it is loaded.
type keyValue struct {
	typ, value, enc, layout, seen string
	expireAt                      int64 // PEXPIRETIME: -1 without a TTL
}

// Which of the optional fields a comparison includes.
const (
	cmpEnc = 1 << iota
	cmpLayout
	cmpSeen
	cmpAll = cmpEnc | cmpLayout | cmpSeen
)

const databases = 16

// readDataset reads every key of the server at addr.
func readDataset(t testing.TB, addr string) dataset {
	t.Helper()
	c := difftest.Dial(t, addr)
	defer c.Close()
	ds := dataset{}
	for db := 0; db < databases; db++ {
		c.Do("SELECT", strconv.Itoa(db))
		keys := c.DoValue("KEYS", "*").Elems
		names := make([]string, len(keys))
		for i, k := range keys {
			names[i] = k.Str
		}
		types := pipeline(t, c, names, func(k string) [][]string { return [][]string{{"TYPE", k}} })
		cmds := func(k string, typ string) [][]string {
			base := [][]string{{"OBJECT", "ENCODING", k}, {"PEXPIRETIME", k}}
			switch typ {
			case "string":
				return append(base, []string{"GET", k})
			case "list":
				return append(base, []string{"LRANGE", k, "0", "-1"})
			case "hash":
				return append(base, []string{"HGETALL", k})
			case "set":
				return append(base, []string{"SMEMBERS", k})
			case "zset":
				return append(base, []string{"ZRANGE", k, "0", "-1", "WITHSCORES"})
			case "stream":
				return append(base, []string{"XRANGE", k, "-", "+"}, []string{"XINFO", "STREAM", k, "FULL", "COUNT", "0"})
			}
			t.Fatalf("db %d key %q: type %q", db, k, typ)
			return nil
		}
		var all [][]string
		for i, k := range names {
			all = append(all, cmds(k, types[i].Str)...)
		}
		replies := runPipeline(t, c, all)
		for i, k := range names {
			typ := types[i].Str
			n := len(cmds(k, typ))
			r := replies[:n]
			replies = replies[n:]
			kv := keyValue{typ: typ, enc: r[0].String(), expireAt: r[1].Int}
			switch typ {
			case "hash":
				kv.value = sortedPairs(r[2])
			case "set":
				kv.value = sortedElems(r[2])
			case "stream":
				info := r[3]
				kv.layout = extract(&info, "radix-tree-keys", "radix-tree-nodes")
				kv.seen = extract(&info, "seen-time")
				kv.value = r[2].String() + " " + info.String()
			default:
				kv.value = r[2].String()
			}
			for _, v := range r {
				if v.Type == '-' {
					t.Fatalf("db %d key %q: %s", db, k, v.Str)
				}
			}
			ds[fmt.Sprintf("db%d %q", db, k)] = kv
		}
	}
	return ds
}

// pipeline sends the commands of every key at once and returns the
// replies in order.
func pipeline(t testing.TB, c *difftest.Conn, keys []string, cmds func(string) [][]string) []protocol.Value {
	var all [][]string
	for _, k := range keys {
		all = append(all, cmds(k)...)
	}
	return runPipeline(t, c, all)
}

func runPipeline(t testing.TB, c *difftest.Conn, cmds [][]string) []protocol.Value {
	t.Helper()
	// In chunks, so that neither side's buffers grow without bound.
	var out []protocol.Value
	for len(cmds) > 0 {
		n := min(len(cmds), 512)
		var b []byte
		for _, a := range cmds[:n] {
			b = protocol.AppendCommand(b, a...)
		}
		c.WriteRaw(b)
		for range n {
			v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(c.ReadRaw())))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, v)
		}
		cmds = cmds[n:]
	}
	return out
}

func sortedElems(v protocol.Value) string {
	s := make([]string, len(v.Elems))
	for i, e := range v.Elems {
		s[i] = e.String()
	}
	sort.Strings(s)
	return "{" + strings.Join(s, ", ") + "}"
}

func sortedPairs(v protocol.Value) string {
	var s []string
	for i := 0; i+1 < len(v.Elems); i += 2 {
		s = append(s, v.Elems[i].String()+"="+v.Elems[i+1].String())
	}
	sort.Strings(s)
	return "{" + strings.Join(s, ", ") + "}"
}

// extract replaces, anywhere in v, the value following a bulk string
// named in names (a field of a flat RESP2 map) with "<masked>", and
// returns the values it took out.
func extract(v *protocol.Value, names ...string) string {
	var out []string
	var walk func(v *protocol.Value)
	walk = func(v *protocol.Value) {
		for i := range v.Elems {
			e := &v.Elems[i]
			if i+1 < len(v.Elems) && e.Elems == nil && contains(names, e.Str) {
				out = append(out, e.Str+"="+v.Elems[i+1].String())
				v.Elems[i+1] = protocol.Value{Type: '+', Str: "<masked>"}
				continue
			}
			walk(e)
		}
	}
	walk(v)
	return strings.Join(out, " ")
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// compareDatasets fails the test for every key that is missing, extra
// or different in got, comparing the type, the value, the TTL and the
// optional fields in which.
func compareDatasets(t testing.TB, what string, want, got dataset, which int) {
	t.Helper()
	keys := map[string]bool{}
	for k := range want {
		keys[k] = true
	}
	for k := range got {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	bad := 0
	for _, k := range sorted {
		w, inWant := want[k]
		g, inGot := got[k]
		var msg string
		switch {
		case !inGot:
			msg = fmt.Sprintf("missing (%s %s)", w.typ, short(w.value))
		case !inWant:
			msg = fmt.Sprintf("unexpected (%s %s)", g.typ, short(g.value))
		case w.typ != g.typ:
			msg = fmt.Sprintf("type %s, want %s", g.typ, w.typ)
		case w.value != g.value:
			msg = fmt.Sprintf("value\n   got:  %s\n   want: %s", short(g.value), short(w.value))
		case w.expireAt != g.expireAt:
			msg = fmt.Sprintf("PEXPIRETIME %d, want %d", g.expireAt, w.expireAt)
		case which&cmpEnc != 0 && w.enc != g.enc:
			msg = fmt.Sprintf("encoding %s, want %s", g.enc, w.enc)
		case which&cmpLayout != 0 && w.layout != g.layout:
			msg = fmt.Sprintf("stream layout %s, want %s", g.layout, w.layout)
		case which&cmpSeen != 0 && w.seen != g.seen:
			msg = fmt.Sprintf("consumers %s, want %s", g.seen, w.seen)
		default:
			continue
		}
		t.Errorf("%s: key %s: %s", what, k, msg)
		if bad++; bad >= 20 {
			t.Errorf("%s: stopping after 20 differences (%d keys wanted, %d got)", what, len(want), len(got))
			return
		}
	}
}

func short(s string) string {
	if len(s) > 600 {
		return s[:600] + "..." + strconv.Itoa(len(s)) + " bytes"
	}
	return s
}
