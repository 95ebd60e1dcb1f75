package stream_test

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// Entries get explicit IDs so that both servers hold the same stream and
// replies compare byte for byte.

func TestStreamCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
xadd s 1-1 a 1 b 2
xadd s 1-2 a 3 b 4
xadd s 1-3 c 3
xadd s 1-* c 4
xadd s 2-* f v
xadd s 2 f2 v2
xadd s 1-9 x y
xadd s 0-0 x y
xadd s 0 x y
xadd s 3-0 f
xadd s 3-0 f v g
xadd s 3-0
xadd s abc f v
xadd s 3-x f v
xadd s - f v
xadd s + f v
xadd s 18446744073709551616 f v
xadd s " 5-1" f v
xadd s 007-1 f v
xadd s 8-+3 f v
xadd nokey nomkstream 1-1 f v
exists nokey
xadd s nomkstream 9-1 f v
xadd s 10-1 123 456 -7 8.5
xadd s 10-2 123 457 -7 8.6
xadd s 10-3 "" ""
object encoding s
type s
xlen s
xlen nokey
xrange s - +
xrevrange s + -
xrange s 1-2 2
xrange s (1-2 (2-1
xrange s - + count 2
xrange s - + count 0
xrange s - + count -1
xrange s - + count
xrange s - + count x
xrange s - + limit 1
xrevrange s + - count 3
xrevrange s (10-2 (1-1
xrange s ( +
xrange s (- +
xrange s x +
xrange s (18446744073709551615-18446744073709551615 +
xrange s - (0-0
xrange s 2 2
xrange s 1 1
xrange nokey - +
xrange s 5 3
xdel s 1-2 1-3 99-1
xdel s 1-2
xdel s bad
xdel nokey 1-1
xrange s - +
xlen s
xinfo stream s
set str x
xadd str 1-1 a b
xrange str - +
xlen str
xdel str 1-1
xsetid s 5-5
xsetid s 10-3
xsetid s 20-0 entriesadded 1
xsetid s 20-0 entriesadded 100 maxdeletedid 30-0
xsetid s 20-0 entriesadded 100 maxdeletedid 3-0
xsetid s 20-0 entriesadded -1
xsetid s 20-0 foo
xsetid nokey 1-1
xsetid s -
xinfo stream s
xadd s 20-0 f v
xadd s 20-* f v
xadd s 20-1 f v
xadd m 18446744073709551615-18446744073709551615 f v
xadd m * f v
xadd m2 1-18446744073709551615 a b
xadd m2 1-* c d
xinfo stream nokey
xinfo stream str
xinfo stream s full count 1 extra
xinfo stream s fool
xinfo foo s
xinfo help
xinfo help x
`)
	})
}

func TestStreamTrimMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Do("config", "set", "stream-node-max-entries", "4")
		for i := 1; i <= 30; i++ {
			p.Do("xadd", "s", itoa(i)+"-1", "f", "v"+itoa(i))
		}
		p.Script(`
xinfo stream s
xtrim s maxlen ~ 25
xlen s
xtrim s maxlen 25
xlen s
xrange s - + count 3
xinfo stream s
xtrim s maxlen = 23
xtrim s minid ~ 14
xtrim s minid 15-1
xrange s - + count 2
xtrim s minid 15
xtrim s maxlen ~ 3 limit 4
xlen s
xtrim s maxlen ~ 3 limit 100
xlen s
xtrim s maxlen 3 limit 2
xtrim s limit 2
xtrim s
xtrim s maxlen -1
xtrim s maxlen 1 minid 1
xtrim s maxlen ~ 1 limit -1
xtrim s maxlen x
xtrim s foo 1
xtrim s minid bad
xtrim nokey maxlen 1
xtrim str maxlen 1
xadd s maxlen 2 100-1 f v
xrange s - +
xadd s minid 100-1 101-1 f v
xrange s - +
xadd s maxlen ~ 0 limit 1 102-1 a b
xadd s limit 1 103-1 a b
xadd s maxlen 1 nomkstream 104-1 a b
xinfo stream s
xinfo stream s full
`)
		for i := 200; i <= 260; i++ {
			p.Do("xadd", "s", "maxlen", "~", "10", itoa(i)+"-1", "f", "v", "other", itoa(i))
		}
		p.Do("xlen", "s")
		p.Do("xinfo", "stream", "s")
		p.Do("config", "set", "stream-node-max-bytes", "60")
		for i := 300; i <= 320; i++ {
			p.Do("xadd", "s", itoa(i)+"-1", "field", "a value of some length")
		}
		p.Do("xinfo", "stream", "s")
		p.Do("xtrim", "s", "maxlen", "~", "5")
		p.Do("xinfo", "stream", "s", "full", "count", "0")
	})
}

func TestConsumerGroupsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		script(t, p, `
xgroup create s g $
xgroup create s g $ mkstream
xgroup create s g $ mkstream
xgroup create s g2 0 entriesread 3
xgroup create s g3 0 entriesread -2
xgroup create s g3 0 entriesread x
xgroup create s g3 bad
xgroup create s g3 0 foo
xgroup help
xgroup foo
xgroup create s
xgroup setid s nog 0
xgroup setid nokey g 0
xgroup createconsumer s g c1
xgroup createconsumer s g c1
xgroup createconsumer s nog c1
xgroup destroy s nog
xgroup destroy s g2
xgroup destroy nokey g
xinfo groups s
xadd s 1-1 a 1
xadd s 2-1 b 2
xadd s 3-1 c 3
xadd s 4-1 d 4
xinfo groups s
xreadgroup group g c1 count 2 streams s >
xreadgroup group g c2 streams s >
xreadgroup group g c2 streams s >
xreadgroup group g c1 streams s 0
xreadgroup group g c1 count 1 streams s 0
xreadgroup group g c1 streams s 1-1
xreadgroup group g c1 streams s $
xreadgroup group nog c1 streams s >
xreadgroup group g c1 streams nokey >
xreadgroup group g c1 streams s
xreadgroup streams s >
xreadgroup group g c1 streams s bad
xread group g c streams s 0
xread noack streams s 0
xinfo groups s
xpending s g
~ xpending s g - + 10
~ xpending s g - + 10 c1
xpending s g - + 10 nocons
~ xpending s g (1-1 + 1
~ xpending s g - (4-1 10
xpending s g - + -1
xpending s g - + x
xpending s g x + 1
xpending s g - +
xpending s nog
xpending nokey g
~ xpending s g idle 0 - + 10
xpending s g idle x - + 10
xpending s g idle 100000000 - + 10
xpending s g idle 1 - +
xack s g 1-1 9-9
xack s g 1-1
xack s g bad
xack s nog 1-1
xack nokey g 1-1
xdel s 2-1
xreadgroup group g c1 streams s 0
xclaim s g c3 0 2-1 3-1 justid
xclaim s g c3 0 3-1 justid
xclaim s g c3 0 3-1
xclaim s g c3 0 4-1 retrycount 7 idle 0
~ xpending s g - + 10
xclaim s g c1 0 3-1 force justid
xclaim s g c1 0 1-1 force justid
~ xpending s g - + 10
xclaim s g c1 0 1-1 lastid 50-0 justid
xinfo groups s
xclaim s g c1 x 1-1
xclaim s g c1 0 1-1 foo
xclaim s g c1 0 1-1 idle x
xclaim s g c1 0 1-1 time x
xclaim s g c1 0 1-1 retrycount x
xclaim s g c1 0 1-1 lastid x
xclaim s nog c1 0 1-1
xclaim nokey g c1 0 1-1
xclaim s g c1 100000000 1-1
xadd s 5-1 e 5
xadd s 6-1 f 6
xgroup setid s g 4-1
xreadgroup group g c4 streams s >
xdel s 5-1
xautoclaim s g c5 0 0
xautoclaim s g c5 0 0 count 1
xautoclaim s g c5 0 0 count 1 justid
xautoclaim s g c5 0 (4-1 justid
xautoclaim s g c5 0 0 count 0
xautoclaim s g c5 0 0 count x
xautoclaim s g c5 0 0 foo
xautoclaim s g c5 x 0
xautoclaim s g c5 0 x
xautoclaim s nog c5 0 0
xautoclaim s g c5 100000000 0
xpending s g
xinfo groups s
xgroup delconsumer s g c5
xgroup delconsumer s g c5
xgroup delconsumer s nog c5
xpending s g
xgroup setid s g 0 entriesread 1
xinfo groups s
xgroup setid s g $
xinfo groups s
xgroup setid s g bad
xgroup setid s g 0 entriesread -5
xreadgroup group g c1 noack streams s 0
xgroup setid s g 0
xreadgroup group g c9 noack count 1 streams s >
~ xpending s g - + 10 c9
xgroup create s g5 0
xreadgroup group g5 c1 count 1 streams s >
xdel s 6-1
xreadgroup group g5 c1 streams s 0
xinfo groups s
xgroup destroy s g5
xinfo groups s
xadd s2 1-1 f v
xgroup create s2 g 0
xreadgroup group g c streams s s2 > >
xread count 1 streams s s2 0 0
xread streams s s2 0
xread streams s 99-1
xread streams nokey 0
xread count x streams s 0
xread foo streams s 0
xread block x streams s 0
xread block -1 streams s 0
xread streams s $
xread streams s >
xread streams s bad
xreadgroup group g c streams s2 $
`)
		// Idle times and delivery times differ between the servers: only
		// the shapes of these replies are compared.
		for _, args := range [][]string{
			{"xinfo", "consumers", "s", "g"},
			{"xinfo", "consumers", "s", "nog"},
			{"xinfo", "stream", "s", "full"},
		} {
			sameShape(t, p, args...)
		}
	})
}

// script runs a script through p.Do, except that lines starting with "~"
// (replies that carry idle times) are compared by shape.
func script(t *testing.T, p *difftest.Pair, s string) {
	t.Helper()
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		shapeOnly := strings.HasPrefix(line, "~ ")
		args := strings.Fields(strings.TrimPrefix(line, "~ "))
		if shapeOnly {
			sameShape(t, p, args...)
		} else {
			p.Do(args...)
		}
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// sameShape compares replies whose integers are times: it fails unless
// they are equal once every integer is masked.
func sameShape(t *testing.T, p *difftest.Pair, args ...string) {
	t.Helper()
	want := shape(t, p.Redis.Do(args...))
	got := shape(t, p.Redoubt.Do(args...))
	if want != got {
		t.Errorf("%s\n redis:   %s\n redoubt: %s", difftest.Quote(args), want, got)
	}
}

func shape(t *testing.T, raw []byte) string {
	v, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	var b strings.Builder
	var walk func(v protocol.Value)
	walk = func(v protocol.Value) {
		b.WriteByte(v.Type)
		switch {
		case v.Null:
			b.WriteString("null")
		case v.Type == ':':
			b.WriteString("#")
		case v.Elems != nil:
			b.WriteString("[")
			for _, e := range v.Elems {
				walk(e)
				b.WriteString(" ")
			}
			b.WriteString("]")
		default:
			b.WriteString(strconv.Quote(v.Str))
		}
	}
	walk(v)
	return b.String()
}
