package durability

import (
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// aofCorpus is one chunk per paragraph. {now+N} and {nowms+N} are the
// Unix time N seconds from now, in seconds or ms, computed once for
// both servers; {dump} is a DUMP payload. A line starting with ~ sends
// the command to both without comparing the replies (they carry a
// generated ID or a time), with ? compares them as unordered sets (a
// set's members come in the order of its hash table); "!sleep N" waits N ms; "!block <cmd> |
// <cmd>" blocks a client with the first command and serves it with the
// second.
const aofCorpus = `
set str 1
set str2 hello ex 1000
set str3 v px 500000 get
set str4 v exat {now+1000}
set str5 v pxat {nowms+2000000}
setex sx 100 v
psetex psx 100000 v
setnx snx v
set str2 again keepttl
getex str ex 300
getex str persist
getex str pxat {nowms+700000}
getex nokey ex 10
getdel str3
getset snx v2
incr ctr
incrby ctr 10
decrby ctr 3
incrbyfloat fl 1.5
incrbyfloat fl 1e5
append app abc
setrange app 1 Z
mset m1 a m2 b
msetnx m3 c m1 z
expire m1 100
pexpire m2 100000
expireat m2 {now+200}
pexpireat m2 {nowms+300000}
expire m1 10 gt
expire m1 1000 lt
expire m1 50 nx
persist m1
expire m1 -1
del m2 nokey
rename ctr ctr2
renamenx ctr2 fl
copy ctr2 ctrcopy
copy ctr2 ctrdb db 3
move app 2
swapdb 2 3
select 3
set indb3 x
select 0

rpush l a b c d e f g h
lpush l z
linsert l before c bc
lset l 0 Z
lrem l 1 bc
lpop l
rpop l 2
lmpop 2 nokey l left count 1
lmove l l2 left right
blpop l 0
brpop nokey l 0
blmove l l2 right left 0
brpoplpush l2 l3 0
blmpop 0 1 l2 right count 2
ltrim l 0 0
rpush one x
lpop one
hset h a 1 b 2 c 3
hsetnx h a 9
hsetnx h d 4
hdel h b
hincrby h a 5
hincrbyfloat h c 0.5
hincrbyfloat h c 1e3
sadd s a b c d
srem s a
smove s s2 b
sinterstore sdst s s2
sunionstore sun s s2
sdiffstore sdiff s s2
?spop s 10
sadd single x
spop single
zadd z 1 a 2 b 3 c 4 d
zadd z xx ch 5 a
zadd z nx 9 e
zincrby z 2 b
zrem z c
zpopmin z
zpopmax z 1
bzpopmin z 0
bzpopmax nokey z 0
zmpop 1 z min count 9
zadd z2 1 a 2 b 3 c 4 d 5 e
zremrangebyscore z2 0 1
zremrangebyrank z2 0 0
zrangestore zdst z2 0 -1
zunionstore zun 1 z2 weights 2
bzmpop 0 1 z2 max count 2
zadd zlex 0 a 0 b 0 c
zremrangebylex zlex [a [b

pfadd hll a b c
pfcount hll
pfmerge hll2 hll
setbit bits 7 1
bitop and bitsand bits bits
bitfield bf set u8 0 200 incrby u8 0 100
geoadd geo 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
georadius geo 15 37 200 km store georesult
geosearchstore geodst geo frommember Palermo byradius 300 km
rpush tosort c a b
sort tosort alpha store sorted
xadd x 1-1 f v
xadd x 2-1 f v
xadd x maxlen = 2 3-1 f v
xadd x nomkstream 4-1 f v
xadd nostream nomkstream 1-1 f v
~xadd x * f auto
xadd x maxlen ~ 1 5-1 f v
xtrim x maxlen ~ 0
xtrim x maxlen = 3
xgroup create x g 0
xgroup createconsumer x g c0
~xreadgroup group g c1 count 2 streams x >
~xreadgroup group g c2 noack streams x >
~xclaim x g c3 0 4-1
~xclaim x g c3 0 5-1 justid
~xautoclaim x g c4 0 0
xack x g 4-1
xgroup setid x g 0 entriesread 0
xgroup delconsumer x g c0
xdel x 5-1
xgroup destroy x g
xgroup create ymk g $ mkstream
xsetid ymk 7-7 entriesadded 3 maxdeletedid 2-2
set dumped payload
restore restored 0 {dump}
restore restored2 100000 {dump}
restore restored3 {nowms+500000} {dump} absttl
restore restored 0 {dump} replace
publish chan msg

multi
set tx1 1
incr tx1
exec
multi
set tx2 1
exec
multi
get tx1
exec
!block blpop bl 0 | rpush bl a b
!block bzpopmin bz 0 | zadd bz 1 a 2 b
!block blmove bm bmdst right left 0 | rpush bm a
set lazy1 v px 1
set lazy2 v px 1
set lazy3 v px 1
!sleep 20
get lazy1
set lazy2 again
exists lazy3 nokey
select 4
set x 1
flushdb
select 0
flushall
set last 1
`

var nowArg = regexp.MustCompile(`\{now(ms)?\+(\d+)\}`)

func expandTimes(line string) string {
	return nowArg.ReplaceAllStringFunc(line, func(m string) string {
		sub := nowArg.FindStringSubmatch(m)
		n, _ := strconv.ParseInt(sub[2], 10, 64)
		if sub[1] == "ms" {
			return strconv.FormatInt(time.Now().UnixMilli()+n*1000, 10)
		}
		return strconv.FormatInt(time.Now().Unix()+n, 10)
	})
}

func splitLine(t *testing.T, line string) []string {
	t.Helper()
	args, ok := protocol.SplitArgs([]byte(line), nil)
	if !ok {
		t.Fatalf("bad corpus line %q", line)
	}
	s := make([]string, len(args))
	for i, a := range args {
		s[i] = string(a)
	}
	return s
}
