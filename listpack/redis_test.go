package listpack_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/listpack"
)

// RDB object types of DUMP payloads holding listpacks.
const (
	rdbHashListpack = 16
	rdbZsetListpack = 17
	rdbQuicklist2   = 18
	rdbVersion      = 10
)

// redisSettings keep every test value in listpack encoding, in one list
// node, and uncompressed in DUMP payloads.
var redisSettings = []string{
	"rdbcompression no",
	"sanitize-dump-payload yes",
	"hash-max-listpack-entries 100000",
	"hash-max-listpack-value 3000000",
	"zset-max-listpack-entries 100000",
	"zset-max-listpack-value 100000",
	"list-max-listpack-size -5",
}

// rdbLen reads an RDB length prefix.
func rdbLen(t *testing.T, b []byte) (uint64, []byte) {
	t.Helper()
	switch {
	case len(b) == 0:
	case b[0]>>6 == 0:
		return uint64(b[0] & 0x3F), b[1:]
	case b[0]>>6 == 1 && len(b) >= 2:
		return uint64(b[0]&0x3F)<<8 | uint64(b[1]), b[2:]
	case b[0] == 0x80 && len(b) >= 5:
		return uint64(binary.BigEndian.Uint32(b[1:])), b[5:]
	case b[0] == 0x81 && len(b) >= 9:
		return binary.BigEndian.Uint64(b[1:]), b[9:]
	}
	t.Fatalf("unexpected RDB length encoding % x", b[:min(len(b), 9)])
	return 0, nil
}

// rdbString reads an uncompressed RDB string.
func rdbString(t *testing.T, b []byte) ([]byte, []byte) {
	t.Helper()
	n, b := rdbLen(t, b)
	if uint64(len(b)) < n {
		t.Fatalf("RDB string of %d bytes, %d left", n, len(b))
	}
	return b[:n], b[n:]
}

// rdbAppendString appends s as an RDB string.
func rdbAppendString(dst, s []byte) []byte {
	n := len(s)
	switch {
	case n < 1<<6:
		dst = append(dst, byte(n))
	case n < 1<<14:
		dst = append(dst, byte(n>>8)|0x40, byte(n))
	default:
		dst = append(dst, 0x80)
		dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	}
	return append(dst, s...)
}

// payload wraps an object body as a DUMP payload. Its checksum is zero:
// the tests turn Redis's checksum validation off.
func payload(typ byte, body []byte) string {
	p := append([]byte{typ}, body...)
	p = binary.LittleEndian.AppendUint16(p, rdbVersion)
	return string(append(p, make([]byte, 8)...))
}

// dump returns the listpacks of a key's DUMP payload: the only one of a
// hash or sorted set, the nodes of a list.
func dump(t *testing.T, c *difftest.Conn, key string) (byte, [][]byte) {
	t.Helper()
	v := c.DoValue("DUMP", key)
	p := []byte(v.Str)
	if v.Type != '$' || v.Null || len(p) < 11 {
		t.Fatalf("DUMP %s: %q", key, v.Str)
	}
	if ver := binary.LittleEndian.Uint16(p[len(p)-10:]); ver != rdbVersion {
		t.Fatalf("DUMP %s: RDB version %d", key, ver)
	}
	typ, body := p[0], p[1:len(p)-10]
	var lps [][]byte
	switch typ {
	case rdbHashListpack, rdbZsetListpack:
		lp, rest := rdbString(t, body)
		body = rest
		lps = append(lps, lp)
	case rdbQuicklist2:
		var nodes uint64
		nodes, body = rdbLen(t, body)
		for range nodes {
			var container uint64
			container, body = rdbLen(t, body)
			if container != 2 {
				t.Fatalf("DUMP %s: quicklist node container %d, want packed", key, container)
			}
			var lp []byte
			lp, body = rdbString(t, body)
			lps = append(lps, lp)
		}
	default:
		t.Fatalf("DUMP %s: RDB type %d, not a listpack encoding", key, typ)
	}
	if len(body) != 0 {
		t.Fatalf("DUMP %s: %d bytes after the object", key, len(body))
	}
	return typ, lps
}

// mirror applies to a listpack what a command does to a Redis key, and
// compares the two.
type mirror struct {
	t   *testing.T
	c   *difftest.Conn
	key string
	typ byte
	lp  []byte
}

func newMirror(t *testing.T, c *difftest.Conn, key string, typ byte) *mirror {
	return &mirror{t: t, c: c, key: key, typ: typ, lp: listpack.New()}
}

// do sends a command that must succeed.
func (m *mirror) do(args ...string) []byte {
	m.t.Helper()
	r := m.c.Do(args...)
	if r[0] == '-' {
		m.t.Fatalf("%s: %q", difftest.Quote(args), r)
	}
	return r
}

// check fails unless Redis holds the same bytes as m.lp, or no key when
// m.lp is empty (Redis deletes emptied keys).
func (m *mirror) check(what string) {
	m.t.Helper()
	if listpack.Len(m.lp) == 0 {
		if r := m.c.Do("EXISTS", m.key); string(r) != ":0\r\n" {
			m.t.Fatalf("%s: the listpack is empty but the key exists", what)
		}
		return
	}
	typ, lps := dump(m.t, m.c, m.key)
	if typ != m.typ || len(lps) != 1 {
		m.t.Fatalf("%s: RDB type %d with %d listpacks, want type %d with one", what, typ, len(lps), m.typ)
	}
	want := lps[0]
	if err := listpack.Validate(want, true); err != nil {
		m.t.Fatalf("%s: Validate rejects Redis's listpack: %v", what, err)
	}
	if !bytes.Equal(m.lp, want) {
		m.t.Fatalf("%s: listpacks differ\n%s", what, diff(want, m.lp))
	}
}

// diff describes where two blobs first differ.
func diff(want, got []byte) string {
	i := 0
	for i < len(want) && i < len(got) && want[i] == got[i] {
		i++
	}
	from := max(0, i-16)
	return fmt.Sprintf("redis %d bytes, ours %d, first difference at %d\nredis: % x\nours:  % x",
		len(want), len(got), i, want[from:min(len(want), i+32)], got[from:min(len(got), i+32)])
}

// hset mirrors HSET with one field, as t_hash.c updates a listpack.
func (m *mirror) hset(field, value string) {
	m.t.Helper()
	m.do("HSET", m.key, field, value)
	m.lp = hashSet(m.lp, field, value)
	listpack.Len(m.lp)
	m.check(fmt.Sprintf("HSET %.20q %.20q", field, value))
}

func hashSet(lp []byte, field, value string) []byte {
	if off := listpack.Find(lp, listpack.First(lp), []byte(field), 1); off >= 0 {
		lp, _ = listpack.Insert(lp, listpack.Next(lp, off), listpack.Replace, []byte(value))
		return lp
	}
	return listpack.Append(listpack.Append(lp, []byte(field)), []byte(value))
}

func (m *mirror) hdel(field string) {
	m.t.Helper()
	m.do("HDEL", m.key, field)
	if off := listpack.Find(m.lp, listpack.First(m.lp), []byte(field), 1); off >= 0 {
		m.lp, _ = listpack.DeleteN(m.lp, off, 2)
	}
	listpack.Len(m.lp)
	m.check(fmt.Sprintf("HDEL %.20q", field))
}

func TestRedisHash(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	m := newMirror(t, c, "h", rdbHashListpack)
	vals := values()
	for i, v := range vals {
		m.hset("f"+strconv.Itoa(i), v)
	}
	for i, v := range vals {
		if v != "" {
			m.hset(v, strconv.Itoa(i))
		}
	}
	// Values replaced by bigger and smaller ones.
	for i := range vals {
		m.hset("f"+strconv.Itoa(i), vals[(i+7)%len(vals)])
	}
	m.hset("counter", "10")
	for _, by := range []string{"117", "1", "4000", "-9000", "100000", "-5000000000"} {
		r := m.do("HINCRBY", m.key, "counter", by)
		n := string(r[1 : len(r)-2])
		m.lp = hashSet(m.lp, "counter", n)
		m.check("HINCRBY counter " + by)
	}
	m.hdel("f10")
	m.hdel("f0")
	m.hdel("counter")
	for i := 1; i < len(vals); i += 3 {
		m.hdel("f" + strconv.Itoa(i))
	}
}

// TestRedisBacklen covers elements whose encoding and data take 16382 to
// 16384 bytes and 2097150 to 2097152 bytes: Redis writes a backlen one byte
// longer than needed from 16383 and 2097151 on.
func TestRedisBacklen(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	m := newMirror(t, c, "h", rdbHashListpack)
	for _, n := range []int{16377, 16378, 16379, 2097145, 2097146, 2097147} {
		m.hset("f"+strconv.Itoa(n), str(n, n))
	}
	m.hdel("f16378")
	m.hdel("f2097146")
}

// zadd mirrors ZADD of a new or moved member, as t_zset.c updates a
// listpack: a moved member is deleted and inserted again.
func (m *mirror) zadd(member string, score float64) {
	m.t.Helper()
	s := formatScore(score)
	m.do("ZADD", m.key, s, member)
	if off := listpack.Find(m.lp, listpack.First(m.lp), []byte(member), 1); off >= 0 {
		m.lp, _ = listpack.DeleteN(m.lp, off, 2)
	}
	m.lp = zsetInsert(m.lp, member, score)
	m.check(fmt.Sprintf("ZADD %s %.20q", s, member))
}

// formatScore renders scores as Redis's d2string does, for the integers
// and binary fractions the tests use.
func formatScore(f float64) string {
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func zsetInsert(lp []byte, member string, score float64) []byte {
	off := listpack.First(lp)
	for ; off >= 0; off = listpack.Next(lp, listpack.Next(lp, off)) {
		s := readScore(lp, listpack.Next(lp, off))
		if s > score || s == score && elem(lp, off) > member {
			break
		}
	}
	if off < 0 {
		off = len(lp) - 1
	}
	lp, off = listpack.Insert(lp, off, listpack.Before, []byte(member))
	if score == float64(int64(score)) {
		lp, _ = listpack.InsertInt(lp, off, listpack.After, int64(score))
	} else {
		lp, _ = listpack.Insert(lp, off, listpack.After, []byte(formatScore(score)))
	}
	return lp
}

func readScore(lp []byte, off int) float64 {
	str, n, isInt := listpack.Get(lp, off)
	if isInt {
		return float64(n)
	}
	f, err := strconv.ParseFloat(string(str), 64)
	if err != nil {
		panic(err)
	}
	return f
}

func (m *mirror) zrem(member string) {
	m.t.Helper()
	m.do("ZREM", m.key, member)
	off := listpack.Find(m.lp, listpack.First(m.lp), []byte(member), 1)
	m.lp, _ = listpack.DeleteN(m.lp, off, 2)
	m.check(fmt.Sprintf("ZREM %.20q", member))
}

func TestRedisZset(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	m := newMirror(t, c, "z", rdbZsetListpack)
	rng := rand.New(rand.NewPCG(3, 4))
	vals := values()
	scores := []float64{0, 1, -1, 0.5, -2.25, 127, 128, 4096, -4097, 40000, 1e9, 3e12, 1.75, 1e15}
	for _, v := range vals {
		m.zadd(v, scores[rng.IntN(len(scores))])
	}
	// Equal scores order members by their bytes.
	for _, v := range []string{"b", "a", "c", "10", "9", "-1"} {
		m.zadd(v, 7)
	}
	for i, v := range vals {
		if i%3 == 0 {
			m.zadd(v, scores[rng.IntN(len(scores))]+0.25)
		}
	}
	for i, v := range vals {
		if i%4 == 1 {
			m.zrem(v)
		}
	}
}

// list mirrors list commands on a single quicklist node.
type list struct{ *mirror }

func (l list) push(cmd, v string) {
	l.t.Helper()
	l.do(cmd, l.key, v)
	if cmd == "RPUSH" {
		l.lp = listpack.Append(l.lp, []byte(v))
	} else {
		l.lp = listpack.Prepend(l.lp, []byte(v))
	}
	l.check(fmt.Sprintf("%s %.20q", cmd, v))
}

func TestRedisList(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	l := list{newMirror(t, c, "l", rdbQuicklist2)}
	vals := values()
	for i, v := range vals {
		if i%2 == 0 {
			l.push("RPUSH", v)
		} else {
			l.push("LPUSH", v)
		}
	}
	for i, v := range vals {
		pivot := vals[(i*5)%len(vals)]
		where, w := "BEFORE", listpack.Before
		if i%2 == 1 {
			where, w = "AFTER", listpack.After
		}
		l.do("LINSERT", l.key, where, pivot, v)
		off := listpack.Find(l.lp, listpack.First(l.lp), []byte(pivot), 0)
		l.lp, _ = listpack.Insert(l.lp, off, w, []byte(v))
		l.check(fmt.Sprintf("LINSERT %s %.20q %.20q", where, pivot, v))
	}
	for i := 0; i < listpack.Len(l.lp); i += 7 {
		v := vals[(i*3)%len(vals)]
		index := i
		if i%2 == 1 {
			index = i - listpack.Len(l.lp)
		}
		l.do("LSET", l.key, strconv.Itoa(index), v)
		l.lp, _ = listpack.Insert(l.lp, listpack.Seek(l.lp, index), listpack.Replace, []byte(v))
		l.check(fmt.Sprintf("LSET %d %.20q", index, v))
	}
	for i, v := range vals {
		if i%5 != 2 {
			continue
		}
		// LREM with count 1 removes the first match.
		l.do("LREM", l.key, "1", v)
		if off := listpack.Find(l.lp, listpack.First(l.lp), []byte(v), 0); off >= 0 {
			l.lp, _ = listpack.Delete(l.lp, off)
		}
		l.check(fmt.Sprintf("LREM 1 %.20q", v))
	}
	for range 3 {
		l.do("LPOP", l.key)
		l.lp, _ = listpack.Delete(l.lp, listpack.First(l.lp))
		l.check("LPOP")
		l.do("RPOP", l.key)
		l.lp, _ = listpack.Delete(l.lp, listpack.Last(l.lp))
		l.check("RPOP")
	}
	// LTRIM deletes from the head, then from the tail with a negative
	// index.
	n := listpack.Len(l.lp)
	l.do("LTRIM", l.key, "3", strconv.Itoa(n-6))
	l.lp = listpack.DeleteRange(l.lp, 0, 3)
	l.lp = listpack.DeleteRange(l.lp, -5, 5)
	l.check("LTRIM")
}

// TestRedisUnknownCount takes a listpack past 65535 elements through
// RESTORE, and checks that the header count stays "unknown" through
// changes and is recorded again when Redis counts below 65535.
func TestRedisUnknownCount(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	c.Do("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
	m := newMirror(t, c, "h", rdbHashListpack)
	const fields = listpack.UnknownCount/2 + 30
	for i := range fields {
		m.lp = listpack.AppendInt(m.lp, int64(i))
		m.lp = listpack.AppendInt(m.lp, int64(i%1000))
	}
	m.do("RESTORE", m.key, "0", payload(rdbHashListpack, rdbAppendString(nil, m.lp)))
	m.check("RESTORE")
	m.headerCount(listpack.UnknownCount)
	for i := range 40 {
		m.hdel(strconv.Itoa(i))
	}
	m.headerCount(2*fields - 80)
	for i := range 15 {
		m.hset("new"+strconv.Itoa(i), "v")
	}
	m.headerCount(listpack.UnknownCount)
	for i := 40; i < 50; i++ {
		m.hdel(strconv.Itoa(i))
	}
	m.headerCount(2*fields - 70)
}

func (m *mirror) headerCount(want int) {
	m.t.Helper()
	if got := int(binary.LittleEndian.Uint16(m.lp[4:])); got != want {
		m.t.Fatalf("header count %d, want %d", got, want)
	}
}

// TestRedisValidate feeds corrupted listpacks to Redis as one-node lists
// with sanitize-dump-payload on: RESTORE must accept exactly those that
// Validate accepts (and that are not empty, which Redis also refuses).
func TestRedisValidate(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedis(t, redisSettings...))
	c.Do("DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1")
	rng := rand.New(rand.NewPCG(5, 6))
	var seeds [][]byte
	for _, vs := range [][]string{
		{"a"}, {"1", "-1", "300", "ab"}, values()[:30], values()[30:],
		{str(200, 1), "-70000", "x"}, {str(4100, 2), "5"},
	} {
		lp := listpack.New()
		for _, v := range vs {
			lp = listpack.Append(lp, []byte(v))
		}
		seeds = append(seeds, lp)
	}
	verdicts := map[error]int{}
	for range 3000 {
		lp := corrupt(rng, seeds[rng.IntN(len(seeds))])
		ours := listpack.Validate(lp, true)
		want := ours == nil && listpack.Len(lp) > 0
		body := append([]byte{1, 2}, rdbAppendString(nil, lp)...)
		r := c.Do("RESTORE", "k", "0", payload(rdbQuicklist2, body), "REPLACE")
		got := string(r) == "+OK\r\n"
		if got != want {
			t.Fatalf("Redis RESTORE says %q, Validate says %v, for\n% x", r, ours, lp)
		}
		verdicts[ours]++
	}
	t.Logf("Validate verdicts: %v", verdicts)
}

// corrupt returns a damaged copy of lp, usually with the header's total
// bytes fixed up so that the elements get checked.
func corrupt(rng *rand.Rand, lp []byte) []byte {
	lp = bytes.Clone(lp)
	for range 1 + rng.IntN(3) {
		i := listpack.HeaderSize + rng.IntN(len(lp)-listpack.HeaderSize)
		switch rng.IntN(7) {
		case 0:
			lp[i] ^= 1 << rng.IntN(8)
		case 1:
			lp[i] = []byte{0x00, 0x7F, 0x80, 0xBF, 0xC0, 0xDF, 0xE0, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFE, 0xFF}[rng.IntN(14)]
		case 2:
			lp = append(lp[:i], lp[i+1:]...)
		case 3:
			lp = append(lp[:i], append([]byte{byte(rng.IntN(256))}, lp[i:]...)...)
		case 4:
			binary.LittleEndian.PutUint16(lp[4:], uint16(rng.IntN(8)))
		case 5:
			lp = append(lp[:i], 0xFF)
		default:
			lp[i] = byte(rng.IntN(256))
		}
		if len(lp) < listpack.HeaderSize+1 {
			break
		}
	}
	if rng.IntN(10) != 0 && len(lp) >= 4 {
		binary.LittleEndian.PutUint32(lp, uint32(len(lp)))
	}
	return lp
}
