package ziplist_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
	"github.com/redoubt-db/redoubt/zipmap"
)

// A file as Redis 5.0 to 6.2 wrote them (RDB version 9), made with this
// package's encoder and zipmap's, holding every encoding older than 7.0
// in its usual and its odd shapes: values on either side of each
// conversion threshold, keys with deadlines in milliseconds and in
// seconds (the opcode of the oldest files), one already past, in two
// databases. sameDataset compares it as Redis loads it.

type oldRecord struct {
	expireMs int64 // 0: none
	expireS  int64 // the seconds opcode of old files; 0: none
	typ      byte
	key      string
	value    func(w *rdb.Encoder)
}

// zl returns a ziplist of vals.
func zl(vals ...string) []byte { return appended(vals...) }

// zm returns a zipmap of field/value pairs.
func zm(pairs ...string) []byte {
	m := zipmap.New()
	for i := 0; i+1 < len(pairs); i += 2 {
		m = zipmap.Append(m, []byte(pairs[i]), []byte(pairs[i+1]), i%3)
	}
	return m
}

func str(b []byte) func(w *rdb.Encoder) { return func(w *rdb.Encoder) { w.String(b) } }

// nodes returns a quicklist of ziplist nodes, LZF-compressed where
// compress is set and compression saves enough (as Redis wrote them).
func nodes(compress bool, zls ...[]byte) func(w *rdb.Encoder) {
	return func(w *rdb.Encoder) {
		w.Len(uint64(len(zls)))
		c := rdb.Encoder{Compress: compress}
		for _, z := range zls {
			c.B = c.B[:0]
			c.String(z)
			w.Raw(c.B)
		}
	}
}

func seq(prefix string, n int, valueOf func(i int) string) []string {
	var out []string
	for i := range n {
		out = append(out, prefix+strconv.Itoa(i), valueOf(i))
	}
	return out
}

func oldFile(now time.Time) []byte {
	far := now.Add(100 * 24 * time.Hour)
	long := strings.Repeat("long value ", 10)
	header254 := zm("a", "1", "b", "2", "c", "3")
	header254[0] = 254
	manyInts := make([]string, 1000)
	for i := range manyInts {
		manyInts[i] = strconv.Itoa(i*7919 - 3000000)
		if i%5 == 0 {
			manyInts[i] = "e" + manyInts[i]
		}
	}
	db0 := []oldRecord{
		{typ: rdb.TypeHashZipmap, key: "zm:small", value: str(zm("name", "redis", "ver", "2.4", "n", "12"))},
		{typ: rdb.TypeHashZipmap, key: "zm:254", value: str(header254), expireMs: far.UnixMilli()},
		{typ: rdb.TypeHashZipmap, key: "zm:many", value: str(zm(seq("f", 300, strconv.Itoa)...))},
		{typ: rdb.TypeHashZipmap, key: "zm:long", value: str(zm("f", long, "g", "1"))},
		{typ: rdb.TypeHashZipmap, key: "zm:bigfield", value: str(zm(strings.Repeat("F", 300), "v"))},
		{typ: rdb.TypeHashZiplist, key: "zl:hash", value: str(zl("1", "one", "-2", "-70000", "f", "3.5")), expireS: far.Unix()},
		{typ: rdb.TypeHashZiplist, key: "zl:hash200", value: str(zl(seq("f", 200, strconv.Itoa)...))},
		{typ: rdb.TypeHashZiplist, key: "zl:hashlong", value: str(zl("f", long, "g", "1"))},
		{typ: rdb.TypeZSetZiplist, key: "zl:zset", value: str(zl("lo", "-inf", "a", "-3", "b", "1.5", "c", "1.5", "d", "7", "hi", "inf"))},
		{typ: rdb.TypeZSetZiplist, key: "zl:zset200", value: str(zl(seq("m", 200, func(i int) string { return strconv.Itoa(i / 2) })...))},
		{typ: rdb.TypeZSetZiplist, key: "zl:zsetlong", value: str(zl(long, "0.25", "x", "0.5"))},
		{typ: rdb.TypeListZiplist, key: "zl:list", value: str(zl("a", "1", "-1", "300", "-70000", "4294967296", long)), expireMs: far.UnixMilli() + 1},
		{typ: rdb.TypeListZiplist, key: "zl:list1000", value: str(zl(manyInts...))},
		{typ: rdb.TypeListQuicklist, key: "ql:v1", value: nodes(true, zl(manyInts[:300]...), zl("x"), ziplist.New(), zl(manyInts[300:]...))},
		{typ: rdb.TypeListQuicklist, key: "ql:plain", value: nodes(false, zl("a", "b"), zl(long, long, long))},
		{typ: rdb.TypeHashZiplist, key: "gone", value: str(zl("f", "v")), expireMs: now.Add(-time.Hour).UnixMilli()},
	}
	db3 := []oldRecord{
		{typ: rdb.TypeListZiplist, key: "zl:list", value: str(zl("other", "db")), expireS: far.Unix() + 5},
		{typ: rdb.TypeZSetZiplist, key: "zl:zset", value: str(zl("m", "1")), expireMs: far.UnixMilli() + 7},
	}
	w := rdb.Encoder{B: []byte("REDIS0009")}
	for i, db := range [][]oldRecord{db0, db3} {
		w.Byte(rdb.OpSelectDB)
		w.Len(uint64(i * 3))
		for _, r := range db {
			switch {
			case r.expireMs != 0:
				w.Byte(rdb.OpExpireTimeMs)
				w.Millis(r.expireMs)
			case r.expireS != 0:
				w.Byte(rdb.OpExpireTime)
				w.Raw([]byte{byte(r.expireS), byte(r.expireS >> 8), byte(r.expireS >> 16), byte(r.expireS >> 24)})
			}
			w.Byte(r.typ)
			w.String([]byte(r.key))
			r.value(&w)
		}
	}
	return rdb.AppendEOF(w.B, rdb.CRC64(0, w.B), true)
}

func TestOldEncodingFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.rdb")
	if err := os.WriteFile(path, oldFile(time.Now()), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, settings := range settingSets {
		t.Run(strings.Join(settings, ","), func(t *testing.T) {
			ks, loaded, err := loadHere(t, path, settings)
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if loaded.Keys != 17 || loaded.Expired != 1 {
				t.Errorf("loaded %d keys, %d expired; want 17 and 1", loaded.Keys, loaded.Expired)
			}
			sameDataset(t, ks, redisOn(t, path, settings))
		})
	}
}
