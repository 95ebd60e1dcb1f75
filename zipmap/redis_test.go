package zipmap_test

import (
	"bytes"
	"errors"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/zipmap"
)

// The hand-made zipmaps, and every truncation and byte change of a few,
// restored as hashes (RDB type 9) on Redoubt and redis-server 7.0: both
// accept and refuse the same ones and, when they accept, hold the same
// hash in the same encoding.

func payload(zm []byte) string {
	w := rdb.Encoder{}
	w.Byte(rdb.TypeHashZipmap)
	w.String(zm)
	return string(rdb.AppendDumpFooter(w.B))
}

// compareHash checks that both servers hold the same hash at k.
func compareHash(p *difftest.Pair, k string) {
	if enc := p.Do("object", "encoding", k); !bytes.Contains(enc, []byte("hashtable")) {
		p.Do("dump", k)
	}
	p.DoPairs("hgetall", k)
}

// unique reports whether the fields of kv (field, value, ...) differ.
func unique(kv []string) bool {
	seen := map[string]bool{}
	for i := 0; i < len(kv); i += 2 {
		if seen[kv[i]] {
			return false
		}
		seen[kv[i]] = true
	}
	return true
}

func TestCasesAgainstRedis(t *testing.T) {
	for _, settings := range [][]string{nil, {"hash-max-listpack-value 3"}, {"hash-max-listpack-entries 2"}} {
		p := difftest.NewPair(t, append([]string{"rdbcompression no"}, settings...)...)
		for _, c := range zmCases() {
			k := c.name
			if c.wide {
				// Redis restores something; what depends on its
				// misreading. Redoubt refuses it.
				if r := string(p.Redoubt.Do("restore", k, "0", payload(c.zm))); r != "-ERR Bad data format\r\n" {
					t.Errorf("%s: %q", k, r)
				}
				continue
			}
			want := "-ERR Bad data format\r\n"
			if c.err == nil && unique(c.want) {
				want = "+OK\r\n"
			}
			if r := string(p.Do("restore", k, "0", payload(c.zm))); r != want {
				t.Errorf("%s: both answered %q, want %q", k, r, want)
			}
			if want == "+OK\r\n" {
				compareHash(p, k)
			}
		}
		p.SameKeyspace("db0")
	}
}

func TestCorruptedAgainstRedis(t *testing.T) {
	p := difftest.NewPair(t, "rdbcompression no")
	seeds := [][]byte{
		[]byte("\x02\x03foo\x03\x00bar\x05hello\x05\x02world!!\xff"),
		pairs("1", "-70000", string(bytes.Repeat([]byte("F"), 260)), "v"),
	}
	accepted, refused := 0, 0
	for si, zm := range seeds {
		var variants [][]byte
		for i := range zm {
			variants = append(variants, zm[:i])
			for _, x := range []byte{0x01, 0x80, 0xFF} {
				b := bytes.Clone(zm)
				b[i] ^= x
				variants = append(variants, b)
			}
		}
		for vi, v := range variants {
			k := strconv.Itoa(si) + ":" + strconv.Itoa(vi)
			// A length byte turned to 0xFE or 0xFF may make a short
			// length wide, where Redis misreads (see zmCase.wide).
			if errors.Is(zipmap.Validate(v), zipmap.ErrLength) {
				if r := string(p.Redoubt.Do("restore", k, "0", payload(v))); r != "-ERR Bad data format\r\n" {
					t.Errorf("%q: %q", v, r)
				}
				continue
			}
			if r := string(p.Do("restore", k, "0", payload(v))); r == "+OK\r\n" {
				accepted++
				compareHash(p, k)
			} else {
				refused++
			}
		}
	}
	t.Logf("%d corrupted payloads accepted, %d refused, by both", accepted, refused)
	p.SameKeyspace("db0")
	if accepted == 0 || refused == 0 {
		t.Errorf("the seeds do not exercise both outcomes")
	}
}
