package str_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestGoRedisClientMatchesRedis drives both servers through go-redis, in
// RESP2 and RESP3, and compares what the client decodes: typed results
// (LCS matches, bitfield slices, floats) must come out the same.
func TestGoRedisClientMatchesRedis(t *testing.T) {
	ctx := context.Background()
	for _, proto := range []int{2, 3} {
		rdb := redis.NewClient(&redis.Options{Addr: difftest.StartRedis(t), Protocol: proto})
		odb := redis.NewClient(&redis.Options{Addr: difftest.StartRedoubt(t), Protocol: proto})
		t.Cleanup(func() { rdb.Close(); odb.Close() })
		steps := []struct {
			name string
			run  func(c *redis.Client) (any, error)
		}{
			{"set", func(c *redis.Client) (any, error) { return c.Set(ctx, "k", "hello", time.Minute).Result() }},
			{"set-get", func(c *redis.Client) (any, error) {
				return c.SetArgs(ctx, "k", "world", redis.SetArgs{Get: true, KeepTTL: true}).Result()
			}},
			{"setnx", func(c *redis.Client) (any, error) { return c.SetNX(ctx, "k", "x", 0).Result() }},
			{"getex", func(c *redis.Client) (any, error) { return c.GetEx(ctx, "k", time.Hour).Result() }},
			{"ttl", func(c *redis.Client) (any, error) { return c.TTL(ctx, "k").Result() }},
			{"getdel-missing", func(c *redis.Client) (any, error) { return c.GetDel(ctx, "nokey").Result() }},
			{"mset", func(c *redis.Client) (any, error) { return c.MSet(ctx, "a", "ohmytext", "b", "mynewtext").Result() }},
			{"mget", func(c *redis.Client) (any, error) { return c.MGet(ctx, "a", "b", "nokey").Result() }},
			{"incr", func(c *redis.Client) (any, error) { return c.IncrBy(ctx, "n", 41).Result() }},
			{"incrbyfloat", func(c *redis.Client) (any, error) { return c.IncrByFloat(ctx, "n", 0.1).Result() }},
			{"incr-float", func(c *redis.Client) (any, error) { return c.Incr(ctx, "n").Result() }},
			{"append", func(c *redis.Client) (any, error) { return c.Append(ctx, "a", "!").Result() }},
			{"getrange", func(c *redis.Client) (any, error) { return c.GetRange(ctx, "a", 2, -2).Result() }},
			{"setrange", func(c *redis.Client) (any, error) { return c.SetRange(ctx, "a", 20, "x").Result() }},
			{"lcs", func(c *redis.Client) (any, error) {
				return c.LCS(ctx, &redis.LCSQuery{Key1: "a", Key2: "b"}).Result()
			}},
			{"lcs-len", func(c *redis.Client) (any, error) {
				return c.LCS(ctx, &redis.LCSQuery{Key1: "a", Key2: "b", Len: true}).Result()
			}},
			{"lcs-idx", func(c *redis.Client) (any, error) {
				return c.LCS(ctx, &redis.LCSQuery{Key1: "a", Key2: "b", Idx: true, WithMatchLen: true, MinMatchLen: 2}).Result()
			}},
			{"setbit", func(c *redis.Client) (any, error) { return c.SetBit(ctx, "bm", 77, 1).Result() }},
			{"bitcount", func(c *redis.Client) (any, error) {
				return c.BitCount(ctx, "bm", &redis.BitCount{Start: 0, End: 80, Unit: "BIT"}).Result()
			}},
			{"bitpos", func(c *redis.Client) (any, error) { return c.BitPosSpan(ctx, "bm", 1, 0, -1, "bit").Result() }},
			{"bitop", func(c *redis.Client) (any, error) { return c.BitOpXor(ctx, "dst", "bm", "a").Result() }},
			{"bitfield", func(c *redis.Client) (any, error) {
				return c.BitField(ctx, "bm", "incrby", "u4", "#2", 9, "overflow", "sat", "incrby", "u4", "#2", 9, "get", "i8", 0).Result()
			}},
			{"bitfield_ro", func(c *redis.Client) (any, error) { return c.BitFieldRO(ctx, "bm", "u8", 8).Result() }},
			{"wrong-args", func(c *redis.Client) (any, error) { return c.Do(ctx, "set", "k", "v", "ex").Result() }},
		}
		for _, s := range steps {
			want, wantErr := s.run(rdb)
			got, gotErr := s.run(odb)
			if !reflect.DeepEqual(got, want) || (wantErr == nil) != (gotErr == nil) ||
				wantErr != nil && wantErr.Error() != gotErr.Error() {
				t.Errorf("resp%d %s: redis %#v, %v; redoubt %#v, %v", proto, s.name, want, wantErr, got, gotErr)
			}
		}
	}
}
