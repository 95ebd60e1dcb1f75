// Package geo implements the GEO commands (Redis's geo.c) on top of
// sorted sets.
//
// A point is a sorted set member whose score is a 52-bit geohash: 26 bits
// of longitude (-180..180) and 26 of latitude (-85.05112878..85.05112878,
// Web Mercator's limits) interleaved, longitude first, so nearby points
// have nearby scores and a geohash cell is one range of scores. Scores,
// decoded coordinates (the centre of the point's cell) and distances are
// computed with the same double operations, in the same order, as Redis,
// so that replies match byte for byte.
//
// A search covers its shape with the cell holding the centre and its
// eight neighbours, at the finest step where they do, and scans each
// cell's score range, keeping the points inside the shape (area.go).
// Results come in the order found, cell after cell, unless sorted by
// distance: fully with a stable sort, as glibc's qsort sorts, or only the
// first COUNT with the partial quicksort Redis uses (pqsort.go).
//
// GEOADD is ZADD on computed scores (so it fires "zadd" events), and the
// STORE forms write a sorted set as ZUNIONSTORE does (types/zset).
package geo

import (
	"math"
	"math/big"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/longdouble"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/types/zset"
)

// Register adds the GEO commands to t.
func Register(t *command.Table) {
	t.Handle("geoadd", geoadd)
	t.Handle("geopos", geopos)
	t.Handle("geohash", geohash)
	t.Handle("geodist", geodist)
	registerSearch(t)
}

// geoadd is GEOADD key [NX|XX] [CH] lon lat member ..., run as ZADD once
// every pair is checked.
func geoadd(c *command.Ctx) {
	first := 2
	nx, xx := false, false
options:
	for ; first < len(c.Args); first++ {
		switch {
		case c.IsOpt(first, "nx"):
			nx = true
		case c.IsOpt(first, "xx"):
			xx = true
		case c.IsOpt(first, "ch"):
		default:
			break options
		}
	}
	points := c.Args[first:]
	if len(points)%3 != 0 || nx && xx {
		c.Err(command.ErrSyntax)
		return
	}
	args := make([][]byte, 0, first+len(points)/3*2)
	args = append(args, []byte("zadd"))
	args = append(args, c.Args[1:first]...)
	for i := first; i < len(c.Args); i += 3 {
		lon, lat, ok := lonLat(c, i)
		if !ok {
			return
		}
		score := encode(lonSpan, latSpan, lon, lat, stepMax).score()
		args = append(args, strconv.AppendUint(nil, score, 10), c.Args[i+2])
	}
	// GEOADD is ZADD with coordinates as scores, and travels as that ZADD.
	c.Rewrite(args...)
	zset.ZAdd(c, args)
}

// lonLat parses arguments i and i+1 as a longitude and a latitude that
// can be indexed.
func lonLat(c *command.Ctx, i int) (lon, lat float64, ok bool) {
	if lon, ok = c.Float(i); !ok {
		return 0, 0, false
	}
	if lat, ok = c.Float(i + 1); !ok {
		return 0, 0, false
	}
	if lon < lonMin || lon > lonMax || lat < latMin || lat > latMax {
		c.Err("ERR invalid longitude,latitude pair " + cFixed(lon) + "," + cFixed(lat))
		return 0, 0, false
	}
	return lon, lat, true
}

// cFixed formats f as C's printf("%f").
func cFixed(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'f', 6, 64)
}

// unit parses argument i as a distance unit, returning metres per unit.
func unit(c *command.Ctx, i int) (float64, bool) {
	switch {
	case c.IsOpt(i, "m"):
		return 1, true
	case c.IsOpt(i, "km"):
		return 1000, true
	case c.IsOpt(i, "ft"):
		return 0.3048, true
	case c.IsOpt(i, "mi"):
		return 1609.34, true
	}
	c.Err("ERR unsupported unit provided. please use M, KM, FT, MI")
	return 0, false
}

// writeDistance replies with a distance rounded to 4 decimals, always as
// a bulk string (Redis's addReplyDoubleDistance).
func writeDistance(w *protocol.Writer, d float64) {
	w.Bulk(appendFixed4(nil, d))
}

// appendFixed4 formats d with exactly 4 decimals, rounding d*10^4 to the
// nearest integer, ties to even, as Redis's fixedpoint_d2string does.
func appendFixed4(b []byte, d float64) []byte {
	if d == 0 {
		return append(b, "0.0000"...)
	}
	// Out of range (NaN), C's llrint gives LLONG_MIN, printed unsigned.
	n := int64(math.RoundToEven(d * 10000))
	u := uint64(n)
	if n < 0 {
		b = append(b, '-')
		u = -u
	}
	digits := strconv.AppendUint(nil, u, 10)
	for len(digits) < 5 {
		digits = append([]byte{'0'}, digits...)
	}
	b = append(b, digits[:len(digits)-4]...)
	b = append(b, '.')
	return append(b, digits[len(digits)-4:]...)
}

// writeCoord replies with a coordinate as Redis formats a long double:
// %.17Lf, trailing zeros removed.
func writeCoord(w *protocol.Writer, f float64) {
	var x big.Float
	x.SetPrec(longdouble.Prec).SetFloat64(f)
	w.HumanDouble(longdouble.Append(nil, &x))
}

// geopos is GEOPOS key member ...: each member's coordinates, or a null.
func geopos(c *command.Ctx) {
	s, _, ok := zset.Open(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		score, found := s.Score(m)
		if !found {
			c.W.NullArray()
			continue
		}
		lon, lat := decodeScore(score)
		c.W.Array(2)
		writeCoord(c.W, lon)
		writeCoord(c.W, lat)
	}
}

const base32 = "0123456789bcdefghjkmnpqrstuvwxyz"

// geohash is GEOHASH key member ...: each member's standard 11-character
// geohash, or a null. Standard geohashes span latitudes -90..90, so the
// point is decoded and encoded again; the 11th character, beyond the 52
// bits, is always '0'.
func geohash(c *command.Ctx) {
	s, _, ok := zset.Open(c, c.Args[1])
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, m := range c.Args[2:] {
		score, found := s.Score(m)
		if !found {
			c.W.Null()
			continue
		}
		lon, lat := decodeScore(score)
		bits := encode(lonSpan, stdLatSpan, lon, lat, stepMax).bits
		var buf [11]byte
		for i := range 10 {
			buf[i] = base32[bits>>(52-(i+1)*5)&0x1f]
		}
		buf[10] = '0'
		c.W.Bulk(buf[:])
	}
}

// geodist is GEODIST key member1 member2 [unit].
func geodist(c *command.Ctx) {
	toMeters := 1.0
	switch {
	case len(c.Args) == 5:
		var ok bool
		if toMeters, ok = unit(c, 4); !ok {
			return
		}
	case len(c.Args) > 5:
		c.Err(command.ErrSyntax)
		return
	}
	s, exists, ok := zset.Open(c, c.Args[1])
	if !ok {
		return
	}
	if !exists {
		c.W.Null()
		return
	}
	s1, found1 := s.Score(c.Args[2])
	s2, found2 := s.Score(c.Args[3])
	if !found1 || !found2 {
		c.W.Null()
		return
	}
	lon1, lat1 := decodeScore(s1)
	lon2, lat2 := decodeScore(s2)
	writeDistance(c.W, distance(lon1, lat1, lon2, lat2)/toMeters)
}
