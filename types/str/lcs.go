package str

import (
	"math"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// lcs is LCS key1 key2 [LEN] [IDX] [MINMATCHLEN n] [WITHMATCHLEN]: the
// longest common subsequence by the classic dynamic programming table,
// walked back from the end to produce the string or the matching ranges
// (last ones first, as Redis emits them). Missing keys are empty strings.
func lcs(c *command.Ctx) {
	ida := c.DB.LookupRead(c.Args[1])
	idb := c.DB.LookupRead(c.Args[2])
	if ida != dict.None && c.DB.Kind(ida) != keyspace.KindString ||
		idb != dict.None && c.DB.Kind(idb) != keyspace.KindString {
		c.Err("ERR The specified keys must contain string values")
		return
	}
	var bufb [24]byte
	var a, b []byte
	if ida != dict.None {
		a = c.DB.String(ida, c.Buf[:])
	}
	if idb != dict.None {
		b = c.DB.String(idb, bufb[:])
	}

	var getlen, getidx, withmatchlen bool
	var minmatchlen int64
	for j := 3; j < len(c.Args); j++ {
		switch {
		case c.Is(j, "idx"):
			getidx = true
		case c.Is(j, "len"):
			getlen = true
		case c.Is(j, "withmatchlen"):
			withmatchlen = true
		case c.Is(j, "minmatchlen") && j+1 < len(c.Args):
			n, ok := c.Int(j + 1)
			if !ok {
				return
			}
			minmatchlen = max(n, 0)
			j++
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}
	if getlen && getidx {
		c.Err("ERR If you want both the length and indexes, please just use IDX.")
		return
	}
	if len(a) >= math.MaxUint32-1 || len(b) >= math.MaxUint32-1 {
		c.Err("ERR String too long for LCS")
		return
	}
	alen, blen := uint32(len(a)), uint32(len(b))
	cells := uint64(alen+1) * uint64(blen+1)
	if cells*4 > uint64(c.Cfg.ProtoMaxBulkLen) {
		c.Err("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
		return
	}

	// t[i*(blen+1)+j] is the LCS length of a[:i] and b[:j].
	w := int(blen) + 1
	t := make([]uint32, cells)
	for i := 1; i <= int(alen); i++ {
		row, prev := t[i*w:(i+1)*w], t[(i-1)*w:i*w]
		for j := 1; j < w; j++ {
			if a[i-1] == b[j-1] {
				row[j] = prev[j-1] + 1
			} else {
				row[j] = max(prev[j], row[j-1])
			}
		}
	}
	total := t[len(t)-1]

	computelcs := getidx || !getlen
	var result []byte
	if computelcs {
		result = make([]byte, total)
	}
	var d protocol.Deferred
	if getidx {
		c.W.Map(2)
		c.W.BulkString("matches")
		d = c.W.Defer()
	}
	matches := 0
	// The current range [astart, aend] / [bstart, bend]; astart == alen
	// means none is open.
	astart, aend, bstart, bend := alen, uint32(0), uint32(0), uint32(0)
	idx := total
	i, j := alen, blen
	for computelcs && i > 0 && j > 0 {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			if astart == alen {
				astart, aend, bstart, bend = i-1, i-1, j-1, j-1
			} else if astart == i && bstart == j {
				// Contiguous: extend the range backward.
				astart--
				bstart--
			} else {
				emit = true
			}
			if astart == 0 || bstart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if t[int(i-1)*w+int(j)] > t[int(i)*w+int(j)-1] {
				i--
			} else {
				j--
			}
			if astart != alen {
				emit = true
			}
		}
		if emit {
			matchlen := aend - astart + 1
			if getidx && (minmatchlen == 0 || int64(matchlen) >= minmatchlen) {
				if withmatchlen {
					c.W.Array(3)
				} else {
					c.W.Array(2)
				}
				c.W.Array(2)
				c.W.Int(int64(astart))
				c.W.Int(int64(aend))
				c.W.Array(2)
				c.W.Int(int64(bstart))
				c.W.Int(int64(bend))
				if withmatchlen {
					c.W.Int(int64(matchlen))
				}
				matches++
			}
			astart = alen
		}
	}
	switch {
	case getidx:
		c.W.BulkString("len")
		c.W.Int(int64(total))
		c.W.FillArray(d, matches)
	case getlen:
		c.W.Int(int64(total))
	default:
		c.W.Bulk(result)
	}
}
