package acl

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
)

// userFlags are a user's on/off, nopass and payload sanitization flags.
type userFlags uint8

const (
	flagEnabled userFlags = 1 << iota
	flagDisabled
	flagNoPass
	flagSanitize
	flagSkipSanitize
)

// userFlagNames are the flags in the order ACL LIST and ACL GETUSER
// show them.
var userFlagNames = [...]struct {
	f    userFlags
	name string
}{
	{flagEnabled, "on"}, {flagDisabled, "off"}, {flagNoPass, "nopass"},
	{flagSkipSanitize, "skip-sanitize-payload"}, {flagSanitize, "sanitize-payload"},
}

// User is one ACL user: its flags, passwords and selectors. The server
// keeps a *User per authenticated connection; ACL SETUSER changes the
// user in place, as Redis does, so every connection sees new rules at
// its next command.
//
// A User is not safe for concurrent use: the server reads and changes
// users under the lock that serialises its commands.
type User struct {
	name      string
	cmds      *Commands
	flags     userFlags
	passwords []string    // SHA-256 in lower-case hex, in the order added
	selectors []*selector // the root selector first
	removed   bool
	// descr caches Describe, as Redis caches the ACL string: a user with
	// many rules costs a scan of the command table per category.
	descr string
}

// newUser is a user as Redis creates it: off, no password, no
// permissions, and the channels acl-pubsub-default gives.
func newUser(name string, cmds *Commands, allChannels bool) *User {
	return &User{name: name, cmds: cmds, flags: flagDisabled,
		selectors: []*selector{newSelector(cmds, true, allChannels)}}
}

// Name is the user's name.
func (u *User) Name() string { return u.name }

// Enabled reports whether the user is on: only then can a connection
// authenticate as it. Connections already authenticated keep working.
func (u *User) Enabled() bool { return u.flags&flagEnabled != 0 }

// NoPass reports whether any password authenticates the user.
func (u *User) NoPass() bool { return u.flags&flagNoPass != 0 }

// SkipSanitizePayload reports whether RESTORE may skip the deep
// sanitization of payloads for this user (sanitize-dump-payload
// clients).
func (u *User) SkipSanitizePayload() bool { return u.flags&flagSkipSanitize != 0 }

// Removed reports whether the user was deleted (ACL DELUSER, or replaced
// by ACL LOAD): its connections must be closed.
func (u *User) Removed() bool { return u.removed }

func (u *User) root() *selector { return u.selectors[0] }

// CheckPassword reports whether password authenticates the user, as AUTH
// decides: never for a user that is off, always for a nopass one, and
// otherwise if its SHA-256 is one of the user's. The comparison does not
// depend on where the hashes differ.
func (u *User) CheckPassword(password []byte) bool {
	if u.flags&flagDisabled != 0 {
		return false
	}
	if u.flags&flagNoPass != 0 {
		return true
	}
	h := hashPassword(password)
	ok := false
	for _, p := range u.passwords {
		if subtle.ConstantTimeCompare([]byte(h), []byte(p)) == 1 {
			ok = true
		}
	}
	return ok
}

func hashPassword(p []byte) string {
	sum := sha256.Sum256(p)
	return hex.EncodeToString(sum[:])
}

// validHash reports whether s is a password hash Redis accepts: 64
// lower-case hexadecimal digits.
func validHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

// clone is a deep copy under the same name, for staging changes.
func (u *User) clone() *User {
	d := *u
	d.passwords = append([]string(nil), u.passwords...)
	d.selectors = make([]*selector, len(u.selectors))
	for i, s := range u.selectors {
		d.selectors[i] = s.clone()
	}
	return &d
}

// copyRules gives u the rules of src, keeping u's name and identity.
func (u *User) copyRules(src *User) {
	c := src.clone()
	u.flags, u.passwords, u.selectors, u.descr = c.flags, c.passwords, c.selectors, c.descr
}

func (u *User) hasPassword(h string) bool {
	for _, p := range u.passwords {
		if p == h {
			return true
		}
	}
	return false
}
