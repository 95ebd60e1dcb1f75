package zset_test

import (
	"strconv"
	"testing"
)

// TestHotCommandsDoNotAllocate checks that the common reads and updates
// allocate nothing once the sorted sets exist, in both encodings.
func TestHotCommandsDoNotAllocate(t *testing.T) {
	h := newHarness(t)
	h.Quiet = true
	for i := range 200 {
		m := "m" + strconv.Itoa(i)
		h.Do("zadd", "big", strconv.Itoa(i), m)
		if i < 50 {
			h.Do("zadd", "small", strconv.Itoa(i), m)
		}
	}
	for _, key := range []string{"small", "big"} {
		for _, args := range [][]string{
			{"zadd", key, "7.5", "m7"},
			{"zincrby", key, "1", "m8"},
			{"zscore", key, "m9"},
			{"zrank", key, "m10"},
			{"zcard", key},
			{"zrange", key, "0", "10", "withscores"},
			{"zrange", key, "5", "10", "rev"},
			{"zrangebyscore", key, "(3", "20", "withscores", "limit", "1", "5"},
			{"zcount", key, "3", "20"},
			{"zrangebylex", key, "-", "+"},
		} {
			argv := make([][]byte, len(args))
			for i, a := range args {
				argv[i] = []byte(a)
			}
			h.DoArgs(argv)
			if n := testing.AllocsPerRun(100, func() { h.DoArgs(argv) }); n > 0 {
				t.Errorf("%v: %v allocations", args, n)
			}
		}
	}
}
