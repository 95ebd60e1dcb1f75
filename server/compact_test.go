package server_test

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// Memory compaction moves keys and values out of sparse pages while the
// dataset stays as it was: DEBUG DIGEST and every value read back are
// the same after a pass, and the arena maps less.
func TestMemoryCompactionKeepsTheData(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c := difftest.Dial(t, addr)
	for i := range 40000 {
		k := "k" + strconv.Itoa(i)
		switch i % 4 {
		case 0:
			c.Send("set", k, "value-"+strconv.Itoa(i))
		case 1:
			c.Send("hset", k, "a", strconv.Itoa(i), "b", "x")
		case 2:
			c.Send("sadd", k, "1", "2", strconv.Itoa(i))
		case 3:
			c.Send("rpush", k, "a", strconv.Itoa(i))
		}
	}
	for range 40000 {
		c.ReadRaw()
	}
	for i := range 40000 {
		if i%16 >= 4 {
			c.Send("del", "k"+strconv.Itoa(i))
		}
	}
	for i := range 40000 {
		if i%16 >= 4 {
			c.ReadRaw()
		}
	}
	digest := c.Do("debug", "digest")
	c.Do("config", "set", "active-defrag-ignore-bytes", "1")
	c.Do("config", "set", "active-defrag-threshold-lower", "0")
	deadline := time.Now().Add(20 * time.Second)
	for infoInt(c, "stats", "active_defrag_hits") == 0 || infoInt(c, "memory", "active_defrag_running") != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("no compaction pass finished: %s", c.Do("info", "stats"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	c.Do("config", "set", "memory-compaction", "no")
	if got := c.Do("debug", "digest"); !bytes.Equal(got, digest) {
		t.Fatalf("DEBUG DIGEST %q before the pass, %q after", digest, got)
	}
	for i := range 40000 {
		if i%16 >= 4 {
			continue
		}
		k, n := "k"+strconv.Itoa(i), strconv.Itoa(i)
		bulk := func(s string) string { return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n" }
		var got []byte
		var want string
		switch i % 4 {
		case 0:
			got, want = c.Do("get", k), bulk("value-"+n)
		case 1:
			got, want = c.Do("hget", k, "a"), bulk(n)
		case 2:
			got, want = c.Do("sismember", k, n), ":1\r\n"
		case 3:
			got, want = c.Do("lindex", k, "1"), bulk(n)
		}
		if string(got) != want {
			t.Fatalf("%s after the pass: %q, want %q", k, got, want)
		}
	}
	// That the pass gives pages back is the arena's test
	// (arena.TestCompactionReleasesSparsePages); INFO's fragmentation
	// figure here also moves with the Go heap.
	if hits := infoInt(c, "stats", "active_defrag_key_hits"); hits == 0 {
		t.Errorf("the pass moved no key")
	}
}
