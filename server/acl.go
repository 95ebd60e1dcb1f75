package server

import (
	"errors"
	"strconv"
	"time"

	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/command"
)

// ACL (Redis's acl.c), on package acl: the users, their rules, the
// checks and the log live there; this file connects them to clients,
// commands and replies. Every client acts as a user (the default one
// until AUTH or HELLO AUTH names another); processCommand checks each
// command, its keys and channels against that user before anything
// else that could refuse it, as Redis does, and a denial is answered
// with Redis's NOPERM text and entered in ACL LOG.

type aclState struct {
	users *acl.Users
	log   *acl.Log
	// denied counts refusals by reason (acl.Reason): Redis 7.2's
	// acl_access_denied_* fields, which INFO guardrails shows.
	denied [acl.DeniedChannel + 1]int64
	// keys is reused to find a command's keys for a check.
	keys []command.KeyRef
}

// initACL makes the users the settings describe: the default user, with
// requirepass as its password, and those of aclfile.
func (s *Server) initACL() error {
	a := &s.acl
	a.users = acl.NewUsers(nil)
	a.users.SetPubsubDefault(s.cfg.ACLPubsubDefault == "allchannels")
	a.users.SetRequirePass(s.cfg.RequirePass)
	a.log = acl.NewLog(int(s.cfg.ACLLogMaxLen))
	s.cfg.OnApply("requirepass", func() error {
		a.users.SetRequirePass(s.cfg.RequirePass)
		return nil
	})
	s.cfg.OnApply("acl-pubsub-default", func() error {
		a.users.SetPubsubDefault(s.cfg.ACLPubsubDefault == "allchannels")
		return nil
	})
	s.cfg.OnApply("acllog-max-len", func() error {
		a.log.MaxLen = int(s.cfg.ACLLogMaxLen)
		return nil
	})
	// CONFIG REWRITE writes the users as ACL LIST shows them.
	s.cfg.UserLines = a.users.List
	if s.cfg.HasUserDirectives() {
		if s.cfg.ACLFile != "" {
			s.log.Warningf("%s", acl.MsgFileAndDirectives)
			return loggedError{errors.New(acl.MsgFileAndDirectives)}
		}
		return s.applyUserDirectives()
	}
	if s.cfg.ACLFile == "" {
		return nil
	}
	data, err := acl.ReadFile(s.cfg.Path(s.cfg.ACLFile), s.cfg.ACLFile)
	if err == nil {
		_, err = a.users.Load(data, s.cfg.ACLFile)
	}
	if err != nil {
		s.log.Warningf("%s%v", acl.MsgFileFailed, err)
		return loggedError{err}
	}
	return nil
}

// applyUserDirectives checks the "user" lines of the configuration, each
// failing the start as a configuration error of its line, then creates
// the users they declare.
func (s *Server) applyUserDirectives() error {
	d := acl.NewDirectives(s.acl.users.Commands())
	for _, ud := range s.cfg.UserDirectives {
		if err := d.Add(ud.Args, ud.AllChannels); err != nil {
			at := ud.At
			at.Msg = err.Error()
			return &at
		}
	}
	notices, err := s.acl.users.ApplyDirectives(d)
	for _, n := range notices {
		s.log.Noticef("%s", n)
	}
	if err != nil {
		s.log.Warningf("%v", err)
		s.log.Warningf("%s", acl.MsgDirectivesFailed)
		return loggedError{err}
	}
	return nil
}

// defaultAuthenticated says whether a new connection is authenticated
// already: the default user is on and needs no password.
func (s *Server) defaultAuthenticated() bool {
	d := s.acl.users.Default()
	return d.Enabled() && d.NoPass()
}

// aclCheck checks a command of c against its user, and on a denial logs
// it and returns Redis's error text.
func (s *Server) aclCheck(c *client, cmd *command.Command, args [][]byte) string {
	u := c.user
	if u == nil {
		return ""
	}
	v := u.Check(cmd, args, s.aclKeys(u, cmd, args))
	if v.OK() {
		return ""
	}
	ctxt := acl.ContextToplevel
	if c.flags&flagMulti != 0 {
		ctxt = acl.ContextMulti
	}
	s.aclDeny(c, v.Reason, ctxt, v.Object(cmd, args), u.Name())
	return v.Error(cmd)
}

// aclKeys finds the keys of a call for u's check, when the check looks
// at keys; the slice is reused by the next call.
func (s *Server) aclKeys(u *acl.User, cmd *command.Command, args [][]byte) []command.KeyRef {
	if !u.NeedsKeys(cmd) {
		return nil
	}
	keys, _ := cmd.Spec.AppendKeys(s.acl.keys[:0], args)
	s.acl.keys = keys[:0]
	return keys
}

// FullKeyAccess reports whether the client's user may run the command of
// ctx on every key (SORT's BY and GET patterns).
func (c *client) FullKeyAccess(ctx *command.Ctx) bool {
	u := c.user
	if c == c.s.scripts.client && c.s.scripts.caller != nil {
		u = c.s.scripts.caller.user
	}
	if u == nil {
		return true
	}
	return u.CheckWithAllKeys(ctx.Cmd, ctx.Args, c.s.aclKeys(u, ctx.Cmd, ctx.Args), command.KeyAccess)
}

// aclDeny counts a denial and enters it in ACL LOG.
func (s *Server) aclDeny(c *client, reason acl.Reason, ctxt acl.LogContext, object, user string) {
	s.acl.denied[reason]++
	s.acl.log.Add(acl.LogEntry{Count: 1, Reason: reason, Context: ctxt, Object: object, Username: user,
		Updated: time.Now(), ClientInfo: c.info()})
}

// authenticate is AUTH's and HELLO AUTH's check: the client becomes the
// user, or the failure is counted, logged and false.
func (s *Server) authenticate(c *client, cmdName string, user, pass []byte) bool {
	var u *acl.User
	if !s.authRefused(c) {
		u = s.acl.users.Authenticate(user, pass)
	}
	if u == nil {
		s.authFailed(c)
		s.guard.authFailures++
		ctxt := acl.ContextToplevel
		if c.flags&flagMulti != 0 {
			ctxt = acl.ContextMulti
		}
		s.aclDeny(c, acl.DeniedAuth, ctxt, cmdName, string(user))
		return false
	}
	s.authSucceeded(c)
	c.user = u
	c.authd = true
	return true
}

func (s *Server) registerACLCommands(h func(string, srvHandler)) {
	h("acl|whoami", func(s *Server, c *client, ctx *command.Ctx) {
		ctx.W.BulkString(c.userName())
	})
	h("acl|users", func(s *Server, c *client, ctx *command.Ctx) {
		names := s.acl.users.Names()
		ctx.W.Array(len(names))
		for _, n := range names {
			ctx.W.BulkString(n)
		}
	})
	h("acl|list", func(s *Server, c *client, ctx *command.Ctx) {
		lines := s.acl.users.List()
		ctx.W.Array(len(lines))
		for _, l := range lines {
			ctx.W.BulkString(l)
		}
	})
	h("acl|setuser", aclSetUserCmd)
	h("acl|getuser", aclGetUserCmd)
	h("acl|deluser", aclDelUserCmd)
	h("acl|cat", aclCatCmd)
	h("acl|genpass", aclGenPassCmd)
	h("acl|log", aclLogCmd)
	h("acl|dryrun", aclDryRunCmd)
	h("acl|load", aclLoadCmd)
	h("acl|save", aclSaveCmd)
	h("acl|help", func(s *Server, c *client, ctx *command.Ctx) { command.Help(ctx.W, "ACL", aclHelp) })
}

var aclHelp = []string{
	"CAT [<category>]",
	"    List all commands that belong to <category>, or all command categories",
	"    when no category is specified.",
	"DELUSER <username> [<username> ...]",
	"    Delete a list of users.",
	"DRYRUN <username> <command> [<arg> ...]",
	"    Returns whether the user can execute the given command without executing the command.",
	"GETUSER <username>",
	"    Get the user's details.",
	"GENPASS [<bits>]",
	"    Generate a secure 256-bit user password. The optional `bits` argument can",
	"    be used to specify a different size.",
	"LIST",
	"    Show users details in config file format.",
	"LOAD",
	"    Reload users from the ACL file.",
	"LOG [<count> | RESET]",
	"    Show the ACL log entries.",
	"SAVE",
	"    Save the current config to the ACL file.",
	"SETUSER <username> <attribute> [<attribute> ...]",
	"    Create or modify a user with the specified attributes.",
	"USERS",
	"    List all the registered usernames.",
	"WHOAMI",
	"    Return the current connection username.",
}

// userName is the name of the user a client acts as.
func (c *client) userName() string {
	if c.user == nil {
		return acl.DefaultUserName
	}
	return c.user.Name()
}

func aclSetUserCmd(s *Server, c *client, ctx *command.Ctx) {
	// Rules carry passwords: SLOWLOG and MONITOR show none of them, nor
	// the user's name, as in Redis.
	for j := 2; j < len(ctx.Args); j++ {
		ctx.Redact(j)
	}
	ch, err := s.acl.users.SetUser(ctx.Args[2], ctx.Args[3:])
	if err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	if ch.Revoked != nil {
		s.killRevokedSubscribers(ch.User, ch.Revoked)
	}
	ctx.W.OK()
}

func aclGetUserCmd(s *Server, c *client, ctx *command.Ctx) {
	u := s.acl.users.Get(ctx.Args[2])
	if u == nil {
		ctx.W.Null()
		return
	}
	info := u.Info()
	ctx.W.Map(6)
	ctx.W.BulkString("flags")
	ctx.W.Set(len(info.Flags))
	for _, f := range info.Flags {
		ctx.W.BulkString(f)
	}
	ctx.W.BulkString("passwords")
	ctx.W.Array(len(info.Passwords))
	for _, p := range info.Passwords {
		ctx.W.BulkString(p)
	}
	writeSelector := func(si acl.SelectorInfo) {
		ctx.W.BulkString("commands")
		ctx.W.BulkString(si.Commands)
		ctx.W.BulkString("keys")
		ctx.W.BulkString(si.Keys)
		ctx.W.BulkString("channels")
		ctx.W.BulkString(si.Channels)
	}
	writeSelector(info.Root)
	ctx.W.BulkString("selectors")
	ctx.W.Array(len(info.Selectors))
	for _, si := range info.Selectors {
		ctx.W.Map(3)
		writeSelector(si)
	}
}

func aclDelUserCmd(s *Server, c *client, ctx *command.Ctx) {
	gone, err := s.acl.users.Delete(ctx.Args[2:])
	if err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	for _, u := range gone {
		s.killClientsOfUser(u, c)
	}
	ctx.W.Int(int64(len(gone)))
}

func aclCatCmd(s *Server, c *client, ctx *command.Ctx) {
	if len(ctx.Args) > 3 {
		ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + string(ctx.Args[1]) + "'. Try ACL HELP.")
		return
	}
	var names []string
	if len(ctx.Args) == 2 {
		names = acl.Categories()
	} else {
		var err error
		if names, err = s.acl.users.Commands().Category(string(ctx.Args[2])); err != nil {
			ctx.Err("ERR " + err.Error())
			return
		}
	}
	ctx.W.Array(len(names))
	for _, n := range names {
		ctx.W.BulkString(n)
	}
}

func aclGenPassCmd(s *Server, c *client, ctx *command.Ctx) {
	bits := int64(256)
	if len(ctx.Args) > 2 {
		n, err := strconv.ParseInt(string(ctx.Args[2]), 10, 64)
		if err != nil {
			ctx.Err("ERR value is not an integer or out of range")
			return
		}
		bits = n
	}
	pass, err := acl.GenPass(bits)
	if err != nil {
		ctx.Err("ERR " + err.Error())
		return
	}
	ctx.W.BulkString(pass)
}

func aclLogCmd(s *Server, c *client, ctx *command.Ctx) {
	count := 10
	if len(ctx.Args) == 3 {
		if ctx.Is(2, "reset") {
			s.acl.log.Reset()
			ctx.W.OK()
			return
		}
		n, err := strconv.ParseInt(string(ctx.Args[2]), 10, 64)
		if err != nil {
			ctx.Err("ERR value is not an integer or out of range")
			return
		}
		count = int(max(min(n, 1<<30), 0)) // a negative count lists nothing, as in Redis

	} else if len(ctx.Args) > 3 {
		ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + string(ctx.Args[1]) + "'. Try ACL HELP.")
		return
	}
	entries := s.acl.log.Entries(count)
	now := time.Now()
	ctx.W.Array(len(entries))
	for i := range entries {
		e := &entries[i]
		ctx.W.Map(7)
		ctx.W.BulkString("count")
		ctx.W.Int(e.Count)
		ctx.W.BulkString("reason")
		ctx.W.BulkString(e.Reason.String())
		ctx.W.BulkString("context")
		ctx.W.BulkString(e.Context.String())
		ctx.W.BulkString("object")
		ctx.W.BulkString(e.Object)
		ctx.W.BulkString("username")
		ctx.W.BulkString(e.Username)
		ctx.W.BulkString("age-seconds")
		ctx.W.Double(e.AgeSeconds(now))
		ctx.W.BulkString("client-info")
		ctx.W.BulkString(e.ClientInfo)
	}
}

func aclDryRunCmd(s *Server, c *client, ctx *command.Ctx) {
	u := s.acl.users.Get(ctx.Args[2])
	if u == nil {
		ctx.Err("ERR " + acl.DryRunNoUser(ctx.Args[2]).Error())
		return
	}
	cmd := s.lookupCommand(ctx.Args[3:])
	if cmd == nil {
		ctx.Err("ERR " + acl.DryRunNoCommand(ctx.Args[3]).Error())
		return
	}
	args := ctx.Args[3:]
	if !cmd.ArityOK(len(args)) {
		ctx.Err("ERR wrong number of arguments for '" + cmd.FullName() + "' command")
		return
	}
	var keys []command.KeyRef
	if cmd.Spec != nil && cmd.Spec.HasKeys() {
		keys, _ = cmd.Spec.AppendKeys(nil, args)
	}
	text, ok := u.Check(cmd, args, keys).DryRun(cmd, args)
	if ok {
		ctx.W.OK()
		return
	}
	ctx.W.BulkString(text)
}

func aclLoadCmd(s *Server, c *client, ctx *command.Ctx) {
	if s.cfg.ACLFile == "" {
		ctx.Err("ERR " + acl.MsgNoACLFile)
		return
	}
	data, err := acl.ReadFile(s.cfg.Path(s.cfg.ACLFile), s.cfg.ACLFile)
	if err == nil {
		var gone []*acl.User
		if gone, err = s.acl.users.Load(data, s.cfg.ACLFile); err == nil {
			for _, u := range gone {
				s.killClientsOfUser(u, nil)
			}
			ctx.W.OK()
			return
		}
	}
	ctx.Err("ERR " + err.Error())
}

func aclSaveCmd(s *Server, c *client, ctx *command.Ctx) {
	if s.cfg.ACLFile == "" {
		ctx.Err("ERR " + acl.MsgNoACLFile)
		return
	}
	if err := s.acl.users.SaveFile(s.cfg.Path(s.cfg.ACLFile)); err != nil {
		s.log.Warningf("Saving ACL file: %v", err)
		ctx.Err("ERR " + acl.MsgSaveFailed)
		return
	}
	ctx.W.OK()
}

// killClientsOfUser closes the connections of a user that is gone, as
// Redis frees them (asynchronously for the caller itself, which gets
// its reply first).
func (s *Server) killClientsOfUser(u *acl.User, caller *client) {
	for _, c := range s.clients {
		if c.user != u {
			continue
		}
		if c == caller || s.isCurrent(c) {
			c.closing.Store(closeAfterReply)
			continue
		}
		s.killClient(c)
	}
}

// isCurrent reports whether c is the client whose command is running: a
// command that closes its own client's connection (ACL LOAD replacing
// its user) closes it after its reply, as Redis's
// CLIENT_CLOSE_AFTER_COMMAND, since a client closed at once gets
// nothing more written.
func (s *Server) isCurrent(c *client) bool {
	return s.running != nil && s.running.current == c
}

// killRevokedSubscribers closes the connections of u subscribed to a
// channel or pattern its new rules refuse.
func (s *Server) killRevokedSubscribers(u *acl.User, r *acl.Revocation) {
	for _, c := range s.clients {
		if c.user != u || !s.subscribedOutside(c, r) {
			continue
		}
		if s.isCurrent(c) {
			c.closing.Store(closeAfterReply)
			continue
		}
		s.killClient(c)
	}
}

// aclInfo writes INFO guardrails' ACL lines: Redis 7.2's
// acl_access_denied_* counts, which 7.0's INFO lacks.
func (s *Server) aclInfo(w *infoWriter) {
	d := &s.acl.denied
	w.field("acl_access_denied_auth", d[acl.DeniedAuth])
	w.field("acl_access_denied_cmd", d[acl.DeniedCommand])
	w.field("acl_access_denied_key", d[acl.DeniedKey])
	w.field("acl_access_denied_channel", d[acl.DeniedChannel])
}

// subscribedOutside says whether c holds a subscription r refuses.
func (s *Server) subscribedOutside(c *client, r *acl.Revocation) bool {
	for _, ch := range c.subs.channels {
		if !r.Allows([]byte(ch), false) {
			return true
		}
	}
	for _, ch := range c.subs.shard {
		if !r.Allows([]byte(ch), false) {
			return true
		}
	}
	for _, p := range c.subs.patterns {
		if !r.Allows([]byte(p), true) {
			return true
		}
	}
	return false
}
