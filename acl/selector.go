package acl

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
