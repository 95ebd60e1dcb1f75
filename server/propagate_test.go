package server_test

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// The propagated stream, compared with Redis's: both servers get the same
// commands, and what each sends to a replica attached with SYNC must be
// the same commands, byte for byte, once the times each server read from
// its own clock are masked.

// propagationCorpus exercises every rewrite Redis 7.0 makes when it
// propagates, and the plain cases around them. {now+N} is replaced by the
// Unix time N seconds from now (seconds, or ms with {nowms+N}).
const propagationCorpus = `
set plain 1
set withex v ex 100
set withpx v px 100000 get
set withget v get
set withget v2 get get
set nx v nx
set nx v2 nx
setex sx 100 v
psetex psx 100000 v
setnx snx v
getset snx v2
getdel snx
getdel snx
getex withex ex 200
getex withex persist
getex withex persist
getex plain pxat 1
getex nokey ex 10
incrbyfloat f 1.5
incrbyfloat f 2e10
incrbyfloat f 0.1
hincrbyfloat h field 0.1
hincrbyfloat h field 1e3
set e v
expire e 100
pexpire e 100000
expireat e {now+300}
pexpireat e {nowms+400000}
expire e 10 gt
expire e 1000 lt
expire e 50 nx
expire nokey 10
expire e -1
del e nokey
rpush l a b c d e f g
lpop l
rpop l 2
blpop l 0
brpop nokey l 0
lmpop 1 l left count 10
rpush l2 x y z
blmove l2 l3 left right 0
lmove l3 l4 RIGHT left
brpoplpush l2 l4 0
blmpop 0 2 nokey l2 right count 5
lpush l4 q
sadd s a b c
spop s 10
sadd s2 1
spop s2
spop s2
zadd z 1 a 2 b 3 c 4 d
bzpopmin z 0
bzpopmax z nokey 0
zmpop 1 z min count 5
zadd z2 1 a
bzmpop 0 1 z2 max count 3
geoadd geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
xadd x 1-1 f v
xadd x 2-1 f v
xadd x maxlen = 5 3-1 f v
xadd x maxlen ~ 1 4-1 f v
xtrim x maxlen ~ 0
xtrim x maxlen = 3
xadd x 5-* f v
xgroup create x g 0
xgroup createconsumer x g c0
xreadgroup group g c1 count 2 streams x >
xreadgroup group g c2 noack streams x >
xreadgroup group g c1 streams x 0
xclaim x g c3 0 1-1 2-1
xclaim x g c3 0 5 justid
xautoclaim x g c4 0 0
xack x g 2-1
xdel x 3-1
xsetid x 9-9
xadd x2 1-1 f v
xadd x2 2-1 f v
xadd x2 3-1 f v
xgroup create x2 g2 0
xreadgroup group g2 reader count 2 streams x2 >
xdel x2 1-1
xclaim x2 g2 other 0 1-1 2-1
xreadgroup group g2 quiet noack streams x2 >
xgroup setid x2 g2 0 entriesread 0
xreadgroup group g2 quiet2 noack count 1 streams x2 >
xdel x2 2-1
xautoclaim x2 g2 third 0 0 count 10
xclaim x2 g2 fourth 0 3-1 lastid 8-8
xclaim x2 g2 fourth 0 7-7 lastid 9-9
xgroup destroy x2 g2
sort l4 store sorted
georadius geo 15 37 200 km store georesult
geosearchstore geodst geo frommember Palermo byradius 300 km
restore restored 100000 {dump plain-dump}
restore restored2 0 {dump plain-dump} absttl
restore restored3 {nowms+500} {dump plain-dump} absttl
restore restored 1 {dump plain-dump} replace
publish chan msg
select 3
set other db
flushdb
flushdb
select 0
move plain 4
swapdb 5 6
multi
set m1 1
incr m1
exec
multi
set m2 1
exec
multi
get m2
exec
set counter 10
incr counter
incrby counter 5
append counter x
setrange counter 1 y
mset a 1 b 2
msetnx a 3 c 4
del a b c nokey
unlink m1
rename m2 m3
copy m3 m4
sadd from x
smove from to x
sinterstore dst to from
zadd zs 1 one
zincrby zs 2 one
zrangestore zdst zs 0 -1
hset hh a 1 b 2
hdel hh a
pfadd hll a b c
pfcount hll
setbit bits 7 1
bitfield bf set u8 0 200
linsert l4 before q z
lset l4 0 w
ltrim l4 0 1
lrem l4 0 w
persist psx
eval "redis.call('set',KEYS[1],'1') redis.call('incr',KEYS[1]) return 1" 1 sk
eval "return redis.call('set','single','1')" 0
eval "return redis.call('get','sk')" 0
eval "redis.call('set','a1','x') redis.call('select',1) redis.call('set','a2','y') return 1" 0
eval "redis.set_repl(redis.REPL_NONE) redis.call('set','norepl','1') redis.set_repl(redis.REPL_ALL) redis.call('set','yesrepl','1') return 1" 0
eval "redis.call('set','ex1','v','ex','100') redis.call('expire','ex1','200') redis.call('incrbyfloat','fl','1.5') return 1" 0
eval "redis.call('set','failing','x') return redis.call('incr','failing')" 0
eval "#!lua flags=no-writes\nreturn redis.call('get','sk')" 0
eval "return redis.pcall('set','ro','1')" 0
eval_ro "return redis.pcall('set','ro','1')" 0
multi
eval "redis.call('set','mx','1') redis.call('set','mz','3') return 1" 0
set my 2
exec
fcall nosuchfunction 0
function load "#!lua name=plib\nredis.register_function('pf', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
fcall pf 1 fk fv
function delete plib
flushall
`

var nowPattern = regexp.MustCompile(`\{now(ms)?\+(\d+)\}`)

func expandNow(line string) string {
	return nowPattern.ReplaceAllStringFunc(line, func(m string) string {
		sub := nowPattern.FindStringSubmatch(m)
		n, _ := strconv.ParseInt(sub[2], 10, 64)
		if sub[1] == "ms" {
			return strconv.FormatInt(time.Now().UnixMilli()+n*1000, 10)
		}
		return strconv.FormatInt(time.Now().Unix()+n, 10)
	})
}

// clockNumber matches a number (or a stream ID's milliseconds) that is a
// Unix time in milliseconds near now: each server reads its own clock.
var clockNumber = regexp.MustCompile(`\b1[6-9]\d{11}\b`)

func maskClock(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = clockNumber.ReplaceAllString(l, "<ms>")
	}
	return out
}

func TestPropagationMatchesRedis(t *testing.T) {
	settings := []string{"repl-ping-replica-period 3600"}
	p := difftest.NewPair(t, settings...)
	ours := difftest.AttachStream(t, p.Redoubt.Addr())
	theirs := difftest.AttachStream(t, p.Redis.Addr())
	for _, c := range []*difftest.Conn{p.Redoubt, p.Redis} {
		c.Do("debug", "set-active-expire", "0")
	}
	p.Do("set", "plain-dump", "payload")
	dump := string(p.Do("dump", "plain-dump"))
	dump = dump[strings.Index(dump, "\r\n")+2 : len(dump)-2]
	for _, line := range strings.Split(propagationCorpus, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		line = strings.ReplaceAll(line, "{dump plain-dump}", strconv.Quote(dump))
		args, ok := protocol.SplitArgs([]byte(expandNow(line)), nil)
		if !ok {
			t.Fatalf("bad corpus line %q", line)
		}
		s := make([]string, len(args))
		for i, a := range args {
			s[i] = string(a)
		}
		// Replies that carry a time (generated stream IDs) or a random
		// choice differ.
		if strings.HasPrefix(line, "spop") {
			p.DoUnordered(s...)
			continue
		}
		if strings.Contains(line, "-*") || strings.HasPrefix(line, "xclaim") || strings.HasPrefix(line, "xautoclaim") || strings.HasPrefix(line, "xreadgroup") {
			p.Redoubt.Do(s...)
			p.Redis.Do(s...)
			continue
		}
		p.Do(s...)
	}
	// Keys that expire during a command are propagated as deletions,
	// with the command, in one MULTI/EXEC when there are several.
	p.Do("set", "lazy1", "v", "px", "1")
	p.Do("set", "lazy2", "v", "px", "1")
	p.Do("set", "lazy3", "v", "px", "1")
	time.Sleep(20 * time.Millisecond)
	p.Do("get", "lazy1")
	p.Do("set", "lazy2", "again")
	p.Do("exists", "lazy3", "nokey")
	p.Do("set", "end-of-corpus", "1")
	want := maskClock(theirs.Until("set", "end-of-corpus", "1"))
	got := maskClock(ours.Until("set", "end-of-corpus", "1"))
	compareStreams(t, want, got)
}

func compareStreams(t *testing.T, want, got []string) {
	t.Helper()
	n := max(len(want), len(got))
	bad := 0
	for i := 0; i < n; i++ {
		var w, g string
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w != g {
			t.Errorf("stream command %d:\n redis:   %s\n redoubt: %s", i, w, g)
			if bad++; bad > 10 {
				t.Fatalf("too many differences (redis sent %d commands, redoubt %d)", len(want), len(got))
			}
		}
	}
}

// A blocked command served later, by another client's push, travels as
// the non-blocking command it amounted to, after the push.
func TestPropagationOfServedBlockedClients(t *testing.T) {
	p := difftest.NewPair(t, "repl-ping-replica-period 3600")
	ours := difftest.AttachStream(t, p.Redoubt.Addr())
	theirs := difftest.AttachStream(t, p.Redis.Addr())
	cases := []struct{ block, push []string }{
		{[]string{"blpop", "bl", "0"}, []string{"rpush", "bl", "a", "b"}},
		{[]string{"brpop", "bl2", "0"}, []string{"rpush", "bl2", "a", "b"}},
		{[]string{"blmove", "bm", "bmdst", "right", "left", "0"}, []string{"rpush", "bm", "a"}},
		{[]string{"brpoplpush", "bm2", "bmdst", "0"}, []string{"rpush", "bm2", "a"}},
		{[]string{"blmpop", "0", "1", "bmp", "left", "count", "5"}, []string{"rpush", "bmp", "a", "b"}},
		{[]string{"bzpopmin", "bz", "0"}, []string{"zadd", "bz", "1", "a", "2", "b"}},
		{[]string{"bzmpop", "0", "1", "bz2", "max", "count", "3"}, []string{"zadd", "bz2", "1", "a", "2", "b"}},
		{[]string{"xreadgroup", "group", "g", "c", "block", "0", "streams", "bx", ">"}, []string{"xadd", "bx", "5-1", "f", "v"}},
	}
	p.Do("xgroup", "create", "bx", "g", "$", "mkstream")
	for _, tc := range cases {
		for _, srv := range []*difftest.Conn{p.Redoubt, p.Redis} {
			blocked := difftest.Dial(t, srv.Addr())
			blocked.Send(tc.block...)
			difftest.WaitBlocked(t, srv, 1)
			srv.Do(tc.push...)
			blocked.ReadRaw()
		}
	}
	p.Do("set", "end-of-corpus", "1")
	want := maskClock(theirs.Until("set", "end-of-corpus", "1"))
	got := maskClock(ours.Until("set", "end-of-corpus", "1"))
	compareStreams(t, want, got)
}
