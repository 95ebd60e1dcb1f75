package replication

import (
	"testing"
	"time"
)

// TestReadOnlyReplica pins two things of a replica (replica-read-only
// yes, the default). Writes from clients are refused with exactly
// Redis's READONLY error, while reads are served. And a replica never
// expires keys itself: a key past its TTL reads as missing (GET, EXISTS)
// but still counts in DBSIZE until the primary deletes it and propagates
// the DEL, here when a GET touches it on the primary, whose active expiry
// is off (DEBUG SET-ACTIVE-EXPIRE 0).
func TestReadOnlyReplica(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		p.do("SET", "present", "v")
		c.waitSync(p, r)

		const readonly = "READONLY You can't write against a read only replica."
		rc := r.conn()
		for _, cmd := range [][]string{
			{"SET", "k", "v"},
			{"DEL", "present"},
			{"LPUSH", "l", "x"},
			{"INCR", "n"},
		} {
			if v := rc.doErr(cmd...); v.Type != '-' || v.Str != readonly {
				c.errorf("replica: %s replied %s, want the error %q", quote(cmd), v, readonly)
			}
		}
		if v := rc.do("GET", "present"); v.Str != "v" {
			c.errorf("replica: GET present = %s, want \"v\"", v)
		}

		p.do("DEBUG", "SET-ACTIVE-EXPIRE", "0")
		p.do("SET", "volatile", "v")
		p.do("PEXPIRE", "volatile", "300")
		deadline := time.Now().Add(300 * time.Millisecond)
		c.waitSync(p, r)
		if n := rc.do("DBSIZE").Int; n != 2 {
			c.fatalf("replica: DBSIZE %d before the deadline, want 2", n)
		}
		// Past the deadline, and then long enough (several of its 100 ms
		// cron cycles) for a replica that wrongly expired keys actively to
		// have done so.
		time.Sleep(time.Until(deadline) + 500*time.Millisecond)
		if v := rc.do("GET", "volatile"); !v.Null {
			c.errorf("replica: GET volatile past its TTL = %s, want nil", v)
		}
		if v := rc.do("EXISTS", "volatile"); v.Int != 0 {
			c.errorf("replica: EXISTS volatile past its TTL = %s, want 0", v)
		}
		if n := rc.do("DBSIZE").Int; n != 2 {
			c.fatalf("replica: DBSIZE %d past the TTL, want 2: the replica must keep the key until the primary's DEL", n)
		}

		// The primary expires the key when a command touches it, and the
		// replica follows.
		if v := p.do("GET", "volatile"); !v.Null {
			c.fatalf("primary: GET volatile past its TTL = %s, want nil", v)
		}
		c.waitSync(p, r)
		if n := rc.do("DBSIZE").Int; n != 1 {
			c.fatalf("replica: DBSIZE %d after the primary expired the key, want 1", n)
		}
	})
}
