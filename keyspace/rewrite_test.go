package keyspace_test

import (
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/bitops"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/expire"
	"github.com/redoubt-db/redoubt/internal/aoftest"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/set"
	"github.com/redoubt-db/redoubt/types/str"
)

// deadline is a fixed future time, so that both servers hold the same
// deadlines and write the same PEXPIREAT.
const deadline = "4102444800123"

// rewriteScript builds strings of every encoding and shape, and keys
// with a TTL, a set's among them (its PEXPIREAT follows its last SADD).
func rewriteScript() ([][]string, map[string]keyspace.Encoding) {
	script := [][]string{
		{"SET", "int", "12345"},
		{"SET", "int:min", "-9223372036854775808"},
		{"SET", "int:zero", "0"},
		{"INCRBY", "int:incr", "-42"},
		{"SET", "lead0", "007"},
		{"SET", "plus", "+5"},
		{"SET", "too-big", "92233720368547758070"},
		{"SET", "embstr", strings.Repeat("e", 44)},
		{"SET", "raw", strings.Repeat("r", 45)},
		{"SET", "empty", ""},
		{"SET", "binary", "\x00\xff\r\n$3\r\n"},
		{"SET", "\x00key\r\n", "binary key"},
		{"APPEND", "appended", "12"},
		{"APPEND", "appended", "3"},
		{"SETRANGE", "ranged", "5", "x"},
		{"SETBIT", "bits", "100", "1"},
		{"SET", "ttl:int", "7", "PXAT", deadline},
		{"SET", "ttl:raw", strings.Repeat("t", 100)},
		{"PEXPIREAT", "ttl:raw", deadline},
		{"SET", "ttl:kept", "v", "EXAT", "4102444800"},
		{"SET", "ttl:kept", "w", "KEEPTTL"},
		{"SET", "ttl:gone", "v", "PXAT", deadline},
		{"PERSIST", "ttl:gone"},
		aoftest.Cmd("SADD", "ttl:set", aoftest.Seq("m", 0, 100)),
		{"PEXPIREAT", "ttl:set", deadline},
	}
	encodings := map[string]keyspace.Encoding{
		"int": keyspace.EncInt, "int:min": keyspace.EncInt, "int:incr": keyspace.EncInt, "ttl:int": keyspace.EncInt,
		"lead0": keyspace.EncEmbstr, "embstr": keyspace.EncEmbstr, "empty": keyspace.EncEmbstr,
		"raw": keyspace.EncRaw, "appended": keyspace.EncRaw, "bits": keyspace.EncRaw,
	}
	return script, encodings
}

var register = []func(*command.Table){str.Register, bitops.Register, expire.Register, set.Register}

// TestRewriteMatchesRedis compares the SET and PEXPIREAT commands of
// each key with those Redis's BGREWRITEAOF writes, byte for byte: an
// int-encoded string is written in decimal, and a deadline follows the
// value's commands.
func TestRewriteMatchesRedis(t *testing.T) {
	script, encodings := rewriteScript()
	h := cmdtest.New(t, register...)
	redis, _ := aoftest.Compare(h, script, nil)
	for key, e := range encodings {
		if got := h.DB.Encoding(h.DB.Find([]byte(key))); got != e {
			t.Errorf("key %q is %v, the test means %v", key, got, e)
		}
	}
	for key, n := range map[string]int{"ttl:int": 2, "ttl:kept": 2, "ttl:gone": 1, "ttl:set": 3} {
		if len(redis[key]) != n {
			t.Errorf("Redis wrote %q as %v, the test means %d commands", key, redis[key], n)
		}
	}
}

// TestRewriteRoundTrip replays the rewrite and finds every key again,
// with its value, encoding and deadline.
func TestRewriteRoundTrip(t *testing.T) {
	script, _ := rewriteScript()
	h := cmdtest.New(t, register...)
	aoftest.Run(h, script, nil)
	aoftest.RoundTrip(h, cmdtest.New(t, register...))
}
