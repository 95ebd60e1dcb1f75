package redoubt_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt"
)

// Start a server inside the program and talk to it with any Redis client.
func ExampleStart() {
	ctx := context.Background()
	srv, err := redoubt.Start(ctx, redoubt.Config{Settings: []string{"databases 4"}})
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	rdb.Set(ctx, "greeting", "hello", 0)
	fmt.Println(rdb.Get(ctx, "greeting").Val())
	fmt.Println(rdb.ConfigGet(ctx, "databases").Val()["databases"])
	// Output:
	// hello
	// 4
}

// Test code that relies on TTLs without waiting for them: FastForward
// moves the server's clock.
func ExampleServer_FastForward() {
	ctx := context.Background()
	srv, err := redoubt.Start(ctx, redoubt.Config{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	rdb.Set(ctx, "session", "token", 30*time.Minute)
	srv.FastForward(31 * time.Minute)
	fmt.Println(rdb.Exists(ctx, "session").Val())
	// Output: 0
}

// SetTime puts the server's clock at a given instant; TIME and the
// expiry of keys follow it.
func ExampleServer_SetTime() {
	ctx := context.Background()
	srv, err := redoubt.Start(ctx, redoubt.Config{})
	if err != nil {
		panic(err)
	}
	defer srv.Close()
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()

	launch := time.Date(2030, 6, 1, 12, 0, 0, 0, time.UTC)
	srv.SetTime(launch)
	rdb.Set(ctx, "k", "v", 0)
	rdb.ExpireAt(ctx, "k", launch.Add(time.Hour))
	fmt.Println(rdb.Time(ctx).Val().Year())
	fmt.Println(rdb.TTL(ctx, "k").Val().Round(time.Minute))
	// Output:
	// 2030
	// 1h0m0s
}
