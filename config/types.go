package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/cnum"
	"github.com/redoubt-db/redoubt/protocol"
)

// The parameter kinds of Redis's config.c: yes/no booleans, integers
// (optionally with memory units, percentages or in octal), enums, strings,
// and special parameters with their own syntax. Each constructor takes a
// pointer to the typed field of Values that holds the value; with a nil
// pointer the value is kept in Values.extra (parameters accepted for
// compatibility that Redoubt does not act on).

// slot returns the accessor of a value kept in Values.extra.
func slot[T any](name string) func(*Values) *T {
	return func(v *Values) *T {
		if p, ok := v.extra[name].(*T); ok {
			return p
		}
		p := new(T)
		v.extra[name] = p
		return p
	}
}

func boolParam(name string, def bool, ptr func(*Values) *bool) *Param {
	if ptr == nil {
		ptr = slot[bool](name)
	}
	p := &Param{Name: name, def: yesNo(def)}
	p.get = func(v *Values) string { return yesNo(*ptr(v)) }
	p.set = func(v *Values, args []string) error {
		var b bool
		switch {
		case strings.EqualFold(args[0], "yes"):
			b = true
		case strings.EqualFold(args[0], "no"):
		default:
			return errors.New("argument must be 'yes' or 'no'")
		}
		*ptr(v) = b
		return nil
	}
	return p
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// Numeric flags, as Redis's numeric configs have them.
type numFlags int

const (
	memUnits numFlags = 1 << iota // 1gb, 100mb, ...; shown unsigned
	percent                       // 10% (stored negated, as Redis does)
	octal                         // parsed and shown in base 8
	unsigned                      // bounds are compared unsigned
)

// Bounds of C's integer types.
const (
	intMin  = math.MinInt32
	intMax  = math.MaxInt32
	uintMax = math.MaxUint32
	longMax = math.MaxInt64
	// ullongMax is ULLONG_MAX as the bounds of unsigned parameters see it.
	ullongMax = -1
)

func intParam(name string, def, lo, hi int64, flags numFlags, ptr func(*Values) *int64) *Param {
	if ptr == nil {
		ptr = slot[int64](name)
	}
	p := &Param{Name: name, def: renderNumeric(def, flags)}
	p.get = func(v *Values) string { return renderNumeric(*ptr(v), flags) }
	p.set = func(v *Values, args []string) error {
		n, err := parseNumeric(args[0], flags)
		if err != nil {
			return err
		}
		if err := checkBounds(n, lo, hi, flags); err != nil {
			return err
		}
		*ptr(v) = n
		return nil
	}
	p.rewrite = func(v *Values) []rewriteLine {
		n := *ptr(v)
		s := renderNumeric(n, flags)
		// Sizes are written in the largest unit that divides them.
		if flags&memUnits != 0 && !strings.HasSuffix(s, "%") {
			s = formatMemory(n)
		}
		return []rewriteLine{{p.Name + " " + s, n != def}}
	}
	return p
}

func renderNumeric(n int64, flags numFlags) string {
	switch {
	case flags&percent != 0 && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case flags&memUnits != 0:
		return strconv.FormatUint(uint64(n), 10)
	case flags&octal != 0:
		return strconv.FormatInt(n, 8)
	}
	return strconv.FormatInt(n, 10)
}

// formatMemory renders a size for the config file, in the largest of gb,
// mb and kb that divides it.
func formatMemory(n int64) string {
	for _, u := range []struct {
		size int64
		name string
	}{{1 << 30, "gb"}, {1 << 20, "mb"}, {1 << 10, "kb"}} {
		if n != 0 && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func parseNumeric(s string, flags numFlags) (int64, error) {
	if flags&memUnits != 0 {
		if n, ok := memtoull(s); ok {
			return int64(n), nil
		}
	}
	if flags&percent != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if n, ok := protocol.ParseInt([]byte(s[:len(s)-1])); ok && n >= 0 {
			return -n, nil
		}
	}
	if flags&octal != 0 {
		if n, rest, overflow := strtoll(s, 8); rest == "" && !overflow {
			return n, nil
		}
	}
	if flags&(memUnits|percent|octal) == 0 {
		if n, ok := protocol.ParseInt([]byte(s)); ok {
			return n, nil
		}
	}
	switch {
	case flags&memUnits != 0 && flags&percent != 0:
		return 0, errors.New("argument must be a memory or percent value")
	case flags&memUnits != 0:
		return 0, errors.New("argument must be a memory value")
	case flags&octal != 0:
		return 0, errors.New("argument couldn't be parsed as an octal number")
	}
	return 0, errors.New("argument couldn't be parsed into an integer")
}

func checkBounds(n, lo, hi int64, flags numFlags) error {
	switch {
	case flags&unsigned != 0:
		if uint64(n) > uint64(hi) || uint64(n) < uint64(lo) {
			if flags&octal != 0 {
				return fmt.Errorf("argument must be between %o and %o inclusive", uint64(lo), uint64(hi))
			}
			return fmt.Errorf("argument must be between %d and %d inclusive", uint64(lo), uint64(hi))
		}
	case flags&percent != 0 && n < 0:
		if n < lo {
			return fmt.Errorf("percentage argument must be less or equal to %d", -lo)
		}
	case n > hi || n < lo:
		return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
	}
	return nil
}

// strtoll is cnum.Strtoll with what follows the number (all of s when
// there are no digits) in place of its end index.
func strtoll(s string, base int) (n int64, rest string, overflow bool) {
	n, end, overflow := cnum.Strtoll(s, base)
	return n, s[end:], overflow
}

// memtoull parses a size with Redis's units: b, k (1000), kb (1024), m,
// mb, g, gb, in any case. Like Redis, it takes a unit alone as zero and
// lets a number too large wrap around.
func memtoull(s string) (uint64, bool) {
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil && i > 0 {
		n = math.MaxUint64 // strtoull saturates
	}
	return n * mul, true
}

// enumItem is one name of an enum and its value; several names may share
// a value, the first one is shown.
type enumItem struct {
	name string
	val  int
}

// enumParam takes one of a fixed set of names. A MultiArg enum takes a
// set of flags ("save now"), shown in table order; valid, if given,
// checks their combination.
func enumParam(name string, def string, items []enumItem, flags Flags, valid func(int) error, ptr func(*Values) *string) *Param {
	if ptr == nil {
		ptr = slot[string](name)
	}
	p := &Param{Name: name, Flags: flags, def: def}
	bitflags := flags&MultiArg != 0
	p.get = func(v *Values) string { return *ptr(v) }
	p.set = func(v *Values, args []string) error {
		val, ok := enumValue(items, args, bitflags)
		if !ok {
			names := make([]string, len(items))
			for i, it := range items {
				names[i] = it.name
			}
			return errors.New("argument(s) must be one of the following: " + strings.Join(names, ", "))
		}
		if valid != nil {
			if err := valid(val); err != nil {
				return err
			}
		}
		*ptr(v) = enumName(items, val, bitflags)
		return nil
	}
	return p
}

func enumValue(items []enumItem, args []string, bitflags bool) (int, bool) {
	if len(args) == 0 || (!bitflags && len(args) != 1) {
		return 0, false
	}
	val := 0
	for _, a := range args {
		matched := false
		for _, it := range items {
			if strings.EqualFold(a, it.name) {
				val |= it.val
				matched = true
			}
		}
		if !matched {
			return 0, false
		}
	}
	return val, true
}

func enumName(items []enumItem, val int, bitflags bool) string {
	var names []string
	unmatched := val
	for _, it := range items {
		if it.val == val {
			return it.name
		}
		if bitflags && it.val != 0 && unmatched&it.val == it.val {
			names = append(names, it.name)
			unmatched &^= it.val
		}
	}
	if len(names) == 0 || unmatched != 0 {
		return "unknown"
	}
	return strings.Join(names, " ")
}

// items builds the enum of names whose values are their positions.
func items(names ...string) []enumItem {
	out := make([]enumItem, len(names))
	for i, n := range names {
		out[i] = enumItem{n, i}
	}
	return out
}

// stringParam takes any string, checked by valid if given. A nullable
// string ("empty is NULL" in Redis) with an empty value is left out of a
// rewritten config file, and any other value is always written.
func stringParam(name string, def string, nullable bool, valid func(*Values, string) error, ptr func(*Values) *string) *Param {
	if ptr == nil {
		ptr = slot[string](name)
	}
	p := &Param{Name: name, def: def}
	p.get = func(v *Values) string { return *ptr(v) }
	p.set = func(v *Values, args []string) error {
		if valid != nil {
			if err := valid(v, args[0]); err != nil {
				return err
			}
		}
		*ptr(v) = args[0]
		return nil
	}
	p.rewrite = func(v *Values) []rewriteLine {
		s := *ptr(v)
		if nullable && s == "" {
			return nil
		}
		return []rewriteLine{{p.Name + " " + repr(s), nullable || s != def}}
	}
	return p
}

// specialParam has its own syntax: set parses, get renders, rewrite
// gives the config file lines.
func specialParam(name string, def string, flags Flags, get func(*Values) string, set func(*Values, []string) error, rewrite func(*Values) []rewriteLine) *Param {
	return &Param{Name: name, def: def, Flags: flags, get: get, set: set, rewrite: rewrite}
}

// refuseYes makes a boolean parameter refuse "yes" (a feature Redoubt
// lacks) with msg, once the value is known to be a boolean.
func (p *Param) refuseYes(msg string) *Param {
	set := p.set
	p.set = func(v *Values, args []string) error {
		if strings.EqualFold(args[0], "yes") {
			return errors.New(msg)
		}
		return set(v, args)
	}
	return p
}

func (p *Param) alias(a string) *Param { p.Alias = a; return p }
func (p *Param) flag(f Flags) *Param   { p.Flags |= f; return p }

// applyGroup puts the parameter in a group whose apply function runs once
// per CONFIG SET however many of its parameters change.
func (p *Param) applyGroup(g string) *Param { p.group = g; return p }

// alwaysApply makes CONFIG SET run the apply function even when the value
// does not change (Redis's bind, and its "volatile" parameters).
func (p *Param) alwaysApply() *Param { p.volatile = true; return p }

// repr quotes s as Redis's sdscatrepr does, so that the config parser
// reads it back unchanged.
func repr(s string) string { return string(protocol.AppendRepr(nil, []byte(s))) }
