package geo

import "math"

// shape is a search area: a circle or an axis-aligned box around a
// centre. Sizes are in the query's unit, which is unit metres.
type shape struct {
	lon, lat      float64
	box           bool
	radius        float64
	width, height float64
	unit          float64
}

// bounds is the range of coordinates the shape may reach. Meridians
// converge towards the poles, so the longitude span is taken on the edge
// nearer to the pole.
func (s *shape) bounds() area {
	halfH, halfW := s.unit*s.radius, s.unit*s.radius
	if s.box {
		halfH, halfW = s.unit*(s.height/2), s.unit*(s.width/2)
	}
	latDelta := deg(halfH / earthRadius)
	lonDeltaTop := deg(halfW / earthRadius / cos(rad(s.lat+latDelta)))
	lonDeltaBottom := deg(halfW / earthRadius / cos(rad(s.lat-latDelta)))
	lonDelta := lonDeltaTop
	if s.lat < 0 {
		lonDelta = lonDeltaBottom
	}
	return area{span{s.lon - lonDelta, s.lon + lonDelta}, span{s.lat - latDelta, s.lat + latDelta}}
}

// reach is the distance in metres from the centre to the farthest point
// of the shape: the radius, or half the box's diagonal.
func (s *shape) reach() float64 {
	r := s.radius
	if s.box {
		w, h := s.width/2, s.height/2
		r = math.Sqrt(float64(w*w) + float64(h*h))
	}
	return r * s.unit
}

// estimateStep is the coarsest cell size (in bits a coordinate) whose
// cells are about as large as the search radius, one step coarser near
// the poles where cells are narrower.
func estimateStep(meters, lat float64) uint {
	if meters == 0 {
		return stepMax
	}
	step := 1
	for meters < mercatorMax {
		meters *= 2
		step++
	}
	step -= 2 // let the 3x3 cells around the centre hold the radius
	if lat > 66 || lat < -66 {
		step--
		if lat > 80 || lat < -80 {
			step--
		}
	}
	return uint(min(max(step, 1), stepMax))
}

// Indexes of the nine cells searched, in the order Redis searches them:
// the centre's cell, then its neighbours.
const (
	cCentre = iota
	cNorth
	cSouth
	cEast
	cWest
	cNorthEast
	cNorthWest
	cSouthEast
	cSouthWest
)

// cells returns the cell holding the centre and its eight neighbours,
// large enough together to cover the shape; neighbours the shape cannot
// reach are pruned (step 0).
func (s *shape) cells() [9]cell {
	b := s.bounds()
	step := estimateStep(s.reach(), s.lat)
	cs := around(encode(lonSpan, latSpan, s.lon, s.lat, step))
	// Near a cell's edge the estimate can be one step too fine.
	if step > 1 && fallsShort(&cs, b) {
		step--
		cs = around(encode(lonSpan, latSpan, s.lon, s.lat, step))
	}
	if step >= 2 {
		prune(&cs, cs[cCentre].area(), b)
	}
	return cs
}

// around returns c and its neighbours.
func around(c cell) [9]cell {
	return [9]cell{
		cCentre:    c,
		cNorth:     c.move(0, 1),
		cSouth:     c.move(0, -1),
		cEast:      c.move(1, 0),
		cWest:      c.move(-1, 0),
		cNorthEast: c.move(1, 1),
		cNorthWest: c.move(-1, 1),
		cSouthEast: c.move(1, -1),
		cSouthWest: c.move(-1, -1),
	}
}

// fallsShort reports whether a side neighbour stops short of b's edge
// (bounds may be NaN, for which nothing falls short).
func fallsShort(cs *[9]cell, b area) bool {
	return cs[cNorth].area().lat.max < b.lat.max || cs[cSouth].area().lat.min > b.lat.min ||
		cs[cEast].area().lon.max < b.lon.max || cs[cWest].area().lon.min > b.lon.min
}

// prune drops the neighbours on the sides where the centre cell alone
// already reaches past the bounds.
func prune(cs *[9]cell, centre, b area) {
	drop := func(idx ...int) {
		for _, i := range idx {
			cs[i] = cell{}
		}
	}
	if centre.lat.min < b.lat.min {
		drop(cSouth, cSouthWest, cSouthEast)
	}
	if centre.lat.max > b.lat.max {
		drop(cNorth, cNorthEast, cNorthWest)
	}
	if centre.lon.min < b.lon.min {
		drop(cWest, cSouthWest, cNorthWest)
	}
	if centre.lon.max > b.lon.max {
		drop(cEast, cSouthEast, cNorthEast)
	}
}

// contains reports whether the point (lon, lat) is in the shape, and its
// distance from the centre in metres.
func (s *shape) contains(lon, lat float64) (float64, bool) {
	if !s.box {
		d := distance(s.lon, s.lat, lon, lat)
		return d, d <= s.radius*s.unit
	}
	// The latitude test is the cheaper one.
	if latDistance(lat, s.lat) > s.height*s.unit/2 {
		return 0, false
	}
	if distance(lon, lat, s.lon, lat) > s.width*s.unit/2 {
		return 0, false
	}
	return distance(s.lon, s.lat, lon, lat), true
}
