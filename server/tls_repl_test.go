package server_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// A replica with tls-replication syncs from the primary's TLS port: the
// full sync's payload and the stream after it are TLS output of the
// primary's TLS loop, large enough that the socket does not take it at
// once.
func TestTLSReplicationStream(t *testing.T) {
	certs := newTestCerts(t)
	ctx := context.Background()
	pport := difftest.FreePort(t)
	primary, _ := startTLS(t, certs.settings(pport, "tls-auth-clients no", "repl-diskless-sync-delay 0"))
	p := redis.NewClient(&redis.Options{Addr: primary.Addr()})
	defer p.Close()
	big := strings.Repeat("x", 8<<20)
	if err := p.Set(ctx, "big", big, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		p.Set(ctx, "k"+strconv.Itoa(i), i, 0)
	}

	replica, _ := startTLS(t, certs.settings(difftest.FreePort(t), "tls-auth-clients no", "tls-replication yes",
		"replicaof 127.0.0.1 "+strconv.Itoa(pport)))
	r := redis.NewClient(&redis.Options{Addr: replica.Addr()})
	defer r.Close()
	p.Set(ctx, "after", "sync", 0)
	p.Append(ctx, "big", "y")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) { // only against a hang
		n, _ := r.DBSize(ctx).Result()
		l, _ := r.StrLen(ctx, "big").Result()
		if n == 1002 && l == int64(len(big))+1 && r.Get(ctx, "after").Val() == "sync" {
			break
		}
		if time.Now().After(deadline) {
			info, _ := r.Info(ctx, "replication").Result()
			t.Fatalf("the replica has %d keys, big is %d bytes:\n%s", n, l, info)
		}
	}
}
