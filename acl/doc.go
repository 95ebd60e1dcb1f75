// Package acl is Redis 7.0's access control lists as a library: users,
// their rules, the permission checks and the ACL LOG, with Redis's
// normalised rule text and its error messages word for word. It knows
// nothing of connections or replies; the server owns those and calls in.
//
// # What the package owns
//
//   - Commands: the command table as rules see it, built from package
//     command's specs (every command Redis knows, with its categories,
//     whether or not this server runs it). It answers ACL CAT.
//   - Users: the user set (ACL SETUSER, DELUSER, GETUSER, LIST, USERS),
//     acl-pubsub-default, requirepass (the default user's password),
//     AUTH's password check, the ACL file (ACL LOAD, ACL SAVE) and the
//     "user" lines of redis.conf (Directives).
//   - User: one user's flags, password hashes and selectors; Check and
//     the other permission checks; Describe (ACL LIST's text) and Info
//     (ACL GETUSER's structure, as Go data).
//   - Verdict: the outcome of a check, with the texts Redis sends for it:
//     NOPERM errors, EXEC's and scripts' variants, ACL DRYRUN's reply and
//     the ACL LOG object.
//   - Log: ACL LOG, with Redis's grouping of similar entries and
//     acllog-max-len.
//   - GenPass: ACL GENPASS.
//
// # How the server uses it
//
// At start-up the server builds one Users with NewUsers(nil), applies
// acl-pubsub-default (SetPubsubDefault) and requirepass
// (SetRequirePass), then either the redis.conf user lines, collected
// with Directives.Add while the configuration is read and applied with
// ApplyDirectives, or the aclfile (ReadFile and Load), never both. A new
// connection starts as Users.Default, authenticated unless that user
// requires a password (User.NoPass) and not when it is off.
//
// Before running a command the server calls User.Check with the command
// it looked up (the subcommand for a container), the arguments, and the
// keys cmd.Spec.AppendKeys finds, which it may skip finding when
// User.NeedsKeys says so. A refused command is answered with
// Verdict.Error and logged with Log.Add (reason, context, Verdict.Object,
// the user's name, the client's CLIENT LIST line). EXEC checks each
// queued command again and answers Verdict.ExecError; redis.call in
// scripts uses Verdict.ScriptError; ACL DRYRUN uses Verdict.DryRun;
// SORT's BY and GET ask User.CheckWithAllKeys.
//
// ACL SETUSER modifies the *User every connection of that user holds,
// so new rules apply from their next command. When the returned
// Change.Revoked is non-nil, the server closes each connection of the
// user in Pub/Sub mode holding a channel or pattern
// Revocation.Allows refuses. ACL DELUSER and a successful ACL LOAD return
// the users they removed: the server closes their connections (the
// default user is never removed; ACL LOAD copies new rules into it).
//
// Replies are the server's: Info and LogEntry document the maps they
// become in RESP2 and RESP3. Error texts returned as *Error are what
// follows "-ERR "; the NOPERM and WRONGPASS texts carry their own code.
//
// # Concurrency and cost
//
// Nothing here locks: the server calls in under the lock that
// serialises its commands, as every shared structure of Redis is used
// from its one thread. Check allocates nothing; for a user whose root
// selector allows all commands, keys and channels (the default user) it
// is a few flag tests; otherwise it costs a map lookup for the command
// and a glob match of each key and channel against the patterns.
//
// # Fidelity
//
// The behaviour is that of the reference redis-server 7.0.15 the tests
// run against (Debian's, whose security fixes refuse "%~pattern" and
// other key permissions without R or W). Two outputs of Redis follow its
// hash table's order, which changes from run to run: ACL CAT <category>
// and the single commands at the end of a described rule list. Both
// follow command names here, a container always before its
// subcommands; the category part of a rule list is chosen exactly as
// Redis chooses it. Where Redis crashes (an unclosed selector in an ACL
// file line after a valid rule), this package reports the error instead.
package acl
