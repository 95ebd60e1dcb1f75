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
	"github.com/redoubt-db/redoubt"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/redoubttest"
)

// syncBuffer is the log a test reads while the server writes it.
type syncBuffer = redoubttest.LogBuffer

// TestPollers runs the same traffic on both pollers (poller.go): the log
// names the one io-poller chose, and pollerTraffic passes.
func TestPollers(t *testing.T) {
	for _, kind := range []string{"epoll", "portable"} {
		t.Run(kind, func(t *testing.T) {
			var log syncBuffer
			srv, err := redoubt.Start(context.Background(), redoubt.Config{
				Settings: []string{"io-poller " + kind, "io-threads 2", "dir " + t.TempDir()},
				Log:      &log,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			if want := "with the " + kind + " poller"; !strings.Contains(log.String(), want) {
				t.Fatalf("the log does not say %q:\n%s", want, log.String())
			}
			pollerTraffic(t, srv.Addr(), srv.Addr(), nil)
		})
	}
}

// pollerGets is how many GETs of 1 MiB pollerTraffic's slow reader sends.
const pollerGets = 40

// pollerTraffic is what an event loop must carry, on addr (in TLS when
// cfg is set) with two loops: a client that does not read its big
// replies for a while gets them all, intact and in order, while another
// client is served meanwhile; Pub/Sub crosses event loops, from a plain
// publisher on plainAddr; QUIT closes after its reply, which waited
// with the rest; a client that leaves with output pending is cleaned
// up. It returns the publisher, the number of clients connected, and
// the 40 GETs of 1 MiB it sent, for more.
func pollerTraffic(t *testing.T, addr, plainAddr string, cfg *tls.Config) (pub *redis.Client, base int, req []byte) {
	t.Helper()
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: addr, TLSConfig: cfg, PoolSize: 1})
	t.Cleanup(func() { rc.Close() })
	value := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
	if err := rc.Set(ctx, "big", value, 0).Err(); err != nil {
		t.Fatal(err)
	}

	// 40 MiB of replies wait for a reader that is not reading.
	for range pollerGets {
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
	for i := range pollerGets {
		if v := slow.read(); v.Str != value {
			t.Fatalf("GET %d: %d bytes", i, len(v.Str))
		}
	}
	if v := slow.read(); v.Str != "OK" {
		t.Fatalf("QUIT: %v", v)
	}
	if n := slow.repliesLeft(); n != 0 {
		t.Fatalf("%d replies after QUIT's", n)
	}

	// Pub/Sub between clients of the two loops.
	sub := rc.Subscribe(ctx, "ch")
	t.Cleanup(func() { sub.Close() })
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	pub = redis.NewClient(&redis.Options{Addr: plainAddr, PoolSize: 1})
	t.Cleanup(func() { pub.Close() })
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
	base = clientCount(t, pub) // rc's connection, sub, pub

	// A client that leaves with 40 MiB pending.
	gone := dialRaw(t, addr, cfg)
	gone.conn.Write(req)
	waitClients(t, pub, base+1)
	time.Sleep(50 * time.Millisecond)
	gone.conn.Close()
	waitClients(t, pub, base)
	return pub, base, req
}

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
