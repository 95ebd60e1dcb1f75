package snapshot_test

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/internal/difftest"
)

// waitBgsave polls INFO until no background save is in progress.
func waitBgsave(t *testing.T, c *difftest.Conn) map[string]string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		info := difftest.InfoFields(t, c, "persistence")
		if info["rdb_bgsave_in_progress"] == "0" {
			return info
		}
		if time.Now().After(deadline) {
			t.Fatalf("BGSAVE did not finish: %v", info)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBackgroundSaveIsPointInTime: while BGSAVE walks the dataset slowly,
// another client changes it in every way (values in place, TTLs, new and
// deleted keys, renames and moves across databases, stream groups and
// HLL caches changed by commands Redis counts as reads, SWAPDB and FLUSHDB
// of databases the walk has not reached); the
// file must still hold the dataset exactly as it was when BGSAVE began.
func TestBackgroundSaveIsPointInTime(t *testing.T) {
	dir := t.TempDir()
	addr := difftest.StartRedoubt(t, "dir "+dir)
	c := difftest.Dial(t, addr)
	for db := range 4 {
		c.Do("select", strconv.Itoa(db))
		for i := range 400 {
			k := strconv.Itoa(i)
			// Each database its own values: a mix-up must show.
			c.Do("set", "s:"+k, "value "+k+" in "+strconv.Itoa(db))
			c.Do("hset", "h:"+strconv.Itoa(i%40), "f"+k, k)
			c.Do("rpush", "l:"+strconv.Itoa(i%30), k)
			c.Do("zadd", "z:"+strconv.Itoa(i%20), k, "m"+k)
			if i%7 == 0 {
				c.Do("pexpireat", "s:"+k, "4102444800000")
			}
			if i%8 == 0 {
				c.Do("xadd", "x:"+strconv.Itoa(i%3), strconv.Itoa(i+1)+"-1", "f", k)
				c.Do("pfadd", "hll:"+strconv.Itoa(i%5), k) // leaves a stale cached count
			}
		}
		for i := range 3 {
			c.Do("xgroup", "create", "x:"+strconv.Itoa(i), "g", "0")
		}
	}
	c.Do("select", "0")
	want := c.DoValue("debug", "digest").Str
	c.Do("config", "set", "rdb-key-save-delay", "2000")
	if got := string(c.Do("bgsave")); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", got)
	}
	// Change everything while the walk goes on.
	var wg sync.WaitGroup
	changes := 0
	wg.Add(1)
	go func() {
		defer wg.Done()
		m := difftest.Dial(t, addr)
		r := rand.New(rand.NewPCG(1, 2))
		for {
			if difftest.InfoFields(t, m, "persistence")["rdb_bgsave_in_progress"] == "0" {
				return
			}
			for range 20 {
				db, k := strconv.Itoa(r.IntN(4)), strconv.Itoa(r.IntN(500))
				m.Do("select", db)
				// Whole databases swap or go at once now and then, while
				// the walk has yet to reach them: they are written out
				// first, which ends their walk early.
				switch changes {
				case 0: // a database the walk has not reached
					m.Do("select", "1")
					m.Do("flushdb")
				case 150: // the one it walks
					m.Do("select", "0")
					m.Do("flushdb")
				case 400: // the one it walks and the next
					m.Do("swapdb", "2", "3")
				}
				switch r.IntN(16) {
				case 12:
					m.Do("xreadgroup", "group", "g", "c"+strconv.Itoa(r.IntN(3)), "count", "2", "streams", "x:"+strconv.Itoa(r.IntN(3)), ">")
				case 13:
					m.Do("xack", "x:"+strconv.Itoa(r.IntN(3)), "g", strconv.Itoa(1+8*r.IntN(50))+"-1")
				case 14:
					m.Do("xclaim", "x:"+strconv.Itoa(r.IntN(3)), "g", "c9", "0", strconv.Itoa(1+8*r.IntN(50))+"-1")
				case 15:
					m.Do("pfcount", "hll:"+strconv.Itoa(r.IntN(5)))
				case 0:
					m.Do("set", "s:"+k, "changed")
				case 1:
					m.Do("del", "s:"+k, "h:"+strconv.Itoa(r.IntN(40)))
				case 2:
					m.Do("hset", "h:"+strconv.Itoa(r.IntN(40)), "f"+k, "changed")
				case 3:
					m.Do("lpush", "l:"+strconv.Itoa(r.IntN(30)), "new")
				case 4:
					m.Do("zincrby", "z:"+strconv.Itoa(r.IntN(20)), "5", "m"+k)
				case 5:
					m.Do("pexpireat", "s:"+k, "4102444800001")
				case 6:
					m.Do("persist", "s:"+k)
				case 7:
					m.Do("rename", "s:"+k, "renamed:"+k)
				case 8:
					m.Do("move", "l:"+strconv.Itoa(r.IntN(30)), strconv.Itoa(r.IntN(4)))
				case 9:
					m.Do("append", "s:"+k, "!")
				case 10:
					m.Do("set", "new:"+k, "new")
				case 11:
					m.Do("unlink", "z:"+strconv.Itoa(r.IntN(20)))
				}
				changes++
			}
		}
	}()
	info := waitBgsave(t, c)
	wg.Wait()
	if info["rdb_last_bgsave_status"] != "ok" || info["rdb_last_cow_size"] == "0" || changes < 400 {
		t.Fatalf("after BGSAVE: %d changes, %v", changes, info)
	}
	t.Logf("%d changes during the save", changes)
	if now := c.DoValue("debug", "digest").Str; now == want {
		t.Fatal("the changes left the dataset as it was: the test proves nothing")
	}
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
	loaded := difftest.Dial(t, difftest.StartRedoubt(t, "dir "+dir))
	if got := loaded.DoValue("debug", "digest").Str; got != want {
		t.Fatalf("the file holds digest %s, the dataset at BGSAVE was %s", got, want)
	}
}

// TestBackgroundSaveRepliesMatchRedis: BGSAVE and SAVE answer as Redis's
// do while a background save runs and after it, and the file loads in
// redis-server.
func TestBackgroundSaveRepliesMatchRedis(t *testing.T) {
	dir := t.TempDir()
	p := difftest.PairOf(t, difftest.StartRedoubt(t, "dir "+dir), difftest.StartRedis(t))
	keys := buildDataset(p)
	p.Do("config", "set", "rdb-key-save-delay", "2000")
	p.Do("bgsave", "bogus")
	p.Do("bgsave")
	p.Do("bgsave")
	p.Do("bgsave", "schedule")
	p.Do("save")
	p.Do("config", "set", "rdb-key-save-delay", "0")
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		if info := waitBgsave(t, c); info["rdb_last_bgsave_status"] != "ok" {
			t.Fatalf("INFO persistence: %v", info)
		}
	}
	p.Do("multi")
	p.Do("bgsave")
	p.Do("exec")
	checkRDB(t, filepath.Join(dir, "dump.rdb"))
	loaded := difftest.Dial(t, difftest.StartRedis(t, "dir "+dir))
	sameValues(t, loaded, p.Redoubt, keys)
}

// TestSavePointsSaveInTheBackground: with "save 1 1", a change is on disk
// within a few seconds, without SAVE or SHUTDOWN.
func TestSavePointsSaveInTheBackground(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, "dir "+dir, "save 1 1")
	c := difftest.Dial(t, srv.Addr())
	c.Do("set", "k", "v")
	deadline := time.Now().Add(20 * time.Second)
	for difftest.InfoFields(t, c, "persistence")["rdb_saves"] == "0" {
		if time.Now().After(deadline) {
			t.Fatal("no background save after 20 seconds")
		}
		time.Sleep(100 * time.Millisecond)
	}
	waitBgsave(t, c)
	srv.Close()
	c2 := difftest.Dial(t, start(t, "dir "+dir).Addr())
	if got := c2.DoValue("get", "k").Str; got != "v" {
		t.Fatalf("after a restart: %q", got)
	}
}

// TestBackgroundSaveBeforeReadCountedChanges: commands that change a key
// after a lookup Redis counts as a read (XACK, XREADGROUP, XCLAIM,
// XAUTOCLAIM, PFCOUNT refreshing its cache) still leave the file as the
// dataset was when BGSAVE began.
func TestBackgroundSaveBeforeReadCountedChanges(t *testing.T) {
	dir := t.TempDir()
	addr := difftest.StartRedoubt(t, "dir "+dir)
	c := difftest.Dial(t, addr)
	for i := range 300 {
		c.Do("set", "filler:"+strconv.Itoa(i), "v")
	}
	for _, x := range []string{"x:ack", "x:read", "x:claim", "x:autoclaim"} {
		for i := range 5 {
			c.Do("xadd", x, strconv.Itoa(i+1)+"-1", "f", "v")
		}
		c.Do("xgroup", "create", x, "g", "0")
		c.Do("xreadgroup", "group", "g", "alice", "count", "3", "streams", x, ">")
	}
	c.Do("pfadd", "hll", "a", "b", "c")
	want := c.DoValue("debug", "digest").Str
	c.Do("config", "set", "rdb-key-save-delay", "2000")
	c.Do("bgsave")
	c.Do("xack", "x:ack", "g", "1-1")
	c.Do("xreadgroup", "group", "g", "bob", "count", "1", "streams", "x:read", ">")
	c.Do("xclaim", "x:claim", "g", "bob", "0", "2-1")
	c.Do("xautoclaim", "x:autoclaim", "g", "bob", "0", "0-0")
	c.Do("pfcount", "hll")
	c.Do("config", "set", "rdb-key-save-delay", "0")
	waitBgsave(t, c)
	loaded := difftest.Dial(t, difftest.StartRedoubt(t, "dir "+dir))
	if got := loaded.DoValue("debug", "digest").Str; got != want {
		t.Fatalf("the file holds digest %s, the dataset at BGSAVE was %s", got, want)
	}
}

// TestFailedBackgroundSaveStopsWrites: when a background save fails (here
// its directory vanished) and save points are set, writes and PING get
// Redis's MISCONF error, reads still work, and a successful save lifts it.
func TestFailedBackgroundSaveStopsWrites(t *testing.T) {
	p := difftest.NewPair(t, "enable-protected-configs yes")
	dirs := map[*difftest.Conn]string{}
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		dir := t.TempDir()
		dirs[c] = dir
		c.Do("config", "set", "dir", dir)
		c.Do("config", "set", "save", "3600 1")
		c.Do("set", "k", "v")
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
		c.Do("bgsave")
		if info := waitBgsave(t, c); info["rdb_last_bgsave_status"] != "err" {
			t.Fatalf("a save into a missing directory: %v", info)
		}
	}
	p.Do("set", "k", "other")
	p.Do("get", "k")
	p.Do("ping")
	p.Do("multi")
	p.Do("get", "k")
	p.Do("set", "k", "x")
	p.Do("exec")
	p.Do("config", "set", "stop-writes-on-bgsave-error", "no")
	p.Do("set", "k", "allowed")
	p.Do("config", "set", "stop-writes-on-bgsave-error", "yes")
	p.Do("incr", "n")
	for _, c := range []*difftest.Conn{p.Redis, p.Redoubt} {
		if err := os.MkdirAll(dirs[c], 0o755); err != nil {
			t.Fatal(err)
		}
		// Redis works in the directory it changed into, gone now.
		c.Do("config", "set", "dir", dirs[c])
	}
	p.Do("save")
	p.Do("incr", "n")
	p.SameInfo("persistence", "rdb_last_bgsave_status")
}

// TestShutdownDuringBackgroundSave: SHUTDOWN stops a background save in
// progress and saves in the foreground, as Redis kills its child; no
// temporary file is left behind.
func TestShutdownDuringBackgroundSave(t *testing.T) {
	dir := t.TempDir()
	srv := start(t, "dir "+dir, "save 3600 1")
	c := difftest.Dial(t, srv.Addr())
	for i := range 200 {
		c.Do("set", "k"+strconv.Itoa(i), "v")
	}
	c.Do("config", "set", "rdb-key-save-delay", "100000")
	if got := string(c.Do("bgsave")); got != "+Background saving started\r\n" {
		t.Fatalf("BGSAVE: %q", got)
	}
	c.Do("set", "after", "bgsave")
	c.Send("shutdown")
	<-srv.Done()
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "dump.rdb" && e.Name() != datadir.MarkerName {
			t.Errorf("left in the directory: %s", e.Name())
		}
	}
	c2 := difftest.Dial(t, start(t, "dir "+dir).Addr())
	if got := c2.DoValue("dbsize").Int; got != 201 {
		t.Fatalf("after the restart: %d keys, want the 201 there were at SHUTDOWN", got)
	}
}
