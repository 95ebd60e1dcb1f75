package durability

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Older Redis versions could save a collection with no element. Redis
// 7.0 skips such a key when it loads a file, logging it, where a
// Redis-shaped RDB of the same key in any other state would be refused;
// Redoubt does the same. Each case is an RDB file holding one empty key
// of one encoding and one string, loaded by both servers.
func TestEmptyKeysInRDB(t *testing.T) {
	emptyListpack := []byte{7, 0, 0, 0, 0, 0, 0xff}
	emptyZiplist := []byte{11, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0xff}
	emptyZipmap := []byte{0, 0xff}
	emptyIntset := []byte{2, 0, 0, 0, 0, 0, 0, 0}
	cases := []struct {
		name  string
		typ   byte
		value []byte
	}{
		{"list", 1, rdbLen(0)},
		{"set", 2, rdbLen(0)},
		{"zset", 3, rdbLen(0)},
		{"hash", 4, rdbLen(0)},
		{"zset-2", 5, rdbLen(0)},
		{"hash-zipmap", 9, rdbString(emptyZipmap)},
		{"list-ziplist", 10, rdbString(emptyZiplist)},
		{"set-intset", 11, rdbString(emptyIntset)},
		{"zset-ziplist", 12, rdbString(emptyZiplist)},
		{"hash-ziplist", 13, rdbString(emptyZiplist)},
		{"quicklist-no-node", 14, rdbLen(0)},
		{"quicklist-empty-node", 14, append(rdbLen(1), rdbString(emptyZiplist)...)},
		{"hash-listpack", 16, rdbString(emptyListpack)},
		{"zset-listpack", 17, rdbString(emptyListpack)},
		{"quicklist-2-no-node", 18, rdbLen(0)},
		{"quicklist-2-empty-node", 18, append(append(rdbLen(1), rdbLen(2)...), rdbString(emptyListpack)...)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := []byte("REDIS0010")
			file = append(file, 0xfe, 0) // SELECTDB 0
			file = append(file, c.typ)
			file = append(file, rdbString([]byte("empty"))...)
			file = append(file, c.value...)
			file = append(file, 0) // a string
			file = append(file, rdbString([]byte("k"))...)
			file = append(file, rdbString([]byte("v"))...)
			file = append(file, 0xff)
			file = binary.LittleEndian.AppendUint64(file, 0) // no checksum
			verdicts := map[string]string{}
			for _, kind := range []string{redisKind, redoubtKind} {
				dir := t.TempDir()
				if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), file, 0o644); err != nil {
					t.Fatal(err)
				}
				s := launch(t, kind, dir)
				if err := s.waitReady(); err != nil {
					verdicts[kind] = "refused"
					continue
				}
				c := s.conn()
				verdicts[kind] = "loaded " + strings.TrimSpace(string(c.Do("DBSIZE"))) + " " + strings.TrimSpace(string(c.Do("EXISTS", "empty")))
				skipped := s.logLines("rdbLoadObject skipping empty key: empty")
				done := s.logLines("Done loading RDB")
				verdicts[kind] += " " + strings.Join(skipped, "|") + " " + strings.Join(done, "|")
				s.kill()
			}
			if verdicts[redisKind] != verdicts[redoubtKind] {
				t.Errorf("redis: %s\nredoubt: %s", verdicts[redisKind], verdicts[redoubtKind])
			}
			t.Logf("both: %s", verdicts[redisKind])
		})
	}
}

// rdbLen is RDB's length encoding, for lengths under 16384.
func rdbLen(n int) []byte {
	if n < 64 {
		return []byte{byte(n)}
	}
	return []byte{0x40 | byte(n>>8), byte(n)}
}

func rdbString(s []byte) []byte { return append(rdbLen(len(s)), s...) }
