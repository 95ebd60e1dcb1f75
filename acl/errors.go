package acl

// Error is an error whose text is what Redis replies, without the "ERR "
// prefix the server adds to every error it sends without a code of its
// own.
type Error struct{ Msg string }

func (e *Error) Error() string { return e.Msg }

// ruleErr is what went wrong applying one rule. Redis reports it through
// errno and turns it into text late (ACLSetUserStringError), and the
// file loader treats "unknown command" apart from the rest, so the kind
// is kept rather than the text.
type ruleErr uint8

const (
	errFormat        ruleErr = iota + 1 // no errno Redis maps: "Wrong format"
	errUnknown                          // ENOENT
	errSyntax                           // EINVAL
	errKeysAfterAll                     // EEXIST
	errChansAfterAll                    // EISDIR
	errNoSuchPass                       // ENODEV
	errBadHash                          // EBADMSG
	errDuplicateUser                    // EALREADY
	errSubFirstArg                      // ECHILD
)

func (e ruleErr) String() string {
	switch e {
	case errUnknown:
		return "Unknown command or category name in ACL"
	case errSyntax:
		return "Syntax error"
	case errKeysAfterAll:
		return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	case errChansAfterAll:
		return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	case errNoSuchPass:
		return "The password you are trying to remove from the user does not exist"
	case errBadHash:
		return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	case errDuplicateUser:
		return "Duplicate user found. A user can only be defined once in config files"
	case errSubFirstArg:
		return "Allowing first-arg of a subcommand is not supported"
	}
	return "Wrong format"
}
