package geo

import (
	"slices"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/types/zset"
)

// GEORADIUS, GEORADIUSBYMEMBER, their _RO forms, GEOSEARCH and
// GEOSEARCHSTORE are one command (Redis's georadiusGeneric) taking its
// centre and shape from different places.

// Where a search command takes its centre and shape from.
const (
	fromCoords  = iota // GEORADIUS key lon lat radius unit
	fromMember         // GEORADIUSBYMEMBER key member radius unit
	fromOptions        // GEOSEARCH: FROMMEMBER/FROMLONLAT, BYRADIUS/BYBOX
)

// variant is how one search command takes its arguments.
type variant struct {
	src     int // index of the source key
	from    int
	noStore bool // the _RO forms refuse STORE and STOREDIST
	store   bool // GEOSEARCHSTORE: the destination comes first
}

func registerSearch(t *command.Table) {
	for name, v := range map[string]variant{
		"georadius":            {src: 1, from: fromCoords},
		"georadius_ro":         {src: 1, from: fromCoords, noStore: true},
		"georadiusbymember":    {src: 1, from: fromMember},
		"georadiusbymember_ro": {src: 1, from: fromMember, noStore: true},
		"geosearch":            {src: 1, from: fromOptions},
		"geosearchstore":       {src: 2, from: fromOptions, store: true},
	} {
		t.Handle(name, func(c *command.Ctx) { search(c, v) })
	}
}

const (
	sortNone = iota
	sortAsc
	sortDesc
)

// query is a parsed search command.
type query struct {
	shape
	withDist, withHash, withCoord bool
	sort                          int
	any                           bool   // stop at count points found
	count                         int    // 0: no limit
	storeKey                      []byte // nil: reply with the points
	storeDist                     bool   // store distances, not scores
}

// point is a point found by a search.
type point struct {
	member   []byte
	lon, lat float64
	dist     float64 // metres until the reply, then in the query's unit
	score    float64
}

func search(c *command.Ctx, v variant) {
	set, exists, ok := zset.Open(c, c.Args[v.src])
	if !ok {
		return
	}
	q, ok := parseQuery(c, v, &set, exists)
	if !ok {
		return
	}
	if !exists {
		if q.storeKey != nil {
			zset.Store(c, q.storeKey, nil, nil, "")
		} else {
			c.W.Array(0)
		}
		return
	}
	// COUNT means the nearest ones, unless ANY asks for the first found.
	if q.count != 0 && q.sort == sortNone && !q.any {
		q.sort = sortAsc
	}
	limit := 0
	if q.any {
		limit = q.count
	}
	ps := collect(&set, &q.shape, limit)
	if len(ps) == 0 && q.storeKey == nil {
		c.W.Array(0)
		return
	}
	n := len(ps)
	if q.count != 0 && q.count < n {
		n = q.count
	}
	if q.sort != sortNone {
		sortPoints(ps, q.sort == sortDesc, n)
	}
	ps = ps[:n]
	for i := range ps {
		ps[i].dist /= q.unit
	}
	if q.storeKey != nil {
		store(c, &q, v, ps)
	} else {
		q.reply(c, ps)
	}
}

// parseQuery parses a search command's arguments, replying with an error
// if they are wrong. A missing source key is no error, even where the
// centre is a member of it.
func parseQuery(c *command.Ctx, v variant, set *zset.Set, exists bool) (q query, ok bool) {
	first := 2
	switch v.from {
	case fromCoords:
		first = 6
		if q.lon, q.lat, ok = lonLat(c, 2); !ok {
			return q, false
		}
		if !q.parseRadius(c, 4) {
			return q, false
		}
	case fromMember:
		first = 5
		if exists && (!q.centreAt(c, set, c.Args[2]) || !q.parseRadius(c, 3)) {
			return q, false
		}
	case fromOptions:
		if v.store {
			first = 3
			q.storeKey = c.Args[1]
		}
	}
	var f flags
	for i := first; i < len(c.Args); i++ {
		n, ok := q.parseOption(c, v, set, exists, i, &f)
		if !ok {
			return q, false
		}
		i += n
	}
	return q, q.check(c, v, &f)
}

// flags are the options seen by parseOption that check looks at.
type flags struct{ fromMember, fromLonLat, byRadius, byBox bool }

// parseOption parses the option at i, returning how many arguments it
// took after its name.
func (q *query) parseOption(c *command.Ctx, v variant, set *zset.Set, exists bool, i int, f *flags) (int, bool) {
	left := len(c.Args) - i - 1
	canStore := !v.noStore && v.from != fromOptions
	geosearch := v.from == fromOptions
	switch {
	case c.IsOpt(i, "withdist"):
		q.withDist = true
	case c.IsOpt(i, "withhash"):
		q.withHash = true
	case c.IsOpt(i, "withcoord"):
		q.withCoord = true
	case c.IsOpt(i, "any"):
		q.any = true
	case c.IsOpt(i, "asc"):
		q.sort = sortAsc
	case c.IsOpt(i, "desc"):
		q.sort = sortDesc
	case c.IsOpt(i, "count") && left >= 1:
		n, ok := c.Int(i + 1)
		if !ok {
			return 0, false
		}
		if n <= 0 {
			c.Err("ERR COUNT must be > 0")
			return 0, false
		}
		q.count = int(n)
		return 1, true
	case (c.IsOpt(i, "store") || c.IsOpt(i, "storedist")) && left >= 1 && canStore:
		q.storeKey, q.storeDist = c.Args[i+1], c.IsOpt(i, "storedist")
		return 1, true
	case c.IsOpt(i, "storedist") && v.store:
		q.storeDist = true
	case c.IsOpt(i, "frommember") && left >= 1 && geosearch && !f.fromLonLat:
		if exists && !q.centreAt(c, set, c.Args[i+1]) {
			return 0, false
		}
		f.fromMember = true
		return 1, true
	case c.IsOpt(i, "fromlonlat") && left >= 2 && geosearch && !f.fromMember:
		var ok bool
		if q.lon, q.lat, ok = lonLat(c, i+1); !ok {
			return 0, false
		}
		f.fromLonLat = true
		return 2, true
	case c.IsOpt(i, "byradius") && left >= 2 && geosearch && !f.byBox:
		f.byRadius = true
		return 2, q.parseRadius(c, i+1)
	case c.IsOpt(i, "bybox") && left >= 3 && geosearch && !f.byRadius:
		f.byBox = true
		return 3, q.parseBox(c, i+1)
	default:
		c.Err(command.ErrSyntax)
		return 0, false
	}
	return 0, true
}

// check refuses option combinations that parse but make no sense.
func (q *query) check(c *command.Ctx, v variant, f *flags) bool {
	name := string(command.CString(c.Args[0]))
	switch {
	case q.storeKey != nil && (q.withDist || q.withHash || q.withCoord):
		what := "STORE option in GEORADIUS"
		if v.store {
			what = "GEOSEARCHSTORE"
		}
		c.Err("ERR " + what + " is not compatible with WITHDIST, WITHHASH and WITHCOORD options")
	case v.from == fromOptions && !f.fromMember && !f.fromLonLat:
		c.Err("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for " + name)
	case v.from == fromOptions && !f.byRadius && !f.byBox:
		c.Err("ERR exactly one of BYRADIUS and BYBOX can be specified for " + name)
	case q.any && q.count == 0:
		c.Err("ERR the ANY argument requires COUNT argument")
	default:
		return true
	}
	return false
}

// centreAt centres the search on a member's point.
func (q *query) centreAt(c *command.Ctx, set *zset.Set, member []byte) bool {
	score, found := set.Score(member)
	if !found {
		c.Err("ERR could not decode requested zset member")
		return false
	}
	q.lon, q.lat = decodeScore(score)
	return true
}

// parseRadius parses "radius unit" at i.
func (q *query) parseRadius(c *command.Ctx, i int) bool {
	r, ok := number(c, i, "ERR need numeric radius")
	if !ok {
		return false
	}
	if r < 0 {
		c.Err("ERR radius cannot be negative")
		return false
	}
	q.box, q.radius = false, r
	q.unit, ok = unit(c, i+1)
	return ok
}

// parseBox parses "width height unit" at i.
func (q *query) parseBox(c *command.Ctx, i int) bool {
	w, ok := number(c, i, "ERR need numeric width")
	if !ok {
		return false
	}
	h, ok := number(c, i+1, "ERR need numeric height")
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.Err("ERR height or width cannot be negative")
		return false
	}
	q.box, q.width, q.height = true, w, h
	q.unit, ok = unit(c, i+2)
	return ok
}

// number parses argument i as a double, replying msg if it is not one.
func number(c *command.Ctx, i int, msg string) (float64, bool) {
	f, ok := command.ParseFloat(c.Args[i])
	if !ok {
		c.Err(msg)
	}
	return f, ok
}

// collect returns the points inside s, cell after cell, each cell's in
// score order; it stops once it has limit points, if limit is not 0.
func collect(set *zset.Set, s *shape, limit int) []point {
	var ps []point
	full := func() bool { return limit > 0 && len(ps) >= limit }
	cs := s.cells()
	last := 0
	for i, cl := range cs {
		// A huge radius can make neighbours the same cell: the one just
		// searched is not searched again.
		if cl.step == 0 || last != 0 && cl == cs[last] {
			continue
		}
		if full() {
			break
		}
		lo, hi := cl.scoreRange()
		set.RangeByScore(lo, hi, func(m []byte, score float64) bool {
			if score >= hi {
				return false
			}
			lon, lat := decodeScore(score)
			if d, in := s.contains(lon, lat); in {
				ps = append(ps, point{append([]byte(nil), m...), lon, lat, d, score})
			}
			return !full()
		})
		last = i
	}
	return ps
}

// sortPoints orders points by distance, or only the first n.
func sortPoints(ps []point, desc bool, n int) {
	cmp := func(a, b *point) int {
		switch {
		case a.dist > b.dist:
			return 1
		case a.dist == b.dist:
			return 0
		}
		return -1
	}
	if desc {
		asc := cmp
		cmp = func(a, b *point) int { return -asc(a, b) }
	}
	if n == len(ps) {
		slices.SortStableFunc(ps, func(a, b point) int { return cmp(&a, &b) })
		return
	}
	partialSort(ps, cmp, n-1)
}

// reply writes the points, each with the extras asked for.
func (q *query) reply(c *command.Ctx, ps []point) {
	extras := 0
	for _, on := range []bool{q.withDist, q.withHash, q.withCoord} {
		if on {
			extras++
		}
	}
	c.W.Array(len(ps))
	for _, p := range ps {
		if extras > 0 {
			c.W.Array(extras + 1)
		}
		c.W.Bulk(p.member)
		if q.withDist {
			writeDistance(c.W, p.dist)
		}
		if q.withHash {
			c.W.Int(int64(p.score))
		}
		if q.withCoord {
			c.W.Array(2)
			writeCoord(c.W, p.lon)
			writeCoord(c.W, p.lat)
		}
	}
}

// store writes the points to the destination as a sorted set.
func store(c *command.Ctx, q *query, v variant, ps []point) {
	members := make([][]byte, len(ps))
	scores := make([]float64, len(ps))
	for i, p := range ps {
		members[i], scores[i] = p.member, p.score
		if q.storeDist {
			scores[i] = p.dist
		}
	}
	event := "georadiusstore"
	if v.from == fromOptions {
		event = "geosearchstore"
	}
	zset.Store(c, q.storeKey, members, scores, event)
}
