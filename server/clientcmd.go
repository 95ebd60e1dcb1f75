package server

import (
	"github.com/redoubt-db/redoubt/acl"
	"math"
	"sort"
	"strings"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/protocol"
)

// CLIENT subcommands (Redis's networking.c).

func (s *Server) registerClientCommands(h func(string, srvHandler)) {
	h("client|id", func(s *Server, c *client, ctx *command.Ctx) { ctx.W.Int(c.id) })
	h("client|info", func(s *Server, c *client, ctx *command.Ctx) {
		ctx.W.Verbatim([]byte(c.info()+"\n"), "txt")
	})
	h("client|list", clientListCmd)
	h("client|kill", clientKillCmd)
	h("client|setname", func(s *Server, c *client, ctx *command.Ctx) {
		if msg := validClientName(ctx.Args[2]); msg != "" {
			ctx.Err(msg)
			return
		}
		c.name = string(ctx.Args[2])
		ctx.W.OK()
	})
	h("client|getname", func(s *Server, c *client, ctx *command.Ctx) {
		if c.name == "" {
			ctx.W.Null()
			return
		}
		ctx.W.BulkString(c.name)
	})
	h("client|reply", clientReplyCmd)
	h("client|no-evict", func(s *Server, c *client, ctx *command.Ctx) { clientOnOff(c, ctx, flagNoEvict) })
	h("client|no-touch", func(s *Server, c *client, ctx *command.Ctx) { clientOnOff(c, ctx, flagNoTouch) })
	h("client|pause", clientPauseCmd)
	h("client|unpause", func(s *Server, c *client, ctx *command.Ctx) {
		s.unpauseClients()
		ctx.W.OK()
	})
	h("client|unblock", clientUnblockCmd)
	h("client|tracking", clientTrackingCmd)
	h("client|caching", clientCachingCmd)
	h("client|getredir", clientGetredirCmd)
	h("client|trackinginfo", clientTrackinginfoCmd)
	h("client|help", clientHelpCmd)
}

func clientOnOff(c *client, ctx *command.Ctx, f clientFlags) {
	switch {
	case ctx.Is(2, "on"):
		c.flags |= f
	case ctx.Is(2, "off"):
		c.flags &^= f
	default:
		ctx.Err(command.ErrSyntax)
		return
	}
	ctx.W.OK()
}

// clientsByID returns the clients in creation order, as CLIENT LIST shows.
func (s *Server) clientsByID() []*client {
	out := make([]*client, 0, len(s.clients))
	for _, c := range s.clients {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

// clientType is the class a client belongs to for CLIENT LIST/KILL TYPE
// and the output buffer limits.
func (c *client) clientType() string {
	if c.flags&flagReplica != 0 {
		return "replica"
	}
	if c.flags&flagPubSub != 0 {
		return "pubsub"
	}
	return "normal"
}

func validClientType(t string) bool {
	switch t {
	case "normal", "master", "replica", "slave", "pubsub":
		return true
	}
	return false
}

func clientListCmd(s *Server, c *client, ctx *command.Ctx) {
	var b strings.Builder
	switch {
	case len(ctx.Args) == 4 && ctx.Is(2, "type"):
		t := strings.ToLower(string(ctx.Args[3]))
		if !validClientType(t) {
			ctx.Err("ERR Unknown client type '" + string(ctx.Args[3]) + "'")
			return
		}
		if t == "slave" {
			t = "replica"
		}
		for _, cl := range s.clientsByID() {
			if cl.clientType() == t {
				b.WriteString(cl.info() + "\n")
			}
		}
	case len(ctx.Args) > 3 && ctx.Is(2, "id"):
		for i := 3; i < len(ctx.Args); i++ {
			id, ok := protocol.ParseInt(ctx.Args[i])
			if !ok {
				ctx.Err("ERR Invalid client ID")
				return
			}
			if cl := s.clients[id]; cl != nil {
				b.WriteString(cl.info() + "\n")
			}
		}
	case len(ctx.Args) != 2:
		ctx.Err(command.ErrSyntax)
		return
	default:
		for _, cl := range s.clientsByID() {
			b.WriteString(cl.info() + "\n")
		}
	}
	ctx.W.Verbatim([]byte(b.String()), "txt")
}

func clientKillCmd(s *Server, c *client, ctx *command.Ctx) {
	args := ctx.Args
	var addr, laddr, typ string
	var id int64
	var user *acl.User
	skipme := true
	switch {
	case len(args) == 3:
		addr = string(args[2])
		skipme = false
	case len(args) > 3:
		for i := 2; i < len(args); i += 2 {
			if i+1 >= len(args) {
				ctx.Err(command.ErrSyntax)
				return
			}
			val := args[i+1]
			switch {
			case ctx.Is(i, "id"):
				n, ok := protocol.ParseInt(val)
				if !ok || n < 1 {
					ctx.Err("ERR client-id should be greater than 0")
					return
				}
				id = n
			case ctx.Is(i, "type"):
				typ = strings.ToLower(string(val))
				if !validClientType(typ) {
					ctx.Err("ERR Unknown client type '" + string(val) + "'")
					return
				}
				if typ == "slave" {
					typ = "replica"
				}
			case ctx.Is(i, "addr"):
				addr = string(val)
			case ctx.Is(i, "laddr"):
				laddr = string(val)
			case ctx.Is(i, "user"):
				if user = s.acl.users.Get(val); user == nil {
					ctx.Err("ERR No such user '" + string(val) + "'")
					return
				}
			case ctx.Is(i, "skipme"):
				switch {
				case command.EqualFold(val, "yes"):
					skipme = true
				case command.EqualFold(val, "no"):
					skipme = false
				default:
					ctx.Err(command.ErrSyntax)
					return
				}
			default:
				ctx.Err(command.ErrSyntax)
				return
			}
		}
	default:
		ctx.Err(command.ErrSyntax)
		return
	}
	killed := 0
	killSelf := false
	for _, cl := range s.clientsByID() {
		switch {
		case addr != "" && cl.addr != addr,
			laddr != "" && cl.laddr != laddr,
			typ != "" && cl.clientType() != typ,
			id != 0 && cl.id != id,
			user != nil && cl.user != user,
			cl == c && skipme:
			continue
		}
		if cl == c {
			killSelf = true
		} else {
			s.killClient(cl)
		}
		killed++
	}
	// Our primary's client has no socket of ours in the table: killing
	// it drops the link, which reconnects and continues (PSYNC).
	if lk := s.repl.master; lk != nil && lk.state == linkConnected &&
		(addr == "" || addr == lk.client.addr) && (laddr == "" || laddr == lk.client.laddr) &&
		(typ == "" || typ == "master") && (id == 0 || id == lk.client.id) && user == nil {
		lk.dropConn()
		killed++
	}
	if len(args) == 3 {
		if killed == 0 {
			ctx.Err("ERR No such client")
		} else {
			ctx.W.OK()
		}
	} else {
		ctx.W.Int(int64(killed))
	}
	if killSelf {
		c.closing.Store(closeAfterReply)
	}
}

// killClient disconnects a client now: it is gone from CLIENT LIST before
// the command that killed it replies.
func (s *Server) killClient(c *client) {
	c.closing.Store(closeASAP)
	s.detachClient(c)
	c.wake() // its loop closes the socket
}

// detachClient removes a client from the server's tables. It is
// idempotent; the caller holds the engine lock.
func (s *Server) detachClient(c *client) {
	if _, ok := s.clients[c.id]; !ok {
		return
	}
	s.unwatchAll(c)
	s.unsubscribeAll(c)
	s.disableTracking(c)
	s.unblock(c)
	c.dropMem()
	s.ldbForget(c)
	if c.flags&flagMonitor != 0 {
		s.removeMonitor(c)
	}
	if c.flags&flagReplica != 0 {
		s.removeReplica(c)
	}
	if c.paused {
		for i, p := range s.pause.clients {
			if p == c {
				s.pause.clients = append(s.pause.clients[:i], s.pause.clients[i+1:]...)
				break
			}
		}
	}
	s.stats.netIn += c.netIn.Load()
	s.stats.netOut += c.netOut.Load()
	delete(s.clients, c.id)
}

func clientReplyCmd(s *Server, c *client, ctx *command.Ctx) {
	switch {
	case ctx.Is(2, "on"):
		c.flags &^= flagReplyOff | flagReplySkip | flagReplySkipNext
		ctx.W.OK()
	case ctx.Is(2, "off"):
		c.flags |= flagReplyOff
	case ctx.Is(2, "skip"):
		if c.flags&flagReplyOff == 0 {
			c.flags |= flagReplySkipNext
		}
	default:
		ctx.Err(command.ErrSyntax)
	}
}

func clientPauseCmd(s *Server, c *client, ctx *command.Ctx) {
	all := true
	if len(ctx.Args) == 4 {
		switch {
		case ctx.Is(3, "write"):
			all = false
		case ctx.Is(3, "all"):
		default:
			ctx.Err("ERR CLIENT PAUSE mode must be WRITE or ALL")
			return
		}
	}
	ms, ok := ctx.IntMsg(2, "ERR timeout is not an integer or out of range")
	if !ok {
		return
	}
	if ms < 0 {
		ctx.Err("ERR timeout is negative")
		return
	}
	end := now()
	if ms > math.MaxInt64-end {
		ctx.Err("ERR timeout is out of range")
		return
	}
	s.pauseClients(end+ms, all)
	ctx.W.OK()
}

func clientHelpCmd(s *Server, c *client, ctx *command.Ctx) {
	command.Help(ctx.W, "CLIENT", []string{
		"CACHING (YES|NO)",
		"    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"    * ID <client-id>",
		"      Kill connections by client id.",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"UNPAUSE",
		"    Stop the current client pause, resuming traffic.",
		"PAUSE <timeout> [WRITE|ALL]",
		"    Suspend all, or just write, clients for <timeout> milliseconds.",
		"REPLY (ON|OFF|SKIP)",
		"    Control the replies sent to the current connection.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"UNBLOCK <clientid> [TIMEOUT|ERROR]",
		"    Unblock the specified blocked client.",
		"TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
		"         [OPTIN] [OPTOUT] [NOLOOP]",
		"    Control server assisted client side caching.",
		"TRACKINGINFO",
		"    Report tracking status for the current connection.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.",
	})
}
