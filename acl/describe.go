package acl

import (
	"math"
	"strings"
)

// Line is the user as ACL LIST shows it, "user <name> <rules>", which is
// also its line in the ACL file and in a rewritten redis.conf.
func (u *User) Line() string { return "user " + u.name + " " + u.Describe() }

// Describe is the user's rules normalised as Redis 7.0 writes them: the
// flags, the password hashes, then the root selector's keys, channels and
// commands, then each other selector in parentheses. Applying them to a
// new user gives the same permissions.
func (u *User) Describe() string {
	if u.descr != "" {
		return u.descr
	}
	var b strings.Builder
	for _, f := range userFlagNames {
		if u.flags&f.f != 0 {
			b.WriteString(f.name)
			b.WriteByte(' ')
		}
	}
	for _, p := range u.passwords {
		b.WriteString("#" + p + " ")
	}
	for _, s := range u.selectors {
		if s.root {
			s.describe(&b, u.cmds)
		} else {
			b.WriteString(" (")
			s.describe(&b, u.cmds)
			b.WriteByte(')')
		}
	}
	u.descr = b.String()
	return u.descr
}

func (s *selector) describe(b *strings.Builder, cmds *Commands) {
	if s.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range s.keys {
			b.WriteString(k.String())
			b.WriteByte(' ')
		}
	}
	if s.allChannels {
		b.WriteString("&* ")
	} else {
		// A list that is not all channels starts with resetchannels,
		// so that reading the rules back does not depend on
		// acl-pubsub-default.
		b.WriteString("resetchannels ")
		for _, c := range s.channels {
			b.WriteString("&" + string(c) + " ")
		}
	}
	b.WriteString(s.describeCommands(cmds))
}

// String is the pattern as a rule: ~pattern, %R~pattern or %W~pattern.
func (k keyPattern) String() string {
	switch k.perm {
	case permRead:
		return "%R~" + string(k.pattern)
	case permWrite:
		return "%W~" + string(k.pattern)
	}
	return "~" + string(k.pattern)
}

// describeCommands writes the command bitmap back as rules, the way
// Redis 7.0 does (ACLDescribeSelectorCommandRules): "+@all" or "-@all"
// depending on the future-commands bit, then greedily the categories
// that fit the bitmap best, then single commands, subcommands and
// first-args for what is still different.
//
// The categories are chosen by replaying Redis's rule: among those not
// used yet, one whose commands mostly agree with the bitmap, with the
// fewest disagreements and then the most agreements, the first in
// category order on a tie. Applying a category to a copy of the bitmap
// taken in the other direction keeps its commands from counting again.
// Single commands are listed by name, each container before its
// subcommands; Redis lists them in its hash table's order, which varies
// from run to run.
func (s *selector) describeCommands(cmds *Commands) string {
	var b strings.Builder
	additive := !s.future
	fake := newSelector(cmds, false, false)
	if additive {
		b.WriteString("-@all ")
	} else {
		b.WriteString("+@all ")
		fake.setAll(true)
	}
	temp := &selector{bits: append([]uint64(nil), s.bits...)}
	var applied [numCategories]bool
	for {
		best, minDiff, maxSame := -1, math.MaxInt, 0
		for j := range numCategories {
			if applied[j] {
				continue
			}
			on, off := temp.countCategory(cmds, 1<<j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		cat := Category(1) << best
		fake.setCategory(cmds, cat, additive)
		temp.setCategory(cmds, cat, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(categoryNames[best] + " ")
		applied[best] = true
	}
	single := func(id int) {
		if want := s.allowed(id); want != fake.allowed(id) {
			if want {
				b.WriteByte('+')
			} else {
				b.WriteByte('-')
			}
			b.WriteString(cmds.name(id) + " ")
			fake.changePerm(cmds, id, want)
		}
	}
	firstArgs := func(id int) {
		if s.allowed(id) {
			return
		}
		for _, a := range s.firstArgs[id] {
			b.WriteString("+" + cmds.name(id) + "|" + a + " ")
		}
	}
	for _, id := range cmds.top {
		single(id)
		for _, sub := range cmds.cmds[id].subs {
			single(sub)
			firstArgs(sub)
		}
		firstArgs(id)
	}
	return strings.TrimSuffix(b.String(), " ")
}

// SelectorInfo is one selector as ACL GETUSER shows it.
type SelectorInfo struct {
	// Commands is the normalised command rules, as in ACL LIST.
	Commands string
	// Keys is "~*", or the key patterns separated by spaces, each with
	// its permissions ("~a %R~b %W~c"), or "".
	Keys string
	// Channels is "&*", or the channel patterns ("&a &b"), or "".
	Channels string
}

// UserInfo is ACL GETUSER's reply as Go data. The server sends it as a
// map (an array of pairs in RESP2) with the fields, in order: "flags" (a
// set), "passwords" (an array), "commands", "keys" and "channels" (bulk
// strings, the root selector's), and "selectors" (an array of maps with
// "commands", "keys" and "channels").
type UserInfo struct {
	Flags     []string
	Passwords []string
	Root      SelectorInfo
	Selectors []SelectorInfo
}

// Info is ACL GETUSER.
func (u *User) Info() UserInfo {
	var info UserInfo
	for _, f := range userFlagNames {
		if u.flags&f.f != 0 {
			info.Flags = append(info.Flags, f.name)
		}
	}
	info.Passwords = append([]string{}, u.passwords...)
	info.Root = u.root().info(u.cmds)
	info.Selectors = []SelectorInfo{}
	for _, s := range u.selectors[1:] {
		info.Selectors = append(info.Selectors, s.info(u.cmds))
	}
	return info
}

func (s *selector) info(cmds *Commands) SelectorInfo {
	si := SelectorInfo{Commands: s.describeCommands(cmds), Keys: "~*", Channels: "&*"}
	if !s.allKeys {
		parts := make([]string, len(s.keys))
		for i, k := range s.keys {
			parts[i] = k.String()
		}
		si.Keys = strings.Join(parts, " ")
	}
	if !s.allChannels {
		parts := make([]string, len(s.channels))
		for i, c := range s.channels {
			parts[i] = "&" + string(c)
		}
		si.Channels = strings.Join(parts, " ")
	}
	return si
}
