package replication

import (
	"testing"
)

// TestStreaming pins the command stream a synced replica receives: plain
// writes, commands Redis rewrites before propagating them (INCRBYFLOAT
// as SET KEEPTTL, EXPIRE and GETEX as PEXPIREAT, SPOP as SREM, blocking
// and non-deterministic commands as their effects), a MULTI/EXEC block,
// an EVAL script writing two keys (replicated as its effects), SELECT of
// other databases and FLUSHDB of one of them. The replica must end with
// the primary's dataset and the same replication offset.
func TestStreaming(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		w := p.conn()
		// Database 3 holds keys from before the writes below flush it.
		w.do("SELECT", "3")
		w.do("SET", "old", "1")
		w.do("HSET", "oldh", "a", "b")
		w.do("SELECT", "0")
		script := [][]string{
			{"SET", "s1", "v1"},
			{"INCR", "counter"},
			{"INCR", "counter"},
			{"INCRBY", "counter", "40"},
			{"INCRBYFLOAT", "float", "1.5"},
			{"INCRBYFLOAT", "float", "0.25"},
			{"LPUSH", "list", "a", "b", "c"},
			{"RPOPLPUSH", "list", "list2"},
			{"HSET", "hash", "a", "1", "b", "2"},
			{"HINCRBY", "hash", "a", "5"},
			{"EXPIRE", "hash", "1000"},
			{"SET", "getex", "v"},
			{"GETEX", "getex", "PX", "900000"},
			{"SETEX", "setex", "500", "v"},
			{"SET", "tmp", "x"},
			{"DEL", "tmp"},
			{"SET", "persisted", "x", "EX", "100"},
			{"PERSIST", "persisted"},
			{"SADD", "set", "a", "b", "c", "d", "e"},
			{"SPOP", "set"},
			{"SPOP", "set", "2"},
			{"ZADD", "zset", "1", "a", "2", "b"},
			{"ZINCRBY", "zset", "3", "a"},
			{"XADD", "stream", "*", "f", "v"},
			{"XADD", "stream", "*", "f", "w"},
			{"XGROUP", "CREATE", "stream", "g", "0"},
			{"XREADGROUP", "GROUP", "g", "c1", "COUNT", "1", "STREAMS", "stream", ">"},
			{"MULTI"},
			{"SET", "m1", "1"},
			{"INCR", "m1"},
			{"LPUSH", "mlist", "x", "y"},
			{"EXEC"},
			{"EVAL", "redis.call('set', KEYS[1], ARGV[1]); redis.call('set', KEYS[2], ARGV[2]); return 1", "2", "e1", "e2", "one", "two"},
			{"EVAL", "return redis.call('spop', KEYS[1])", "1", "set"},
			{"SELECT", "3"},
			{"SET", "before-flush", "1"},
			{"FLUSHDB"},
			{"SET", "after-flush", "1"},
			{"SELECT", "5"},
			{"SET", "d5", "x"},
			{"HSET", "d5h", "a", "b"},
			{"SELECT", "0"},
			{"RENAME", "s1", "s1-renamed"},
			{"SET", "last", "1"},
		}
		for _, cmd := range script {
			w.do(cmd...)
		}
		c.waitSync(p, r)
		// Redis 7.0 propagates XREADGROUP as XCLAIM ... LASTID, which
		// moves the group's last-delivered-id on the replica but not its
		// entries-read counter: the replica reports entries-read nil where
		// the primary reports 1. The counter is compared apart.
		c.sameData("primary", dataset(p, "entries-read"), "replica", dataset(r, "entries-read"))
		entriesRead := func(s *server) string {
			return s.do("XINFO", "GROUPS", "stream").Elems[0].Map()["entries-read"].String()
		}
		if pe, re := entriesRead(p), entriesRead(r); pe != "(integer) 1" || re != "(nil)" {
			c.errorf("XINFO GROUPS stream entries-read: primary %s, replica %s; Redis 7.0 has 1 and nil", pe, re)
		}

		// The flushed database holds only what came after FLUSHDB, and the
		// script's and the transaction's writes arrived.
		rc := r.conn()
		for _, check := range []struct{ db, key, want string }{
			{"3", "after-flush", `"1"`}, {"3", "old", "(nil)"}, {"3", "before-flush", "(nil)"},
			{"0", "e1", `"one"`}, {"0", "e2", `"two"`}, {"0", "m1", `"2"`}, {"5", "d5", `"x"`},
		} {
			rc.do("SELECT", check.db)
			got := rc.do("GET", check.key).String()
			if got != check.want {
				c.errorf("replica: GET %s in db %s = %s, want %s", check.key, check.db, got, check.want)
			}
		}

		// waitSync saw the replica's slave_repl_offset reach the primary's
		// master_repl_offset; a replica's own master_repl_offset is the
		// same number.
		ri := r.info("replication")
		if ri["slave_repl_offset"] != ri["master_repl_offset"] {
			c.fatalf("replica's slave_repl_offset %s, master_repl_offset %s", ri["slave_repl_offset"], ri["master_repl_offset"])
		}
	})
}
