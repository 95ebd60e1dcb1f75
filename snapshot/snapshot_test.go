package snapshot_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/snapshot"
	_ "github.com/redoubt-db/redoubt/types/hash"
	_ "github.com/redoubt-db/redoubt/types/list"
	_ "github.com/redoubt-db/redoubt/types/set"
	_ "github.com/redoubt-db/redoubt/types/stream"
	_ "github.com/redoubt-db/redoubt/types/zset"
)

// buildDataset makes the same keys on both servers: every encoding, keys
// in two databases, a TTL far ahead and one about to pass.
func buildDataset(p *difftest.Pair) []string {
	_, keys := difftest.EveryEncoding(p)
	p.Do("set", "ttl:far", "v")
	p.Do("pexpireat", "ttl:far", "4102444800000")
	p.Do("select", "3")
	p.Do("set", "db3:key", "in db 3")
	p.Do("select", "0")
	return append(keys, "ttl:far")
}

// sameValues checks that each key holds the same value on c as on
// source: source's DUMP, restored on c beside the key, must have the same
// digest there.
func sameValues(t *testing.T, c, source *difftest.Conn, keys []string) {
	t.Helper()
	for _, k := range keys {
		payload := source.DoValue("dump", k)
		if payload.Type != '$' {
			t.Fatalf("DUMP %s on the source: %q", k, payload.Str)
		}
		// The digest covers the TTL: the copy gets the same deadline.
		deadline := source.DoValue("pexpiretime", k).Int
		if got := string(c.Do("restore", k+":check", strconv.FormatInt(max(deadline, 0), 10), payload.Str, "replace", "absttl")); got != "+OK\r\n" {
			t.Fatalf("restore %s: %q", k, got)
		}
		if a, b := c.Do("debug", "digest-value", k), c.Do("debug", "digest-value", k+":check"); !bytes.Equal(a, b) {
			t.Errorf("%s differs after the file moved between servers", k)
		}
		c.Do("del", k+":check")
	}
	for _, cmd := range [][]string{{"pexpiretime", "ttl:far"}, {"dbsize"}} {
		if a, b := c.Do(cmd...), source.Do(cmd...); !bytes.Equal(a, b) {
			t.Errorf("%q: %q, the source says %q", cmd, a, b)
		}
	}
	c.Do("select", "3")
	if got := c.DoValue("get", "db3:key").Str; got != "in db 3" {
		t.Errorf("db 3 lost its key: %q", got)
	}
	c.Do("select", "0")
}

// checkRDB runs the real redis-check-rdb on a file.
func checkRDB(t *testing.T, path string) {
	t.Helper()
	bin, err := exec.LookPath("redis-check-rdb")
	if err != nil {
		t.Fatalf("redis-check-rdb is not installed (apt-get install redis-tools): %v", err)
	}
	out, err := exec.Command(bin, path).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "RDB looks OK") {
		t.Fatalf("redis-check-rdb %s: %v\n%s", path, err, out)
	}
}

// TestRedisLoadsOurRDB: a file saved here passes redis-check-rdb, and
// redis-server starts from it with every value as it was.
func TestRedisLoadsOurRDB(t *testing.T) {
	for _, compression := range []string{"yes", "no"} {
		t.Run("rdbcompression-"+compression, func(t *testing.T) {
			dir := t.TempDir()
			p := difftest.PairOf(t, difftest.StartRedoubt(t, "dir "+dir, "rdbcompression "+compression), difftest.StartRedis(t))
			keys := buildDataset(p)
			if got := string(p.Redoubt.Do("save")); got != "+OK\r\n" {
				t.Fatalf("SAVE: %q", got)
			}
			checkRDB(t, filepath.Join(dir, "dump.rdb"))
			loaded := difftest.Dial(t, difftest.StartRedis(t, "dir "+dir))
			sameValues(t, loaded, p.Redoubt, keys)
		})
	}
}

// TestWeLoadRedisRDB: a file saved by redis-server loads here at start-up
// with every value, TTL and database as it was.
func TestWeLoadRedisRDB(t *testing.T) {
	dir := t.TempDir()
	p := difftest.PairOf(t, difftest.StartRedoubt(t), difftest.StartRedis(t, "dir "+dir))
	keys := buildDataset(p)
	if got := string(p.Redis.Do("save")); got != "+OK\r\n" {
		t.Fatalf("SAVE: %q", got)
	}
	loaded := difftest.Dial(t, difftest.StartRedoubt(t, "dir "+dir))
	sameValues(t, loaded, p.Redis, keys)
	info := difftest.InfoFields(t, loaded, "persistence")
	if info["rdb_last_load_keys_loaded"] == "0" {
		t.Errorf("INFO persistence after the load: %v", info)
	}
}

// TestDebugReloadKeepsEverything: DEBUG RELOAD saves, empties and loads
// back, leaving the dataset and encodings as they were, as on Redis.
func TestDebugReloadKeepsEverything(t *testing.T) {
	p := difftest.NewPair(t)
	byteKeys, keys := difftest.EveryEncoding(p)
	p.Do("debug", "reload")
	for _, k := range byteKeys {
		p.Do("dump", k)
	}
	for _, k := range keys {
		p.Do("object", "encoding", k)
	}
	p.Do("debug", "reload", "bogus")
	p.Do("dbsize")
	p.Do("debug", "reload", "nosave", "noflush", "merge")
	p.Do("dbsize")
	p.SameKeyspace("db0")
	// Without MERGE, keys already there make Redis exit ("Duplicated key
	// found in RDB file"); here the reload fails and the server stays.
	if got := string(p.Redoubt.Do("debug", "reload", "nosave", "noflush")); got != "-ERR Error trying to load the RDB dump\r\n" {
		t.Errorf("DEBUG RELOAD NOFLUSH over the same keys: %q", got)
	}
	p.Redoubt.Do("ping")
}

// TestExpiredKeysAreNotLoaded: a key whose time passed while the file
// sat on disk is dropped by the load and counted.
func TestExpiredKeysAreNotLoaded(t *testing.T) {
	ks := keyspace.New(16)
	cfg := config.New()
	db := ks.DBs[0]
	e, v := ks.StringValue([]byte("x"))
	db.SetExpire(db.Add([]byte("old"), keyspace.KindString, e, v), 1000)
	e, v = ks.StringValue([]byte("y"))
	db.Add([]byte("live"), keyspace.KindString, e, v)
	var buf bytes.Buffer
	if err := snapshot.Write(&buf, ks, &cfg.Values, snapshot.Info{Version: "7.0.15"}); err != nil {
		t.Fatal(err)
	}
	into := keyspace.New(16)
	got, err := snapshot.Read(buf.Bytes(), into, &cfg.Values, snapshot.LoadOptions{Now: 2000})
	if err != nil || got.Keys != 1 || got.Expired != 1 || into.DBs[0].Len() != 1 {
		t.Fatalf("load: %+v, %v, %d keys", got, err, into.DBs[0].Len())
	}
}

// TestSaveOnShutdownAndFlushall: with save points, SHUTDOWN leaves a
// snapshot that the next start loads, and FLUSHALL replaces it with an
// empty one, so that a restart cannot bring flushed data back.
func TestSaveOnShutdownAndFlushall(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, "dir "+dir, "save 3600 1")
	c := difftest.Dial(t, srv.Addr())
	c.Do("set", "k", "v")
	c.Send("shutdown")
	<-srv.Done()
	c2 := difftest.Dial(t, start(t, "dir "+dir, "save 3600 1").Addr())
	if got := c2.DoValue("get", "k").Str; got != "v" {
		t.Fatalf("after a restart: %q", got)
	}
	c2.Do("flushall")
	c3 := difftest.Dial(t, start(t, "dir "+dir).Addr())
	if got := string(c3.Do("dbsize")); got != ":0\r\n" {
		t.Fatalf("after FLUSHALL and a restart: %q", got)
	}
}

func start(t *testing.T, settings ...string) *redoubt.Server {
	t.Helper()
	srv, err := redoubt.Start(context.Background(), redoubt.Config{Settings: settings})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// TestCorruptFileStopsStart: a damaged dump.rdb stops the server from
// starting, with Redis's message, instead of starting with partial data.
func TestCorruptFileStopsStart(t *testing.T) {
	dir := t.TempDir()
	c := difftest.Dial(t, difftest.StartRedoubt(t, "dir "+dir))
	c.Do("set", "k", strings.Repeat("v", 100))
	c.Do("save")
	path := filepath.Join(dir, "dump.rdb")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)-20] ^= 0xff
	os.WriteFile(path, data, 0o644)
	_, err = redoubt.Start(context.Background(), redoubt.Config{Settings: []string{"dir " + dir}})
	if err == nil || !strings.Contains(err.Error(), "Fatal error loading the DB") {
		t.Fatalf("start with a corrupt file: %v", err)
	}
}
