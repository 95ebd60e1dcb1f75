package server_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// rawConn is a connection the test writes commands to and reads
// replies from as it pleases, in TLS or not.
type rawConn struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

// dialRaw connects to addr, in TLS when cfg is set.
func dialRaw(t *testing.T, addr string, cfg *tls.Config) *rawConn {
	t.Helper()
	var conn net.Conn
	var err error
	if cfg != nil {
		conn, err = tls.Dial("tcp", addr, cfg)
	} else {
		conn, err = net.Dial("tcp", addr)
	}
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { conn.Close() })
	return &rawConn{t: t, conn: conn, r: bufio.NewReader(conn)}
}

func (c *rawConn) send(args ...string) {
	c.t.Helper()
	if _, err := c.conn.Write(protocol.AppendCommand(nil, args...)); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// read reads a reply; the deadline only keeps a hang from lasting.
func (c *rawConn) read() protocol.Value {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(time.Minute))
	v, err := protocol.ReadValue(c.r)
	if err != nil {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return v
}

func (c *rawConn) do(args ...string) protocol.Value {
	c.t.Helper()
	c.send(args...)
	return c.read()
}

// closed reports whether the server closed the connection (after any
// replies still unread).
func (c *rawConn) closed() bool {
	c.repliesLeft()
	return true
}

// repliesLeft reads replies until the connection closes and counts them.
func (c *rawConn) repliesLeft() int {
	c.conn.SetReadDeadline(time.Now().Add(time.Minute))
	for n := 0; ; n++ {
		if _, err := protocol.ReadValue(c.r); err != nil {
			return n
		}
	}
}

// clientCount is how many clients CLIENT LIST shows.
func clientCount(t *testing.T, rdb *redis.Client) int {
	t.Helper()
	list, err := rdb.ClientList(context.Background()).Result()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(list, "\n")
}

// waitClients waits until CLIENT LIST shows n clients.
func waitClients(t *testing.T, rdb *redis.Client, n int) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); clientCount(t, rdb) != n; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%d clients, not %d", clientCount(t, rdb), n)
		}
	}
}

// TestTLSPoller is TestPollers over TLS (poller_tls.go on epoll, the
// portable path under REDOUBT_IO_POLLER=portable), on two TLS loops: a
// 1 MiB SET arrives in many records; a client that does not read its
// big replies for a while gets them all, intact and in order, while
// another is served; Pub/Sub reaches a TLS subscriber from a plain
// publisher; QUIT closes after its reply, which waited with the rest;
// clients that leave, or are killed, with output pending are cleaned up
// without waiting for them to read; SHUTDOWN ends with TLS clients
// connected in every state.
func TestTLSPoller(t *testing.T) {
	certs := newTestCerts(t)
	port := difftest.FreePort(t)
	srv, _ := startTLS(t, certs.settings(port, "tls-auth-clients no", "io-threads 2"))
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := certs.clientConfig(t, "", "")
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, PoolSize: 1})
	defer rc.Close()
	value := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	if err := rc.Set(ctx, "big", value, 0).Err(); err != nil {
		t.Fatal(err)
	}

	// 40 MiB of replies wait for a reader that is not reading.
	const gets = 40
	var req []byte
	for range gets {
		req = protocol.AppendCommand(req, "GET", "big")
	}
	slow := dialRaw(t, addr, cfg)
	if _, err := slow.conn.Write(protocol.AppendCommand(req, "QUIT")); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		if got, err := rc.Incr(ctx, "n").Result(); err != nil || got != int64(i+1) {
			t.Fatalf("another client's INCR while replies wait: %d, %v", got, err)
		}
	}
	for i := range gets {
		if v := slow.read(); v.Str != value {
			t.Fatalf("GET %d: %d bytes", i, len(v.Str))
		}
	}
	if v := slow.read(); v.Str != "OK" {
		t.Fatalf("QUIT: %v", v)
	}
	if !slow.closed() {
		t.Fatal("the connection stayed open after QUIT")
	}

	// Pub/Sub: a plain publisher, a TLS subscriber.
	sub := rc.Subscribe(ctx, "ch")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	pub := redis.NewClient(&redis.Options{Addr: srv.Addr(), PoolSize: 1})
	defer pub.Close()
	for i := range 100 {
		if err := pub.Publish(ctx, "ch", strconv.Itoa(i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 100 {
		m, err := sub.ReceiveMessage(ctx)
		if err != nil || m.Payload != strconv.Itoa(i) {
			t.Fatalf("message %d: %v, %v", i, m, err)
		}
	}
	base := clientCount(t, pub) // rc's connection, sub, pub

	// A client that leaves with 40 MiB pending.
	gone := dialRaw(t, addr, cfg)
	gone.conn.Write(req)
	waitClients(t, pub, base+1)
	time.Sleep(50 * time.Millisecond)
	gone.conn.Close()
	waitClients(t, pub, base)

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
	if n := stalled.repliesLeft(); n >= gets {
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
