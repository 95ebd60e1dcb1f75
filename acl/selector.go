package acl

import "strings"

// perm is what a key pattern lets a command do with the keys it matches.
type perm uint8

const (
	permRead perm = 1 << iota
	permWrite
	permAll = permRead | permWrite
)

// keyPattern is one ~pattern, %R~pattern or %W~pattern rule.
type keyPattern struct {
	pattern []byte
	perm    perm
}

// selector is one set of permissions: the user's root one (the rules
// given outside parentheses) or one given as "(...)". A command runs if
// any of a user's selectors allows it with all its keys and channels.
type selector struct {
	root bool
	// allKeys and allChannels are ~* (allkeys) and &* (allchannels):
	// every key or channel, with no pattern list.
	allKeys, allChannels bool
	// allCommands is set by +@all and cleared by anything that denies a
	// command, so that the common unrestricted case skips the bitmap.
	allCommands bool
	// future is Redis's reserved command bit: set by +@all, cleared by
	// -@all only. It decides whether a described rule list starts with
	// +@all or -@all, and it allows commands the ACL does not know.
	future bool
	// bits has bit i set when the command with ID i is allowed.
	bits []uint64
	// firstArgs lists, for a command without subcommands whose bit is
	// clear, the first arguments it may still be called with (+select|0).
	firstArgs map[int][]string
	keys      []keyPattern
	channels  [][]byte
}

func newSelector(cmds *Commands, root, allChannels bool) *selector {
	return &selector{root: root, allChannels: allChannels, bits: make([]uint64, (cmds.Len()+63)/64)}
}

// clone is a deep copy; patterns are never modified in place, so they
// are shared.
func (s *selector) clone() *selector {
	d := *s
	d.bits = append([]uint64(nil), s.bits...)
	d.keys = append([]keyPattern(nil), s.keys...)
	d.channels = append([][]byte(nil), s.channels...)
	d.firstArgs = nil
	for id, args := range s.firstArgs {
		if d.firstArgs == nil {
			d.firstArgs = map[int][]string{}
		}
		d.firstArgs[id] = append([]string(nil), args...)
	}
	return &d
}

func (s *selector) allowed(id int) bool { return s.bits[id/64]&(1<<(id%64)) != 0 }

func (s *selector) setBit(id int, on bool) {
	if on {
		s.bits[id/64] |= 1 << (id % 64)
	} else {
		s.bits[id/64] &^= 1 << (id % 64)
		s.allCommands = false
	}
}

// changePerm allows or denies a command; a container takes its
// subcommands with it. Either way the command's first-arg exceptions
// are dropped.
func (s *selector) changePerm(cmds *Commands, id int, allow bool) {
	s.setBit(id, allow)
	delete(s.firstArgs, id)
	for _, sub := range cmds.cmds[id].subs {
		s.setBit(sub, allow)
	}
}

func (s *selector) setCategory(cmds *Commands, cat Category, allow bool) {
	cmds.each(func(id int) {
		if cmds.cmds[id].cats&cat != 0 {
			s.changePerm(cmds, id, allow)
		}
	})
}

// countCategory counts the commands of a category the selector allows
// and denies.
func (s *selector) countCategory(cmds *Commands, cat Category) (on, off int) {
	cmds.each(func(id int) {
		if cmds.cmds[id].cats&cat != 0 {
			if s.allowed(id) {
				on++
			} else {
				off++
			}
		}
	})
	return on, off
}

func (s *selector) setAll(allow bool) {
	var w uint64
	if allow {
		w = ^uint64(0)
	}
	for i := range s.bits {
		s.bits[i] = w
	}
	s.allCommands, s.future, s.firstArgs = allow, allow, nil
}

func (s *selector) addFirstArg(id int, arg string) {
	for _, a := range s.firstArgs[id] {
		if equalFold(a, arg) {
			return
		}
	}
	if s.firstArgs == nil {
		s.firstArgs = map[int][]string{}
	}
	s.firstArgs[id] = append(s.firstArgs[id], arg)
}

// at is op[i], or 0 past the end, as it is in a C string.
func at(op string, i int) byte {
	if i < len(op) {
		return op[i]
	}
	return 0
}

// apply applies one selector rule (Redis's ACLSetSelector): the key,
// channel and command rules, which may be given to the root selector or
// inside parentheses.
func (s *selector) apply(cmds *Commands, op string) ruleErr {
	switch {
	case is(op, "allkeys") || is(op, "~*"):
		s.allKeys, s.keys = true, nil
	case is(op, "resetkeys"):
		s.allKeys, s.keys = false, nil
	case is(op, "allchannels") || is(op, "&*"):
		s.allChannels, s.channels = true, nil
	case is(op, "resetchannels"):
		s.allChannels, s.channels = false, nil
	case is(op, "allcommands") || is(op, "+@all"):
		s.setAll(true)
	case is(op, "nocommands") || is(op, "-@all"):
		s.setAll(false)
	case at(op, 0) == '~' || at(op, 0) == '%':
		return s.addKeyPattern(op)
	case at(op, 0) == '&':
		if s.allChannels {
			return errChansAfterAll
		}
		pat := op[1:]
		if hasSpaces(pat) {
			return errSyntax
		}
		for _, c := range s.channels {
			if string(c) == pat {
				return 0
			}
		}
		s.channels = append(s.channels, []byte(pat))
	case at(op, 0) == '+' && at(op, 1) != '@':
		return s.allowCommand(cmds, cString(op)[1:])
	case at(op, 0) == '-' && at(op, 1) != '@':
		id, ok := cmds.lookup(op[1:])
		if !ok {
			return errUnknown
		}
		s.changePerm(cmds, id, false)
	case (at(op, 0) == '+' || at(op, 0) == '-') && at(op, 1) == '@':
		cat := ParseCategory(op[2:])
		if cat == 0 {
			return errUnknown
		}
		s.setCategory(cmds, cat, op[0] == '+')
	default:
		return errSyntax
	}
	return 0
}

// addKeyPattern applies ~pattern and %<perms>~pattern. Redis accepts
// "%R" with no '~' as an empty pattern, but not permissions without R
// or W.
func (s *selector) addKeyPattern(op string) ruleErr {
	if s.allKeys {
		return errKeysAfterAll
	}
	var p perm
	off := 1
	if op[0] == '%' {
	scan:
		for ; off < len(op); off++ {
			switch {
			case lower(op[off]) == 'r' && p&permRead == 0:
				p |= permRead
			case lower(op[off]) == 'w' && p&permWrite == 0:
				p |= permWrite
			case op[off] == '~':
				off++
				break scan
			default:
				return errSyntax
			}
		}
		if p == 0 {
			return errSyntax
		}
	} else {
		p = permAll
	}
	pat := op[off:]
	if hasSpaces(pat) {
		return errSyntax
	}
	for i := range s.keys {
		if string(s.keys[i].pattern) == pat {
			s.keys[i].perm |= p
			return 0
		}
	}
	s.keys = append(s.keys, keyPattern{pattern: []byte(pat), perm: p})
	return 0
}

// allowCommand applies +command, +container|sub and +command|first-arg.
// name is the rule without its '+', cut at a NUL as Redis's strrchr and
// lookups see it.
func (s *selector) allowCommand(cmds *Commands, name string) ruleErr {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		id, ok := cmds.lookup(name)
		if !ok {
			return errUnknown
		}
		s.changePerm(cmds, id, true)
		return 0
	}
	id, ok := cmds.lookup(name[:i])
	switch {
	case !ok:
		return errUnknown
	case cmds.cmds[id].parent >= 0:
		return errSubFirstArg
	case i == len(name)-1:
		return errSyntax
	case len(cmds.cmds[id].subs) > 0:
		sub, ok := cmds.lookup(name)
		if !ok {
			return errUnknown
		}
		s.changePerm(cmds, sub, true)
	default:
		// A first argument of a command without subcommands, such as
		// SELECT 0: Redis deprecates it but still applies it.
		s.addFirstArg(id, name[i+1:])
	}
	return 0
}
