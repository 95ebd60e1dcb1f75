package keys_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// TestWatch checks which commands touch which keys, as WATCH sees it: a
// transaction watching a key fails exactly when Redis's would.
func TestWatch(t *testing.T) {
	type conns struct{ watcher, other *difftest.Conn }
	servers := map[string]conns{}
	for name, addr := range map[string]string{"redis": difftest.StartRedis(t), "redoubt": difftest.StartRedoubt(t)} {
		servers[name] = conns{difftest.Dial(t, addr), difftest.Dial(t, addr)}
	}
	for _, sc := range []struct {
		setup   string
		watchDB string
		watch   string
		cmd     string
	}{
		{"set a 1", "0", "a", "del a"},
		{"set a 1", "0", "nokey", "del nokey"},
		{"set a 1", "0", "a", "unlink a"},
		{"set a 1", "0", "a", "exists a"},
		{"set a 1", "0", "a", "touch a"},
		{"set a 1", "0", "a", "type a"},
		{"set a 1", "0", "a", "rename a b"},
		{"set a 1", "0", "b", "rename a b"},
		{"set a 1", "0", "a", "rename a a"},
		{"set a 1\nset b 1", "0", "a", "renamenx a b"},
		{"set a 1", "0", "b", "renamenx a b"},
		{"set a 1", "0", "a", "move a 1"},
		{"set a 1", "1", "a", "move a 1"},
		{"set a 1\nselect 1\nset a 2\nselect 0", "0", "a", "move a 1"},
		{"set a 1", "0", "a", "copy a b"},
		{"set a 1", "0", "b", "copy a b"},
		{"set a 1", "1", "b", "copy a b db 1"},
		{"set a 1\nset b 1", "0", "b", "copy a b"},
		{"set a 1", "0", "a", "expire a 100"},
		{"set a 1", "0", "a", "pexpire a -1"},
		{"set a 1\nexpire a 100", "0", "a", "expire a 100 nx"},
		{"set a 1\nexpire a 100", "0", "a", "persist a"},
		{"set a 1", "0", "a", "persist a"},
		{"set a 1", "0", "a", "ttl a"},
		{"set a 1", "0", "a", "object encoding a"},
	} {
		var replies [][]byte
		for _, name := range []string{"redis", "redoubt"} {
			c := servers[name]
			c.other.Do("flushall")
			c.other.Do("select", "0")
			for _, line := range strings.Split(sc.setup, "\n") {
				c.other.Do(strings.Fields(line)...)
			}
			c.watcher.Do("select", sc.watchDB)
			c.watcher.Do("watch", sc.watch)
			c.other.Do(strings.Fields(sc.cmd)...)
			c.watcher.Do("multi")
			c.watcher.Do("ping")
			replies = append(replies, c.watcher.Do("exec"))
		}
		if !bytes.Equal(replies[0], replies[1]) {
			t.Errorf("%q, WATCH %s in db %s, then %q: EXEC\n redis:   %q\n redoubt: %q",
				sc.setup, sc.watch, sc.watchDB, sc.cmd, replies[0], replies[1])
		}
	}
}
