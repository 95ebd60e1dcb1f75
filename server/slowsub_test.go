package server_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// A subscriber that stops reading is disconnected when its output passes
// the pubsub hard limit; the server, the publisher and a subscriber that
// keeps reading carry on, and no memory stays pinned by the dead one.
func TestSlowSubscriberIsDisconnected(t *testing.T) {
	addr := difftest.StartRedoubt(t, "client-output-buffer-limit pubsub 256kb 128kb 60")
	ctx := context.Background()

	slow, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.(*net.TCPConn).SetReadBuffer(4096)
	if _, err := slow.Write([]byte("SUBSCRIBE news\r\n")); err != nil {
		t.Fatal(err)
	}

	fast := redis.NewClient(&redis.Options{Addr: addr})
	defer fast.Close()
	sub := fast.Subscribe(ctx, "news")
	defer sub.Close()
	if _, err := sub.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	received := make(chan int)
	go func() {
		n := 0
		for range sub.Channel() {
			n++
			if n == 3000 {
				received <- n
			}
		}
	}()

	pub := redis.NewClient(&redis.Options{Addr: addr})
	defer pub.Close()
	// 12 MB: far more than the kernel's socket buffers can hide from the
	// output buffer limit.
	msg := strings.Repeat("x", 4096)
	// Wait for the slow subscriber to be registered, then flood.
	for {
		n, err := pub.PubSubNumSub(ctx, "news").Result()
		if err != nil {
			t.Fatal(err)
		}
		if n["news"] == 2 {
			break
		}
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 3000; i++ {
		if err := pub.Publish(ctx, "news", msg).Err(); err != nil {
			t.Fatalf("publish %d: %v", i, err)
		}
	}
	select {
	case <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("the reading subscriber did not get every message")
	}
	n, err := pub.PubSubNumSub(ctx, "news").Result()
	if err != nil || n["news"] != 1 {
		t.Fatalf("subscribers after the flood: %v, %v; want only the reading one", n, err)
	}
	if pong, err := pub.Ping(ctx).Result(); err != nil || pong != "PONG" {
		t.Fatalf("PING after the flood: %q %v", pong, err)
	}
	list, err := pub.ClientList(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(list, "\n") != 2 { // the publisher and the reading subscriber
		t.Fatalf("clients after the flood:\n%s", list)
	}
}
