package server_test

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// lockstep is, for each server ([0] redis, [1] redoubt), named
// connections that a tracking test drives in lockstep.
type lockstep struct {
	t     *testing.T
	conns map[string]*[2]*difftest.Conn
	ids   map[string][2]int64
	addrs [2]string
	ctl   [2]*difftest.Conn // for the test's own questions (INFO)
}

func newLockstep(t *testing.T, names ...string) *lockstep {
	tc := &lockstep{t: t, conns: map[string]*[2]*difftest.Conn{}, ids: map[string][2]int64{}}
	tc.addrs = [2]string{difftest.StartRedis(t), difftest.StartRedoubt(t)}
	tc.ctl = [2]*difftest.Conn{difftest.Dial(t, tc.addrs[0]), difftest.Dial(t, tc.addrs[1])}
	for _, n := range names {
		c := &[2]*difftest.Conn{difftest.Dial(t, tc.addrs[0]), difftest.Dial(t, tc.addrs[1])}
		tc.conns[n] = c
		tc.ids[n] = [2]int64{c[0].DoValue("CLIENT", "ID").Int, c[1].DoValue("CLIENT", "ID").Int}
	}
	return tc
}

// do sends a command on a connection of both servers and compares the
// replies; "$id:name" arguments become that connection's client id on
// each server.
func (tc *lockstep) do(name string, args ...string) {
	tc.t.Helper()
	var replies [2][]byte
	for i := range 2 {
		a := append([]string(nil), args...)
		for j, s := range a {
			if len(s) > 4 && s[:4] == "$id:" {
				a[j] = strconv.FormatInt(tc.ids[s[4:]][i], 10)
			}
		}
		replies[i] = tc.conns[name][i].Do(a...)
	}
	// Client ids differ between the servers: HELLO shows them.
	if args[0] != "HELLO" && !bytes.Equal(replies[0], replies[1]) {
		tc.t.Errorf("%s %v:\n redis:   %q\n redoubt: %q", name, args, replies[0], replies[1])
	}
}

// read reads one pushed message on a connection of both servers.
func (tc *lockstep) read(name string) {
	tc.t.Helper()
	want, got := tc.conns[name][0].ReadRaw(), tc.conns[name][1].ReadRaw()
	if !bytes.Equal(want, got) {
		tc.t.Errorf("%s push:\n redis:   %q\n redoubt: %q", name, want, got)
	}
}

// block sends a blocking command on a connection of both servers and
// waits until each has it blocked, n clients blocked in all.
func (tc *lockstep) block(name string, n int, args ...string) {
	tc.t.Helper()
	for i := range 2 {
		tc.conns[name][i].Send(args...)
		difftest.WaitBlocked(tc.t, tc.ctl[i], n)
	}
}
