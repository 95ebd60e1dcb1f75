package replication

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/protocol"
)

// An entry is one key as a comparable string: its type and its contents
// read with the type's own commands (DUMP payloads may differ between
// servers whose encodings differ), and its PTTL.
type entry struct {
	value string
	pttl  int64
}

// ttlTolerance is how far two PTTLs of one key may be apart: they are
// read at different moments on the two servers.
const ttlTolerance = 5000

// dataset reads every key of every database of s, as "db/key" → entry.
// Reading does not change a replica, nor a primary as long as no key is
// past its TTL. skip names consumer group fields (of XINFO GROUPS) to
// leave out.
func dataset(s *server, skip ...string) map[string]entry {
	s.c.t.Helper()
	c := s.conn()
	defer c.cl.close()
	out := map[string]entry{}
	for db := 0; db < 16; db++ {
		c.do("SELECT", strconv.Itoa(db))
		if c.do("DBSIZE").Int == 0 {
			continue
		}
		cursor := "0"
		for {
			v := c.do("SCAN", cursor, "COUNT", "1000")
			for _, k := range v.Elems[1].Elems {
				out[fmt.Sprintf("%d/%s", db, k.Str)] = readKey(c, k.Str, skip)
			}
			if cursor = v.Elems[0].Str; cursor == "0" {
				break
			}
		}
	}
	return out
}

// readKey renders one key.
func readKey(c *conn, key string, skip []string) entry {
	c.s.c.t.Helper()
	typ := c.do("TYPE", key).Str
	var val string
	switch typ {
	case "string":
		val = c.do("GET", key).String()
	case "list":
		val = c.do("LRANGE", key, "0", "-1").String()
	case "hash":
		val = sortedPairs(c.do("HGETALL", key).Elems)
	case "set":
		val = sorted(c.do("SMEMBERS", key).Elems)
	case "zset":
		val = c.do("ZRANGE", key, "0", "-1", "WITHSCORES").String()
	case "stream":
		val = readStream(c, key, skip)
	}
	return entry{value: typ + " " + val, pttl: c.do("PTTL", key).Int}
}

// readStream renders a stream's entries, its metadata and its consumer
// groups with their consumers and pending entries; idle times, which
// are wall-clock, are left out.
func readStream(c *conn, key string, skip []string) string {
	c.s.c.t.Helper()
	var b strings.Builder
	b.WriteString(c.do("XRANGE", key, "-", "+").String())
	info := c.do("XINFO", "STREAM", key).Map()
	for _, f := range []string{"length", "last-generated-id", "max-deleted-entry-id", "entries-added", "groups"} {
		fmt.Fprintf(&b, " %s=%s", f, info[f])
	}
	for _, g := range c.do("XINFO", "GROUPS", key).Elems {
		gm := g.Map()
		name := gm["name"].Str
		b.WriteString(" group{")
		for _, f := range []string{"name", "consumers", "pending", "last-delivered-id", "entries-read", "lag"} {
			if slices.Contains(skip, f) {
				continue
			}
			fmt.Fprintf(&b, " %s=%s", f, gm[f])
		}
		for _, cons := range c.do("XINFO", "CONSUMERS", key, name).Elems {
			cm := cons.Map()
			fmt.Fprintf(&b, " consumer{%s pending=%s}", cm["name"], cm["pending"])
		}
		for _, p := range c.do("XPENDING", key, name, "-", "+", "1000").Elems {
			// id, consumer, idle ms, delivery count
			fmt.Fprintf(&b, " pel{%s %s deliveries=%s}", p.Elems[0], p.Elems[1], p.Elems[3])
		}
		b.WriteString(" }")
	}
	return b.String()
}

func sorted(vs []protocol.Value) string {
	s := make([]string, len(vs))
	for i, v := range vs {
		s[i] = v.String()
	}
	sort.Strings(s)
	return "[" + strings.Join(s, ", ") + "]"
}

func sortedPairs(vs []protocol.Value) string {
	var s []string
	for i := 0; i+1 < len(vs); i += 2 {
		s = append(s, vs[i].String()+"="+vs[i+1].String())
	}
	sort.Strings(s)
	return "{" + strings.Join(s, ", ") + "}"
}

// sameData fails the test unless got (read from gotName) holds exactly
// the keys of want, with the same contents and PTTLs within
// ttlTolerance, and want is not empty.
func (c *cluster) sameData(wantName string, want map[string]entry, gotName string, got map[string]entry) {
	c.t.Helper()
	if len(want) == 0 {
		c.fatalf("%s has no keys: nothing to compare", wantName)
	}
	var diffs []string
	keys := make([]string, 0, len(want)+len(got))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		w, inW := want[k]
		g, inG := got[k]
		switch {
		case !inG:
			diffs = append(diffs, fmt.Sprintf("%s: missing on %s (%s: %s)", k, gotName, wantName, short(w.value)))
		case !inW:
			diffs = append(diffs, fmt.Sprintf("%s: only on %s: %s", k, gotName, short(g.value)))
		case w.value != g.value:
			wv, gv := around(w.value, g.value)
			diffs = append(diffs, fmt.Sprintf("%s:\n  %s: %s\n  %s: %s", k, wantName, wv, gotName, gv))
		case (w.pttl < 0) != (g.pttl < 0) || w.pttl-g.pttl > ttlTolerance || g.pttl-w.pttl > ttlTolerance:
			diffs = append(diffs, fmt.Sprintf("%s: PTTL %d on %s, %d on %s", k, w.pttl, wantName, g.pttl, gotName))
		}
	}
	if len(diffs) > 0 {
		if len(diffs) > 20 {
			diffs = append(diffs[:20], fmt.Sprintf("... and %d more", len(diffs)-20))
		}
		c.fatalf("%s's %d keys and %s's %d differ:\n%s", wantName, len(want), gotName, len(got), strings.Join(diffs, "\n"))
	}
}

// short cuts a rendering for messages (a 100 KB string is one key).
func short(s string) string {
	if len(s) > 300 {
		return s[:300] + fmt.Sprintf("... (%d bytes)", len(s))
	}
	return s
}

// around cuts two long renderings that differ to the neighbourhood of
// their first difference.
func around(a, b string) (string, string) {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	cut := func(s string) string {
		from, to := max(0, i-120), min(len(s), i+180)
		out := s[from:to]
		if from > 0 {
			out = "..." + out
		}
		if to < len(s) {
			out += fmt.Sprintf("... (%d bytes)", len(s))
		}
		return out
	}
	return cut(a), cut(b)
}
