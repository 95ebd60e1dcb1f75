package acl

import (
	"sort"
	"strings"
)

// DefaultUserName is the user every connection starts as.
const DefaultUserName = "default"

// Users is the set of ACL users (Redis's Users radix tree and its
// DefaultUser), with acl-pubsub-default, which decides the channels of
// users and selectors created from now on.
//
// Users is not safe for concurrent use; the server calls it under the
// lock that serialises its commands.
type Users struct {
	cmds        *Commands
	allChannels bool
	users       map[string]*User
	def         *User
}

// NewUsers returns a set holding only the default user, "on nopass ~*
// &* +@all", over cmds (DefaultCommands if nil). acl-pubsub-default
// starts as resetchannels, Redis 7.0's default.
func NewUsers(cmds *Commands) *Users {
	if cmds == nil {
		cmds = DefaultCommands()
	}
	us := &Users{cmds: cmds, users: map[string]*User{}}
	us.def = us.newDefaultUser()
	us.users[DefaultUserName] = us.def
	return us
}

// newDefaultUser builds the default user as Redis does at start-up and
// when an ACL file does not define it.
func (us *Users) newDefaultUser() *User {
	u := newUser(DefaultUserName, us.cmds, us.allChannels)
	for _, r := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		u.apply(r, us.allChannels)
	}
	return u
}

// Commands is the command table the rules are read against.
func (us *Users) Commands() *Commands { return us.cmds }

// SetPubsubDefault applies acl-pubsub-default: true for allchannels.
// Existing users keep their channels.
func (us *Users) SetPubsubDefault(allChannels bool) { us.allChannels = allChannels }

// Default is the default user. It is the same *User for the life of the
// set: ACL LOAD copies new rules into it.
func (us *Users) Default() *User { return us.def }

// Get finds a user by name, or returns nil.
func (us *Users) Get(name []byte) *User { return us.users[string(name)] }

// All returns the users sorted by name, the order of ACL LIST, ACL
// USERS and the ACL file.
func (us *Users) All() []*User {
	out := make([]*User, 0, len(us.users))
	for _, u := range us.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// Names is ACL USERS.
func (us *Users) Names() []string {
	var out []string
	for _, u := range us.All() {
		out = append(out, u.name)
	}
	return out
}

// List is ACL LIST: one "user <name> <rules>" line per user, which is
// also how the ACL file and CONFIG REWRITE write users.
func (us *Users) List() []string {
	var out []string
	for _, u := range us.All() {
		out = append(out, u.Line())
	}
	return out
}

// Change is what ACL SETUSER did.
type Change struct {
	User    *User
	Created bool
	// Revoked is non-nil when the new rules may refuse channels the
	// user's subscribed connections hold: the server must then check
	// each of them (see Revocation).
	Revoked *Revocation
}

// SetUser is ACL SETUSER: it creates the user if needed and applies the
// rules in order. Rules are staged on a copy, so that an error leaves
// the user as it was; the error is Redis's reply text.
func (us *Users) SetUser(name []byte, rules [][]byte) (Change, error) {
	n := string(name)
	if hasSpaces(n) {
		return Change{}, &Error{Msg: "Usernames can't contain spaces or null characters"}
	}
	args := make([]string, len(rules))
	for i, r := range rules {
		args[i] = string(r)
	}
	merged, bad := mergeSelectorArgs(args)
	if bad >= 0 {
		return Change{}, &Error{Msg: replyText("Unmatched parenthesis in acl selector starting at '" + cString(args[bad]) + "'.")}
	}
	u := us.users[n]
	var tmp *User
	if u != nil {
		tmp = u.clone()
	} else {
		tmp = newUser(n, us.cmds, us.allChannels)
	}
	for _, op := range merged {
		if err := tmp.apply(op, us.allChannels); err != 0 {
			return Change{}, &Error{Msg: replyText("Error in ACL SETUSER modifier '" + cString(op) + "': " + err.String())}
		}
	}
	var ch Change
	if u != nil {
		ch.Revoked = revocation(u, tmp)
	} else {
		u = &User{name: n, cmds: us.cmds}
		us.users[n] = u
		ch.Created = true
	}
	u.copyRules(tmp)
	ch.User = u
	return ch, nil
}

// replyText makes a text fit a RESP error line, as Redis does for the
// errors that quote a user's input: CR and LF become spaces, and every
// other byte, valid UTF-8 or not, is kept.
func replyText(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == '\r' || c == '\n' {
			b[i] = ' '
		}
	}
	return string(b)
}

// Delete is ACL DELUSER: it removes the named users and returns them,
// marked Removed, so that the server closes their connections. It
// removes nothing if one of the names is the default user.
func (us *Users) Delete(names [][]byte) ([]*User, error) {
	for _, n := range names {
		if string(cBytes(n)) == DefaultUserName {
			return nil, &Error{Msg: "The 'default' user cannot be removed"}
		}
	}
	var out []*User
	for _, n := range names {
		if u := us.users[string(n)]; u != nil {
			delete(us.users, string(n))
			u.removed = true
			out = append(out, u)
		}
	}
	return out, nil
}

// Authenticate is AUTH's check: the user, or nil if it does not exist,
// is off, or the password is wrong (AUTH gives one answer for all
// three).
func (us *Users) Authenticate(name, password []byte) *User {
	u := us.Get(name)
	if u == nil || !u.CheckPassword(password) {
		return nil
	}
	return u
}

// SetRequirePass applies requirepass, which is the default user's
// password: an empty one makes the default user nopass.
func (us *Users) SetRequirePass(password string) {
	us.def.apply("resetpass", us.allChannels)
	if password != "" {
		us.def.apply(">"+password, us.allChannels)
	} else {
		us.def.apply("nopass", us.allChannels)
	}
}
