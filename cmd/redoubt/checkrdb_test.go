package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/snapshot"
)

// redisRDB has the real redis-server save a dataset of every type in each
// of its encodings, in three databases, with expiry times, and returns
// the file.
func redisRDB(t testing.TB, settings ...string) string {
	t.Helper()
	dir := t.TempDir()
	s, log := refredis.Start(t, dir, settings...)
	if s == nil {
		t.Fatal(log)
	}
	long := strings.Repeat("long member ", 6)
	s.Do("SET", "int", "12345")
	s.Do("SET", "str", "a short string")
	s.Do("SET", "lzf", strings.Repeat("compressible ", 20))
	s.Do("SET", "bin", "\x00\xff\r\n")
	s.Do("PEXPIREAT", "str", "4102444800000")
	s.Do("CONFIG", "SET", "list-max-listpack-size", "4")
	s.Do("RPUSH", "list", "a", "b", "c", "d", "e", "f", "g", "12", "-7", long)
	s.Do("RPUSH", "small", "x")
	s.Do("SADD", "intset", "1", "2", "3", "-100000")
	s.Do("SADD", "set", "a", "b", long)
	s.Do("ZADD", "zlp", "1", "a", "2.5", "b", "-inf", "c")
	s.Do("ZADD", "zsl", "1", "a", "2", long)
	s.Do("HSET", "hlp", "f", "v", "n", "12")
	s.Do("HSET", "hht", "f", long)
	s.Do("PFADD", "hll", "a", "b", "c")
	s.Do("XADD", "st", "1-1", "f", "v")
	s.Do("XADD", "st", "2-1", "f", "w", "g", "x")
	s.Do("XGROUP", "CREATE", "st", "grp", "0")
	s.Do("XREADGROUP", "GROUP", "grp", "alice", "COUNT", "1", "STREAMS", "st", ">")
	s.Do("SELECT", "1")
	s.Do("SET", "k", "v")
	s.Do("PEXPIREAT", "k", "4102444800001")
	s.Do("SELECT", "9")
	s.Do("LPUSH", "l", "x")
	s.Do("SAVE")
	return filepath.Join(dir, "dump.rdb")
}

// loaderVerdict is whether Redoubt's loader takes the file.
func loaderVerdict(data []byte) bool {
	ks := keyspace.New(16)
	defer ks.Arena.Release()
	_, err := snapshot.Read(data, ks, &config.New().Values, snapshot.LoadOptions{})
	return err == nil
}

func checkerVerdict(data []byte) bool {
	_, ok := checkRDB(io.Discard, io.Discard, "x", data)
	return ok
}

// The check and the loader agree on every cut and every flipped byte.
func TestCheckRDBAgreesWithLoader(t *testing.T) {
	data, err := os.ReadFile(redisRDB(t))
	if err != nil {
		t.Fatal(err)
	}
	if !checkerVerdict(data) || !loaderVerdict(data) {
		t.Fatal("the sound file is refused")
	}
	for i := range data {
		if c, l := checkerVerdict(data[:i]), loaderVerdict(data[:i]); c || l {
			t.Fatalf("cut at %d: check %v, loader %v", i, c, l)
		}
		b := bytes.Clone(data)
		b[i] ^= 0x41
		if c, l := checkerVerdict(b), loaderVerdict(b); c != l {
			t.Fatalf("flip at %d: check %v, loader %v", i, c, l)
		}
	}
}

// On sound files, the output is redis-check-rdb's, line for line.
func TestCheckRDBSound(t *testing.T) {
	for _, settings := range [][]string{nil, {"rdbchecksum no"}, {"rdbcompression no"}} {
		path := redisRDB(t, settings...)
		want := theirs(t, "", "redis-check-rdb", path)
		got := ours(t, "", "check-rdb", path)
		if got.code != 0 || want.code != 0 || got.out != want.out {
			t.Errorf("%q: exit %d, want %d\n--- ours:\n%s--- redis-check-rdb:\n%s", settings, got.code, want.code, got.out, want.out)
		}
	}
}

var (
	rdbError = regexp.MustCompile(`(?m)^\[offset (\d+)\] (.*)\n\[additional info\] While doing: (.*)$`)
	rdbKey   = regexp.MustCompile(`(?m)^\[additional info\] Reading (key '.*'|type \d+)`)
)

// On cut files, both fail, while reading the same thing (step, key,
// type). The offset is the same, but inside a value: there we name the
// start of the structure we could not read in full, Redis the start of its
// last read, which can be later. Our message is always that the file
// ends; Redis's may name the structure it was reading.
func TestCheckRDBCuts(t *testing.T) {
	path := redisRDB(t)
	data, _ := os.ReadFile(path)
	cut := filepath.Join(t.TempDir(), "cut.rdb")
	for i := 0; i < len(data); i += 3 {
		os.WriteFile(cut, data[:i], 0o644)
		want := theirs(t, "", "redis-check-rdb", cut)
		got := ours(t, "", "check-rdb", cut)
		w, g := rdbError.FindStringSubmatch(want.out), rdbError.FindStringSubmatch(got.out)
		ok := got.code == 1 && want.code == 1 && w != nil && g != nil && w[3] == g[3] &&
			g[2] == "Unexpected EOF reading RDB file" &&
			sameReading(want.out, got.out)
		if ok && w[1] != g[1] {
			wo, _ := strconv.Atoi(w[1])
			go_, _ := strconv.Atoi(g[1])
			ok = g[3] == "read-object-value" && go_ < wo
		}
		if !ok {
			t.Errorf("cut at %d: exit %d, want %d\n--- ours:\n%s--- redis-check-rdb:\n%s", i, got.code, want.code, got.out, want.out)
		}
	}
}

// sameReading says whether both say they were reading the same thing,
// forgiving redis-check-rdb the "type 0" it names before it has read any
// type (it starts the type at 0 rather than -1).
func sameReading(want, got string) bool {
	w, g := rdbKey.FindAllString(want, -1), rdbKey.FindAllString(got, -1)
	return slices.Equal(w, g) || len(g) == 0 && strings.Contains(want, "[info] 0 keys read") &&
		slices.Equal(w, []string{"[additional info] Reading type 0"})
}

// What check-rdb says of damage, and of a file that is not there.
func TestCheckRDBFaults(t *testing.T) {
	data, _ := os.ReadFile(redisRDB(t))
	dir := t.TempDir()
	crc := bytes.Clone(data)
	crc[len(crc)-1] ^= 1
	for name, b := range map[string][]byte{"crc.rdb": crc, "empty.rdb": nil, "sig.rdb": []byte("XEDIS0010" + string(data[9:])),
		"version.rdb": []byte("REDIS0011" + string(data[9:]))} {
		path := filepath.Join(dir, name)
		os.WriteFile(path, b, 0o644)
		want := theirs(t, "", "redis-check-rdb", path)
		got := ours(t, "", "check-rdb", path)
		w, g := rdbError.FindStringSubmatch(want.out), rdbError.FindStringSubmatch(got.out)
		if got.code != 1 || want.code != 1 || w == nil || g == nil || w[1] != g[1] || w[3] != g[3] {
			t.Errorf("%s: exit %d, want %d\n--- ours:\n%s--- redis-check-rdb:\n%s", name, got.code, want.code, got.out, want.out)
		}
	}
	if r := ours(t, "", "check-rdb", filepath.Join(dir, "none.rdb")); r.code != 1 || !strings.Contains(r.out, "No such file or directory") {
		t.Errorf("%+v", r)
	}
}

// A file with function libraries checks sound, and check-rdb says what
// redis-check-rdb says of it.
func TestCheckRDBFunctions(t *testing.T) {
	dir := t.TempDir()
	s, log := refredis.Start(t, dir)
	if s == nil {
		t.Fatal(log)
	}
	s.Do("FUNCTION", "LOAD", "#!lua name=lib\nredis.register_function('f', function() return 1 end)")
	s.Do("SET", "k", "v")
	s.Do("SAVE")
	path := filepath.Join(dir, "dump.rdb")
	want := theirs(t, "", "redis-check-rdb", path)
	if want.code != 0 {
		t.Fatalf("%+v", want)
	}
	if got := ours(t, "", "check-rdb", path); got.code != 0 || got.out != want.out {
		t.Fatalf("redoubt %+v\nredis %+v", got, want)
	}
}

// A file Redoubt writes checks sound.
func TestCheckRDBOfRedoubt(t *testing.T) {
	ks := keyspace.New(16)
	defer ks.Arena.Release()
	e, v := ks.StringValue([]byte("value"))
	ks.DBs[3].Add([]byte("key"), keyspace.KindString, e, v)
	path := filepath.Join(t.TempDir(), "dump.rdb")
	if err := snapshot.Save(path, ks, &config.New().Values, snapshot.Info{Version: "7.0.15"}); err != nil {
		t.Fatal(err)
	}
	got, want := ours(t, "", "check-rdb", path), theirs(t, "", "redis-check-rdb", path)
	if got.code != 0 || got.out != want.out {
		t.Fatalf("--- ours:\n%s--- redis-check-rdb:\n%s", got.out, want.out)
	}
}
