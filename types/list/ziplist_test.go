package list_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/ziplist"
)

// Lists of older Redis versions restored on Redoubt and redis-server
// 7.0: a ziplist (RDB type 10) and quicklists of ziplist nodes (type 14).
// Both servers must answer alike and, when they load the list, hold the
// same elements in the same nodes: DUMP writes the nodes, so equal DUMPs
// mean Redis's fill rules were applied (type 10) or its nodes kept (type
// 14).

func zl(vals ...string) []byte {
	z := ziplist.New()
	for _, v := range vals {
		z = ziplist.Append(z, []byte(v))
	}
	return z
}

// oldList is the DUMP payload of a list of RDB type typ: one ziplist for
// TypeListZiplist, a node per ziplist for TypeListQuicklist, LZF-
// compressed where compress is set and it saves enough, as Redis wrote
// them.
func oldList(typ byte, compress bool, zls ...[]byte) string {
	w := rdb.Encoder{Compress: compress}
	w.Byte(typ)
	if typ == rdb.TypeListQuicklist {
		w.Len(uint64(len(zls)))
	}
	for _, z := range zls {
		w.String(z)
	}
	return string(rdb.AppendDumpFooter(w.B))
}

// sameList restores payload as k on both servers, which must load it,
// and compares the lists.
func sameList(t *testing.T, p *difftest.Pair, k, payload string) {
	t.Helper()
	if r := string(p.Do("restore", k, "0", payload, "replace")); r != "+OK\r\n" {
		t.Errorf("restore %s: %q", k, r)
		return
	}
	p.Do("object", "encoding", k)
	p.Do("lrange", k, "0", "-1")
	p.Do("dump", k)
}

// elements returns n elements of varied kinds and sizes, integers of
// every ziplist encoding among them.
func elements(n int) []string {
	out := make([]string, n)
	for i := range out {
		switch i % 6 {
		case 0:
			out[i] = strconv.Itoa(i)
		case 1:
			out[i] = strconv.Itoa(-i * 1000003)
		case 2:
			out[i] = strconv.FormatInt(int64(i)<<40, 10)
		case 3:
			out[i] = strings.Repeat("e", i%300)
		default:
			out[i] = "el" + strconv.Itoa(i)
		}
	}
	return out
}

func TestZiplistFillsNodesAsRedis(t *testing.T) {
	for _, fill := range []string{"-5", "-2", "-1", "1", "2", "7", "128"} {
		t.Run("list-max-listpack-size "+fill, func(t *testing.T) {
			p := difftest.NewPair(t, "rdbcompression no", "list-max-listpack-size "+fill)
			for _, n := range []int{1, 2, 10, 100, 1000} {
				sameList(t, p, "l"+strconv.Itoa(n), oldList(rdb.TypeListZiplist, false, zl(elements(n)...)))
			}
			// Elements of 8 KiB and more fill a node each at every size
			// limit.
			big := strings.Repeat("B", 8200)
			sameList(t, p, "big", oldList(rdb.TypeListZiplist, true, zl("a", big, "b", big, big)))
		})
	}
}

// TestZiplistPlainNodes: elements from the packed threshold up get plain
// nodes of their own, as RPUSH gives them.
func TestZiplistPlainNodes(t *testing.T) {
	p := difftest.NewPair(t, "rdbcompression no")
	p.Do("debug", "quicklist-packed-threshold", "100")
	defer p.Do("debug", "quicklist-packed-threshold", "0")
	long := strings.Repeat("P", 150)
	sameList(t, p, "plain", oldList(rdb.TypeListZiplist, false, zl("small", long, "tiny", long, long, "end")))
	// Quicklist nodes are kept as they are: no plain node is made.
	sameList(t, p, "nodes", oldList(rdb.TypeListQuicklist, false, zl("small", long), zl(long)))
}

func TestQuicklistNodesKeptAsRedis(t *testing.T) {
	for _, fill := range []string{"-2", "1", "3"} {
		p := difftest.NewPair(t, "rdbcompression no", "list-max-listpack-size "+fill)
		els := elements(600)
		for _, compress := range []bool{false, true} {
			c := strconv.FormatBool(compress)
			// Nodes as Redis 6 cut them, and nodes no fill would make:
			// kept whatever list-max-listpack-size says.
			sameList(t, p, "ql:"+c, oldList(rdb.TypeListQuicklist, compress, zl(els[:100]...), zl(els[100:101]...), zl(els[101:]...)))
			// An empty node is skipped.
			sameList(t, p, "ql:hole:"+c, oldList(rdb.TypeListQuicklist, compress, zl("a", "b"), ziplist.New(), zl("c")))
			sameList(t, p, "ql:holefirst:"+c, oldList(rdb.TypeListQuicklist, compress, ziplist.New(), zl(els[:50]...)))
		}
	}
}

// TestEmptyAndBrokenListsRefusedAsRedis: RESTORE refuses empty lists, as
// Redis does (both skip them in a file), and a quicklist with a bad node
// anywhere.
func TestEmptyAndBrokenListsRefusedAsRedis(t *testing.T) {
	p := difftest.NewPair(t)
	bad := with(zl("a", "b"), 8, 3) // zllen 3 for 2
	for _, payload := range []string{
		oldList(rdb.TypeListZiplist, false, ziplist.New()),
		oldList(rdb.TypeListQuicklist, false),
		oldList(rdb.TypeListQuicklist, false, ziplist.New()),
		oldList(rdb.TypeListQuicklist, false, ziplist.New(), ziplist.New()),
		oldList(rdb.TypeListQuicklist, false, zl("a"), bad),
		oldList(rdb.TypeListQuicklist, false, bad, zl("a")),
		oldList(rdb.TypeListZiplist, false, bad),
		oldList(rdb.TypeListQuicklist, false, zl("a"), []byte{}),
		twoAnnouncedOneGiven(),
	} {
		if got := string(p.Do("restore", "k", "0", payload)); got != "-ERR Bad data format\r\n" {
			t.Errorf("restore %q: %q", payload, got)
		}
	}
	p.SameKeyspace("db0")
}

func twoAnnouncedOneGiven() string {
	w := rdb.Encoder{}
	w.Byte(rdb.TypeListQuicklist)
	w.Len(2)
	w.String(zl("a"))
	return string(rdb.AppendDumpFooter(w.B))
}

func with(b []byte, off int, v ...byte) []byte {
	b = bytes.Clone(b)
	copy(b[off:], v)
	return b
}
