package config

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
)

// Redoubt has no ACL users yet: its only user is Redis's "default" one,
// with full access and requirepass as its password. A redis.conf may
// still declare that user, since CONFIG REWRITE writes it (Redis's and
// ours): "user default on nopass ~* &* +@all". Such a line is accepted
// when it leaves the default user as Redoubt has it, and refused
// otherwise, so that no access rule is silently dropped.

// aclUser is the default user as a user directive leaves it.
type aclUser struct {
	at             LoadError // the directive
	on, nopass     bool
	keys, commands bool
	channels       aclChannels
	passwords      map[string]bool // SHA-256, in hex
	payload        string          // sanitize-payload or skip-sanitize-payload
}

// aclChannels is the user's access to Pub/Sub channels.
type aclChannels int

const (
	// channelsDefault is a reset user's: all channels if
	// acl-pubsub-default is allchannels, none otherwise.
	channelsDefault aclChannels = iota
	channelsAll
	channelsNone
)

// resetUser is a user after Redis's "reset" rule, which it applies to
// the default user before a user directive's rules.
func resetUser(at LoadError) *aclUser {
	return &aclUser{at: at, passwords: map[string]bool{}, payload: "sanitize-payload"}
}

// userDirective checks a "user name rules..." line.
func (c *Config) userDirective(args []string, at LoadError) error {
	fail := func(arg, why string) error {
		at.Msg = fmt.Sprintf("Error in user declaration '%s': %s", arg, why)
		return &at
	}
	if args[1] != "default" {
		return fail(args[1], "Redoubt has no ACL users but default")
	}
	u := resetUser(at)
	for _, rule := range args[2:] {
		r := strings.ToLower(rule)
		switch {
		case r == "on" || r == "off":
			u.on = r == "on"
		case r == "nopass" || r == "resetpass":
			u.nopass = r == "nopass"
			u.passwords = map[string]bool{}
		case strings.HasPrefix(rule, ">") || strings.HasPrefix(rule, "<"):
			u.setPassword(passwordHash(rule[1:]), rule[0] == '>')
		case strings.HasPrefix(rule, "#") || strings.HasPrefix(rule, "!"):
			if !isPasswordHash(rule[1:]) {
				return fail(rule, "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
			}
			u.setPassword(rule[1:], rule[0] == '#')
		case r == "~*" || r == "%rw~*" || r == "allkeys" || r == "resetkeys":
			u.keys = r != "resetkeys"
		case r == "&*" || r == "allchannels":
			u.channels = channelsAll
		case r == "resetchannels":
			u.channels = channelsNone
		case r == "+@all" || r == "allcommands" || r == "-@all" || r == "nocommands":
			u.commands = r == "+@all" || r == "allcommands"
		case r == "sanitize-payload" || r == "skip-sanitize-payload":
			u.payload = r
		case r == "reset":
			u = resetUser(at)
		default:
			return fail(rule, "Redoubt cannot apply this ACL rule")
		}
	}
	if !u.on || !u.keys || !u.commands || u.channels == channelsNone {
		return fail(args[1], fullAccess)
	}
	c.defaultUser = u
	return nil
}

func (u *aclUser) setPassword(hash string, add bool) {
	if add {
		u.passwords[hash] = true
		u.nopass = false
	} else {
		delete(u.passwords, hash)
	}
}

func isPasswordHash(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f') {
			return false
		}
	}
	return true
}

func passwordHash(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

const fullAccess = "Redoubt's default user is on, with ~* &* +@all"

// checkDefaultUser makes sure a user directive gives the default user
// all channels, and agrees with requirepass, which is how Redoubt
// authenticates. Like Redis, it applies user directives once the whole
// configuration is read.
func (c *Config) checkDefaultUser() error {
	u := c.defaultUser
	if u == nil {
		return nil
	}
	if u.channels == channelsDefault && c.ACLPubsubDefault != "allchannels" {
		at := u.at
		at.Msg = "Error in user declaration 'default': " + fullAccess
		return &at
	}
	ok := u.nopass && c.RequirePass == ""
	if c.RequirePass != "" {
		ok = len(u.passwords) == 1 && u.passwords[passwordHash(c.RequirePass)]
	}
	if !ok {
		at := u.at
		at.Msg = "Error in user declaration 'default': its password must be requirepass's in Redoubt"
		return &at
	}
	return nil
}

// HasUserDirectives reports whether the configuration declares users,
// which an aclfile excludes.
func (c *Config) HasUserDirectives() bool { return c.defaultUser != nil }

// userLine describes the default user as Redis's CONFIG REWRITE does.
func (c *Config) userLine() string {
	var b strings.Builder
	b.WriteString("user default on ")
	if c.RequirePass == "" {
		b.WriteString("nopass ")
	}
	if c.defaultUser != nil {
		b.WriteString(c.defaultUser.payload + " ")
	}
	if c.RequirePass != "" {
		b.WriteString("#" + passwordHash(c.RequirePass) + " ")
	}
	b.WriteString("~* &* +@all")
	return b.String()
}
