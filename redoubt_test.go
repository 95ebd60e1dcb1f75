package redoubt_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt"
	"github.com/redoubt-db/redoubt/redoubttest"
)

// start runs an embedded server for one test and closes it afterwards.
func start(t *testing.T, ctx context.Context, c redoubt.Config) (*redoubt.Server, *redis.Client) {
	t.Helper()
	srv, err := redoubt.Start(ctx, c)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { rdb.Close() })
	return srv, rdb
}

// stopped waits for the server to report that it stopped. The bound only
// keeps a broken shutdown from hanging the test run.
func stopped(t *testing.T, srv *redoubt.Server) {
	t.Helper()
	select {
	case <-srv.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not stop")
	}
}

func TestStartServesARealClient(t *testing.T) {
	ctx := context.Background()
	srv, rdb := start(t, ctx, redoubt.Config{Settings: []string{"databases 4", "hash-max-listpack-entries 2"}})
	if host, _, err := net.SplitHostPort(srv.Addr()); err != nil || host != "127.0.0.1" {
		t.Fatalf("Addr %q: want a loopback address with a port", srv.Addr())
	}
	if err := rdb.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := rdb.Get(ctx, "k").Result(); err != nil || got != "v" {
		t.Fatalf("GET k = %q, %v", got, err)
	}
	// The settings are the server's configuration.
	if got := rdb.ConfigGet(ctx, "databases").Val()["databases"]; got != "4" {
		t.Fatalf("CONFIG GET databases = %q, want 4", got)
	}
	rdb.HSet(ctx, "h", "a", 1, "b", 2, "c", 3)
	if got := rdb.ObjectEncoding(ctx, "h").Val(); got != "hashtable" {
		t.Fatalf("a 3-field hash with hash-max-listpack-entries 2 is %q", got)
	}
	if err := rdb.Do(ctx, "select", "4").Err(); err == nil || err.Error() != "ERR DB index is out of range" {
		t.Fatalf("SELECT 4 with 4 databases: %v", err)
	}
	// The port reported to clients is the one it really listens on.
	_, port, _ := net.SplitHostPort(srv.Addr())
	if got := rdb.ConfigGet(ctx, "port").Val()["port"]; got != port {
		t.Fatalf("CONFIG GET port = %q, listening on %s", got, port)
	}
}

func TestStartRejectsBadSettings(t *testing.T) {
	for _, settings := range [][]string{{"no-such-directive yes"}, {"databases zero"}, {"maxmemory-policy sometimes"}} {
		srv, err := redoubt.Start(context.Background(), redoubt.Config{Settings: settings})
		if err == nil {
			srv.Close()
			t.Fatalf("Start with %q succeeded", settings)
		}
		if !strings.Contains(err.Error(), settings[0]) {
			t.Errorf("Start with %q: the error %q does not name the directive", settings, err)
		}
	}
}

func TestStartFailsOnABusyAddress(t *testing.T) {
	srv, _ := start(t, context.Background(), redoubt.Config{})
	if other, err := redoubt.Start(context.Background(), redoubt.Config{Addr: srv.Addr()}); err == nil {
		other.Close()
		t.Fatalf("a second server started on %s", srv.Addr())
	}
}

// Two embedded servers in one process are independent.
func TestServersAreIndependent(t *testing.T) {
	ctx := context.Background()
	a, ra := start(t, ctx, redoubt.Config{})
	b, rb := start(t, ctx, redoubt.Config{})
	if a.Addr() == b.Addr() {
		t.Fatalf("both servers on %s", a.Addr())
	}
	ra.Set(ctx, "k", "a", 0)
	if err := rb.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET k on the other server: %v, want nil", err)
	}
	a.Close()
	if got, err := rb.Set(ctx, "k", "b", 0).Result(); err != nil || got != "OK" {
		t.Fatalf("SET on b after a closed: %q, %v", got, err)
	}
}

func TestCancelledContextStopsTheServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	srv, rdb := start(t, ctx, redoubt.Config{})
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	cancel()
	stopped(t, srv)
	if conn, err := net.Dial("tcp", srv.Addr()); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the context was cancelled", srv.Addr())
	}
}

func TestCloseDisconnectsClients(t *testing.T) {
	ctx := context.Background()
	srv, rdb := start(t, ctx, redoubt.Config{})
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	stopped(t, srv)
	if err := rdb.Ping(ctx).Err(); err == nil {
		t.Fatal("PING succeeded after Close")
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

func TestShutdownCommandStopsTheServer(t *testing.T) {
	ctx := context.Background()
	srv, rdb := start(t, ctx, redoubt.Config{})
	// SHUTDOWN closes the connection without a reply, as in Redis.
	rdb.Shutdown(ctx)
	stopped(t, srv)
}

// syncBuffer is the log a test reads while the server writes it.
type syncBuffer = redoubttest.LogBuffer

func TestLogGoesToTheGivenWriter(t *testing.T) {
	var log syncBuffer
	srv, rdb := start(t, context.Background(), redoubt.Config{Log: &log})
	rdb.Shutdown(context.Background())
	stopped(t, srv)
	for _, want := range []string{"* Ready to accept connections tcp", "# User requested shutdown..."} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
}
