package redoubttest_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/redoubttest"
)

// A test that runs a real server and skips an hour of TTL. (The example
// is a test function's body: Run needs the test's *testing.T.)
func ExampleRun() {
	var t *testing.T // the test's own *testing.T
	if t == nil {
		return
	}

	srv := redoubttest.Run(t, "maxmemory 64mb", "maxmemory-policy allkeys-lru")
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	rdb.Set(ctx, "cache:user:1", "{...}", time.Hour)
	srv.FastForward(time.Hour + time.Second)
	if rdb.Exists(ctx, "cache:user:1").Val() != 0 {
		t.Fatal("the cache entry outlived its TTL")
	}
}
