package list_test

import (
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

func TestListCommandsMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
lpush l a b c
rpush l 1 -2 300000 12345678901234567890 ""
lpush l
lpushx nokey a
rpushx nokey a
lpushx l x
rpushx l y z
exists nokey
llen l
llen nokey
lrange l 0 -1
lrange l 2 4
lrange l -3 -1
lrange l -100 100
lrange l 5 2
lrange l 100 200
lrange l x 1
lrange l 0 y
lrange nokey 0 -1
lindex l 0
lindex l -1
lindex l 3
lindex l 100
lindex l -100
lindex l x
lindex nokey x
lset l 0 new
lset l -1 last
lset l 100 x
lset l -100 x
lset l x y
lset nokey 0 x
lrange l 0 -1
object encoding l
type l
set s v
lpush s a
rpush s a
lpushx s a
lpop s
rpop s 2
llen s
lindex s 0
lindex s x
lset s 0 x
lrange s 0 -1
lrange s x 0
ltrim s 0 1
ltrim s x 1
lrem s 1 a
lrem s x a
linsert s before a b
linsert s middle a b
lpos s a
lpos s a rank 0
lmove s l left right
lmove l s left right
lmove nokey s left right
rpoplpush s l
lmpop 1 s left
lpop s x
`)
	})
}

func TestListPopMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l a b c d e f g
lpop l
rpop l
lpop l 2
rpop l 2
lpop l 0
rpop l 0
lpop l -1
lpop l x
lpop l 1 2
rpop l 100
exists l
lpop l
lpop l 0
lpop l 3
rpop l
rpop l 3
rpush l 1 2 3
lpop l 9223372036854775807
rpush l 1
rpop l 9223372036854775807
rpush l x
rpop l 1
`)
	})
}

func TestListTrimRemInsertMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l a b a c a d a 1 01 1
ltrim l 0 -1
lrange l 0 -1
ltrim l 1 -2
lrange l 0 -1
ltrim l -5 100
lrange l 0 -1
ltrim l 3 1
exists l
ltrim nokey 0 1
rpush l a b a c a d a 1 01 1
lrem l 1 a
lrange l 0 -1
lrem l -1 a
lrange l 0 -1
lrem l 0 a
lrange l 0 -1
lrem l 0 1
lrem l 0 01
lrem l 0 missing
lrem nokey 0 a
lrem l -9223372036854775808 b
lrange l 0 -1
lrem l 0 c
lrem l 0 d
exists l
rpush l a b c 1
linsert l before a x
linsert l after c y
linsert l after 1 end
linsert l before 01 z
linsert l BEFORE missing z
linsert nokey before a b
linsert l inside a b
lrange l 0 -1
linsert l after 1 12345678901234567890
lrange l 0 -1
ltrim l 0 0
ltrim l 1 0
exists l
`)
	})
}

func TestListPosMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l a b c 1 2 3 c c a
lpos l c
lpos l c rank 2
lpos l c rank -1
lpos l c rank -2
lpos l c rank 10
lpos l c rank -10
lpos l c count 0
lpos l c count 2
lpos l c count 2 rank 2
lpos l c count 0 rank -1
lpos l c count 0 rank -2 maxlen 3
lpos l c maxlen 3
lpos l c maxlen 4
lpos l c rank -1 maxlen 1
lpos l 1
lpos l 01
lpos l missing
lpos l missing count 0
lpos l c rank 0
lpos l c rank x
lpos l c count -1
lpos l c count x
lpos l c maxlen -1
lpos l c maxlen x
lpos l c rank
lpos l c bogus 1
lpos l c count 1 count 2
lpos l c rank -9223372036854775808
lpos l c rank -9223372036854775808 count 0
lpos l c rank -9223372036854775808 count 2
lpos l c rank 9223372036854775807 count 0
lpos nokey c
lpos nokey c count 1
lpos nokey c rank 0
set s v
lpos s c
lpos s c rank 0
lpos s c count 1
`)
	})
}

func TestListMoveMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush src a b c 1 2
lmove src dst left right
lmove src dst right left
lmove src dst left left
lmove src dst right right
lrange src 0 -1
lrange dst 0 -1
lmove src dst up left
lmove src dst left down
lmove nokey dst left left
set s v
lmove nokey s left left
lmove src s left left
lmove s dst left left
lrange src 0 -1
rpoplpush src dst
rpoplpush src dst
exists src
rpoplpush src dst
rpoplpush dst dst
lrange dst 0 -1
lmove dst dst left right
lrange dst 0 -1
lmove dst dst right left
lmove dst dst left left
lmove dst dst right right
lrange dst 0 -1
del one
rpush one x
rpoplpush one one
lrange one 0 -1
lmove one other left right
exists one
rpush big 12345678901234567890123456789012345678901234567890123456789012345678901234567890 9223372036854775807
lmove big big left right
lrange big 0 -1
lmove big other2 right left
lmove big other2 left left
lrange other2 0 -1
`)
	})
}

func TestListMPopMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
rpush l1 a b c d
rpush l2 1 2 3
lmpop 2 nokey l1 left
lmpop 2 nokey l1 right count 2
lmpop 2 l1 l2 left count 10
lmpop 2 l1 l2 right count 1
lmpop 3 l1 l2 x left
lmpop 1 nokey left
lmpop 0 l1 left
lmpop -1 l1 left
lmpop x l1 left
lmpop 3 l1 left
lmpop 1 l1 middle
lmpop 1 l1 left count
lmpop 1 l1 left count 0
lmpop 1 l1 left count -1
lmpop 1 l1 left count x
lmpop 1 l1 left count 1 count 1
lmpop 1 l1 left bogus
lmpop 9223372036854775807 l1 left
set s v
lmpop 2 nokey s left
lmpop 2 l2 s left
lmpop 2 l2 s left
lmpop 1 s left count 0
blmpop 0 1 s left count 0
rpush l2 a b c
blmpop 0 2 nokey l2 right count 2
blmpop -1 1 l2 left
blmpop x 1 l2 left
blmpop 0 0 l2 left
blmpop 0 1 l2 bogus
blmpop 0 1 l2 left count 0
blmpop 0 2 s l2 left
blmpop 0 2 l2 s left
rpush l2 a b c d e f
blpop s 0
blpop nokey l2 0
blpop l2 -1
blpop l2 x
brpop nokey s 0
blmove s dst left left 0
blmove l2 s left left 0
blmove l2 dst up left 0
blmove l2 dst left left x
blmove l2 dst left left -1
brpoplpush l2 dst x
brpoplpush l2 dst -1
rpush l2 q w e
brpoplpush l2 dst 0
blmove l2 dst right right 0
brpop l2 0
exists l2
`)
	})
}

func TestListBlockingInMultiMatchesRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		p.Script(`
multi
blpop nokey 0
brpop nokey 10
blmove nokey dst left right 0
brpoplpush nokey dst 0
blmpop 0 1 nokey left
blmpop 0 1 nokey left count 3
rpush l a b c
blpop l 0
brpop l 0
blmove l dst left right 0
exec
lrange dst 0 -1
`)
	})
}

func TestListBigValuesMatchRedis(t *testing.T) {
	difftest.EachProtocol(t, nil, func(t *testing.T, p *difftest.Pair) {
		big := make([]byte, 70000)
		for i := range big {
			big[i] = 'a' + byte(i%26)
		}
		b := string(big)
		p.Do("rpush", "l", "x", b, "y")
		p.Do("lpush", "l", b[:9000])
		p.Do("lrange", "l", "0", "-1")
		p.Do("linsert", "l", "after", "x", b[:5000])
		p.Do("lset", "l", "1", b[:20000])
		p.Do("lrange", "l", "0", "-1")
		p.Do("lpos", "l", b)
		p.Do("lrem", "l", "0", b[:9000])
		p.Do("lmove", "l", "l", "right", "left")
		p.Do("lrange", "l", "0", "-1")
		p.Do("object", "encoding", "l")
	})
}
