package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestTLSPoller is TestPollers over TLS (poller_tls.go on epoll, the
// portable path under REDOUBT_IO_POLLER=portable), on two TLS loops:
// pollerTraffic, whose 1 MiB SET arrives in many records and whose
// Pub/Sub reaches a TLS subscriber from a plain publisher; then a client
// killed with output pending is cleaned up without waiting for it to
// read, and SHUTDOWN ends with TLS clients connected in every state.
func TestTLSPoller(t *testing.T) {
	certs := newTestCerts(t)
	port := difftest.FreePort(t)
	srv, _ := startTLS(t, certs.settings(port, "tls-auth-clients no", "io-threads 2"))
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := certs.clientConfig(t, "", "")
	pub, base, req := pollerTraffic(t, addr, srv.Addr(), cfg)
	ctx := context.Background()

	// A client killed while its output waits for it to read.
	stalled := dialRaw(t, addr, cfg)
	id := stalled.do("CLIENT", "ID").Int
	stalled.conn.Write(req)
	time.Sleep(50 * time.Millisecond)
	if n, err := pub.ClientKillByFilter(ctx, "ID", strconv.FormatInt(id, 10)).Result(); err != nil || n != 1 {
		t.Fatalf("CLIENT KILL ID %d: %d, %v", id, n, err)
	}
	waitClients(t, pub, base)
	// Its connection closes without its output: what the sockets held.
	if n := stalled.repliesLeft(); n >= pollerGets {
		t.Fatalf("the killed client got all its %d replies: its close waited for it to read", n)
	}

	// SHUTDOWN with TLS clients idle (rc's), subscribed (sub), blocked,
	// not reading their replies, and one in the middle of a command.
	blocked := dialRaw(t, addr, cfg)
	blocked.send("BLPOP", "nothing", "0")
	stuck := dialRaw(t, addr, cfg)
	stuck.conn.Write(req)
	partial := dialRaw(t, addr, cfg)
	partial.conn.Write([]byte("*2\r\n$3\r\nGET"))
	waitClients(t, pub, base+3)
	time.Sleep(50 * time.Millisecond)
	closer := dialRaw(t, addr, cfg)
	closer.send("SHUTDOWN", "NOSAVE")
	select {
	case <-srv.Done():
	case <-time.After(time.Minute): // only against a hang
		t.Fatal("SHUTDOWN did not end with TLS clients connected")
	}
	for name, c := range map[string]*rawConn{"blocked": blocked, "stuck": stuck, "partial": partial, "closer": closer} {
		if !c.closed() {
			t.Errorf("the %s client's connection stayed open", name)
		}
	}
}

// holdConn holds what a TLS client writes after its first flight until
// it writes application data, and sends both at once.
type holdConn struct {
	net.Conn
	writes int
	held   []byte
	// release is set once the handshake is over: the next write carries
	// the held bytes.
	release bool
}

func (h *holdConn) Write(b []byte) (int, error) {
	h.writes++
	switch {
	case h.writes == 1:
		return h.Conn.Write(b)
	case !h.release:
		h.held = append(h.held, b...)
		return len(b), nil
	}
	if _, err := h.Conn.Write(append(h.held, b...)); err != nil {
		return 0, err
	}
	h.held = nil
	return len(b), nil
}

// A command that arrives with the client's last handshake message is
// read by the handshake, which hands the connection over with it still
// inside crypto/tls, where no poller can see it: it is served all the
// same.
func TestTLSCommandWithHandshake(t *testing.T) {
	certs := newTestCerts(t)
	port := difftest.FreePort(t)
	startTLS(t, certs.settings(port, "tls-auth-clients no"))
	raw, err := net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	hc := &holdConn{Conn: raw}
	tc := tls.Client(hc, certs.clientConfig(t, "", ""))
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	if hc.held == nil {
		t.Fatal("nothing of the handshake was held back")
	}
	hc.release = true
	c := &rawConn{t: t, conn: tc, r: bufio.NewReader(tc)}
	if v := c.do("PING"); v.Str != "PONG" {
		t.Fatalf("PING sent with the handshake's end: %+v", v)
	}
}
