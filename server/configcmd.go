package server

import (
	"github.com/redoubt-db/redoubt/aof"

	"errors"
	"os"
	"strings"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
)

// CONFIG subcommands. The parameter table and its rules are in package
// config; here they meet the running server.

func (s *Server) registerConfigCommands(h func(string, srvHandler)) {
	h("config|get", func(s *Server, c *client, ctx *command.Ctx) {
		pats := make([]string, 0, len(ctx.Args)-2)
		for _, a := range ctx.Args[2:] {
			pats = append(pats, string(a))
		}
		kv := s.cfg.Get(pats)
		ctx.W.Map(len(kv))
		for _, p := range kv {
			ctx.W.BulkString(p[0])
			ctx.W.BulkString(p[1])
		}
	})
	h("config|set", func(s *Server, c *client, ctx *command.Ctx) {
		if len(ctx.Args)%2 != 0 {
			ctx.Err(command.ErrSyntax)
			return
		}
		pairs := make([][2]string, 0, (len(ctx.Args)-2)/2)
		for i := 2; i < len(ctx.Args); i += 2 {
			pairs = append(pairs, [2]string{string(ctx.Args[i]), string(ctx.Args[i+1])})
			if p := s.cfg.Lookup(string(ctx.Args[i])); p != nil && p.Flags&config.Sensitive != 0 {
				ctx.Redact(i + 1)
			}
		}
		if s.loading.active || s.loading.async {
			for _, kv := range pairs {
				if p := s.cfg.Lookup(kv[0]); p != nil && p.Flags&config.DenyLoading != 0 {
					ctx.Err(errLoading)
					return
				}
			}
		}
		if err := s.cfg.Set(pairs, s.allowed(c, s.cfg.EnableProtectedConfigs)); err != nil {
			ctx.Err(err.Error())
			return
		}
		s.applyConfig()
		for _, kv := range pairs {
			if strings.EqualFold(kv[0], "maxmemory") && s.cfg.MaxMemory > 0 {
				if used := s.evictUsed(); used > s.cfg.MaxMemory {
					s.log.Warningf("WARNING: the new maxmemory value set via CONFIG SET (%d) is smaller than the current memory usage (%d). This will result in key eviction and/or the inability to accept new write commands depending on the maxmemory-policy.", s.cfg.MaxMemory, used)
				}
				s.evictState.now = true
			}
		}
		ctx.W.OK()
	})
	h("config|resetstat", func(s *Server, c *client, ctx *command.Ctx) {
		s.resetStats()
		ctx.W.OK()
	})
	h("config|rewrite", func(s *Server, c *client, ctx *command.Ctx) {
		if s.cfg.File == "" {
			ctx.Err("ERR The server is running without a config file")
			return
		}
		if err := s.cfg.Rewrite(); err != nil {
			ctx.Err("ERR Rewriting config file: " + err.Error())
			return
		}
		s.log.Noticef("CONFIG REWRITE executed with success.")
		ctx.W.OK()
	})
	h("config|help", func(s *Server, c *client, ctx *command.Ctx) {
		command.Help(ctx.W, "CONFIG", []string{
			"GET <pattern>",
			"    Return parameters matching the glob-like <pattern> and their values.",
			"SET <directive> <value>",
			"    Set the configuration <directive> to <value>.",
			"RESETSTAT",
			"    Reset statistics reported by the INFO command.",
			"REWRITE",
			"    Rewrite the configuration file.",
		})
	})
}

// allowed applies an enable-*-command style setting: "yes", or "local"
// for connections from the loopback interface.
func (s *Server) allowed(c *client, setting string) bool {
	switch setting {
	case "yes":
		return true
	case "local":
		return isLoopback(c.remote)
	}
	return false
}

// resetStats is CONFIG RESETSTAT.
func (s *Server) resetStats() {
	s.stats.reset()
	s.repl.syncFull, s.repl.syncPartialOK, s.repl.syncPartialErr = 0, 0, 0
	s.evictState.evicted, s.evictState.overTotal = 0, 0
	s.errStats = map[string]int64{}
	s.ks.Stats = keyspace.Stats{}
	s.slowlog.Reset()
	s.cmds.Each(func(c *command.Command) { c.Stats = command.Stats{} })
}

// registerConfigAppliers makes parameter changes take effect.
func (s *Server) registerConfigAppliers() {
	s.cfg.OnApply("repl-backlog-size", func() error {
		// At once, as Redis resizes it: writes that follow in the same
		// transaction already meet the new size.
		if b := s.repl.backlog; b != nil && (!s.coverOn() || b.Size() < int(s.cfg.ReplBacklogSize)) {
			b.Resize(int(s.cfg.ReplBacklogSize))
		}
		return nil
	})
	s.cfg.OnApply("port", func() error {
		if err := s.rebind(); err != nil {
			return errors.New("Unable to listen on this port. Check server logs.")
		}
		return nil
	})
	s.cfg.OnApply("bind", func() error {
		if err := s.rebind(); err != nil {
			return errors.New("Failed to bind to specified addresses.")
		}
		if err := s.rebindTLS(); err != nil {
			return errors.New("Failed to bind to specified addresses.")
		}
		return nil
	})
	// Redoubt never changes the process's working directory (it may be
	// embedded in another program): files are resolved against dir, which
	// must exist.
	s.cfg.OnApply("dir", func() error {
		fi, err := os.Stat(s.cfg.Dir)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				return errors.New(capitalize(pe.Err.Error()))
			}
			return err
		}
		if !fi.IsDir() {
			return errors.New("Not a directory")
		}
		if s.aof.state == aofOff {
			s.aof.dir = s.cfg.Path(s.cfg.AppendDirname)
		}
		s.moveDatadir()
		return nil
	})
	s.cfg.OnApply("appendonly", func() error {
		if !s.cfg.AppendOnly {
			s.stopAppendOnly()
			return nil
		}
		if s.aof.state == aofOff {
			if m := s.aof.manifest; m == nil || s.aof.dir != s.cfg.Path(s.cfg.AppendDirname) {
				m, err := s.readManifest()
				if err != nil {
					return errors.New("Unable to turn on AOF. Check server logs.")
				}
				s.aof.manifest = m
			}
			if err := s.startAppendOnly(); err != nil {
				return errors.New("Unable to turn on AOF. Check server logs.")
			}
		}
		return nil
	})
	s.cfg.OnApply("aof-disable-auto-gc", func() error {
		if !s.cfg.AOFDisableAutoGC && s.aof.manifest != nil && s.aof.dir != "" {
			s.deleteAOFHistory()
		}
		return nil
	})
	s.cfg.OnApply("appendfsync", func() error {
		if w := s.aof.w; w != nil {
			w.SetPolicy(aof.ParsePolicy(s.cfg.AppendFsync))
		}
		return nil
	})
}

// capitalize turns Go's lower-case error texts into strerror's style.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
