package stream_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Blocking reads against an embedded Redoubt, with go-redis clients.

func newClient(t *testing.T, addr string) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, ReadTimeout: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

func TestXReadBlockWokenByXAdd(t *testing.T) {
	ctx := context.Background()
	addr := difftest.StartRedoubt(t)
	admin, ctl := newClient(t, addr), difftest.Dial(t, addr)
	admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"f", "old"}})
	type result struct {
		streams []redis.XStream
		err     error
	}
	// Three readers block on "$"; they are served in the order they blocked,
	// each with the entry added after it blocked only.
	results := make([]chan result, 3)
	for i := range results {
		results[i] = make(chan result, 1)
		reader := newClient(t, addr)
		go func(ch chan result) {
			r, err := reader.XRead(ctx, &redis.XReadArgs{Streams: []string{"s", "$"}, Block: 0}).Result()
			ch <- result{r, err}
		}(results[i])
		difftest.WaitBlocked(t, ctl, i+1)
	}
	admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []string{"f", "new"}})
	for i, ch := range results {
		r := <-ch
		if r.err != nil || len(r.streams) != 1 || len(r.streams[0].Messages) != 1 || r.streams[0].Messages[0].ID != "2-1" {
			t.Fatalf("reader %d: %v %v", i, r.streams, r.err)
		}
	}
	difftest.WaitBlocked(t, ctl, 0)
}

func TestXReadBlockTimeout(t *testing.T) {
	ctx := context.Background()
	addr := difftest.StartRedoubt(t)
	c := newClient(t, addr)
	_, err := c.XRead(ctx, &redis.XReadArgs{Streams: []string{"nokey", "0"}, Block: 50 * time.Millisecond}).Result()
	if err != redis.Nil {
		t.Fatalf("want a null reply, got %v", err)
	}
	// Inside MULTI, a blocking read replies as timed out at once.
	pipe := c.TxPipeline()
	read := pipe.XRead(ctx, &redis.XReadArgs{Streams: []string{"nokey", "0"}, Block: 0})
	pipe.Exec(ctx)
	if read.Err() != redis.Nil {
		t.Fatalf("in MULTI: want a null reply, got %v", read.Err())
	}
}

func TestXReadGroupBlock(t *testing.T) {
	ctx := context.Background()
	addr := difftest.StartRedoubt(t)
	admin, ctl := newClient(t, addr), difftest.Dial(t, addr)
	admin.XGroupCreateMkStream(ctx, "s", "g", "$")
	done := make(chan []redis.XStream, 2)
	for _, name := range []string{"alice", "bob"} {
		reader := newClient(t, addr)
		go func(name string) {
			r, _ := reader.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: name, Streams: []string{"s", ">"}, Block: 0}).Result()
			done <- r
		}(name)
	}
	difftest.WaitBlocked(t, ctl, 2)
	// One entry: the first reader gets it, the second stays blocked.
	admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "1-1", Values: []string{"f", "v"}})
	first := <-done
	if len(first) != 1 || len(first[0].Messages) != 1 || first[0].Messages[0].ID != "1-1" {
		t.Fatalf("first reader got %v", first)
	}
	difftest.WaitBlocked(t, ctl, 1)
	admin.XAdd(ctx, &redis.XAddArgs{Stream: "s", ID: "2-1", Values: []string{"f", "v"}})
	second := <-done
	if len(second) != 1 || len(second[0].Messages) != 1 || second[0].Messages[0].ID != "2-1" {
		t.Fatalf("second reader got %v", second)
	}
	if n := admin.XPending(ctx, "s", "g").Val().Count; n != 2 {
		t.Fatalf("pending %d, want 2", n)
	}
	// Destroying the group wakes a blocked reader with an error.
	reader := newClient(t, addr)
	errc := make(chan error, 1)
	go func() {
		_, err := reader.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "g", Consumer: "c", Streams: []string{"s", ">"}, Block: 0}).Result()
		errc <- err
	}()
	difftest.WaitBlocked(t, ctl, 1)
	admin.XGroupDestroy(ctx, "s", "g")
	if err := <-errc; err == nil || err.Error() != "NOGROUP the consumer group this client was blocked on no longer exists" {
		t.Fatalf("want NOGROUP, got %v", err)
	}
}
