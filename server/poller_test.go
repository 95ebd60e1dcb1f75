package server_test

import (
	"bufio"
	"context"
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
// names the one io-poller chose; a client that does not read its big
// replies for a while gets them all, intact and in order, while another
// client is served meanwhile; Pub/Sub crosses event loops; QUIT closes
// after its reply; and a client that leaves with output pending is
// cleaned up.
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
			ctx := context.Background()
			rc := redis.NewClient(&redis.Options{Addr: srv.Addr()})
			defer rc.Close()
			value := strings.Repeat("0123456789abcdef", 1<<16) // 1 MiB
			if err := rc.Set(ctx, "big", value, 0).Err(); err != nil {
				t.Fatal(err)
			}

			// 40 MiB of replies wait for a reader that is not reading.
			slow, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			defer slow.Close()
			const gets = 40
			var req []byte
			for range gets {
				req = protocol.AppendCommand(req, "GET", "big")
			}
			req = protocol.AppendCommand(req, "QUIT")
			if _, err := slow.Write(req); err != nil {
				t.Fatal(err)
			}
			for i := range 50 {
				if got, err := rc.Incr(ctx, "n").Result(); err != nil || got != int64(i+1) {
					t.Fatalf("another client's INCR while replies wait: %d, %v", got, err)
				}
			}
			slow.SetReadDeadline(time.Now().Add(time.Minute))
			r := bufio.NewReader(slow)
			for i := range gets {
				v, err := protocol.ReadValue(r)
				if err != nil || v.Str != value {
					t.Fatalf("GET %d: %d bytes, %v", i, len(v.Str), err)
				}
			}
			if v, err := protocol.ReadValue(r); err != nil || v.Str != "OK" {
				t.Fatalf("QUIT: %v %v", v, err)
			}
			if _, err := r.ReadByte(); err == nil {
				t.Fatal("the connection stayed open after QUIT")
			}

			// Pub/Sub between clients of the two loops.
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

			// A client that leaves with 40 MiB pending.
			gone, err := net.Dial("tcp", srv.Addr())
			if err != nil {
				t.Fatal(err)
			}
			gone.Write(req[:len(req)-len(protocol.AppendCommand(nil, "QUIT"))])
			time.Sleep(50 * time.Millisecond)
			gone.Close()
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
				list, err := pub.ClientList(ctx).Result()
				if err != nil {
					t.Fatal(err)
				}
				if n := strings.Count(list, "\n"); n == 3 { // rc's pool, sub, pub
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("%d clients remain:\n%s", n, list)
				}
			}
		})
	}
}
