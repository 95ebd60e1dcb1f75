package server_test

import (
	"bytes"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// DEBUG OBJECT describes a key of every type, as Redis's does.
func TestDebugObjectOnEveryType(t *testing.T) {
	c := difftest.Dial(t, difftest.StartRedoubt(t, "enable-debug-command yes"))
	for _, cmd := range [][]string{
		{"SET", "str", "v"}, {"SET", "int", "12"}, {"RPUSH", "list", "a"}, {"HSET", "hash", "f", "v"},
		{"SADD", "iset", "1"}, {"SADD", "set", "a"}, {"ZADD", "zset", "1", "a"}, {"XADD", "stream", "1-1", "f", "v"},
	} {
		c.Do(cmd...)
		reply := c.Do("DEBUG", "OBJECT", cmd[1])
		if !bytes.HasPrefix(reply, []byte("+Value at:")) || !bytes.Contains(reply, []byte(" serializedlength:")) {
			t.Errorf("DEBUG OBJECT %s: %q", cmd[1], reply)
		}
	}
}

// DEBUG ERROR replies with its argument as the whole error, code
// included, as Redis does, and like Redis does not count it as an error.
func TestDebugErrorMatchesRedis(t *testing.T) {
	p := difftest.NewPair(t)
	p.Do("debug", "error", "foo bar")
	p.Do("debug", "error", "FOO")
	p.Do("debug", "error", "MYCODE with\r\nnewlines")
	p.SameInfo("errorstats", "errorstat_foo", "errorstat_FOO", "errorstat_MYCODE")
	p.SameInfo("stats", "total_error_replies")
}
