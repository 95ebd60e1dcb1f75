// Package redoubttest runs a real Redoubt server for a Go test, in the
// test's own process, in one line:
//
//	func TestCache(t *testing.T) {
//		srv := redoubttest.Run(t)
//		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
//		...
//		srv.FastForward(time.Hour) // the keys' TTLs run out
//	}
//
// The server listens on a free loopback port and keeps its files (if the
// settings ask for any) in the test's temporary directory. It stops when
// the test ends. If the test failed, the server's log is added to the
// test's output.
//
// It is the real server, not a fake: every command, every reply and
// every error is Redoubt's, which answers as Redis 7.0 does. It works on
// any platform Go runs on; where epoll is missing, the server uses Go's
// own network poller.
package redoubttest

import (
	"bytes"
	"context"
	"sync"
	"testing"

	"github.com/redoubt-db/redoubt"
)

// Run starts a server for the test t and stops it when the test ends.
// settings are redis.conf directives, one per entry ("maxmemory 10mb",
// "notify-keyspace-events KEA"). A server that cannot start fails the
// test at once.
func Run(t testing.TB, settings ...string) *redoubt.Server {
	t.Helper()
	log := &LogBuffer{}
	srv, err := redoubt.Start(context.Background(), redoubt.Config{
		Settings: append([]string{"dir " + t.TempDir()}, settings...),
		Log:      log,
	})
	if err != nil {
		t.Fatalf("redoubttest: starting the server: %v", err)
	}
	t.Cleanup(func() {
		srv.Close()
		<-srv.Done()
		if t.Failed() {
			t.Logf("redoubttest: the server's log:\n%s", log.String())
		}
	})
	return srv
}

// LogBuffer is an io.Writer for a server's log (redoubt.Config.Log)
// that the server's goroutines write while a test reads it.
type LogBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
