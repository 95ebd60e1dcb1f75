package acl

import (
	"strings"

	"github.com/redoubt-db/redoubt/protocol"
)

// Rules are applied one at a time, as Redis's ACLSetUser applies them:
// user rules here, selector rules (keys, channels, commands) on the root
// selector or inside "(...)". An error is a ruleErr, turned into
// Redis's text by the caller, which knows the context (ACL SETUSER, the
// ACL file, redis.conf).

// apply applies one rule (Redis's ACLSetUser). allChannels is
// acl-pubsub-default, which decides the channels of a new selector and of
// a reset user.
func (u *User) apply(op string, allChannels bool) ruleErr {
	u.descr = ""
	if op == "" {
		return 0
	}
	switch {
	case is(op, "on"):
		u.flags = u.flags&^flagDisabled | flagEnabled
	case is(op, "off"):
		u.flags = u.flags&^flagEnabled | flagDisabled
	case is(op, "skip-sanitize-payload"):
		u.flags = u.flags&^flagSanitize | flagSkipSanitize
	case is(op, "sanitize-payload"):
		u.flags = u.flags&^flagSkipSanitize | flagSanitize
	case is(op, "nopass"):
		u.flags |= flagNoPass
		u.passwords = nil
	case is(op, "resetpass"):
		u.flags &^= flagNoPass
		u.passwords = nil
	case op[0] == '>' || op[0] == '#':
		h := op[1:]
		if op[0] == '>' {
			h = hashPassword([]byte(h))
		} else if !validHash(h) {
			return errBadHash
		}
		if !u.hasPassword(h) {
			u.passwords = append(u.passwords, h)
		}
		u.flags &^= flagNoPass
	case op[0] == '<' || op[0] == '!':
		h := op[1:]
		if op[0] == '<' {
			h = hashPassword([]byte(h))
		} else if !validHash(h) {
			return errBadHash
		}
		if !u.hasPassword(h) {
			return errNoSuchPass
		}
		for i, p := range u.passwords {
			if p == h {
				u.passwords = append(u.passwords[:i:i], u.passwords[i+1:]...)
				break
			}
		}
	case op[0] == '(' && op[len(op)-1] == ')':
		s, err := parseSelector(u.cmds, op, allChannels)
		if err != 0 {
			return err
		}
		u.selectors = append(u.selectors, s)
	case is(op, "clearselectors"):
		u.selectors = u.selectors[:1:1]
	case is(op, "reset"):
		for _, r := range []string{"resetpass", "resetkeys", "resetchannels"} {
			u.apply(r, allChannels)
		}
		if allChannels {
			u.apply("allchannels", allChannels)
		}
		for _, r := range []string{"off", "sanitize-payload", "clearselectors", "-@all"} {
			u.apply(r, allChannels)
		}
	default:
		return u.root().apply(u.cmds, op)
	}
	return 0
}

// parseSelector builds a selector from "(rule rule ...)". The rules
// inside are split as redis-cli splits a line, quotes included; Redis
// ignores a failure to split and builds an empty selector.
func parseSelector(cmds *Commands, op string, allChannels bool) (*selector, ruleErr) {
	s := newSelector(cmds, false, allChannels)
	inner := []byte(op[1 : len(op)-1])
	args, ok := protocol.SplitArgs(inner, nil)
	if !ok {
		return s, 0
	}
	for _, a := range args {
		if err := s.apply(cmds, string(a)); err != 0 {
			return nil, err
		}
	}
	return s, 0
}

// mergeSelectorArgs joins a selector spread over several arguments,
// "(~key" "+get)", into one, "(~key +get)", as Redis accepts it. It
// returns the index of the argument that opened a selector never closed,
// or -1. An argument opening a selector while another is open starts
// afresh, dropping the first, as Redis does.
func mergeSelectorArgs(args []string) (merged []string, unclosed int) {
	open := -1
	var sel string
	for j, op := range args {
		if op != "" && op[0] == '(' && op[len(op)-1] != ')' {
			sel, open = op, j
			continue
		}
		if open >= 0 {
			// Redis appends with a %s format: the argument ends at a NUL.
			sel += " " + cString(op)
			if op != "" && op[len(op)-1] == ')' {
				open = -1
				merged = append(merged, sel)
			}
			continue
		}
		merged = append(merged, op)
	}
	return merged, open
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
