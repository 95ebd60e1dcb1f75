package zset

import (
	"bytes"
	"github.com/redoubt-db/redoubt/command"
	"math"
	"unsafe"
)

// scoreRange is a ZRANGEBYSCORE interval: "(" makes an end exclusive.
type scoreRange struct {
	min, max     float64
	minex, maxex bool
}

const (
	errScoreRange = "ERR min or max is not a float"
	errLexRange   = "ERR min or max not valid string range item"
)

// parseScoreRange parses min and max as Redis's zslParseRange does.
func parseScoreRange(min, max []byte) (scoreRange, bool) {
	var r scoreRange
	var ok1, ok2 bool
	r.min, r.minex, ok1 = parseScoreBound(min)
	r.max, r.maxex, ok2 = parseScoreBound(max)
	return r, ok1 && ok2
}

// parseScoreBound parses a bound with C's strtod, as Redis does here
// (unlike for scores): leading space, overflow to infinity and an empty
// string (zero) pass; the argument ends at a NUL byte; NaN fails.
func parseScoreBound(b []byte) (f float64, ex, ok bool) {
	if len(b) > 0 && b[0] == '(' {
		b, ex = b[1:], true
	}
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	b = bytes.TrimLeft(b, " \t\n\v\f\r")
	if len(b) == 0 {
		return 0, ex, true
	}
	f, _, ok = command.Strtod(unsafe.String(&b[0], len(b)))
	return f, ex, ok && !math.IsNaN(f)
}

func (r *scoreRange) gteMin(x float64) bool {
	if r.minex {
		return x > r.min
	}
	return x >= r.min
}

func (r *scoreRange) lteMax(x float64) bool {
	if r.maxex {
		return x < r.max
	}
	return x <= r.max
}

func (r *scoreRange) empty() bool {
	return r.min > r.max || r.min == r.max && (r.minex || r.maxex)
}

// lexBound is one end of a ZRANGEBYLEX interval: a string, or "-" (inf
// -1) or "+" (inf 1), which Redis treats as exclusive.
type lexBound struct {
	s   []byte
	inf int8
	ex  bool
}

type lexRange struct{ min, max lexBound }

// parseLexRange parses min and max as Redis's zslParseLexRange does.
func parseLexRange(min, max []byte) (lexRange, bool) {
	var r lexRange
	var ok1, ok2 bool
	r.min, ok1 = parseLexBound(min)
	r.max, ok2 = parseLexBound(max)
	return r, ok1 && ok2
}

func parseLexBound(b []byte) (lexBound, bool) {
	if len(b) == 0 {
		return lexBound{}, false
	}
	switch b[0] {
	case '+', '-':
		// The C string must end right after the sign.
		if len(b) > 1 && b[1] != 0 {
			return lexBound{}, false
		}
		if b[0] == '+' {
			return lexBound{inf: 1, ex: true}, true
		}
		return lexBound{inf: -1, ex: true}, true
	case '(':
		return lexBound{s: b[1:], ex: true}, true
	case '[':
		return lexBound{s: b[1:]}, true
	}
	return lexBound{}, false
}

// cmpBounds orders bounds, the infinities outside every string (Redis's
// sdscmplex).
func cmpBounds(a, b lexBound) int {
	switch {
	case a.inf != 0 && a.inf == b.inf:
		return 0
	case a.inf < 0 || b.inf > 0:
		return -1
	case a.inf > 0 || b.inf < 0:
		return 1
	}
	return bytes.Compare(a.s, b.s)
}

func (r *lexRange) gteMin(m []byte) bool {
	c := cmpBounds(lexBound{s: m}, r.min)
	return c > 0 || c == 0 && !r.min.ex
}

func (r *lexRange) lteMax(m []byte) bool {
	c := cmpBounds(lexBound{s: m}, r.max)
	return c < 0 || c == 0 && !r.max.ex
}

func (r *lexRange) empty() bool {
	c := cmpBounds(r.min, r.max)
	return c > 0 || c == 0 && (r.min.ex || r.max.ex)
}

// bounds is a range of scores or, if lex is set, of members. It is a
// plain struct rather than an interface so that cursors passed to it stay
// on the stack.
type bounds struct {
	lex    bool
	scores scoreRange
	lexes  lexRange
}

func (b *bounds) empty() bool {
	if b.lex {
		return b.lexes.empty()
	}
	return b.scores.empty()
}

// below reports whether a position is before the range.
func (b *bounds) below(c *cursor, buf []byte) bool {
	if b.lex {
		return !b.lexes.gteMin(c.member(buf))
	}
	return !b.scores.gteMin(c.score())
}

// above reports whether a position is after the range.
func (b *bounds) above(c *cursor, buf []byte) bool {
	if b.lex {
		return !b.lexes.lteMax(c.member(buf))
	}
	return !b.scores.lteMax(c.score())
}
