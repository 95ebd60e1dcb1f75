package server_test

import (
	"bytes"
	"testing"
)

func TestTrackingMatchesRedis(t *testing.T) {
	tc := newLockstep(t, "c", "w", "redir")
	// Default mode, RESP3: a read key is invalidated once, after the
	// writer's change; own writes come after the reply.
	tc.do("c", "HELLO", "3")
	tc.do("c", "CLIENT", "TRACKINGINFO")
	tc.do("c", "CLIENT", "GETREDIR")
	tc.do("c", "CLIENT", "TRACKING", "on")
	tc.do("c", "CLIENT", "TRACKINGINFO")
	tc.do("c", "GET", "a")
	tc.do("c", "MGET", "b", "c")
	tc.do("w", "SET", "a", "1")
	tc.read("c")
	tc.do("w", "SET", "a", "2") // no longer tracked: nothing pushed
	tc.do("w", "MSET", "b", "1", "c", "1")
	tc.read("c")
	tc.read("c")
	tc.do("c", "GET", "a")
	tc.do("c", "SET", "a", "3") // reply, then the invalidation
	tc.read("c")
	tc.do("c", "GET", "a")
	tc.do("c", "MULTI")
	tc.do("c", "SET", "a", "4")
	tc.do("c", "EXEC")
	tc.read("c")
	tc.do("c", "GET", "a")
	tc.do("w", "FLUSHALL")
	tc.read("c")
	tc.do("c", "CLIENT", "TRACKING", "off")

	// Errors and option checks.
	tc.do("c", "CLIENT", "TRACKING", "on", "PREFIX", "x")
	tc.do("c", "CLIENT", "TRACKING", "on", "BCAST", "OPTIN")
	tc.do("c", "CLIENT", "TRACKING", "on", "OPTIN", "OPTOUT")
	tc.do("c", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "ab", "PREFIX", "a")
	tc.do("c", "CLIENT", "TRACKING", "on", "REDIRECT", "999999")
	tc.do("c", "CLIENT", "TRACKING", "on", "REDIRECT", "x")
	tc.do("c", "CLIENT", "TRACKING", "maybe")
	tc.do("c", "CLIENT", "TRACKING", "on", "FOO")
	tc.do("c", "CLIENT", "CACHING", "yes")

	// OPTIN: only reads after CLIENT CACHING yes are tracked.
	tc.do("c", "CLIENT", "TRACKING", "on", "OPTIN")
	tc.do("c", "CLIENT", "CACHING", "no")
	tc.do("c", "CLIENT", "TRACKING", "on", "OPTOUT")
	tc.do("c", "GET", "x")
	tc.do("c", "CLIENT", "CACHING", "yes")
	tc.do("c", "CLIENT", "TRACKINGINFO")
	tc.do("c", "GET", "y")
	tc.do("w", "MSET", "x", "1", "y", "1")
	tc.read("c")
	tc.do("c", "CLIENT", "TRACKING", "off")

	// OPTOUT with NOLOOP: own changes are not reported.
	tc.do("c", "CLIENT", "TRACKING", "on", "OPTOUT", "NOLOOP")
	tc.do("c", "CLIENT", "CACHING", "no")
	tc.do("c", "GET", "x")
	tc.do("c", "GET", "y")
	tc.do("c", "SET", "y", "2")
	tc.do("w", "MSET", "x", "2", "y", "3")
	tc.do("c", "CLIENT", "TRACKINGINFO")
	tc.do("c", "CLIENT", "TRACKING", "off")

	// BCAST with prefixes: keys arrive per prefix, in byte order.
	tc.do("c", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:", "PREFIX", "item:")
	tc.do("c", "CLIENT", "TRACKINGINFO")
	tc.do("c", "CLIENT", "TRACKING", "on", "BCAST", "PREFIX", "user:x")
	tc.do("c", "CLIENT", "TRACKING", "on")
	tc.do("w", "MSET", "user:2", "a", "user:1", "b", "other", "c")
	tc.read("c")
	tc.do("c", "CLIENT", "TRACKING", "off")
	tc.do("c", "CLIENT", "TRACKING", "on", "BCAST", "NOLOOP")
	tc.do("c", "SET", "mine", "1")
	tc.do("w", "SET", "theirs", "1")
	tc.read("c")
	tc.do("c", "CLIENT", "TRACKING", "off")
	tc.do("c", "HELLO", "2")

	// RESP2 with redirection to a subscribed connection.
	tc.do("redir", "SUBSCRIBE", "__redis__:invalidate")
	tc.do("c", "CLIENT", "TRACKING", "on", "REDIRECT", "$id:redir")
	tc.do("c", "GET", "k")
	tc.do("w", "SET", "k", "v")
	tc.read("redir")
	tc.do("c", "GET", "k")
	tc.do("w", "FLUSHDB")
	tc.read("redir")
	tc.do("c", "CLIENT", "TRACKING", "off")
	tc.do("c", "CLIENT", "GETREDIR")
}

// A redirect target that goes away leaves the tracking client flagged,
// and a RESP3 one is told.
func TestTrackingBrokenRedirectMatchesRedis(t *testing.T) {
	tc := newLockstep(t, "c", "w", "redir")
	tc.do("c", "HELLO", "3")
	tc.do("c", "CLIENT", "TRACKING", "on", "REDIRECT", "$id:redir")
	tc.do("c", "GET", "k")
	for i := range 2 {
		tc.conns["redir"][i].Close()
	}
	tc.do("w", "PING") // the close reaches both servers before the write
	tc.do("w", "SET", "k", "v")
	// The push and TRACKINGINFO carry the (differing) redirect id.
	for i, want := range []string{"tracking-redir-broken", "broken_redirect"} {
		for s := range 2 {
			var got []byte
			if i == 0 {
				got = tc.conns["c"][s].ReadRaw()
			} else {
				got = tc.conns["c"][s].Do("CLIENT", "TRACKINGINFO")
			}
			if !bytes.Contains(got, []byte(want)) {
				t.Errorf("server %d: %q lacks %q", s, got, want)
			}
		}
	}
}
