package ziplist_test

import (
	"bufio"
	"bytes"
	"slices"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/types/hash"
	"github.com/redoubt-db/redoubt/types/list"
	"github.com/redoubt-db/redoubt/types/zset"
	"github.com/redoubt-db/redoubt/ziplist"
)

// Damaged ziplists, in process: whatever the bytes, the package reads
// them whole or refuses them without panicking, and each loader of a
// ziplist type (list, quicklist node, hash, sorted set) refuses them with
// "Bad data format" or loads a value that passes its type's own checks:
// its DUMP (Redis 7.0's form, held to the 7.0 loaders' deep checks)
// restores again to the same bytes, and its commands work on it. A
// refused payload leaves nothing behind in the arena.

var ziplistTypes = []byte{rdb.TypeListZiplist, rdb.TypeListQuicklist, rdb.TypeHashZiplist, rdb.TypeZSetZiplist}

// exercise runs commands of every kind on key k; replies do not matter,
// panics do.
var exercise = map[string][][]string{
	"list": {{"lrange", "k", "0", "-1"}, {"lindex", "k", "-1"}, {"lpos", "k", "1", "rank", "-1"}, {"linsert", "k", "before", "a", "b"},
		{"lset", "k", "1", "v"}, {"lrem", "k", "0", "a"}, {"rpush", "k", "x", "y"}, {"lpop", "k"}, {"rpop", "k", "2"},
		{"ltrim", "k", "1", "-2"}, {"llen", "k"}},
	"hash": {{"hgetall", "k"}, {"hget", "k", "1"}, {"hrandfield", "k", "-5", "withvalues"}, {"hscan", "k", "0"},
		{"hset", "k", "f", "v"}, {"hincrby", "k", "n", "1"}, {"hdel", "k", "f", "a"}, {"hlen", "k"}},
	"zset": {{"zrange", "k", "0", "-1", "withscores"}, {"zrangebyscore", "k", "-inf", "+inf"}, {"zrangebylex", "k", "-", "+"},
		{"zrank", "k", "a"}, {"zrandmember", "k", "-5", "withscores"}, {"zscan", "k", "0"}, {"zadd", "k", "1", "x"},
		{"zincrby", "k", "2", "a"}, {"zrem", "k", "b"}, {"zpopmin", "k"}, {"zcard", "k"}},
}

// harnesses are two in-process keyspaces: with the default thresholds,
// and with thresholds that convert and split small values.
func harnesses(t testing.TB) []*cmdtest.Harness {
	var hs []*cmdtest.Harness
	for _, settings := range [][][2]string{nil, {
		{"list-max-listpack-size", "2"}, {"hash-max-listpack-entries", "2"}, {"zset-max-listpack-entries", "2"},
	}} {
		h := cmdtest.New(t, keys.Register, list.Register, hash.Register, zset.Register)
		h.Quiet = true
		if err := h.Cfg.Set(settings, true); err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	return hs
}

func bulkOf(t testing.TB, raw []byte) string {
	t.Helper()
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil || v.Type != '$' {
		t.Fatalf("not a bulk string: %q", raw)
	}
	return v.Str
}

// checkRestore restores body as key k and, if it is accepted, checks the
// value (see above). It reports whether the value was accepted.
func checkRestore(t testing.TB, h *cmdtest.Harness, body []byte) bool {
	t.Helper()
	h.Do("del", "k", "k2")
	before := h.KS.Arena.Allocated()
	switch r := string(h.Do("restore", "k", "0", string(rdb.AppendDumpFooter(body)))); r {
	case "-ERR Bad data format\r\n":
		if after := h.KS.Arena.Allocated(); after != before {
			t.Fatalf("a refused payload left %d bytes in the arena", after-before)
		}
		return false
	case "+OK\r\n":
	default:
		t.Fatalf("restore: %q", r)
	}
	dump := bulkOf(t, h.Do("dump", "k"))
	if r := string(h.Do("restore", "k2", "0", dump)); r != "+OK\r\n" {
		t.Fatalf("a loaded value does not restore from its own DUMP: %q", r)
	}
	if again := bulkOf(t, h.Do("dump", "k2")); again != dump {
		t.Fatalf("DUMP round trip changed the value")
	}
	typ := string(h.Do("type", "k")) // +name\r\n
	for _, cmd := range exercise[typ[1:len(typ)-2]] {
		h.Do(cmd...)
	}
	return true
}

// checkZiplist checks zl with the package, and as the value of each type
// that holds a ziplist, in each harness.
func checkZiplist(t testing.TB, hs []*cmdtest.Harness, zl []byte) {
	err := ziplist.Validate(zl)
	lp, lerr := ziplist.ToListpack(zl)
	if (err == nil) != (lerr == nil) {
		t.Fatalf("Validate: %v, ToListpack: %v", err, lerr)
	}
	if err == nil {
		var got []string
		ziplist.ForEach(zl, func(s []byte, n int64, isInt bool) bool {
			if isInt {
				s = strconv.AppendInt(nil, n, 10)
			}
			got = append(got, string(s))
			return true
		})
		if listpack.Validate(lp, true) != nil || !slices.Equal(lpEntries(lp), got) {
			t.Fatalf("ToListpack does not hold the entries")
		}
	}
	for _, h := range hs {
		for _, typ := range ziplistTypes {
			if checkRestore(t, h, body(typ, zl)) && err != nil {
				t.Fatalf("type %d loaded an invalid ziplist: %v", typ, err)
			}
		}
	}
}

// seedZiplists are valid ziplists of each shape the loaders care about.
func seedZiplists() [][]byte {
	return [][]byte{
		appended("a", "1", "bb", "-70000"),
		appended("m1", "1", "m2", "2.5", "m3", "inf"),
		appended("f", string(bytes.Repeat([]byte("v"), 260)), "12", "x"),
		appended("1", "2", "3", "4", "5", "6", "7", "8"),
		layout([]byte{0, 0xF3}, []byte{0xFE, 2, 0, 0, 0, 0x40, 1, 'z'}),
	}
}

func TestCorruptZiplists(t *testing.T) {
	hs := harnesses(t)
	accepted, refused := 0, 0
	for _, zl := range seedZiplists() {
		// Every truncation, every bit of every byte flipped, and every
		// byte inverted.
		for i := range zl {
			checkZiplist(t, hs, zl[:i])
			for _, x := range []byte{1, 2, 4, 8, 16, 32, 64, 128, 255} {
				b := bytes.Clone(zl)
				b[i] ^= x
				if ziplist.Validate(b) == nil {
					accepted++
				} else {
					refused++
				}
				checkZiplist(t, hs, b)
			}
		}
	}
	t.Logf("%d damaged ziplists valid, %d refused", accepted, refused)
	for _, h := range hs {
		if n := h.KS.Objects(); n > 2 {
			t.Errorf("%d objects left for 2 keys", n)
		}
	}
}

func FuzzZiplist(f *testing.F) {
	for _, zl := range seedZiplists() {
		f.Add(zl)
	}
	for _, c := range zlCases() {
		if len(c.zl) < 1000 {
			f.Add(c.zl)
		}
	}
	hs := harnesses(f)
	f.Fuzz(func(t *testing.T, zl []byte) {
		checkZiplist(t, hs, zl)
	})
}
