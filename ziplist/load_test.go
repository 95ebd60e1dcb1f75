package ziplist_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/snapshot"
	_ "github.com/redoubt-db/redoubt/types/hash"
	_ "github.com/redoubt-db/redoubt/types/list"
	_ "github.com/redoubt-db/redoubt/types/set"
	_ "github.com/redoubt-db/redoubt/types/zset"
)

// An RDB file of an older Redis, loaded here by snapshot.Load and by
// redis-server 7.0 from a copy of the same file: both must hold the same
// keys in each database, and each key the same type, encoding (OBJECT
// ENCODING), deadline and value. Values are compared through Redis: the
// DUMP of our value, restored in Redis beside the key Redis loaded, has
// the same DEBUG DIGEST-VALUE.

// settingSets are the configurations each file loads under: the
// defaults, and thresholds low enough to convert every small value (as
// Redis's convert-*-on-load tests set them), or to split a ziplist list
// into several nodes.
var settingSets = [][]string{
	nil,
	{"hash-max-listpack-entries 1", "zset-max-listpack-entries 1", "list-max-listpack-size 1"},
	{"hash-max-listpack-value 1", "zset-max-listpack-value 1", "list-max-listpack-size 2"},
	{"list-max-listpack-size -1", "hash-max-listpack-entries 3", "zset-max-listpack-entries 3"},
}

// loadHere loads the RDB file at path into a new keyspace under settings.
func loadHere(t *testing.T, path string, settings []string) (*keyspace.Keyspace, snapshot.Loaded, error) {
	t.Helper()
	cfg := config.New()
	for _, s := range settings {
		name, val, _ := strings.Cut(s, " ")
		if err := cfg.Set([][2]string{{name, val}}, true); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
	ks := keyspace.New(16)
	loaded, err := snapshot.Load(path, ks, &cfg.Values, snapshot.LoadOptions{Now: time.Now().UnixMilli()})
	return ks, loaded, err
}

// redisOn starts redis-server on a copy of the file at path, under
// settings.
func redisOn(t *testing.T, path string, settings []string) *difftest.Conn {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "old.rdb"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"dir " + dir, "dbfilename old.rdb"}, settings...)
	return difftest.Dial(t, difftest.StartRedis(t, args...))
}

// sameDataset compares our keyspace with what Redis loaded.
func sameDataset(t *testing.T, ks *keyspace.Keyspace, c *difftest.Conn) {
	t.Helper()
	cfg := config.New()
	for n, db := range ks.DBs {
		c.Do("select", strconv.Itoa(n))
		if got, want := ":"+strconv.Itoa(db.Len())+"\r\n", string(c.Do("dbsize")); got != want {
			t.Errorf("db %d: %d keys here, Redis has %s", n, db.Len(), want)
		}
		db.Dict().ForEach(func(id uint32) bool {
			key := string(db.Key(id))
			if got, want := db.Kind(id).String(), strings.TrimSpace(string(c.Do("type", key))[1:]); got != want {
				t.Errorf("db %d key %q: type %s here, Redis %s", n, key, got, want)
				return true
			}
			if got, want := db.Encoding(id).String(), strings.TrimSpace(string(c.DoValue("object", "encoding", key).Str)); got != want {
				t.Errorf("db %d key %q: encoding %s here, Redis %s", n, key, got, want)
			}
			if got, want := ":"+strconv.FormatInt(db.Expire(id), 10)+"\r\n", string(c.Do("pexpiretime", key)); got != want {
				t.Errorf("db %d key %q: deadline %s here, Redis %s", n, key, got, want)
			}
			w := rdb.Encoder{Compress: cfg.RDBCompression}
			db.SaveValue(id, nil, &w)
			payload := string(rdb.AppendDumpFooter(w.B))
			// The digest covers the deadline too.
			ttl := max(db.Expire(id), 0)
			if reply := string(c.Do("restore", "__ours__", strconv.FormatInt(ttl, 10), payload, "absttl", "replace")); reply != "+OK\r\n" {
				t.Errorf("db %d key %q: Redis refuses our DUMP: %q", n, key, reply)
				return true
			}
			if got, want := string(c.Do("debug", "digest-value", "__ours__")), string(c.Do("debug", "digest-value", key)); got != want {
				t.Errorf("db %d key %q: our value differs from Redis's", n, key)
			}
			c.Do("del", "__ours__")
			return true
		})
	}
}
