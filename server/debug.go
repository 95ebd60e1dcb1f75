package server

import (
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
)

// DEBUG, gated by enable-debug-command as in Redis.

func (s *Server) registerDebugCommands(h func(string, srvHandler)) {
	h("debug", debugCmd)
}

func debugCmd(s *Server, c *client, ctx *command.Ctx) {
	if !s.allowed(c, s.cfg.EnableDebugCommand) {
		ctx.Err("ERR DEBUG command not allowed. If the enable-debug-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
		return
	}
	switch sub := strings.ToLower(string(ctx.Args[1])); {
	case sub == "sleep" && len(ctx.Args) == 3:
		f, ok := command.ParseFloat(ctx.Args[2])
		if !ok {
			ctx.Err(command.ErrNotFloat)
			return
		}
		time.Sleep(time.Duration(f * float64(time.Second)))
		ctx.W.OK()
	case sub == "set-active-expire" && len(ctx.Args) == 3:
		n, ok := ctx.Int(2)
		if !ok {
			return
		}
		s.ks.ActiveExpire = n != 0
		ctx.W.OK()
	default:
		ctx.Err("ERR unknown subcommand '" + clip(ctx.Args[1], 128) + "'. Try DEBUG HELP.")
	}
}
