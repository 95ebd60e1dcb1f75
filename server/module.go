package server

import (
	"strings"

	"github.com/redoubt-db/redoubt/command"
)

// MODULE, answered as a Redis whose every module load fails: Redoubt
// loads no module (a Go server cannot load Redis's C modules), but
// clients and tools that ask (go-redis's suite, operators' scripts) get
// Redis's replies, and enable-module-command gates LOAD, LOADEX and
// UNLOAD as it does in Redis.

var moduleHelp = []string{
	"LIST",
	"    Return a list of loaded modules.",
	"LOAD <path> [<arg> ...]",
	"    Load a module library from <path>, passing to it any optional arguments.",
	"LOADEX <path> [[CONFIG NAME VALUE] [CONFIG NAME VALUE]] [ARGS ...]",
	"    Load a module library from <path>, while passing it module configurations and optional arguments.",
	"UNLOAD <name>",
	"    Unload a module.",
}

func (s *Server) registerModuleCommands(h func(string, srvHandler)) {
	gated := func(fn srvHandler) srvHandler {
		return func(s *Server, c *client, ctx *command.Ctx) {
			if !s.allowed(c, s.cfg.EnableModuleCommand) {
				ctx.Err("ERR MODULE command not allowed. If the enable-module-command option is set to \"local\", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.")
				return
			}
			fn(s, c, ctx)
		}
	}
	// LIST and HELP are not protected, in Redis either.
	h("module|list", func(s *Server, c *client, ctx *command.Ctx) { ctx.W.Array(0) })
	load := gated(func(s *Server, c *client, ctx *command.Ctx) {
		s.log.Warningf("Module %s failed to load: Redoubt does not load modules", ctx.Args[2])
		ctx.Err("ERR Error loading the extension. Please check the server logs.")
	})
	h("module|load", load)
	h("module|loadex", load)
	h("module|unload", gated(func(s *Server, c *client, ctx *command.Ctx) {
		ctx.Err("ERR Error unloading module: no such module with that name")
	}))
	h("module|help", func(s *Server, c *client, ctx *command.Ctx) {
		command.Help(ctx.W, strings.ToUpper(string(ctx.Args[0])), moduleHelp)
	})
}
