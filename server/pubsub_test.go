package server_test

import (
	"bytes"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// twoConns gives, for each server, a subscriber and a publisher.
type twoConns struct {
	sub, pub [2]*difftest.Conn // [0] redis, [1] redoubt
}

func newTwoConns(t *testing.T, settings ...string) *twoConns {
	r, d := difftest.StartRedis(t, settings...), difftest.StartRedoubt(t, settings...)
	return &twoConns{
		sub: [2]*difftest.Conn{difftest.Dial(t, r), difftest.Dial(t, d)},
		pub: [2]*difftest.Conn{difftest.Dial(t, r), difftest.Dial(t, d)},
	}
}

// do runs a command on the subscriber or publisher of both servers and
// compares the replies.
func (tc *twoConns) do(t *testing.T, onSub bool, args ...string) {
	t.Helper()
	conns := tc.pub
	if onSub {
		conns = tc.sub
	}
	want, got := conns[0].Do(args...), conns[1].Do(args...)
	if !bytes.Equal(want, got) {
		t.Errorf("%v:\n redis:   %q\n redoubt: %q", args, want, got)
	}
}

// read reads one pushed message on each subscriber and compares them.
func (tc *twoConns) read(t *testing.T) {
	t.Helper()
	want, got := tc.sub[0].ReadRaw(), tc.sub[1].ReadRaw()
	if !bytes.Equal(want, got) {
		t.Errorf("pushed message:\n redis:   %q\n redoubt: %q", want, got)
	}
}

func TestPubsubMatchesRedis(t *testing.T) {
	for _, proto := range []string{"2", "3"} {
		t.Run("resp"+proto, func(t *testing.T) {
			tc := newTwoConns(t)
			if proto == "3" {
				tc.sub[0].Do("HELLO", "3")
				tc.sub[1].Do("HELLO", "3")
			}
			tc.do(t, true, "SUBSCRIBE", "news", "sport")
			tc.read(t) // second confirmation
			tc.do(t, false, "PUBLISH", "news", "hello")
			tc.read(t)
			tc.do(t, false, "PUBLISH", "nobody", "x")
			tc.do(t, true, "PSUBSCRIBE", "n*")
			tc.do(t, false, "PUBLISH", "news", "both")
			tc.read(t)
			tc.read(t)
			tc.do(t, false, "PUBSUB", "NUMSUB", "news", "sport", "none")
			tc.do(t, false, "PUBSUB", "NUMPAT")
			tc.do(t, false, "PUBSUB", "CHANNELS", "s*")
			if proto == "2" {
				tc.do(t, true, "GET", "k")
			}
			tc.do(t, true, "PING")
			tc.do(t, true, "PING", "msg")
			tc.do(t, true, "SSUBSCRIBE", "shardy")
			tc.do(t, false, "SPUBLISH", "shardy", "s-msg")
			tc.read(t)
			tc.do(t, false, "PUBSUB", "SHARDNUMSUB", "shardy")
			tc.do(t, true, "SUNSUBSCRIBE")
			tc.do(t, true, "PUNSUBSCRIBE", "n*")
			tc.do(t, true, "UNSUBSCRIBE", "news")
			tc.do(t, true, "UNSUBSCRIBE")
			tc.do(t, true, "UNSUBSCRIBE")
			tc.do(t, true, "PUNSUBSCRIBE")
			tc.do(t, true, "SET", "k", "v")
		})
	}
}

func TestKeyspaceNotificationsMatchRedis(t *testing.T) {
	tc := newTwoConns(t)
	tc.do(t, false, "CONFIG", "SET", "notify-keyspace-events", "KEA")
	tc.do(t, true, "PSUBSCRIBE", "__key*__:*")
	steps := [][]string{
		{"SET", "k", "v"},
		{"DEL", "k"},
		{"SET", "k2", "v", "EX", "100"},
		{"EXPIRE", "k2", "200"},
		{"PERSIST", "k2"},
		{"RENAME", "k2", "k3"},
		{"SELECT", "5"},
		{"SET", "other-db", "1"},
	}
	for _, st := range steps {
		tc.do(t, false, st...)
	}
	// The steps fire nine events (SET EX fires set and expire, RENAME
	// fires rename_from and rename_to), each on both the keyspace and the
	// keyevent channel: read as many messages from both servers.
	for i := 0; i < 2*9; i++ {
		tc.read(t)
	}
	tc.do(t, false, "PING")
}

func TestResetClearsSubscriptions(t *testing.T) {
	tc := newTwoConns(t)
	tc.do(t, true, "SUBSCRIBE", "a")
	tc.do(t, true, "RESET")
	tc.do(t, true, "SET", "k", "v")
	tc.do(t, false, "PUBLISH", "a", "x")
}

func TestKeymissNotificationMatchesRedis(t *testing.T) {
	tc := newTwoConns(t)
	tc.do(t, false, "CONFIG", "SET", "notify-keyspace-events", "Em")
	tc.do(t, true, "SUBSCRIBE", "__keyevent@0__:keymiss")
	tc.do(t, false, "GET", "nokey")
	tc.read(t)
	tc.do(t, false, "SET", "nokey2", "v") // writes do not miss
	tc.do(t, false, "EXISTS", "nokey3")
	tc.do(t, false, "GET", "nokey4")
	tc.read(t)
}

// CLIENT REPLY OFF silences replies but not subscribe confirmations and
// messages, in either protocol.
func TestPubsubWithReplyOffMatchesRedis(t *testing.T) {
	for _, proto := range []string{"2", "3"} {
		ls := newLockstep(t, "sub", "pub")
		ls.do("sub", "HELLO", proto)
		for i := range 2 {
			ls.conns["sub"][i].Send("CLIENT", "REPLY", "OFF")
			ls.conns["sub"][i].Send("PSUBSCRIBE", "c*")
		}
		ls.read("sub")
		ls.do("pub", "PUBLISH", "ch", "hello")
		ls.read("sub")
		for i := range 2 {
			ls.conns["sub"][i].Send("PUNSUBSCRIBE", "c*")
		}
		ls.read("sub")
	}
}
