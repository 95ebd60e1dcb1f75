package str_test

import (
	"bufio"
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// script splits a difftest-style script into commands.
func script(t testing.TB, s string) [][]string {
	var out [][]string
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		args, ok := protocol.SplitArgs([]byte(line), nil)
		if !ok {
			t.Fatalf("bad script line %q", line)
		}
		cmd := make([]string, len(args))
		for i, a := range args {
			cmd[i] = string(a)
		}
		out = append(out, cmd)
	}
	return out
}

// wrongTypeScript runs every command on keys of other types. No other
// data type is implemented in Redoubt yet, so the in-process side plants
// them directly while Redis gets them from RPUSH and HSET.
const wrongTypeScript = `
set a abc
get list
set list v get
set list v nx get
set list v get ex 0
set list v ex 0 get
set list v xx get
set list v get bogus
setnx list x
getex list
getex list ex 10
getex list ex 0
getex list bogus
getdel list
getset list x
mget a list hash b
append list x
strlen list
getrange list 0 1
getrange list x 1
substr list 0 1
setrange list 0 x
setrange list 0 ""
setrange list -1 x
incr list
decr hash
decrby list 2
incrby list x
incrbyfloat list 1
incrbyfloat list abc
lcs a list
lcs list a
lcs list nokey idx
lcs nokey hash len
lcs list list bogus
setbit list 1 1
setbit list x 1
setbit list 1 2
getbit list 1
getbit list x
bitcount list
bitcount list x y
bitcount list 0 1 bogus
bitpos list 1
bitpos list 2
bitpos list 1 x
bitop and dst list
bitop and dst a list
bitop not dst hash
bitop bogus dst list
bitfield list get u8 0
bitfield list set u8 0 1
bitfield list bogus
bitfield list get u99 0
bitfield_ro list get u8 0
bitfield_ro list set u8 0 1
bitfield_ro hash
get list
bitop or list a
get list
mset hash 1
get hash
`

func TestWrongTypeMatchRedis(t *testing.T) {
	for _, resp := range []int{2, 3} {
		t.Run("resp"+string(rune('0'+resp)), func(t *testing.T) {
			redis := difftest.Dial(t, difftest.StartRedis(t))
			redis.Do("rpush", "list", "a", "b")
			redis.Do("hset", "hash", "f", "v")
			h := newHarness(t)
			plantOther(h, "list", keyspace.KindList)
			plantOther(h, "hash", keyspace.KindHash)
			if resp == 3 {
				redis.Do("hello", "3")
				h.W.Resp = 3
			}
			for _, cmd := range script(t, wrongTypeScript) {
				want := redis.Do(cmd...)
				if got := h.Do(cmd...); !bytes.Equal(got, want) {
					t.Errorf("%s\n redis:   %q\n redoubt: %q", difftest.Quote(cmd), want, got)
				}
			}
		})
	}
}

// notifyScript exercises every event the string and bit commands fire,
// and the cases where they fire none.
const notifyScript = `
set a 1
set a 2
set a 3 ex 100
set a 4 keepttl
set a 5 nx
set b 5 xx
set b 5 get
set b 6 xx get px 100000
set b 7 bogus
set b 7 ex 0
setnx c 1
setnx c 2
setex d 100 v
psetex e 100000 v
setex d 0 v
getex a ex 100
getex a persist
getex a persist
getex a
getex nokey ex 100
getex a pxat 1
getex d exat 1
getdel b
getdel b
getset c 9
getset nk 1
mset a 1 b 2
msetnx a 1 z 2
msetnx y 1 z 2
append a x
append ap x
append ap ""
setrange a 0 zz
setrange sr 3 x
setrange sr 0 ""
setrange nosr 0 ""
incr a
incr n
decrby n 5
incrby n 9223372036854775807
incrbyfloat n 1.5
incrbyfloat fl 1
incrbyfloat fl inf
setbit sb 3 1
setbit sb 3 1
setbit sb 3 0
setbit sb 100 0
setbit sb 100 0
bitfield bf set u8 0 1
bitfield bf set u8 0 1
bitfield bf incrby u8 0 1 incrby u8 0 1
bitfield bf overflow fail incrby u8 0 1000
bitfield bf get u8 0
bitfield bf2 get u8 0
bitfield bf2 set u8 100 0
bitfield_ro bf get u8 0
bitop or dst sb
bitop or dst sb
bitop and dst sb nokey
bitop or dst nokey
bitop or dst nokey
set ex v pxat 1
get ex
set ex2 v exat 1
mget ex2
set ex3 v pxat 1
set ex3 w nx
get ex3
lcs sb a
getrange sb 0 -1
strlen sb
bitcount sb
bitpos sb 1
getbit sb 1
`

// TestNotificationsMatchRedis compares the keyspace events each command
// fires, in order, with the events Redis publishes: Redoubt has no
// Pub/Sub yet, so the in-process side records what the handlers report.
func TestNotificationsMatchRedis(t *testing.T) {
	addr := difftest.StartRedis(t, "notify-keyspace-events EAn")
	redis := difftest.Dial(t, addr)
	sub := difftest.Dial(t, addr)
	sub.Do("psubscribe", "__keyevent@0__:*")
	const marker = "__keyevent@0__:zz-end"
	h := newHarness(t)
	for _, cmd := range script(t, notifyScript) {
		want := redis.Do(cmd...)
		h.Events = h.Events[:0]
		if got := h.Do(cmd...); !bytes.Equal(got, want) {
			t.Errorf("%s\n redis:   %q\n redoubt: %q", difftest.Quote(cmd), want, got)
		}
		redis.Do("publish", marker, "x")
		var events []string
		for {
			v := decode(t, sub.ReadRaw())
			if len(v.Elems) != 4 || v.Elems[0].Str != "pmessage" {
				t.Fatalf("unexpected message %s", v)
			}
			ch := v.Elems[2].Str
			if ch == marker {
				break
			}
			events = append(events, strings.TrimPrefix(ch, "__keyevent@0__:")+" "+v.Elems[3].Str)
		}
		if !slices.Equal(h.Events, events) {
			t.Errorf("%s: events\n redis:   %q\n redoubt: %q", difftest.Quote(cmd), events, h.Events)
		}
	}
}

func decode(t testing.TB, raw []byte) protocol.Value {
	t.Helper()
	vs, err := protocol.ReadValue(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatalf("decoding %q: %v", raw, err)
	}
	return vs
}

// TestDirtyCountMatchRedis runs the notification script over the network
// and compares the change counter (Redis's server.dirty) that save points
// and INFO use: every command must count its changes as Redis does.
func TestDirtyCountMatchRedis(t *testing.T) {
	p := difftest.NewPair(t)
	for _, cmd := range script(t, notifyScript) {
		p.Do(cmd...)
		p.SameInfo("persistence", "rdb_changes_since_last_save")
	}
}
