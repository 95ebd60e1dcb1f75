package redoubttest_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/redoubttest"
)

func TestRunServesAndTravelsInTime(t *testing.T) {
	srv := redoubttest.Run(t, "databases 2")
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	if got := rdb.ConfigGet(ctx, "databases").Val()["databases"]; got != "2" {
		t.Fatalf("CONFIG GET databases = %q: the settings were not applied", got)
	}
	rdb.Set(ctx, "session", "s1", 30*time.Minute)
	rdb.Set(ctx, "forever", "f", 0)
	srv.FastForward(29 * time.Minute)
	if ttl := rdb.TTL(ctx, "session").Val(); ttl <= 0 || ttl > time.Minute {
		t.Fatalf("TTL after 29 of 30 minutes: %v", ttl)
	}
	srv.FastForward(2 * time.Minute)
	if n := rdb.Exists(ctx, "session", "forever").Val(); n != 1 {
		t.Fatalf("EXISTS after the TTL ran out: %d keys, want only the one without a TTL", n)
	}
	// The active expire cycle sees the skew too: DBSIZE drops without
	// the key being read.
	rdb.Set(ctx, "unread", "u", time.Second)
	srv.FastForward(time.Minute)
	deadline := time.Now().Add(10 * time.Second)
	for rdb.DBSize(ctx).Val() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE stays %d: the expire cycle does not see the skew", rdb.DBSize(ctx).Val())
		}
		time.Sleep(10 * time.Millisecond)
	}

	// SetTime sets the clock; TIME, EXPIREAT and TTL agree with it.
	when := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	srv.SetTime(when)
	got := rdb.Time(ctx).Val()
	if d := got.Sub(when); d < -time.Second || d > time.Minute { // the skew is whole milliseconds
		t.Fatalf("TIME after SetTime(%v) = %v", when, got)
	}
	rdb.ExpireAt(ctx, "forever", when.Add(time.Hour))
	if ttl := rdb.TTL(ctx, "forever").Val(); ttl <= 59*time.Minute || ttl > time.Hour {
		t.Fatalf("TTL of a key expiring an hour after the set time: %v", ttl)
	}
}

// A failing test gets the server's log in its output.
func TestRunLogsOnFailure(t *testing.T) {
	inner := &recorder{TB: t}
	srv := redoubttest.Run(inner)
	_ = srv.Addr()
	inner.Fail()
	for _, f := range inner.cleanups {
		f()
	}
	if !strings.Contains(strings.Join(inner.logs, "\n"), "Ready to accept connections") {
		t.Fatalf("the failed test's output lacks the server's log: %q", inner.logs)
	}
}

// recorder is a testing.TB whose cleanups and logs the test runs and
// reads itself.
type recorder struct {
	testing.TB
	failed   bool
	cleanups []func()
	logs     []string
}

func (r *recorder) Cleanup(f func()) { r.cleanups = append([]func(){f}, r.cleanups...) }
func (r *recorder) Fail()            { r.failed = true }
func (r *recorder) Failed() bool     { return r.failed }
func (r *recorder) Logf(format string, args ...any) {
	r.logs = append(r.logs, sprintf(format, args...))
}
func (r *recorder) Helper() {}

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }
