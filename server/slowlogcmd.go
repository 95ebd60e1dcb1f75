package server

import (
	"github.com/redoubt-db/redoubt/command"
)

func (s *Server) registerSlowlogCommands(h func(string, srvHandler)) {
	h("slowlog|get", func(s *Server, c *client, ctx *command.Ctx) {
		n := int64(10)
		if len(ctx.Args) == 3 {
			var ok bool
			n, ok = ctx.IntMsg(2, "ERR count should be greater than or equal to -1")
			if !ok {
				return
			}
			if n < -1 {
				ctx.Err("ERR count should be greater than or equal to -1")
				return
			}
		}
		entries := s.slowlog.Get(int(n))
		ctx.W.Array(len(entries))
		for _, e := range entries {
			ctx.W.Array(6)
			ctx.W.Int(e.ID)
			ctx.W.Int(e.Time)
			ctx.W.Int(e.Duration)
			ctx.W.Array(len(e.Args))
			for _, a := range e.Args {
				ctx.W.BulkString(a)
			}
			ctx.W.BulkString(e.ClientAddr)
			ctx.W.BulkString(e.ClientName)
		}
	})
	h("slowlog|len", func(s *Server, c *client, ctx *command.Ctx) { ctx.W.Int(int64(s.slowlog.Len())) })
	h("slowlog|reset", func(s *Server, c *client, ctx *command.Ctx) {
		s.slowlog.Reset()
		ctx.W.OK()
	})
	h("slowlog|help", func(s *Server, c *client, ctx *command.Ctx) {
		command.Help(ctx.W, "SLOWLOG", []string{
			"GET [<count>]",
			"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
			"    Entries are made of:",
			"    id, timestamp, time in microseconds, arguments array, client IP and port,",
			"    client name",
			"LEN",
			"    Return the length of the slowlog.",
			"RESET",
			"    Reset the slowlog.",
		})
	})
}
