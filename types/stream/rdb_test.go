package stream_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/types/stream"
)

// DUMP and RESTORE of streams against the real redis-server: the same
// streams built on both give the same DUMP bytes (delivery and seen times
// masked: they are each server's clock), payloads cross between the
// servers in both directions and read back the same, and no corrupted
// payload gets past RESTORE into a value that trips a later command.

// streamKeys are the keys streamScript builds.
var streamKeys = []string{"plain", "grp", "empty", "mk", "setid", "tomb", "tomb2", "dead", "big"}

// streamScript builds streams that cover the format: several nodes,
// entries with the master fields and with their own, deleted entries
// (XDEL, exact trims), whole nodes trimmed, consumer groups with pending
// entries spread over consumers, claimed, acknowledged, an unknown
// entries-read, consumers without pending entries, an empty stream with
// history, XSETID, and two states Redis allows: a deleted entry above the
// last ID (XSETID below a tombstone, then XADD) and a node with no live
// entry (XTRIM MINID).
const streamScript = `
config set stream-node-max-entries 3
xadd plain 1-1 a 1 b 2
xadd plain 1-2 a 3 b 4
xadd plain 1-3 c 5
xadd plain 2-0 a 6 b 7
xadd plain 3-0 a -12345 b 1.5
xadd plain 4-0 a 100000 b 9999999999
xadd plain 5-0 long "a value long enough to be compressed, a value long enough to be compressed"
xadd plain 6-0 x "" y z
xadd plain 7-0 a 1 b 2
xadd plain 8-0 a -9223372036854775808 b 18446744073709551615
xadd plain 9-0 a 1 b 2 c 3
xadd plain 18446744073709551615-0 a 1 b 2
xdel plain 1-2 4-0
xtrim plain minid 1-3
xtrim plain maxlen ~ 6
xdel plain 7-0
xadd grp 1-0 f v1
xadd grp 2-0 f v2
xadd grp 3-0 f v3
xadd grp 4-0 f v4
xadd grp 5-0 f v5
xadd grp 6-0 f v6
xadd grp 7-0 f v7
xadd grp 8-0 f v8
xadd grp 9-0 f v9
xadd grp 10-0 f v10
xgroup create grp g1 0
xgroup create grp g2 $
xgroup create grp g3 0 entriesread 3
xreadgroup group g1 alice count 3 streams grp >
xreadgroup group g1 bob count 2 streams grp >
xreadgroup group g1 carol streams grp >
xack grp g1 1-0 4-0
xclaim grp g1 bob 0 2-0 3-0 time 1700000000000 retrycount 5 justid
xclaim grp g1 dave 0 9-0 justid
xgroup createconsumer grp g1 erin
xgroup createconsumer grp g2 frank
xadd grp 11-0 f v11
xreadgroup group g2 frank streams grp >
xdel grp 5-0 6-0
xgroup create grp g0 0
xreadgroup group g0 alice count 1 streams grp >
xgroup delconsumer grp g1 carol
xadd grp 12-0 f v12
xreadgroup group g3 zed noack streams grp >
xpending grp g1
xinfo groups grp
xadd empty 1-1 f v
xdel empty 1-1
xgroup create mk g $ mkstream
xgroup create mk h 0 entriesread 0
xadd setid 5-5 f v
xsetid setid 10-0 entriesadded 50 maxdeletedid 9-9
xadd tomb 1-1 f v
xadd tomb 2-1 f v
xadd tomb 3-1 f v
xdel tomb 3-1
xsetid tomb 2-5
xadd tomb 2-6 f v
config set stream-node-max-entries 100
xadd tomb2 1-1 f v
xadd tomb2 2-1 f v
xadd tomb2 3-1 f v
xdel tomb2 3-1
xsetid tomb2 2-5
xadd tomb2 2-6 f v
xrange tomb2 - +
config set stream-node-max-entries 3
xadd dead 1-1 f v
xadd dead 2-1 f v
xadd dead 3-1 f v
xdel dead 3-1
xtrim dead minid 3-1
xadd dead 4-1 f v
xgroup create dead g 0
xreadgroup group g c streams dead >
xinfo stream dead
xinfo stream tomb
`

// buildStreams builds the streams of streamKeys with do, which runs a
// command on one server or on both.
func buildStreams(t testing.TB, do func(args ...string) []byte, compress string) {
	t.Helper()
	do("config", "set", "rdbcompression", compress)
	for _, line := range strings.Split(streamScript, "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		args, ok := protocol.SplitArgs([]byte(line), nil)
		if !ok {
			t.Fatalf("bad script line %q", line)
		}
		s := make([]string, len(args))
		for i, a := range args {
			s[i] = string(a)
		}
		do(s...)
	}
	// A stream whose nodes LZF compresses: values repeat.
	do("config", "set", "stream-node-max-entries", "50")
	for i := 1; i <= 120; i++ {
		do("xadd", "big", strconv.Itoa(i)+"-0", "name", "user"+strconv.Itoa(i%7), "text",
			strings.Repeat("lorem ipsum ", 1+i%5), "n", strconv.Itoa(i*i))
	}
	do("xdel", "big", "3-0", "60-0", "61-0")
	do("xgroup", "create", "big", "g", "0")
	do("xreadgroup", "group", "g", "c1", "count", "70", "streams", "big", ">")
	do("config", "set", "stream-node-max-entries", "3")
}

func dumpOf(t *testing.T, c *difftest.Conn, key string) []byte {
	t.Helper()
	v := c.DoValue("dump", key)
	if v.Type != '$' || v.Null {
		t.Fatalf("DUMP %s: %v", key, v)
	}
	return []byte(v.Str)
}

// streamLayout locates fields of a stream's DUMP payload: the offsets of
// its 8-byte times (delivery and seen times), and the [start, end) ranges
// of the fields Redis < 7 does not write.
type streamLayout struct {
	times   []int
	v7Only  [][2]int // first, maxDeleted and entriesAdded; each group's entriesRead
	bodyLen int
}

// layoutOf walks a payload, footer included.
func layoutOf(t testing.TB, payload []byte) streamLayout {
	t.Helper()
	body := payload[:len(payload)-10]
	d := rdb.NewDecoder(body)
	off := func() int { return len(body) - d.Remaining() }
	var l streamLayout
	if typ := d.Byte(); typ != rdb.TypeStreams2 {
		t.Fatalf("type %d", typ)
	}
	for n := d.Len(); n > 0 && d.Err() == nil; n-- {
		d.String()
		d.String()
	}
	d.Len()
	d.Len()
	d.Len()
	start := off()
	for range 5 {
		d.Len()
	}
	l.v7Only = append(l.v7Only, [2]int{start, off()})
	for n := d.Len(); n > 0 && d.Err() == nil; n-- {
		d.String()
		d.Len()
		d.Len()
		start := off()
		d.Len()
		l.v7Only = append(l.v7Only, [2]int{start, off()})
		for k := d.Len(); k > 0 && d.Err() == nil; k-- {
			d.Raw(16)
			l.times = append(l.times, off())
			d.Millis()
			d.Len()
		}
		for k := d.Len(); k > 0 && d.Err() == nil; k-- {
			d.String()
			l.times = append(l.times, off())
			d.Millis()
			for j := d.Len(); j > 0 && d.Err() == nil; j-- {
				d.Raw(16)
			}
		}
	}
	if d.Err() != nil || d.Remaining() != 0 {
		t.Fatalf("payload %q: walk failed (%v, %d bytes left)", payload, d.Err(), d.Remaining())
	}
	l.bodyLen = len(body)
	return l
}

// maskTimes returns the body of a payload with its times zeroed.
func maskTimes(t testing.TB, payload []byte) []byte {
	l := layoutOf(t, payload)
	body := bytes.Clone(payload[:l.bodyLen])
	for _, off := range l.times {
		clear(body[off : off+8])
	}
	return body
}

// toV6 rewrites a payload as RDB_TYPE_STREAM_LISTPACKS (Redis < 7).
func toV6(t testing.TB, payload []byte) []byte {
	l := layoutOf(t, payload)
	body := payload[:l.bodyLen]
	out := []byte{rdb.TypeStreamListpacks}
	prev := 1
	for _, r := range l.v7Only {
		out = append(out, body[prev:r[0]]...)
		prev = r[1]
	}
	out = append(out, body[prev:]...)
	return rdb.AppendDumpFooter(out)
}

func TestStreamDumpMatchesRedis(t *testing.T) {
	for _, compress := range []string{"no", "yes"} {
		t.Run("rdbcompression-"+compress, func(t *testing.T) {
			p := difftest.NewPair(t)
			buildStreams(t, p.Do, compress)
			for _, key := range streamKeys {
				want, got := dumpOf(t, p.Redis, key), dumpOf(t, p.Redoubt, key)
				if !bytes.Equal(maskTimes(t, want), maskTimes(t, got)) {
					t.Errorf("DUMP %s (times masked)\n redis:   %q\n redoubt: %q", key, want, got)
				}
				if l := layoutOf(t, want); len(l.times) == 0 && !bytes.Equal(want, got) {
					t.Errorf("DUMP %s\n redis:   %q\n redoubt: %q", key, want, got)
				}
			}
		})
	}
}

// inDB runs a command in database db on c, and returns to database 0.
func inDB(t *testing.T, c *difftest.Conn, db string, args ...string) []byte {
	t.Helper()
	c.Do("select", db)
	defer c.Do("select", "0")
	return c.Do(args...)
}

// streamViews are the replies that show all of a stream: times included
// (XINFO STREAM FULL has them as absolute times, which RESTORE keeps).
func streamViews(key string) [][]string {
	views := [][]string{
		{"xinfo", "stream", key, "full"},
		{"xinfo", "stream", key},
		{"xinfo", "groups", key},
		{"xrange", key, "-", "+"},
		{"xrevrange", key, "+", "-"},
		{"xlen", key},
	}
	for _, g := range []string{"g", "h", "g0", "g1", "g2", "g3"} {
		views = append(views, []string{"xpending", key, g})
	}
	return views
}

func TestStreamRestoreAcrossServers(t *testing.T) {
	p := difftest.NewPair(t)
	buildStreams(t, p.Do, "yes")
	same := func(what string, args []string, want, got []byte) {
		t.Helper()
		if !bytes.Equal(want, got) {
			t.Errorf("%s: %s\n original: %q\n restored: %q", what, difftest.Quote(args), want, got)
		}
	}
	for _, key := range streamKeys {
		fromRedis, fromRedoubt := dumpOf(t, p.Redis, key), dumpOf(t, p.Redoubt, key)
		// Database 1 of each server gets the other's stream.
		for _, r := range [][]byte{
			inDB(t, p.Redoubt, "1", "restore", key, "0", string(fromRedis)),
			inDB(t, p.Redis, "1", "restore", key, "0", string(fromRedoubt)),
		} {
			if string(r) != "+OK\r\n" {
				t.Fatalf("RESTORE %s: %q", key, r)
			}
		}
		// A restored stream dumps as the payload it came from, times
		// included, and reads as the original on the other server.
		same("redis's DUMP restored in redoubt", []string{"dump", key}, fromRedis, []byte(decodeBulk(t, inDB(t, p.Redoubt, "1", "dump", key))))
		same("redoubt's DUMP restored in redis", []string{"dump", key}, fromRedoubt, []byte(decodeBulk(t, inDB(t, p.Redis, "1", "dump", key))))
		for _, args := range streamViews(key) {
			same("redis's stream in redoubt", args, p.Redis.Do(args...), inDB(t, p.Redoubt, "1", args...))
			same("redoubt's stream in redis", args, p.Redoubt.Do(args...), inDB(t, p.Redis, "1", args...))
		}
		// Redis before 7.0 wrote streams without first ID, max deleted
		// ID, entries added and entries read: both servers derive them
		// alike (database 2).
		v6 := toV6(t, fromRedis)
		for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
			if r := inDB(t, c, "2", "restore", key, "0", string(v6)); string(r) != "+OK\r\n" {
				t.Fatalf("RESTORE %s as RDB type 15: %q", key, r)
			}
		}
		for _, args := range append(streamViews(key), []string{"dump", key}) {
			same("RDB type 15 in redoubt", args, inDB(t, p.Redis, "2", args...), inDB(t, p.Redoubt, "2", args...))
		}
	}
	// The restored streams take the same commands alike.
	p.Redis.Do("select", "1")
	p.Redoubt.Do("select", "1")
	script(t, p, `
xadd grp 13-0 f v13
xreadgroup group g1 alice count 2 streams grp >
xreadgroup group g1 alice streams grp 0
xreadgroup group g0 bob streams grp >
xack grp g1 2-0
xclaim grp g1 erin 0 3-0 7-0
xautoclaim grp g1 erin 0 0
~ xpending grp g1 - + 100
~ xinfo consumers grp g1
xdel grp 8-0
xtrim grp maxlen 4
xinfo groups grp
~ xinfo stream grp full
xadd tomb 2-7 f v
xrange tomb - +
xtrim tomb minid 2-2
xinfo stream tomb full
xadd tomb2 2-7 f v
xdel tomb2 2-1
xtrim tomb2 minid 2-7
xinfo stream tomb2 full
xadd dead 5-1 f v
xtrim dead minid 4-1
xreadgroup group g c streams dead 0
~ xinfo stream dead full
xadd empty 2-1 f v
xinfo stream empty full
xadd plain 18446744073709551615-1 f v
xrange plain - +
xadd mk 1-1 f v
xreadgroup group h c streams mk >
~ xinfo stream mk full
xtrim big maxlen ~ 20
xinfo stream big
xreadgroup group g c2 count 5 streams big >
xinfo groups big
xsetid setid 11-0
xinfo stream setid full
`)
}

func decodeBulk(t *testing.T, raw []byte) string {
	t.Helper()
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil || v.Type != '$' {
		t.Fatalf("not a bulk reply: %q", raw)
	}
	return v.Str
}

// exercise runs on a restored stream at key commands that read and change
// every part of it: its entries, nodes, groups, pending entries and
// consumers. do runs a command and returns its reply. A reply that
// reports a panic fails the test, and so does a stream that cannot travel
// again: its DUMP must restore, and dump as the same bytes.
func exercise(t testing.TB, do func(args ...string) []byte, key string) {
	t.Helper()
	check := func(args ...string) []byte {
		t.Helper()
		r := do(args...)
		if bytes.Contains(r, []byte("internal error")) {
			t.Fatalf("%s: %q", difftest.Quote(args), r)
		}
		return r
	}
	travels := func() {
		t.Helper()
		payload := check("dump", key)
		v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(payload)))
		if err != nil || v.Type != '$' || v.Null {
			t.Fatalf("DUMP %s: %q", key, payload)
		}
		if r := check("restore", key+":copy", "0", v.Str, "replace"); string(r) != "+OK\r\n" {
			t.Fatalf("RESTORE of a DUMP: %q\npayload %q", r, v.Str)
		}
		if again := check("dump", key+":copy"); !bytes.Equal(again, payload) {
			t.Fatalf("DUMP after RESTORE differs:\n%q\n%q", payload, again)
		}
	}
	travels()
	// IDs to name in commands: the stream's first, second and last.
	var ids []string
	if v := value(check("xrange", key, "-", "+", "count", "2")); len(v.Elems) > 0 {
		for _, e := range v.Elems {
			ids = append(ids, e.Elems[0].Str)
		}
	}
	if v := value(check("xrevrange", key, "+", "-", "count", "1")); len(v.Elems) > 0 {
		ids = append(ids, v.Elems[0].Elems[0].Str)
	}
	lo, hi := "-", "+"
	if len(ids) > 0 {
		lo, hi = ids[0], ids[len(ids)-1]
	}
	ids = append(ids, "1-1", "0-1")
	var groups []string
	for _, g := range value(check("xinfo", "groups", key)).Elems {
		if len(g.Elems) > 1 {
			groups = append(groups, g.Elems[1].Str)
		}
	}
	for _, args := range [][]string{
		{"xrange", key, "-", "+"},
		{"xrevrange", key, "+", "-"},
		{"xrange", key, lo, hi},
		{"xrevrange", key, hi, lo, "count", "2"},
		{"xread", "streams", key, "0"},
		{"xinfo", "stream", key},
		{"xinfo", "stream", key, "full"},
		{"xlen", key},
	} {
		check(args...)
	}
	for _, g := range groups {
		var consumers []string
		for _, c := range value(check("xinfo", "consumers", key, g)).Elems {
			if len(c.Elems) > 1 {
				consumers = append(consumers, c.Elems[1].Str)
			}
		}
		check("xpending", key, g)
		check("xpending", key, g, "-", "+", "100")
		for _, c := range consumers {
			check("xpending", key, g, "-", "+", "100", c)
			check("xreadgroup", "group", g, c, "streams", key, "0")
		}
		check("xreadgroup", "group", g, "new", "count", "3", "streams", key, ">")
		check("xautoclaim", key, g, "other", "0", "0", "count", "5")
		check(append([]string{"xclaim", key, g, "third", "0"}, append(ids, "force")...)...)
		check(append([]string{"xack", key, g}, ids[0])...)
		for _, c := range consumers {
			check("xgroup", "delconsumer", key, g, c)
		}
		check("xgroup", "setid", key, g, "0")
		check("xreadgroup", "group", g, "new", "streams", key, ">")
	}
	travels()
	check(append([]string{"xdel", key}, ids[1:]...)...)
	check("xtrim", key, "minid", ids[0])
	check("xadd", key, "*", "f", "v")
	check("xadd", key, "maxlen", "3", "*", "f", "v", "g", "w")
	check("xinfo", "stream", key, "full")
	travels()
	check("xtrim", key, "maxlen", "~", "1")
	check("xtrim", key, "maxlen", "0")
	check("xinfo", "stream", key, "full")
	travels()
}

func value(raw []byte) protocol.Value {
	v, _ := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	return v
}

// mutations returns corrupted versions of a payload's body, each with a
// footer that fits it: every byte changed two ways, every truncation,
// and random changes (several bytes set, one inserted or removed).
func mutations(payload []byte, rng *rand.Rand, random int) [][]byte {
	body := payload[:len(payload)-10]
	var out [][]byte
	add := func(b []byte) { out = append(out, rdb.AppendDumpFooter(b)) }
	for i := range body {
		for _, f := range []func(byte) byte{
			func(b byte) byte { return b ^ 0xff },
			func(b byte) byte { return b + 1 },
		} {
			b := bytes.Clone(body)
			b[i] = f(b[i])
			add(b)
		}
		add(bytes.Clone(body[:i]))
	}
	for range random {
		b := bytes.Clone(body)
		switch rng.IntN(3) {
		case 0:
			for n := 1 + rng.IntN(4); n > 0; n-- {
				b[rng.IntN(len(b))] = byte(rng.IntN(256))
			}
		case 1:
			i := rng.IntN(len(b))
			b = append(b[:i], append([]byte{byte(rng.IntN(256))}, b[i:]...)...)
		default:
			i := rng.IntN(len(b))
			b = append(b[:i], b[i+1:]...)
		}
		add(b)
	}
	return out
}

func TestStreamRestoreCorrupt(t *testing.T) {
	rng, _ := difftest.Seeded(t, "STREAM_SEED", 1)
	c := difftest.Dial(t, difftest.StartRedoubt(t))
	// Every byte of the uncompressed payloads is changed; the others,
	// and the long ones, get random changes.
	type source struct {
		payload    []byte
		exhaustive bool
	}
	var sources []source
	for _, compress := range []string{"no", "yes"} {
		c.Do("flushall")
		buildStreams(t, c.Do, compress)
		for _, key := range streamKeys {
			p := dumpOf(t, c, key)
			sources = append(sources, source{p, compress == "no" && len(p) < 1000}, source{toV6(t, p), false})
		}
	}
	accepted, rejected := 0, 0
	for _, src := range sources {
		random := 150
		if len(src.payload) > 1000 {
			random = 1500
		}
		muts := mutations(src.payload, rng, random)
		if !src.exhaustive {
			muts = muts[3*(len(src.payload)-10):]
		}
		for _, m := range muts {
			switch r := string(c.Do("restore", "k", "0", string(m), "replace")); r {
			case "+OK\r\n":
				accepted++
				exercise(t, c.Do, "k")
			case "-ERR Bad data format\r\n":
				rejected++
			default:
				t.Fatalf("RESTORE %q: %q", m, r)
			}
		}
	}
	t.Logf("%d corrupted payloads accepted, %d rejected", accepted, rejected)
	if string(c.Do("ping")) != "+PONG\r\n" {
		t.Fatal("server gone")
	}
}

// Payloads made by hand, to check each rule of the loader alone: a valid
// stream, then the same with one thing broken.

type craftNode struct {
	key   [2]uint64
	elems []any // int or string; a strInt is an integer stored as a string
	raw   []byte
}

type strInt string

type craftPending struct {
	id    [2]uint64
	time  int64
	count uint64
}

type craftConsumer struct {
	name string
	seen int64
	pel  [][2]uint64
}

type craftGroup struct {
	name      string
	last      [2]uint64
	read      uint64
	pel       []craftPending
	consumers []craftConsumer
}

type craftStream struct {
	typ    byte
	nodes  []craftNode
	meta   [8]uint64 // length, last, first, max deleted (ms, seq each), entries added
	groups []craftGroup
	mangle func([]byte) []byte
}

func (n *craftNode) listpack() []byte {
	if n.raw != nil {
		return n.raw
	}
	lp := listpack.New()
	var fix [][2]string
	for _, e := range n.elems {
		switch e := e.(type) {
		case int:
			lp = listpack.AppendInt(lp, int64(e))
		case string:
			lp = listpack.Append(lp, []byte(e))
		case strInt:
			// A placeholder of the same length, replaced once written:
			// Append would store the integer as an integer.
			ph := strings.Repeat("#", len(e))
			lp = listpack.Append(lp, []byte(ph))
			fix = append(fix, [2]string{ph, string(e)})
		}
	}
	for _, f := range fix {
		lp = bytes.Replace(lp, []byte(f[0]), []byte(f[1]), 1)
	}
	return lp
}

func putKey(b []byte, id [2]uint64) []byte {
	return binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64(b, id[0]), id[1])
}

func (s *craftStream) body() []byte {
	w := rdb.Encoder{Compress: true}
	w.Byte(s.typ)
	w.Len(uint64(len(s.nodes)))
	for i := range s.nodes {
		w.String(putKey(nil, s.nodes[i].key))
		w.String(s.nodes[i].listpack())
	}
	meta := s.meta[:]
	if s.typ == rdb.TypeStreamListpacks {
		meta = meta[:3]
	}
	for _, n := range meta {
		w.Len(n)
	}
	w.Len(uint64(len(s.groups)))
	for _, g := range s.groups {
		w.String([]byte(g.name))
		w.Len(g.last[0])
		w.Len(g.last[1])
		if s.typ == rdb.TypeStreams2 {
			w.Len(g.read)
		}
		w.Len(uint64(len(g.pel)))
		for _, p := range g.pel {
			w.Raw(putKey(nil, p.id))
			w.Millis(p.time)
			w.Len(p.count)
		}
		w.Len(uint64(len(g.consumers)))
		for _, c := range g.consumers {
			w.String([]byte(c.name))
			w.Millis(c.seen)
			w.Len(uint64(len(c.pel)))
			for _, id := range c.pel {
				w.Raw(putKey(nil, id))
			}
		}
	}
	if s.mangle != nil {
		return s.mangle(w.B)
	}
	return w.B
}

// baseStream is a valid stream of two nodes: 1-1 and 1-2 (the first with
// the master fields, the second with its own), then 2-0 (deleted) and
// 2-5; a group with three pending entries over two consumers and a group
// with nothing read.
func baseStream() *craftStream {
	return &craftStream{
		typ: rdb.TypeStreams2,
		nodes: []craftNode{
			{key: [2]uint64{1, 1}, elems: []any{
				2, 0, 2, "a", "b", 0,
				2, 0, 0, "x", "y", 5,
				0, 0, 1, 1, "c", "z", 6,
			}},
			{key: [2]uint64{2, 0}, elems: []any{
				1, 1, 1, "f", 0,
				3, 0, 0, "v", 4,
				2, 0, 5, "w", 4,
			}},
		},
		meta: [8]uint64{3, 2, 5, 1, 1, 2, 0, 4},
		groups: []craftGroup{
			{name: "g", last: [2]uint64{2, 5}, read: 4,
				pel: []craftPending{{[2]uint64{1, 1}, 100, 1}, {[2]uint64{1, 2}, 150, 3}, {[2]uint64{2, 5}, 200, 2}},
				consumers: []craftConsumer{
					{"c1", 50, [][2]uint64{{1, 1}, {2, 5}}},
					{"c2", 60, [][2]uint64{{1, 2}}},
				}},
			{name: "h", read: math.MaxUint64},
		},
	}
}

func newHarness(t testing.TB) (*cmdtest.Harness, func(args ...string) []byte) {
	h := cmdtest.New(t, stream.Register, keys.Register)
	return h, func(args ...string) []byte {
		if strings.EqualFold(args[0], "config") {
			if err := h.Cfg.Set([][2]string{{args[2], args[3]}}, true); err != nil {
				t.Fatal(err)
			}
			return []byte("+OK\r\n")
		}
		return bytes.Clone(h.Do(args...))
	}
}

func TestStreamRestoreChecks(t *testing.T) {
	const (
		a = 0 // node indexes
		b = 1
	)
	cases := []struct {
		name string
		ok   bool
		edit func(s *craftStream)
	}{
		{"valid", true, func(s *craftStream) {}},
		{"RDB type 15", true, func(s *craftStream) { s.typ = rdb.TypeStreamListpacks }},
		{"no nodes", true, func(s *craftStream) { s.nodes, s.meta[0] = nil, 0 }},
		{"no groups", true, func(s *craftStream) { s.groups = nil }},
		{"a node without live entries", true, func(s *craftStream) {
			s.nodes[b].elems = []any{0, 1, 1, "f", 0, 3, 0, 0, "v", 4}
			s.meta[0] = 2
		}},
		{"a tombstone above the last ID", true, func(s *craftStream) {
			s.nodes[b].elems = []any{2, 1, 1, "f", 0, 2, 0, 0, "v", 4, 3, 1, 0, "v", 4, 2, 0, 6, "w", 4}
			s.meta[0], s.meta[1], s.meta[2] = 4, 2, 6
		}},

		{"empty listpack", false, func(s *craftStream) { s.nodes[b].raw = listpack.New() }},
		{"master entry alone", false, func(s *craftStream) {
			s.nodes[b].elems = []any{0, 0, 1, "f", 0}
			s.meta[0] = 2
		}},
		{"master entry cut short", false, func(s *craftStream) { s.nodes[b].elems = []any{0, 0, 1, "f"} }},
		{"count too high", false, func(s *craftStream) { s.nodes[a].elems[0] = 3 }},
		{"count too low", false, func(s *craftStream) { s.nodes[a].elems[0] = 1 }},
		{"deleted wrong", false, func(s *craftStream) { s.nodes[b].elems[1] = 0 }},
		{"negative count", false, func(s *craftStream) { s.nodes[a].elems[0] = -1 }},
		{"count as a string", false, func(s *craftStream) { s.nodes[a].elems[0] = strInt("2") }},
		{"master field count as a string", false, func(s *craftStream) { s.nodes[a].elems[2] = strInt("2") }},
		{"negative master field count", false, func(s *craftStream) { s.nodes[a].elems[2] = -1 }},
		{"huge master field count", false, func(s *craftStream) { s.nodes[a].elems[2] = 1 << 40 }},
		{"master terminator not 0", false, func(s *craftStream) { s.nodes[a].elems[5] = 1 }},
		{"master terminator a string", false, func(s *craftStream) { s.nodes[a].elems[5] = "0x" }},
		{"flags 4", false, func(s *craftStream) { s.nodes[a].elems[12] = 4 }},
		{"flags -1", false, func(s *craftStream) { s.nodes[a].elems[12] = -1 }},
		{"flags as a string", false, func(s *craftStream) { s.nodes[a].elems[12] = strInt("0") }},
		{"delta as a string", false, func(s *craftStream) { s.nodes[a].elems[14] = strInt("1") }},
		{"own field count as a string", false, func(s *craftStream) { s.nodes[a].elems[15] = strInt("1") }},
		{"negative own field count", false, func(s *craftStream) { s.nodes[a].elems[15] = -1 }},
		{"huge own field count", false, func(s *craftStream) { s.nodes[a].elems[15] = 1 << 40 }},
		{"own field count too high", false, func(s *craftStream) { s.nodes[a].elems[15] = 2 }},
		{"lp-count too high", false, func(s *craftStream) { s.nodes[a].elems[18] = 7 }},
		{"lp-count of the same-fields entry wrong", false, func(s *craftStream) { s.nodes[a].elems[11] = 6 }},
		{"lp-count as a string", false, func(s *craftStream) { s.nodes[a].elems[18] = strInt("6") }},
		{"last entry cut short", false, func(s *craftStream) { s.nodes[b].elems = s.nodes[b].elems[:14] }},
		{"an element after the last entry", false, func(s *craftStream) { s.nodes[b].elems = append(s.nodes[b].elems, 0) }},
		{"first entry not the node key", false, func(s *craftStream) {
			s.nodes[a].elems[8], s.nodes[a].elems[14] = 1, 2
		}},
		{"node keys equal", false, func(s *craftStream) { s.nodes[b].key = s.nodes[a].key }},
		{"node keys decreasing", false, func(s *craftStream) { s.nodes[a], s.nodes[b] = s.nodes[b], s.nodes[a] }},
		{"node key of 15 bytes", false, func(s *craftStream) {
			s.mangle = func(p []byte) []byte {
				// The first key: its length byte, then 16 bytes.
				p[2] = 15
				return append(p[:3+15], p[3+16:]...)
			}
		}},
		{"live entries decreasing", false, func(s *craftStream) { s.nodes[a].elems[14] = -1 }},
		{"live entry past the next node key", false, func(s *craftStream) { s.nodes[a].elems[13] = 1 }},
		{"length too high", false, func(s *craftStream) { s.meta[0] = 4 }},
		{"length too low", false, func(s *craftStream) { s.meta[0] = 2 }},
		{"length without nodes", false, func(s *craftStream) { s.nodes = nil }},
		{"last ID below the last entry", false, func(s *craftStream) { s.meta[2] = 4 }},
		{"corrupt listpack", false, func(s *craftStream) {
			lp := s.nodes[a].listpack()
			lp[len(lp)-2] ^= 0x40 // the last backlen
			s.nodes[a].raw = lp
		}},
		{"listpack header count wrong", false, func(s *craftStream) {
			lp := s.nodes[a].listpack()
			lp[4]++
			s.nodes[a].raw = lp
		}},
		{"huge node count", false, func(s *craftStream) {
			s.mangle = func(p []byte) []byte { return append([]byte{p[0], 0x81, 0, 0, 0, 1, 0, 0, 0, 0}, p[2:]...) }
		}},
		{"node count past the end", false, func(s *craftStream) {
			s.mangle = func(p []byte) []byte { p[1] = 3; return p }
		}},
		{"group names decreasing", false, func(s *craftStream) { s.groups[0], s.groups[1] = s.groups[1], s.groups[0] }},
		{"group names equal", false, func(s *craftStream) { s.groups[1].name = "g" }},
		{"entries read too big", false, func(s *craftStream) { s.groups[1].read = math.MaxUint64 - 1 }},
		{"group PEL decreasing", false, func(s *craftStream) {
			p := s.groups[0].pel
			p[0], p[1] = p[1], p[0]
		}},
		{"group PEL repeated", false, func(s *craftStream) { s.groups[0].pel[1].id = s.groups[0].pel[0].id }},
		{"consumer names decreasing", false, func(s *craftStream) {
			c := s.groups[0].consumers
			c[0], c[1] = c[1], c[0]
		}},
		{"consumer names equal", false, func(s *craftStream) { s.groups[0].consumers[1].name = "c1" }},
		{"consumer PEL entry not in the group's", false, func(s *craftStream) {
			s.groups[0].consumers[1].pel = append(s.groups[0].consumers[1].pel, [2]uint64{9, 9})
		}},
		{"pending entry of two consumers", false, func(s *craftStream) {
			s.groups[0].consumers[1].pel = append(s.groups[0].consumers[1].pel, [2]uint64{2, 5})
		}},
		{"pending entry twice in a consumer", false, func(s *craftStream) {
			s.groups[0].consumers[0].pel = [][2]uint64{{1, 1}, {1, 1}, {2, 5}}
		}},
		{"pending entry without a consumer", false, func(s *craftStream) { s.groups[0].consumers[1].pel = nil }},
		{"pending entry without a consumer, RDB type 15", false, func(s *craftStream) {
			s.typ = rdb.TypeStreamListpacks
			s.groups[0].consumers[1].pel = nil
		}},
		{"huge group count", false, func(s *craftStream) { s.groups = nil; s.mangle = hugeLastCount }},
		{"huge consumer count", false, func(s *craftStream) { s.groups = s.groups[1:]; s.mangle = hugeLastCount }},
		{"huge PEL count", false, func(s *craftStream) {
			s.groups = s.groups[1:]
			s.mangle = func(p []byte) []byte { return hugeLastCount(p[:len(p)-1]) }
		}},
		{"cut short", false, func(s *craftStream) { s.mangle = func(p []byte) []byte { return p[:len(p)-1] } }},
	}
	h, do := newHarness(t)
	for _, c := range cases {
		s := baseStream()
		c.edit(s)
		body := s.body()
		switch r := string(do("restore", "k", "0", string(rdb.AppendDumpFooter(body)), "replace")); {
		case c.ok && r != "+OK\r\n", !c.ok && r != "-ERR Bad data format\r\n":
			t.Errorf("%s: RESTORE replied %q", c.name, r)
		case c.ok:
			if s.typ == rdb.TypeStreams2 {
				if got := decodeValue(t, do("dump", "k")).Str; got != string(rdb.AppendDumpFooter(body)) {
					t.Errorf("%s: DUMP after RESTORE\n got  %q\n want %q", c.name, got, rdb.AppendDumpFooter(body))
				}
			}
			exercise(t, do, "k")
		}
	}
	if n := h.KS.Objects(); n > 2 {
		t.Errorf("%d objects left in the keyspace for 2 keys", n)
	}
}

// hugeLastCount replaces the last byte of a payload, a count of 0, with
// the largest count.
func hugeLastCount(p []byte) []byte {
	return append(p[:len(p)-1], 0x81, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff)
}

func decodeValue(t testing.TB, raw []byte) protocol.Value {
	t.Helper()
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	return v
}

// FuzzStreamRestore restores arbitrary stream payloads in process: RESTORE
// must answer OK or "Bad data format", and a stream it accepts must take
// every command without a panic and travel again (see exercise). The
// input is the payload without its footer, which the target adds so that
// the checksum holds.
func FuzzStreamRestore(f *testing.F) {
	// One keyspace for all inputs: each deletes its keys.
	_, do := newHarness(f)
	for _, compress := range []string{"no", "yes"} {
		buildStreams(f, do, compress)
		for _, key := range streamKeys {
			p := decodeValue(f, do("dump", key)).Str
			f.Add([]byte(p[:len(p)-10]))
			v6 := toV6(f, []byte(p))
			f.Add(v6[:len(v6)-10])
		}
	}
	f.Add(baseStream().body())
	do(append([]string{"del"}, streamKeys...)...)
	f.Fuzz(func(t *testing.T, body []byte) {
		if len(body) == 0 || body[0] != rdb.TypeStreams2 && body[0] != rdb.TypeStreamListpacks {
			return
		}
		defer do("del", "k", "k:copy")
		switch r := string(do("restore", "k", "0", string(rdb.AppendDumpFooter(body)))); r {
		case "+OK\r\n":
			exercise(t, do, "k")
		case "-ERR Bad data format\r\n":
		default:
			t.Fatalf("RESTORE replied %q", r)
		}
	})
}

// TestStreamDumpNodeKeyOrder: once XTRIM MINID leaves an empty stream
// whose only node holds no live entry, XSETID may move the last ID below
// that node's key, and XADD then starts a node with a smaller key. Redis
// keeps its nodes in key order; DUMP writes them so here too, and the
// payload restores on both servers. (Further XADDs differ: Redis appends
// to its last node by key, here to the node added last.)
func TestStreamDumpNodeKeyOrder(t *testing.T) {
	p := difftest.NewPair(t)
	p.Script(`
config set stream-node-max-entries 3
xadd d 1-1 f v
xadd d 2-1 f v
xadd d 3-1 f v
xdel d 3-1
xtrim d minid 3-1
xsetid d 0-1
xadd d 0-2 f v
xrange d - +
`)
	want, got := dumpOf(t, p.Redis, "d"), dumpOf(t, p.Redoubt, "d")
	if !bytes.Equal(want, got) {
		t.Fatalf("DUMP\n redis:   %q\n redoubt: %q", want, got)
	}
	p.Do("restore", "copy", "0", string(got))
	p.Do("xinfo", "stream", "copy", "full")
	p.Do("dump", "copy")
	// Commands go on to see the nodes in Redis's order.
	p.Script(`
xadd d 0-3 f v
xadd d 0-4 f v
xadd d 5-1 f v
xrange d - +
xrevrange d + -
xinfo stream d full
xtrim d maxlen 2
xrange d - +
xinfo stream d full
dump d
`)
}
