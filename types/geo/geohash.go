package geo

import "math"

// Coordinates are indexed on Web Mercator's square: latitudes beyond
// ±85.05112878 cannot be encoded.
const (
	latMin  = -85.05112878
	latMax  = 85.05112878
	lonMin  = -180.0
	lonMax  = 180.0
	stepMax = 26 // 26 bits a coordinate: scores of 52 bits, exact in a double

	earthRadius = 6372797.560856 // metres
	mercatorMax = 20037726.37    // half of the equator on the projection, metres
)

// degToRad is M_PI/180 computed in double, as Redis computes it; Go's
// exact constant arithmetic could round differently.
var degToRad = float64(math.Pi) / 180

func rad(deg float64) float64 { return deg * degToRad }
func deg(rad float64) float64 { return rad / degToRad }

// span is a coordinate range.
type span struct{ min, max float64 }

var (
	lonSpan    = span{lonMin, lonMax}
	latSpan    = span{latMin, latMax}
	stdLatSpan = span{-90, 90} // standard geohash strings (GEOHASH)
)

// cell is a geohash: step bits of each coordinate, interleaved with the
// longitude bit first. A cell with step 0 is "none" (a pruned neighbour).
type cell struct {
	bits uint64
	step uint
}

// encode returns the cell of step bits holding (lon, lat), which the
// caller has checked to be in range.
func encode(lonR, latR span, lon, lat float64, step uint) cell {
	latOff := (lat - latR.min) / (latR.max - latR.min)
	lonOff := (lon - lonR.min) / (lonR.max - lonR.min)
	scale := float64(uint64(1) << step)
	return cell{interleave(uint32(latOff*scale), uint32(lonOff*scale)), step}
}

// score is the 52-bit sorted set score of a cell: its bits aligned to the
// top of a step-26 hash.
func (c cell) score() uint64 { return c.bits << (52 - 2*c.step) }

// scoreRange is the scores of the points inside c: [min, max).
func (c cell) scoreRange() (min, max float64) {
	next := cell{c.bits + 1, c.step}
	return float64(c.score()), float64(next.score())
}

// area is the rectangle a cell covers.
type area struct{ lon, lat span }

func (c cell) area() area {
	lat, lon := deinterleave(c.bits)
	n := float64(uint64(1) << c.step)
	// i+1 wraps at 2^32 as Redis's unsigned arithmetic does (only scores
	// no GEOADD made get there).
	side := func(r span, i uint32) span {
		w := r.max - r.min
		return span{r.min + float64(float64(i)/n*w), r.min + float64(float64(i+1)/n*w)}
	}
	return area{side(lonSpan, lon), side(latSpan, lat)}
}

// decodeScore returns the centre of the cell a score names, clamped to
// the indexable range. Any score decodes, even one no GEOADD made.
func decodeScore(score float64) (lon, lat float64) {
	a := cell{scoreBits(score), stepMax}.area()
	lon = min(max((a.lon.min+a.lon.max)/2, lonMin), lonMax)
	lat = min(max((a.lat.min+a.lat.max)/2, latMin), latMax)
	return lon, lat
}

// scoreBits converts a score to uint64 as C's (uint64_t) cast does on
// x86-64, including for scores out of range.
func scoreBits(s float64) uint64 {
	if s < 0x1p63 {
		return uint64(int64(s))
	}
	return uint64(int64(s-0x1p63)) ^ 1<<63
}

// interleave spreads x over the even bits and y over the odd bits.
func interleave(x, y uint32) uint64 { return spread(x) | spread(y)<<1 }

// deinterleave undoes interleave.
func deinterleave(b uint64) (x, y uint32) { return squeeze(b), squeeze(b >> 1) }

// spread moves bit i of v to bit 2i.
func spread(v uint32) uint64 {
	x := uint64(v)
	x = (x | x<<16) & 0x0000FFFF0000FFFF
	x = (x | x<<8) & 0x00FF00FF00FF00FF
	x = (x | x<<4) & 0x0F0F0F0F0F0F0F0F
	x = (x | x<<2) & 0x3333333333333333
	return (x | x<<1) & 0x5555555555555555
}

// squeeze moves bit 2i of v to bit i.
func squeeze(v uint64) uint32 {
	x := v & 0x5555555555555555
	x = (x | x>>1) & 0x3333333333333333
	x = (x | x>>2) & 0x0F0F0F0F0F0F0F0F
	x = (x | x>>4) & 0x00FF00FF00FF00FF
	x = (x | x>>8) & 0x0000FFFF0000FFFF
	return uint32(x | x>>16)
}

// Longitude bits are the odd ones, latitude bits the even ones.
const (
	oddBits  uint64 = 0xaaaaaaaaaaaaaaaa
	evenBits uint64 = 0x5555555555555555
)

// move returns the cell d (-1, 0 or 1) cells east and north of c,
// wrapping around at the edges of the grid.
func (c cell) move(dlon, dlat int) cell {
	c.bits = shift(c.bits, c.step, oddBits, dlon)
	c.bits = shift(c.bits, c.step, evenBits, dlat)
	return c
}

// shift adds d to the coordinate whose bits are mask: the other bits are
// set to 1 so that a carry or borrow runs through them.
func shift(bits uint64, step uint, mask uint64, d int) uint64 {
	if d == 0 {
		return bits
	}
	coord, other := bits&mask, bits&^mask
	fill := ^mask >> (64 - 2*step)
	if d > 0 {
		coord += fill + 1
	} else {
		coord = (coord | fill) - (fill + 1)
	}
	return coord&(mask>>(64-2*step)) | other
}

// distance is the great-circle distance in metres (haversine formula).
func distance(lon1, lat1, lon2, lat2 float64) float64 {
	v := sin((rad(lon2) - rad(lon1)) / 2)
	if v == 0 {
		// Same meridian: the arc is the latitude difference.
		return latDistance(lat1, lat2)
	}
	lat1r, lat2r := rad(lat1), rad(lat2)
	u := sin((lat2r - lat1r) / 2)
	a := float64(u*u) + float64(float64(float64(cos(lat1r)*cos(lat2r))*v)*v)
	return 2.0 * earthRadius * asin(math.Sqrt(a))
}

func latDistance(lat1, lat2 float64) float64 {
	return earthRadius * math.Abs(rad(lat2)-rad(lat1))
}
