package config

import (
	"crypto/sha256"
	"encoding/hex"
)

// User directives ("user <name> <rules...>") are kept as read, with
// where they were read and what acl-pubsub-default was at that point:
// package acl, which imports the command table (and through it this
// package), checks and applies them when the server starts
// (server/acl.go), which answers a bad rule with the line's error as
// Redis does. CONFIG REWRITE writes back the users the server has, through
// UserLines.

// UserDirective is one "user" line.
type UserDirective struct {
	Args        []string  // the line, "user" and the name first
	At          LoadError // where it was read, for an error about it
	AllChannels bool      // acl-pubsub-default was allchannels when it was read
}

func (c *Config) userDirective(args []string, at LoadError) error {
	c.UserDirectives = append(c.UserDirectives, UserDirective{Args: args, At: at, AllChannels: c.ACLPubsubDefault == "allchannels"})
	return nil
}

// HasUserDirectives reports whether the configuration declares users,
// which an aclfile excludes.
func (c *Config) HasUserDirectives() bool { return len(c.UserDirectives) > 0 }

// userLines are the user lines CONFIG REWRITE writes: the server's
// users, or without a server (a configuration on its own) the default
// user that requirepass describes.
func (c *Config) userLines() []string {
	if c.UserLines != nil {
		return c.UserLines()
	}
	if c.RequirePass == "" {
		return []string{"user default on nopass ~* &* +@all"}
	}
	sum := sha256.Sum256([]byte(c.RequirePass))
	return []string{"user default on #" + hex.EncodeToString(sum[:]) + " ~* &* +@all"}
}
