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
			for i := range 2 {
				ls.conns["reader"][i].Send("XREADGROUP", "GROUP", "g", "c", "BLOCK", "0", "STREAMS", "s", ">")
			}
			ls.do("w", "PING") // both servers have the reader blocked
			ls.do("w", gone...)
			ls.read("reader")
		})
	}
}

// A client blocked on a list is served when the list appears by other
// means than a push: RENAME, and SWAPDB bringing it in.
func TestBlockedListServedByRenameAndSwapdbMatchesRedis(t *testing.T) {
	ls := newLockstep(t, "b", "w")
	for i := range 2 {
		ls.conns["b"][i].Send("BLPOP", "l", "0")
	}
	ls.do("w", "PING")
	ls.do("w", "RPUSH", "src", "a", "b")
	ls.do("w", "RENAME", "src", "l")
	ls.read("b")
	ls.do("w", "SELECT", "1")
	ls.do("w", "RPUSH", "l2", "x")
	ls.do("w", "SELECT", "0")
	for i := range 2 {
		ls.conns["b"][i].Send("BLPOP", "l2", "0")
	}
	ls.do("w", "PING")
	ls.do("w", "SWAPDB", "0", "1")
	ls.read("b")
	ls.do("w", "LRANGE", "l", "0", "-1")
}

// A blocking command is counted once, when it is served or times out,
// and its slow log entry is the command as sent.
func TestBlockedCommandStatsMatchRedis(t *testing.T) {
	ls := newLockstep(t, "b", "w")
	ls.do("w", "CONFIG", "SET", "slowlog-log-slower-than", "0")
	for i := range 2 {
		ls.conns["b"][i].Send("BLPOP", "l", "0")
	}
	ls.do("w", "PING")
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
