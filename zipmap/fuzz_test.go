package zipmap_test

import (
	"bufio"
	"bytes"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/hash"
	"github.com/redoubt-db/redoubt/zipmap"
)

// Damaged zipmaps, in process: whatever the bytes, the package reads them
// whole or refuses them without panicking, and the hash loader refuses
// them with "Bad data format" or loads a hash that passes the hash's own
// checks: its DUMP (a Redis 7.0 listpack or table, held to the 7.0
// loader's deep checks) restores again to the same bytes, and the hash
// commands work on it. A refused payload leaves nothing in the arena.

var hashCommands = [][]string{
	{"hgetall", "k"}, {"hget", "k", "1"}, {"hrandfield", "k", "-5", "withvalues"}, {"hscan", "k", "0"},
	{"hset", "k", "f", "v"}, {"hincrby", "k", "n", "1"}, {"hdel", "k", "f", "a"}, {"hlen", "k"},
}

// harnesses are two in-process keyspaces: with the default thresholds,
// and with thresholds that make a table of small zipmaps.
func harnesses(t testing.TB) []*cmdtest.Harness {
	var hs []*cmdtest.Harness
	for _, settings := range [][][2]string{nil, {{"hash-max-listpack-entries", "2"}, {"hash-max-listpack-value", "4"}}} {
		h := cmdtest.New(t, keys.Register, hash.Register)
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

// checkZipmap checks zm with the package and as a hash in each harness.
func checkZipmap(t testing.TB, hs []*cmdtest.Harness, zm []byte) {
	err := zipmap.Validate(zm)
	n := 0
	if ferr := zipmap.ForEach(zm, func(_, _ []byte) bool { n++; return true }); ferr != err || err != nil && n > 0 {
		t.Fatalf("Validate: %v, ForEach: %v after %d pairs", err, ferr, n)
	}
	for _, h := range hs {
		h.Do("del", "k", "k2")
		before := h.KS.Arena.Allocated()
		switch r := string(h.Do("restore", "k", "0", payload(zm))); r {
		case "-ERR Bad data format\r\n":
			if after := h.KS.Arena.Allocated(); after != before {
				t.Fatalf("a refused payload left %d bytes in the arena", after-before)
			}
			continue
		case "+OK\r\n":
			if err != nil {
				t.Fatalf("an invalid zipmap loaded: %v", err)
			}
		default:
			t.Fatalf("restore: %q", r)
		}
		if got := string(h.Do("hlen", "k")); got != ":"+strconv.Itoa(n)+"\r\n" {
			t.Fatalf("HLEN %q for %d pairs", got, n)
		}
		dump := bulkOf(t, h.Do("dump", "k"))
		if r := string(h.Do("restore", "k2", "0", dump)); r != "+OK\r\n" {
			t.Fatalf("a loaded hash does not restore from its own DUMP: %q", r)
		}
		if again := bulkOf(t, h.Do("dump", "k2")); again != dump {
			t.Fatalf("DUMP round trip changed the hash")
		}
		for _, cmd := range hashCommands {
			h.Do(cmd...)
		}
	}
}

func seedZipmaps() [][]byte {
	return [][]byte{
		[]byte("\x02\x03foo\x03\x00bar\x05hello\x05\x02world!!\xff"),
		pairs("1", "-70000", "12", "x", "", ""),
		pairs("f", string(bytes.Repeat([]byte("v"), 260))),
		cat([]byte{254}, pairs("a", "1", "b", "2")[1:]),
	}
}

func TestCorruptZipmaps(t *testing.T) {
	hs := harnesses(t)
	valid, refused := 0, 0
	for _, zm := range seedZipmaps() {
		// Every truncation, every bit of every byte flipped, and every
		// byte inverted.
		for i := range zm {
			checkZipmap(t, hs, zm[:i])
			for _, x := range []byte{1, 2, 4, 8, 16, 32, 64, 128, 255} {
				b := bytes.Clone(zm)
				b[i] ^= x
				if zipmap.Validate(b) == nil {
					valid++
				} else {
					refused++
				}
				checkZipmap(t, hs, b)
			}
		}
	}
	t.Logf("%d damaged zipmaps valid, %d refused", valid, refused)
	for _, h := range hs {
		if n := h.KS.Objects(); n > 2 {
			t.Errorf("%d objects left for 2 keys", n)
		}
	}
}

func FuzzZipmap(f *testing.F) {
	for _, zm := range seedZipmaps() {
		f.Add(zm)
	}
	for _, c := range zmCases() {
		if len(c.zm) < 1000 {
			f.Add(c.zm)
		}
	}
	hs := harnesses(f)
	f.Fuzz(func(t *testing.T, zm []byte) {
		checkZipmap(t, hs, zm)
	})
}
