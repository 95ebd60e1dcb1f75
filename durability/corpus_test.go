package durability

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// The interop corpus: every type in each of its encodings (strings int,
// embstr and raw, compressible and binary; lists of one and many nodes;
// hashes, sets and sorted sets small and big; streams with deleted
// entries, consumer groups, consumers and pending entries, and empty
// ones), keys with TTLs, in several databases. corpusBefore runs before
// a rewrite (it ends up in the base), corpusAfter after it (in the
// incremental file), changing keys of the base in every way.

// seq concatenates value(0) ... value(n-1).
func seq(n int, value func(i int) []string) []string {
	var out []string
	for i := range n {
		out = append(out, value(i)...)
	}
	return out
}

func cmd(args ...string) []string { return args }

func with(head []string, tail ...string) []string { return append(head, tail...) }

// noise is deterministic bytes LZF cannot shrink much.
func noise(n int) string {
	b := make([]byte, n)
	x := uint32(2463534242)
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return string(b)
}

func corpusBefore() [][]string {
	c := [][]string{
		cmd("SELECT", "0"),
		cmd("SET", "s:int", "12345"),
		cmd("SET", "s:min", "-9223372036854775808"),
		cmd("SET", "s:embstr", "hello world"),
		cmd("SET", "s:raw", strings.Repeat("raw-", 15)),
		cmd("SET", "s:big", strings.Repeat("compressible ", 2000)),
		cmd("SET", "s:noise", noise(5000)),
		cmd("SET", "bin\x00key\r\n\xff", "val\x00\r\n\xfe"),
		cmd("SET", "", "empty key name"),
		cmd("SET", "s:emptyval", ""),
		cmd("SET", "s:ttl", "v", "PX", "36000000"),
		cmd("SET", "s:float", "1.5"),
		cmd("INCRBYFLOAT", "s:float", "0.25"),
		cmd("APPEND", "s:app", "abc"),
		cmd("APPEND", "s:app", "def"),
		cmd("SETBIT", "s:bits", "100", "1"),
		cmd("PFADD", "hll:sparse", "a", "b", "c", "d"),
		with(cmd("PFADD", "hll:dense"), seq(5000, func(i int) []string { return []string{"m" + strconv.Itoa(i)} })...),
		cmd("PFCOUNT", "hll:dense"),
		cmd("RPUSH", "l:small", "a", "b", "c", "1", "2", "3"),
		with(cmd("RPUSH", "l:big"), seq(3000, func(i int) []string {
			if i%500 == 0 {
				return []string{strings.Repeat("long", 50) + strconv.Itoa(i)}
			}
			return []string{"i" + strconv.Itoa(i)}
		})...),
		cmd("LPUSH", "l:big", "head"),
		cmd("RPUSH", "l:ttl", "x"),
		cmd("EXPIRE", "l:ttl", "7200"),
		cmd("HSET", "h:small", "f1", "v1", "f2", "2", "f3", "3.5"),
		with(cmd("HSET", "h:big"), seq(600, func(i int) []string { return []string{"f" + strconv.Itoa(i), "v" + strconv.Itoa(i*7)} })...),
		cmd("HSET", "h:longval", "f", strings.Repeat("L", 100)),
		cmd("HSET", "h:ttl", "a", "1"),
		cmd("PEXPIRE", "h:ttl", "9000000"),
		cmd("SADD", "set:int", "1", "2", "3", "-5", "1000000"),
		with(cmd("SADD", "set:bigint"), seq(600, func(i int) []string { return []string{strconv.Itoa(i * 3)} })...),
		cmd("SADD", "set:str", "a", "b", "c", "d"),
		with(cmd("SADD", "set:big"), seq(300, func(i int) []string { return []string{"m" + strconv.Itoa(i)} })...),
		cmd("SADD", "set:long", strings.Repeat("S", 70)),
		cmd("ZADD", "z:small", "1", "a", "2.5", "b", "-inf", "c", "+inf", "d", "0", "e"),
		with(cmd("ZADD", "z:big"), seq(200, func(i int) []string {
			return []string{strconv.FormatFloat(float64(i)*0.5, 'f', -1, 64), "m" + strconv.Itoa(i)}
		})...),
		cmd("ZADD", "z:long", "1", strings.Repeat("Z", 80)),
		cmd("ZADD", "z:fp", "0.1", "a", "1e100", "b", "-3.14159", "c", "3.0000000000000004", "d"),
	}
	for i := 1; i <= 250; i++ {
		id := strconv.Itoa(i) + "-1"
		if i%10 == 0 {
			c = append(c, cmd("XADD", "st:basic", id, "other", strings.Repeat("o", i)))
		} else {
			c = append(c, cmd("XADD", "st:basic", id, "f", strconv.Itoa(i), "g", "value"+strconv.Itoa(i)))
		}
	}
	c = append(c,
		cmd("XDEL", "st:basic", "5-1", "6-1"),
		cmd("XGROUP", "CREATE", "st:basic", "g1", "0"),
		cmd("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "5", "STREAMS", "st:basic", ">"),
		cmd("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "3", "STREAMS", "st:basic", ">"),
		cmd("XACK", "st:basic", "g1", "1-1"),
		cmd("XGROUP", "CREATE", "st:basic", "g2", "$"),
		cmd("XGROUP", "CREATECONSUMER", "st:basic", "g2", "carol"),
		cmd("XCLAIM", "st:basic", "g1", "carol", "0", "2-1"),
		cmd("XADD", "st:empty", "1-1", "a", "b"),
		cmd("XDEL", "st:empty", "1-1"),
		cmd("XGROUP", "CREATE", "st:empty", "g", "0"),
		cmd("XGROUP", "CREATE", "st:mk", "g", "$", "MKSTREAM"),
		cmd("XSETID", "st:mk", "50-5", "ENTRIESADDED", "7", "MAXDELETEDID", "40-1"),
	)
	for i := 1; i <= 20; i++ {
		c = append(c, cmd("XADD", "st:trim", "MAXLEN", "10", strconv.Itoa(i)+"-0", "n", strconv.Itoa(i)))
	}
	c = append(c,
		cmd("SELECT", "1"),
		cmd("SET", "db1:a", "1"),
		cmd("HSET", "db1:h", "a", "b"),
		cmd("ZADD", "db1:z", "1", "one"),
		cmd("SELECT", "5"),
		cmd("SET", "db5:x", "y"),
		cmd("RPUSH", "db5:l", "a"),
		cmd("SELECT", "15"),
		cmd("SET", "db15:last", "1", "EX", "100000"),
		cmd("SELECT", "0"),
	)
	return c
}

func corpusAfter() [][]string {
	return [][]string{
		cmd("SELECT", "0"),
		cmd("SET", "s:int", "999"),
		cmd("INCR", "s:int"),
		cmd("DEL", "l:small"),
		cmd("LSET", "l:big", "5", "changed"),
		cmd("LTRIM", "l:big", "0", "2500"),
		cmd("LINSERT", "l:big", "BEFORE", "i10", "inserted"),
		cmd("RPOPLPUSH", "l:big", "l:dst"),
		cmd("HDEL", "h:big", "f5"),
		cmd("HSET", "h:small", "f4", "new"),
		cmd("HINCRBYFLOAT", "h:small", "f3", "1.25"),
		cmd("SADD", "set:int", "7"),
		cmd("SREM", "set:big", "m3"),
		cmd("ZINCRBY", "z:small", "10", "a"),
		cmd("ZREM", "z:big", "m7"),
		cmd("XADD", "st:basic", "1000-1", "f", "after"),
		cmd("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "2", "STREAMS", "st:basic", ">"),
		cmd("XACK", "st:basic", "g1", "2-1"),
		cmd("XGROUP", "SETID", "st:basic", "g2", "100-1", "ENTRIESREAD", "90"),
		cmd("XTRIM", "st:trim", "MAXLEN", "5"),
		cmd("PERSIST", "s:ttl"),
		cmd("EXPIRE", "s:embstr", "5000"),
		cmd("PFADD", "hll:sparse", "e", "f"),
		cmd("SET", "s:keepttl", "v", "EX", "10000"),
		cmd("SET", "s:keepttl", "w", "KEEPTTL"),
		cmd("MULTI"),
		cmd("SET", "tx:1", "a"),
		cmd("INCR", "tx:n"),
		cmd("EXEC"),
		cmd("SELECT", "5"),
		cmd("FLUSHDB"),
		cmd("SET", "db5:after", "1"),
		cmd("SELECT", "3"),
		cmd("SET", "db3:new", "v"),
		cmd("SELECT", "0"),
		cmd("SWAPDB", "1", "2"),
		cmd("MOVE", "s:min", "4"),
		cmd("RENAME", "s:raw", "s:renamed"),
		cmd("COPY", "h:small", "h:copy"),
		cmd("GETDEL", "s:float"),
	}
}

// runCorpus sends the commands on one connection and fails the test on
// an error reply.
func runCorpus(t testing.TB, c *difftest.Conn, cmds [][]string) {
	t.Helper()
	var b []byte
	for _, a := range cmds {
		b = protocol.AppendCommand(b, a...)
	}
	c.WriteRaw(b)
	for _, a := range cmds {
		raw := c.ReadRaw()
		v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			t.Fatal(err)
		}
		if v.Type == '-' {
			t.Fatalf("%s: %s", difftest.Quote(a[:min(len(a), 4)]), v.Str)
		}
	}
}
