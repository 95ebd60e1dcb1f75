package keys_test

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/types/hash"
	"github.com/redoubt-db/redoubt/types/hll"
	"github.com/redoubt-db/redoubt/types/list"
	"github.com/redoubt-db/redoubt/types/set"
	"github.com/redoubt-db/redoubt/types/str"
	"github.com/redoubt-db/redoubt/types/zset"
)

// The RESTORE fuzzer: any value body, sealed with a good footer, is either
// refused or restores a value that every command of its type can work on
// and that DUMPs and restores again to the same value.

func restoreHarness(t testing.TB) *cmdtest.Harness {
	h := cmdtest.New(t, keys.Register, str.Register, hll.Register, list.Register, hash.Register, set.Register, zset.Register)
	h.Quiet = true
	return h
}

// exercise runs commands of every kind on key k; replies do not matter,
// panics do.
var exercise = map[string][][]string{
	"string": {{"get", "k"}, {"strlen", "k"}, {"getrange", "k", "2", "-3"}, {"pfcount", "k"}, {"pfadd", "k", "x"}, {"append", "k", "zz"}, {"incr", "k"}},
	"list": {{"lrange", "k", "0", "-1"}, {"lindex", "k", "-1"}, {"lpos", "k", "a", "rank", "-1"}, {"linsert", "k", "before", "a", "b"},
		{"lset", "k", "1", "v"}, {"lrem", "k", "0", "a"}, {"rpush", "k", "x", "y"}, {"lpop", "k"}, {"rpop", "k", "2"},
		{"ltrim", "k", "1", "-2"}, {"lmove", "k", "k", "left", "right"}, {"llen", "k"}},
	"hash": {{"hgetall", "k"}, {"hget", "k", "f"}, {"hrandfield", "k", "-5", "withvalues"}, {"hscan", "k", "0"},
		{"hset", "k", "f", "v"}, {"hincrby", "k", "n", "1"}, {"hdel", "k", "f", "a"}, {"hlen", "k"}},
	"set": {{"smembers", "k"}, {"sismember", "k", "1"}, {"srandmember", "k", "-5"}, {"sscan", "k", "0"}, {"sinter", "k", "k"},
		{"sadd", "k", "x", "7"}, {"srem", "k", "1", "a"}, {"spop", "k"}, {"scard", "k"}},
	"zset": {{"zrange", "k", "0", "-1", "withscores"}, {"zrangebyscore", "k", "-inf", "+inf"}, {"zrangebylex", "k", "-", "+"},
		{"zrank", "k", "a"}, {"zrandmember", "k", "-5", "withscores"}, {"zscan", "k", "0"}, {"zadd", "k", "1", "x"},
		{"zincrby", "k", "2", "a"}, {"zrem", "k", "b"}, {"zpopmin", "k"}, {"zcard", "k"}},
}

func replyStr(t testing.TB, raw []byte) string {
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("bad reply %q", raw)
	}
	return v.Str
}

// checkRestore restores body as key k and, if it is accepted, checks that
// it survives a DUMP round trip and its type's commands.
func checkRestore(t testing.TB, h *cmdtest.Harness, body []byte) {
	h.Do("del", "k", "k2")
	reply := string(h.Do("restore", "k", "0", string(rdb.AppendDumpFooter(body))))
	if reply != "+OK\r\n" {
		if reply != "-ERR Bad data format\r\n" {
			t.Fatalf("restore: %q", reply)
		}
		return
	}
	again := replyStr(t, h.Do("dump", "k"))
	if got := string(h.Do("restore", "k2", "0", again)); got != "+OK\r\n" {
		t.Fatalf("a restored value does not restore from its own DUMP: %q", got)
	}
	if a, b := replyStr(t, h.Do("dump", "k")), replyStr(t, h.Do("dump", "k2")); a != b {
		t.Fatalf("DUMP round trip changed the value")
	}
	for _, cmd := range exercise[replyStr(t, h.Do("type", "k"))] {
		h.Do(cmd...)
	}
}

// seedBodies are the value bodies of a DUMP of each encoding.
func seedBodies(t testing.TB) [][]byte {
	h := restoreHarness(t)
	h.Do("set", "s", "12")
	h.Do("set", "s2", strings.Repeat("ab", 30))
	h.Do("pfadd", "hll", "a", "b")
	h.Do("rpush", "l", "a", "1", "b")
	h.Do("hset", "h", "f", "v", "n", "1")
	h.Do("sadd", "si", "1", "300")
	h.Do("sadd", "ss", "a", "b")
	h.Do("zadd", "z", "1", "a", "2.5", "b")
	for i := range 200 {
		n := strconv.Itoa(i)
		h.Do("rpush", "bl", "e"+n)
		h.Do("hset", "bh", "f"+n, n)
		h.Do("sadd", "bs", "m"+n)
		h.Do("zadd", "bz", n, "m"+n)
	}
	var out [][]byte
	for _, k := range []string{"s", "s2", "hll", "l", "h", "si", "ss", "z", "bl", "bh", "bs", "bz"} {
		p := []byte(replyStr(t, h.Do("dump", k)))
		out = append(out, p[:len(p)-10])
	}
	return out
}

func TestRestoreRefusesCorruptValues(t *testing.T) {
	h := restoreHarness(t)
	for _, body := range seedBodies(t) {
		// Every truncation and every single-byte change.
		for i := range body {
			checkRestore(t, h, body[:i])
			for _, x := range []byte{0x01, 0x80, 0xff} {
				b := bytes.Clone(body)
				b[i] ^= x
				checkRestore(t, h, b)
			}
		}
	}
}

func FuzzRestore(f *testing.F) {
	for _, b := range seedBodies(f) {
		f.Add(b)
	}
	h := restoreHarness(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		h.T = t
		checkRestore(t, h, body)
	})
}
