package config

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/protocol"
)

// The parameter kinds of Redis's config.c: yes/no booleans, integers
// (optionally with memory units or percentages), enums, strings, and
// special parameters with their own syntax. Each constructor returns a
// Param whose value lives in a field of Values given by ptr, or, when ptr
// is nil, in a validated string kept by name (parameters accepted for
// compatibility that Redoubt does not act on).

func boolParam(name string, def bool, ptr func(*Values) *bool) *Param {
	p := &Param{Name: name, def: yesNo(def)}
	p.get = func(v *Values) string {
		if ptr == nil {
			return v.extra[name]
		}
		return yesNo(*ptr(v))
	}
	p.set = func(v *Values, args []string) error {
		var b bool
		switch strings.ToLower(args[0]) {
		case "yes":
			b = true
		case "no":
		default:
			return errors.New("argument must be 'yes' or 'no'")
		}
		if ptr == nil {
			v.extra[name] = yesNo(b)
		} else {
			*ptr(v) = b
		}
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

// numeric flags
const (
	memUnits = 1 << iota // accepts 1gb, 100mb, ...
	percent              // accepts 10% (stored negated, as Redis does)
	octal                // parsed and shown in base 8
	unsigned             // bounds are checked and printed unsigned
)

func intParam(name string, def string, lo, hi int64, flags int, ptr func(*Values) *int64) *Param {
	p := &Param{Name: name, def: def}
	p.get = func(v *Values) string {
		if ptr == nil {
			return v.extra[name]
		}
		return renderNumeric(*ptr(v), flags)
	}
	p.set = func(v *Values, args []string) error {
		n, err := parseNumeric(args[0], flags)
		if err != nil {
			return err
		}
		if err := checkBounds(n, lo, hi, flags); err != nil {
			return err
		}
		if ptr == nil {
			v.extra[name] = renderNumeric(n, flags)
		} else {
			*ptr(v) = n
		}
		return nil
	}
	return p
}

func renderNumeric(n int64, flags int) string {
	switch {
	case flags&percent != 0 && n < 0:
		return strconv.FormatInt(-n, 10) + "%"
	case flags&octal != 0:
		return strconv.FormatInt(n, 8)
	case flags&unsigned != 0:
		return strconv.FormatUint(uint64(n), 10)
	}
	return strconv.FormatInt(n, 10)
}

func parseNumeric(s string, flags int) (int64, error) {
	if flags&memUnits != 0 {
		if n, ok := ParseMemory(s); ok {
			return n, nil
		}
	}
	if flags&percent != 0 && len(s) > 1 && s[len(s)-1] == '%' {
		if n, ok := protocol.ParseInt([]byte(s[:len(s)-1])); ok && n >= 0 {
			return -n, nil
		}
	}
	if flags&octal != 0 {
		if n, err := strconv.ParseInt(s, 8, 64); err == nil {
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

func checkBounds(n, lo, hi int64, flags int) error {
	switch {
	case flags&unsigned != 0:
		if uint64(n) > uint64(hi) || uint64(n) < uint64(lo) {
			if flags&octal != 0 {
				return fmt.Errorf("argument must be between %o and %o inclusive", lo, hi)
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

// ParseMemory parses a size with Redis's units: b, k (1000), kb (1024),
// m, mb, g, gb, in any case.
func ParseMemory(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul int64
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
	if i == 0 {
		return 0, false
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		return 0, false
	}
	return int64(n * uint64(mul)), true
}

// enumParam takes one of a fixed set of names. With multi, it takes a
// space-separated set of flags (shutdown-on-sigterm's "save now").
func enumParam(name string, def string, names []string, ptr func(*Values) *string) *Param {
	p := &Param{Name: name, def: def}
	p.get = func(v *Values) string {
		if ptr == nil {
			return v.extra[name]
		}
		return *ptr(v)
	}
	p.set = func(v *Values, args []string) error {
		var out []string
		for _, a := range args {
			found := false
			for _, n := range names {
				if strings.EqualFold(a, n) {
					out = append(out, n)
					found = true
				}
			}
			if !found || (len(args) != 1 && p.Flags&MultiArg == 0) {
				return errors.New("argument(s) must be one of the following: " + strings.Join(names, ", "))
			}
		}
		if len(out) == 0 {
			return errors.New("argument(s) must be one of the following: " + strings.Join(names, ", "))
		}
		s := strings.Join(out, " ")
		if ptr == nil {
			v.extra[name] = s
		} else {
			*ptr(v) = s
		}
		return nil
	}
	return p
}

// stringParam takes any string, checked by valid if given.
func stringParam(name string, def string, valid func(string) error, ptr func(*Values) *string) *Param {
	p := &Param{Name: name, def: def}
	p.get = func(v *Values) string {
		if ptr == nil {
			return v.extra[name]
		}
		return *ptr(v)
	}
	p.set = func(v *Values, args []string) error {
		if valid != nil {
			if err := valid(args[0]); err != nil {
				return err
			}
		}
		if ptr == nil {
			v.extra[name] = args[0]
		} else {
			*ptr(v) = args[0]
		}
		return nil
	}
	return p
}

// specialParam has its own syntax: set parses, get renders.
func specialParam(name string, def string, flags Flags, get func(*Values) string, set func(*Values, []string) error) *Param {
	return &Param{Name: name, def: def, Flags: flags, get: get, set: set}
}

func (p *Param) alias(a string) *Param { p.Alias = a; return p }
func (p *Param) flag(f Flags) *Param   { p.Flags |= f; return p }
