package zset

import (
	"bytes"
	"math"
	"strconv"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/rdb"
)

// A sorted set travels as its listpack, or as a count and member/score
// pairs from the highest to the lowest (so that loading inserts each at
// the head), scores as binary doubles. Loading picks the encoding Redis
// 7.0 would under the zset-max-listpack-* settings, and refuses
// duplicates, NaN scores and listpacks out of order, which Redis accepts
// and then misbehaves on. Older versions wrote ziplists, converted as
// they load (ziplist.go).

func init() {
	keyspace.RegisterLoader(keyspace.KindZSet, loadValue,
		rdb.TypeZSetListpack, rdb.TypeZSet2, rdb.TypeZSet, rdb.TypeZSetZiplist)
}

func saveValue(ks *keyspace.Keyspace, enc keyspace.Encoding, val uint64, w *rdb.Encoder) byte {
	v := value{ks, enc, val}
	if v.isListpack() {
		w.String(v.lp())
		return rdb.TypeZSetListpack
	}
	s := v.sl()
	w.Len(uint64(s.length))
	for n := s.tail; n != 0; n = s.back[n] {
		w.String(s.member(n))
		w.Double(s.score[n])
	}
	return rdb.TypeZSet2
}

func loadValue(ks *keyspace.Keyspace, cfg *config.Values, t byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	switch t {
	case rdb.TypeZSetListpack:
		return loadListpack(ks, cfg, d)
	case rdb.TypeZSetZiplist:
		return loadZiplist(ks, cfg, d)
	}
	n := d.Count(2)
	v := newValue(ks, true)
	s := v.sl()
	maxLen, totLen := 0, 0
	var m []byte
	for range n {
		m = append(m[:0], d.String()...)
		var score float64
		if t == rdb.TypeZSet2 {
			score = d.Double()
		} else {
			score = loadStringDouble(d)
		}
		if d.Err() != nil || math.IsNaN(score) || s.find(m) != dict.None {
			d.Fail()
			break
		}
		s.insert(m, score)
		maxLen, totLen = max(maxLen, len(m)), totLen+len(m)
	}
	if n == 0 || d.Err() != nil {
		v.free()
		if n == 0 {
			d.Empty()
		} else {
			d.Fail()
		}
		return 0, 0, false
	}
	v.toListpackIfSmall(cfg, maxLen, totLen)
	return v.enc, v.val, true
}

// loadStringDouble reads a score of the oldest format: a length byte
// (253 NaN, 254 +inf, 255 -inf) and that many bytes of decimal text.
func loadStringDouble(d *rdb.Decoder) float64 {
	switch n := d.Byte(); n {
	case 253:
		return math.NaN()
	case 254:
		return math.Inf(1)
	case 255:
		return math.Inf(-1)
	default:
		f, err := strconv.ParseFloat(string(d.Raw(int(n))), 64)
		if err != nil {
			d.Fail()
		}
		return f
	}
}

func loadListpack(ks *keyspace.Keyspace, cfg *config.Values, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	s := d.String()
	if d.Err() != nil {
		return 0, 0, false
	}
	return listpackValue(ks, cfg, s, d)
}

// listpackValue makes a sorted set of the listpack lp once it passes
// sortedPairs. As in Redis, one of more than zset-max-listpack-entries
// members becomes a skiplist, and member lengths are not looked at.
func listpackValue(ks *keyspace.Keyspace, cfg *config.Values, lp []byte, d *rdb.Decoder) (keyspace.Encoding, uint64, bool) {
	// Checked in the arena: Len may write the count into the header.
	v := value{ks, keyspace.EncListpack, uint64(ks.Arena.New(lp))}
	if listpack.Validate(v.lp(), true) == nil && listpack.Len(v.lp()) == 0 {
		v.free()
		d.Empty()
		return 0, 0, false
	}
	if !sortedPairs(v.lp()) {
		v.free()
		d.Fail()
		return 0, 0, false
	}
	if int64(listpack.Len(v.lp())/2) > cfg.ZsetMaxListpackEntries {
		v.toSkiplist()
	}
	return v.enc, v.val, true
}

// sortedPairs reports whether lp is a sorted set's listpack: unique
// members, each followed by a score that is a number, in ascending order
// of score, then member.
func sortedPairs(lp []byte) bool {
	if listpack.ValidatePairs(lp) != nil {
		return false
	}
	var prev, cur []byte
	var buf [20]byte
	prevScore := math.Inf(-1)
	for off := listpack.First(lp); off >= 0; {
		soff := listpack.Next(lp, off)
		cur = append(cur[:0], lpElem(lp, off, buf[:0])...)
		var score float64
		if str, n, isInt := listpack.Get(lp, soff); isInt {
			score = float64(n)
		} else {
			f, err := strconv.ParseFloat(string(str), 64)
			if err != nil || math.IsNaN(f) {
				return false
			}
			score = f
		}
		if off != listpack.First(lp) && (score < prevScore || score == prevScore && bytes.Compare(cur, prev) <= 0) {
			return false
		}
		prev, cur = cur, prev
		prevScore = score
		off = listpack.Next(lp, soff)
	}
	return true
}
