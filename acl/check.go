package acl

import (
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/glob"
)

// Reason is why the ACL refused something. The values are Redis's and
// their order matters: among the selectors that refuse a command, the
// reported reason is the greatest.
type Reason uint8

// Reasons. Allowed is the zero value; DeniedAuth is only ever logged.
const (
	Allowed Reason = iota
	DeniedCommand
	DeniedKey
	DeniedAuth
	DeniedChannel
)

// String is the reason as ACL LOG shows it.
func (r Reason) String() string {
	switch r {
	case DeniedCommand:
		return "command"
	case DeniedKey:
		return "key"
	case DeniedChannel:
		return "channel"
	case DeniedAuth:
		return "auth"
	}
	return "unknown"
}

// Verdict is the outcome of a permission check.
type Verdict struct {
	Reason Reason
	// Pos is the index in the arguments of the refused key or channel.
	Pos int
}

// OK reports whether the call is allowed.
func (v Verdict) OK() bool { return v.Reason == Allowed }

// NeedsKeys reports whether Check may look at the keys of a call of cmd,
// so that the server can skip finding them: not when the command takes
// no keys or when every selector allows all keys (the default user).
func (u *User) NeedsKeys(cmd *command.Command) bool {
	if cmd.Spec == nil || !cmd.Spec.HasKeys() {
		return false
	}
	for _, s := range u.selectors {
		if !s.allKeys {
			return true
		}
	}
	return false
}

// Check decides whether u may run cmd (the subcommand, for a container)
// with args, the whole call from the command name on, as Redis's
// ACLCheckAllUserCommandPerm does. keys are the call's keys with their
// key spec flags, as cmd.Spec.AppendKeys finds them (whatever it found
// when it reports an error); they may be nil when NeedsKeys is false.
//
// The call is allowed if any selector allows the command and all its
// keys and channels. Otherwise the verdict is a command denial if no
// selector allows the command, else the key or channel denial with the
// greatest reason and then argument position.
//
// A user whose root selector allows everything (the default user) is
// answered without looking at the command; otherwise the cost is a map
// probe for the command's ID and a match of each key and channel against
// the patterns, without allocating.
func (u *User) Check(cmd *command.Command, args [][]byte, keys []command.KeyRef) Verdict {
	if r := u.selectors[0]; r.allCommands && r.allKeys && r.allChannels {
		return Verdict{}
	}
	c := u.cmdRef(cmd)
	worst := Verdict{Reason: DeniedCommand}
	for _, s := range u.selectors {
		v := s.check(&c, args, keys)
		if v.OK() {
			return v
		}
		if v.Reason > worst.Reason || v.Reason == worst.Reason && v.Pos > worst.Pos {
			worst = v
		}
	}
	return worst
}

// cmdRef is what a check needs to know of a command.
type cmdRef struct {
	cmd     *command.Command
	id      int
	known   bool // the ACL knows the command: id is valid
	hasKeys bool
	chans   chanSpec
}

func (u *User) cmdRef(cmd *command.Command) cmdRef {
	c := cmdRef{cmd: cmd}
	c.id, c.known = u.cmds.id(cmd)
	if c.known {
		info := &u.cmds.cmds[c.id]
		c.hasKeys, c.chans = info.hasKeys, info.chans
	} else {
		c.hasKeys = cmd.Spec != nil && cmd.Spec.HasKeys()
	}
	return c
}

// check is one selector's decision (Redis's ACLSelectorCheckCmd).
func (s *selector) check(c *cmdRef, args [][]byte, keys []command.KeyRef) Verdict {
	// Commands that run before authentication (AUTH, HELLO, ...) are
	// never refused as commands.
	if !s.allCommands && !c.cmd.Has(command.NoAuth) && !s.allowsCommand(c, args) {
		return Verdict{Reason: DeniedCommand}
	}
	if !s.allKeys && c.hasKeys {
		for _, k := range keys {
			if !s.keyAllowed(args[k.Pos], k.Flags) {
				return Verdict{Reason: DeniedKey, Pos: k.Pos}
			}
		}
	}
	if !s.allChannels && c.chans.flags&(chanPublish|chanSubscribe) != 0 {
		stop := 2
		if c.chans.all {
			stop = len(args)
		}
		stop = min(stop, len(args))
		pattern := c.chans.flags&chanPattern != 0
		for i := 1; i < stop; i++ {
			if !channelAllowed(s.channels, args[i], pattern) {
				return Verdict{Reason: DeniedChannel, Pos: i}
			}
		}
	}
	return Verdict{}
}

// allowsCommand checks the command bitmap, and then the first-arg
// exceptions of a denied command.
func (s *selector) allowsCommand(c *cmdRef, args [][]byte) bool {
	if !c.known {
		return s.future
	}
	if s.allowed(c.id) {
		return true
	}
	fa := s.firstArgs[c.id]
	if len(args) < 2 || len(fa) == 0 {
		return false
	}
	arg := cBytes(args[1])
	for _, a := range fa {
		if equalFoldBytes(arg, a) {
			return true
		}
	}
	return false
}

// equalFoldBytes is equalFold for a byte slice and a string.
func equalFoldBytes(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// keyPerm is the permission a key spec's flags need: reading for
// access, writing for insert, delete and update. A key with none of
// these flags (an existence test such as EXISTS) needs neither, and any
// pattern that matches will do.
func keyPerm(f command.KeyFlag) perm {
	var p perm
	if f&command.KeyAccess != 0 {
		p |= permRead
	}
	if f&(command.KeyInsert|command.KeyDelete|command.KeyUpdate) != 0 {
		p |= permWrite
	}
	return p
}

func (s *selector) keyAllowed(key []byte, f command.KeyFlag) bool {
	if s.allKeys {
		return true
	}
	need := keyPerm(f)
	for i := range s.keys {
		p := &s.keys[i]
		if p.perm&need == need && glob.Match(p.pattern, key, false) {
			return true
		}
	}
	return false
}

// channelAllowed matches a channel against channel patterns. The pattern
// of a PSUBSCRIBE must be one of them literally (Redis compares with
// strcmp, so the subscribed pattern ends at a NUL), lest a user allowed
// "news.*" subscribe to "*".
func channelAllowed(patterns [][]byte, ch []byte, pattern bool) bool {
	if pattern {
		ch = cBytes(ch)
	}
	for _, p := range patterns {
		if pattern && string(p) == string(ch) || !pattern && glob.Match(p, ch, false) {
			return true
		}
	}
	return false
}

// CanAccessKey reports whether some selector lets the user use key as
// the flags say (Redis's ACLUserCheckKeyPerm).
func (u *User) CanAccessKey(key []byte, flags command.KeyFlag) bool {
	for _, s := range u.selectors {
		if s.keyAllowed(key, flags) {
			return true
		}
	}
	return false
}

// CanAccessChannel reports whether some selector lets the user publish or
// subscribe to a channel, or subscribe to a pattern (Redis's
// ACLUserCheckChannelPerm).
func (u *User) CanAccessChannel(ch []byte, pattern bool) bool {
	for _, s := range u.selectors {
		if s.allChannels || channelAllowed(s.channels, ch, pattern) {
			return true
		}
	}
	return false
}

// CheckWithAllKeys reports whether one selector both allows the call and
// gives the access in flags to every key: ~*, allkeys, or a "*" pattern
// with the needed permission (Redis's
// ACLUserCheckCmdWithUnrestrictedKeyAccess). SORT asks it, with
// command.KeyAccess, before it reads the keys its BY and GET patterns
// name.
func (u *User) CheckWithAllKeys(cmd *command.Command, args [][]byte, keys []command.KeyRef, flags command.KeyFlag) bool {
	c := u.cmdRef(cmd)
	for _, s := range u.selectors {
		if s.check(&c, args, keys).OK() && s.unrestricted(flags) {
			return true
		}
	}
	return false
}

func (s *selector) unrestricted(f command.KeyFlag) bool {
	if s.allKeys {
		return true
	}
	need := keyPerm(f)
	for _, p := range s.keys {
		if p.perm&need == need && string(p.pattern) == "*" {
			return true
		}
	}
	return false
}
