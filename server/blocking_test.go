package server_test

import (
	"bytes"
	"testing"
)

// A client blocked in XREADGROUP learns, as in Redis, that its stream went
// away however it went: DEL, SET over it, FLUSHDB, SWAPDB.
func TestBlockedStreamReadersAreToldMatchesRedis(t *testing.T) {
	for _, gone := range [][]string{
		{"DEL", "s"},
		{"SET", "s", "v"},
		{"FLUSHDB"},
		{"SWAPDB", "0", "1"},
	} {
		t.Run(gone[0], func(t *testing.T) {
			ls := newLockstep(t, "reader", "w")
			ls.do("w", "XADD", "s", "1-1", "f", "v")
			ls.do("w", "XGROUP", "CREATE", "s", "g", "$")
			ls.block("reader", 1, "XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
			ls.do("w", gone...)
			ls.read("reader")
		})
	}
}

// A client blocked on a list is served when the list appears by other
// means than a push: RENAME, and SWAPDB bringing it in.
func TestBlockedListServedByRenameAndSwapdbMatchesRedis(t *testing.T) {
	ls := newLockstep(t, "b", "w")
	ls.block("b", 1, "BLPOP", "l", "0")
	ls.do("w", "RPUSH", "src", "a", "b")
	ls.do("w", "RENAME", "src", "l")
	ls.read("b")
	ls.do("w", "SELECT", "1")
	ls.do("w", "RPUSH", "l2", "x")
	ls.do("w", "SELECT", "0")
	ls.block("b", 1, "BLPOP", "l2", "0")
	ls.do("w", "SWAPDB", "0", "1")
	ls.read("b")
	ls.do("w", "LRANGE", "l", "0", "-1")
}

// A blocking command is counted once, when it is served or times out,
// and its slow log entry is the command as sent.
func TestBlockedCommandStatsMatchRedis(t *testing.T) {
	ls := newLockstep(t, "b", "w")
	ls.do("w", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	ls.block("b", 1, "BLPOP", "l", "0")
	ls.do("w", "SLOWLOG", "RESET")
	ls.do("w", "LPUSH", "l", "x")
	ls.read("b")
	ls.do("b", "BLPOP", "l", "0.01") // times out
	for i := range 2 {
		v := ls.conns["w"][i].DoValue("SLOWLOG", "GET", "3")
		var got []string
		for _, e := range v.Elems {
			got = append(got, e.Elems[3].Elems[0].Str)
		}
		if len(got) < 3 || got[0] != "BLPOP" && got[0] != "blpop" {
			t.Errorf("server %d: slowlog commands %v", i, got)
		}
	}
	for i := range 2 {
		info := ls.conns["w"][i].Do("INFO", "commandstats")
		if !bytes.Contains(info, []byte("cmdstat_blpop:calls=2,")) {
			t.Errorf("server %d: %s", i, info)
		}
	}
}

// A client blocked on several keys and woken by one of them is served
// from that key, as Redis 7.0 serves it, even when a transaction also
// filled a key that comes before it in the command.
func TestWokenClientIsServedFromTheSignalledKeyMatchesRedis(t *testing.T) {
	for _, tc := range []struct {
		block []string
		fill  [][]string
	}{
		{[]string{"BLPOP", "a", "b", "0"}, [][]string{{"RPUSH", "b", "x"}, {"RPUSH", "a", "y"}}},
		{[]string{"BRPOP", "a", "b", "0"}, [][]string{{"RPUSH", "b", "x"}, {"RPUSH", "a", "y"}}},
		{[]string{"BLMPOP", "0", "2", "a", "b", "LEFT", "COUNT", "2"}, [][]string{{"RPUSH", "b", "x"}, {"RPUSH", "a", "y"}}},
		{[]string{"BZPOPMIN", "a", "b", "0"}, [][]string{{"ZADD", "b", "1", "x"}, {"ZADD", "a", "1", "y"}}},
		{[]string{"BZMPOP", "0", "2", "a", "b", "MAX"}, [][]string{{"ZADD", "b", "1", "x"}, {"ZADD", "a", "1", "y"}}},
		{[]string{"XREAD", "BLOCK", "0", "STREAMS", "a", "b", "$", "$"}, [][]string{{"XADD", "b", "1-1", "f", "x"}, {"XADD", "a", "1-1", "f", "y"}}},
		// The signalled key was emptied first: the client stays blocked,
		// though a holds an element, until a is signalled too.
		{[]string{"BLPOP", "a", "b", "0"}, [][]string{{"RPUSH", "b", "x"}, {"LPOP", "b"}, {"RPUSH", "a", "y"}}},
	} {
		t.Run(tc.block[0], func(t *testing.T) {
			ls := newLockstep(t, "b", "w")
			ls.block("b", 1, tc.block...)
			ls.do("w", "MULTI")
			for _, cmd := range tc.fill {
				ls.do("w", cmd...)
			}
			ls.do("w", "EXEC")
			ls.read("b")
			ls.do("w", "EXISTS", "a", "b")
		})
	}
}
