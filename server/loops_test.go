package server_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestClientsAcrossEventLoops runs many clients on several event loops at
// once (io-threads 4): commands from different loops must serialise on the
// engine, and a subscriber on one loop must get every message published
// from the others, in each publisher's order. Run with -race, it also
// checks the loops share nothing unlocked.
func TestClientsAcrossEventLoops(t *testing.T) {
	addr := difftest.StartRedoubt(t, "io-threads 4")
	ctx := context.Background()
	const clients, incrs = 16, 200

	sub := redis.NewClient(&redis.Options{Addr: addr})
	defer sub.Close()
	ps := sub.Subscribe(ctx, "ch")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}

	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := redis.NewClient(&redis.Options{Addr: addr, PoolSize: 1})
			defer c.Close()
			for j := range incrs {
				if err := c.Incr(ctx, "counter").Err(); err != nil {
					t.Error(err)
					return
				}
				if err := c.Publish(ctx, "ch", strconv.Itoa(i)+":"+strconv.Itoa(j)).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	next := make([]int, clients)
	for range clients * incrs {
		m, err := ps.ReceiveMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var from, seq int
		for k := range len(m.Payload) {
			if m.Payload[k] == ':' {
				from, _ = strconv.Atoi(m.Payload[:k])
				seq, _ = strconv.Atoi(m.Payload[k+1:])
			}
		}
		if seq != next[from] {
			t.Fatalf("message %q from publisher %d out of order, want seq %d", m.Payload, from, next[from])
		}
		next[from]++
	}
	wg.Wait()
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	if n, err := c.Get(ctx, "counter").Int(); err != nil || n != clients*incrs {
		t.Fatalf("counter = %d, %v; want %d", n, err, clients*incrs)
	}
}
