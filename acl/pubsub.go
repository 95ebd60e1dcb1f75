package acl

// Revocation is what a server needs to find the subscribed connections
// an ACL SETUSER must close: those of the user, in Pub/Sub mode, with a
// subscription the new channel rules no longer allow.
type Revocation struct {
	// allowed is every channel pattern of every selector of the new
	// rules; none of them has allchannels.
	allowed [][]byte
}

// revocation decides whether the change from old to new rules needs the
// subscribers of the user checked. Redis skips the check when a new
// selector has allchannels, or when the old rules had no channel at all.
// It also tries to skip it when the new channels include the old ones,
// but compares the patterns by address, so that test never succeeds;
// the check is kept in that case too, because it is not equivalent: a
// connection that subscribed as another user and then authenticated as
// this one holds channels these rules never allowed, and Redis closes
// it.
func revocation(old, new *User) *Revocation {
	for _, s := range new.selectors {
		if s.allChannels {
			return nil
		}
	}
	had := false
	for _, s := range old.selectors {
		had = had || s.allChannels || len(s.channels) > 0
	}
	if !had {
		return nil
	}
	r := &Revocation{}
	for _, s := range new.selectors {
		r.allowed = append(r.allowed, s.channels...)
	}
	return r
}

// Allows reports whether a subscription survives: a channel (SUBSCRIBE,
// SSUBSCRIBE) matched against the new patterns, or a pattern
// (PSUBSCRIBE) found among them literally. The server closes a
// subscribed connection of the user as soon as one of its subscriptions
// is not allowed.
func (r *Revocation) Allows(channel []byte, pattern bool) bool {
	return channelAllowed(r.allowed, channel, pattern)
}
