package acl

import "github.com/redoubt-db/redoubt/command"

// The texts below are Redis 7.0's, word for word: clients and test
// suites match them. Those returned with an error code ("NOPERM ...",
// "ERR ...") are whole error lines without the leading '-'.

// Error is the reply to a command the ACL refused before running it
// (processCommand).
func (v Verdict) Error(cmd *command.Command) string {
	switch v.Reason {
	case DeniedCommand:
		return "NOPERM this user has no permissions to run the '" + cmd.FullName() + "' command"
	case DeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case DeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "ERR no permission"
}

// ExecError is the reply, inside EXEC's, to a queued command the ACL
// refuses when EXEC runs it because the rules changed since it was
// queued.
func (v Verdict) ExecError() string {
	reason := "no permission"
	switch v.Reason {
	case DeniedCommand:
		reason = "no permission to execute the command or subcommand"
	case DeniedKey:
		reason = "no permission to touch the specified keys"
	case DeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	}
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
}

// ScriptError is the error redis.call raises in a script for a command
// the script's user may not run, before the scripting layer adds its
// own code and suffix.
func (v Verdict) ScriptError() string {
	return "The user executing the script " + v.shortText()
}

// shortText is Redis's getAclErrorMessage.
func (v Verdict) shortText() string {
	switch v.Reason {
	case DeniedCommand:
		return "can't run this command or subcommand"
	case DeniedKey:
		return "can't access at least one of the keys mentioned in the command arguments"
	case DeniedChannel:
		return "can't publish to the channel mentioned in the command"
	}
	return "lacking the permissions for the command"
}

// Object is what ACL LOG records as the object of a denial: the
// command's full name, or the refused key or channel.
func (v Verdict) Object(cmd *command.Command, args [][]byte) string {
	switch v.Reason {
	case DeniedKey, DeniedChannel:
		return string(args[v.Pos])
	}
	return cmd.FullName()
}

// DryRun is ACL DRYRUN's reply once the user and the command are found
// and the arity checked: ok means +OK; otherwise text is the bulk
// string explaining the denial. args is the call being tried, from its
// command name on.
func (v Verdict) DryRun(cmd *command.Command, args [][]byte) (text string, ok bool) {
	switch v.Reason {
	case Allowed:
		return "OK", true
	case DeniedCommand:
		return "This user has no permissions to run the '" + cmd.FullName() + "' command", false
	case DeniedKey:
		return "This user has no permissions to access the '" + string(cBytes(args[v.Pos])) + "' key", false
	}
	return "This user has no permissions to access the '" + string(cBytes(args[v.Pos])) + "' channel", false
}

// DryRunNoUser is ACL DRYRUN's error for an unknown user.
func DryRunNoUser(name []byte) *Error {
	return &Error{Msg: replyText("User '" + string(cBytes(name)) + "' not found")}
}

// DryRunNoCommand is ACL DRYRUN's error for a command (or subcommand)
// that does not exist; name is the command argument as given.
func DryRunNoCommand(name []byte) *Error {
	return &Error{Msg: replyText("Command '" + string(cBytes(name)) + "' not found")}
}

// Replies of the ACL command and of AUTH, for the server.
const (
	// MsgDeleteDefault is ACL DELUSER's error for "default".
	MsgDeleteDefault = "The 'default' user cannot be removed"
	// MsgNoACLFile is ACL LOAD's and ACL SAVE's error without aclfile.
	MsgNoACLFile = "This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
	// MsgSaveFailed is ACL SAVE's error when writing the file fails.
	MsgSaveFailed = "There was an error trying to save the ACLs. Please check the server logs for more information"
	// MsgWrongPass is AUTH's and HELLO's error line for bad credentials.
	MsgWrongPass = "WRONGPASS invalid username-password pair or user is disabled."
	// MsgAuthNoPassword is AUTH <password>'s error while the default
	// user is nopass.
	MsgAuthNoPassword = "AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
)

// What Redis logs before it exits when its users cannot be loaded at
// start-up.
const (
	// MsgFileAndDirectives: redis.conf has user lines and aclfile is
	// set.
	MsgFileAndDirectives = "Configuring Redis with users defined in redis.conf and at the same setting an ACL file path is invalid. This setup is very likely to lead to configuration errors and security holes, please define either an ACL file or declare users directly in your redis.conf, but not both."
	// MsgDirectivesFailed follows the error of ApplyDirectives.
	MsgDirectivesFailed = "Critical error while loading ACLs. Exiting."
	// MsgFileFailed is followed by the error of ReadFile or Load.
	MsgFileFailed = "Aborting Redis startup because of ACL errors: "
)
