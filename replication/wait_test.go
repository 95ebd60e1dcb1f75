package replication

import (
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// TestWait pins WAIT on a primary with one replica: it returns as soon
// as enough replicas acknowledged the client's last write (the primary
// asks them with REPLCONF GETACK), and otherwise at the timeout with the
// number that did. On a replica WAIT is refused.
func TestWait(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		w := p.conn()
		w.do("SET", "k", "v")
		start := time.Now()
		if v := w.do("WAIT", "1", "2000"); v.Type != ':' || v.Int != 1 {
			c.fatalf("WAIT 1 2000 replied %s, want 1", v)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			c.fatalf("WAIT 1 2000 took %v with the replica connected", d)
		}

		w.do("SET", "k", "w")
		start = time.Now()
		if v := w.do("WAIT", "2", "300"); v.Type != ':' || v.Int != 1 {
			c.fatalf("WAIT 2 300 replied %s, want 1", v)
		}
		if d := time.Since(start); d < 280*time.Millisecond || d > 2*time.Second {
			c.fatalf("WAIT 2 300 returned after %v, want about 300 ms", d)
		}

		const onReplica = "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated."
		if v := r.conn().doErr("WAIT", "0", "0"); v.Type != '-' || v.Str != onReplica {
			c.errorf("replica: WAIT 0 0 replied %s, want the error %q", v, onReplica)
		}
	})
}

// TestRole pins ROLE's replies: on a primary "master", its offset and
// one [ip, port, acknowledged offset] per replica, port and offset as
// bulk strings; on a replica "slave", the primary's host and port (an
// integer), the link state "connected" and the offset it processed.
func TestRole(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		p.do("SET", "k", "v")
		c.waitSync(p, r)

		// The replica acknowledges its offset once a second (and the
		// primary's periodic PING moves the offset): wait for a reply in
		// which the replica's acknowledged offset is the primary's.
		var v protocol.Value
		c.waitFor("the primary's ROLE to show the replica's acknowledgement of its offset", func() (bool, string) {
			v = p.do("ROLE")
			ok := len(v.Elems) == 3 && len(v.Elems[2].Elems) == 1 && len(v.Elems[2].Elems[0].Elems) == 3 &&
				v.Elems[2].Elems[0].Elems[2].Str == strconv.FormatInt(v.Elems[1].Int, 10)
			return ok, v.String()
		})
		if v.Elems[0].Str != "master" || v.Elems[1].Type != ':' {
			c.fatalf("primary: ROLE = %s, want [master, <integer offset>, [...]]", v)
		}
		offset := strconv.FormatInt(v.Elems[1].Int, 10)
		rep := v.Elems[2].Elems[0]
		for i, want := range []string{"127.0.0.1", strconv.Itoa(r.port), offset} {
			if e := rep.Elems[i]; e.Type != '$' || e.Str != want {
				c.errorf("primary: ROLE replica field %d = %s (type %q), want the bulk string %q", i, e, e.Type, want)
			}
		}

		// The replica's offset is the one it processed: read its ROLE
		// until it matches the primary's offset, read just after.
		var want []string
		c.waitFor("the replica's ROLE to show the primary's offset", func() (bool, string) {
			v = r.do("ROLE")
			offset := p.info("replication")["master_repl_offset"]
			want = []string{`"slave"`, `"127.0.0.1"`, "(integer) " + strconv.Itoa(p.port), `"connected"`, "(integer) " + offset}
			return len(v.Elems) == len(want) && v.Elems[4].String() == want[4], v.String()
		})
		for i, w := range want {
			if got := v.Elems[i].String(); got != w {
				c.errorf("replica: ROLE field %d = %s, want %s", i, got, w)
			}
		}
	})
}
