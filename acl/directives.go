package acl

import "fmt"

// Directives are the "user" lines of redis.conf. Redis checks each line
// as it reads the file, but applies them only once the whole
// configuration is read (after modules load, which may add commands), so
// an unknown command passes the first step and fails the second.
type Directives struct {
	cmds  *Commands
	lines [][]string // the user name, then the rules with selectors merged
}

// NewDirectives collects user directives checked against cmds
// (DefaultCommands if nil).
func NewDirectives(cmds *Commands) *Directives {
	if cmds == nil {
		cmds = DefaultCommands()
	}
	return &Directives{cmds: cmds}
}

// Len is the number of users declared.
func (d *Directives) Len() int { return len(d.lines) }

// Add checks one directive, args being the whole line as split by the
// configuration reader ("user", the name, the rules). allChannels is
// acl-pubsub-default as read so far: Redis checks the rules on a user
// created with it, so "&chan" fails after "acl-pubsub-default
// allchannels" and passes before it. The error is the
// message Redis prints for the line. Redis quotes the argument at the
// position of the bad rule counted from the first rule, but indexes the
// whole line with it, so the message names the directive word, the user
// name or an earlier rule; that text is kept.
func (d *Directives) Add(args []string, allChannels bool) error {
	fail := func(idx int, msg string) error {
		return &Error{Msg: fmt.Sprintf("Error in user declaration '%s': %s", cString(args[idx]), msg)}
	}
	if len(args) < 2 || !is(args[0], "user") {
		return fail(0, errFormat.String())
	}
	for _, l := range d.lines {
		if l[0] == args[1] {
			return fail(1, errDuplicateUser.String())
		}
	}
	merged, bad := mergeSelectorArgs(args[2:])
	if bad >= 0 {
		// Redis reports whatever errno the last failed system call
		// left, which at that point of its start-up is ENOENT.
		return fail(bad, errUnknown.String())
	}
	fake := newUser("", d.cmds, allChannels)
	for j, op := range merged {
		if err := fake.apply(op, allChannels); err != 0 && err != errUnknown {
			return fail(j, err.String())
		}
	}
	d.lines = append(d.lines, append([]string{args[1]}, merged...))
	return nil
}

// ApplyDirectives creates the users the directives declare, at
// start-up. A directive for "default" resets the default user first.
// The error is the line Redis logs before it exits; notices are the
// warnings it logs for users declared without "on".
func (us *Users) ApplyDirectives(d *Directives) (notices []string, err error) {
	for _, l := range d.lines {
		name := l[0]
		if hasSpaces(name) {
			return notices, &Error{Msg: "Spaces not allowed in ACL usernames"}
		}
		u := us.users[name]
		if u == nil {
			u = newUser(name, us.cmds, us.allChannels)
			us.users[name] = u
		} else {
			u.apply("reset", us.allChannels)
		}
		for _, op := range l[1:] {
			if e := u.apply(op, us.allChannels); e != 0 {
				return notices, &Error{Msg: fmt.Sprintf("Error loading ACL rule '%s' for the user named '%s': %s", cString(op), cString(name), e)}
			}
		}
		if u.flags&flagDisabled != 0 {
			notices = append(notices, fmt.Sprintf("The user '%s' is disabled (there is no 'on' modifier in the user description). Make sure this is not a configuration error.", cString(name)))
		}
	}
	return notices, nil
}
