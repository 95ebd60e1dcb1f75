// Package acl is Redis 7.0's access control lists as a library: users,
// their rules, the permission checks and the ACL LOG, with Redis's
// normalised rule text and its messages word for word. It knows nothing
// of connections, replies or configuration files; the server owns those
// and calls in.
//
// # What the package owns
//
//   - Commands: the command table as rules see it, built from package
//     command's specs: every command Redis knows, whether or not this
//     server runs it, with its categories, its key specs and its
//     channel arguments. It answers ACL CAT <category>; Categories
//     answers ACL CAT.
//   - Users: the set of users (ACL SETUSER, DELUSER, LIST, USERS),
//     acl-pubsub-default, requirepass (the default user's password), the
//     password check of AUTH and HELLO, the ACL file (ACL LOAD and ACL
//     SAVE) and, through Directives, the "user" lines of redis.conf.
//   - User: one user's flags, password hashes and selectors, the
//     permission checks, Describe (ACL LIST's text) and Info (ACL
//     GETUSER's structure as Go data).
//   - Verdict: the outcome of a check and the texts Redis sends for it:
//     NOPERM errors, EXEC's and scripts' variants, ACL DRYRUN's reply, and
//     the object an ACL LOG entry names.
//   - Log: ACL LOG, with Redis's grouping of similar entries and
//     acllog-max-len.
//   - GenPass: ACL GENPASS.
//
// # How the server is expected to call it
//
// Start-up. The server builds one Users with NewUsers(nil), applies
// acl-pubsub-default (SetPubsubDefault) and requirepass
// (SetRequirePass, again on CONFIG SET), then loads users from either
// the redis.conf user lines or the aclfile, never both
// (MsgFileAndDirectives). User lines are checked one by one with
// Directives.Add while the configuration is read (its error is the
// config file error to print), and applied with ApplyDirectives once it
// is read. The aclfile is read with ReadFile, relative to dir as Redis
// opens it, and applied with Load. A new connection starts as
// Users.Default, already authenticated if that user is on and nopass.
//
// Every command. Before running a command the server calls User.Check
// with the command it looked up (the subcommand, for a container), the
// arguments, and the keys cmd.Spec.AppendKeys finds; it may skip finding
// them when User.NeedsKeys says so. A denial is answered with
// Verdict.Error and logged with Log.Add: the reason, the context
// (toplevel, or multi for a command queued in MULTI), Verdict.Object,
// the user's name, the client's CLIENT LIST line and the time. EXEC
// checks each queued command again and answers Verdict.ExecError;
// redis.call in a script uses Verdict.ScriptError and logs the lua
// context; SORT's BY and GET ask User.CheckWithAllKeys; RESTORE's
// payload sanitization asks User.SkipSanitizePayload.
//
// Authentication. AUTH and HELLO call Users.Authenticate; a failure is
// answered with MsgWrongPass and logged with the reason DeniedAuth, the
// command name as typed as the object, and the user name tried.
//
// The ACL command. SETUSER is Users.SetUser: it changes the *User the
// user's connections hold, so the new rules apply from their next
// command; when the Change's Revoked is non-nil, the server closes each
// connection of the user in Pub/Sub mode (RESP2 or RESP3) holding a
// channel, shard channel or pattern that Revocation.Allows refuses.
// DELUSER is Users.Delete, and a successful LOAD returns the users it
// replaced: the server closes their connections (the default user is
// never removed; LOAD copies the file's rules into it). GETUSER sends
// User.Info, LIST Users.List, USERS Users.Names, CAT Categories and
// Commands.Category, GENPASS GenPass, LOG the Log, SAVE Users.SaveFile.
// DRYRUN looks the user up (DryRunNoUser), the command in the server's
// table (DryRunNoCommand), checks the arity with the server's own error,
// and answers Verdict.DryRun. CONFIG REWRITE writes Users.List's lines
// unless aclfile is set.
//
// Replies are the server's to encode: Info and LogEntry document the
// maps they become in RESP2 and RESP3. An *Error's text is what follows
// "-ERR "; the NOPERM and WRONGPASS texts carry their own code.
//
// # Concurrency and cost
//
// Nothing here locks: the server calls in under the lock that
// serialises its commands, as Redis does everything from one thread.
// Check allocates nothing. For a user whose root selector allows all
// commands, keys and channels (the default user) it is three flag tests;
// otherwise it costs a map lookup for the command's ID, a bit test, and
// a glob match of each key and channel against the patterns.
//
// # Fidelity
//
// The behaviour is that of the reference redis-server 7.0.15 the tests
// run against, Debian's, whose security fixes refuse key permissions
// without R or W ("%~pattern"). Two of Redis's outputs follow its hash
// table's order, which changes from run to run: ACL CAT <category> and
// the single-command rules that end a described rule list. Both follow
// command names here, a container always before its subcommands; the
// category rules before them are chosen exactly as Redis chooses them.
// Where Redis crashes, on an ACL file line with an unclosed selector
// after a valid rule, this package reports the error instead.
package acl
