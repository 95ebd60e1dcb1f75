package sortcmd

import (
	"bytes"
	"math"
	"math/big"
	"slices"

	"github.com/redoubt-db/redoubt/command"
)

// weigh gives each item its weight. It reports false if a numeric weight
// is not a number; the weights of the other items are then left unset.
func weigh(c *command.Ctx, r *request, items []item) bool {
	var l lookuper
	ok := true
	for i := range items {
		it := &items[i]
		w := it.elem
		if r.by != nil {
			var found bool
			if w, found = l.lookup(c, r.by, it.elem); !found {
				continue // weight 0, or sorted first with ALPHA
			}
		}
		switch {
		case !r.alpha:
			var good bool
			it.score, good = parseScore(w)
			ok = ok && good
		case r.by != nil:
			it.cmp = append([]byte{}, w...)
		}
	}
	return ok
}

// parseScore parses a numeric weight as Redis does with strtod on the C
// string: leading white space is skipped, nothing but a NUL may follow,
// and an empty string is 0. NaN is refused, and so is anything strtod
// flags with ERANGE, which unlike other commands SORT checks whatever
// the result.
func parseScore(b []byte) (float64, bool) {
	s := cstring(b)
	if len(s) == 0 {
		return 0, true
	}
	t := bytes.TrimLeft(s, " \t\n\v\f\r")
	if len(t) == 0 {
		return 0, false
	}
	f, rangeErr, ok := command.Strtod(string(t))
	if f != 0 && math.Abs(f) <= 0x1p-1022 && inexactTiny(string(t), f) {
		return f, false
	}
	return f, ok && !rangeErr && !math.IsNaN(f)
}

// inexactTiny reports whether glibc's strtod, which gave f for s, set
// ERANGE for an underflow: the result is inexact and, rounded to 53 bits
// with an unbounded exponent, below the normal range.
func inexactTiny(s string, f float64) bool {
	exact, ok := new(big.Rat).SetString(s)
	if !ok || exact.Cmp(new(big.Rat).SetFloat64(f)) == 0 {
		return false
	}
	r := new(big.Float).SetPrec(53).SetMode(big.ToNearestEven).SetRat(exact)
	return r.Abs(r).Cmp(big.NewFloat(0x1p-1022)) < 0
}

// sortItems sorts items as Redis does: wholly with a stable sort, or,
// when a BY pattern is used and only [start, end] is wanted, with the
// partial quicksort that gives ALPHA BY ties Redis's order.
func sortItems(r *request, items []item, start, end int) {
	cmp := comparator(r)
	if r.by != nil && (start != 0 || end != len(items)-1) {
		partialSort(items, cmp, start, end)
		return
	}
	slices.SortStableFunc(items, cmp)
}

// comparator returns Redis's order of items. Numeric ties are broken by
// the elements' bytes, so equal results are identical elements; ALPHA BY
// ties (equal or both missing weights) are left equal. Without STORE,
// ALPHA compares with strcoll, which in the C locale Redis runs in is
// byte order up to a NUL; with STORE it compares whole byte strings.
func comparator(r *request) func(a, b item) int {
	str := collate
	if r.storing {
		str = bytes.Compare
	}
	var cmp func(a, b item) int
	switch {
	case !r.alpha:
		cmp = func(a, b item) int {
			switch {
			case a.score > b.score:
				return 1
			case a.score < b.score:
				return -1
			}
			return bytes.Compare(a.elem, b.elem)
		}
	case r.by != nil:
		cmp = func(a, b item) int {
			if a.cmp == nil || b.cmp == nil {
				return boolCmp(a.cmp != nil, b.cmp != nil)
			}
			return str(a.cmp, b.cmp)
		}
	default:
		cmp = func(a, b item) int { return str(a.elem, b.elem) }
	}
	if r.desc {
		return func(a, b item) int { return -cmp(a, b) }
	}
	return cmp
}

// collate is strcoll in the C locale.
func collate(a, b []byte) int { return bytes.Compare(cstring(a), cstring(b)) }

// boolCmp orders false before true.
func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
