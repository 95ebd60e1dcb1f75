package server

import (
	"strings"

	"github.com/redoubt-db/redoubt/command"
)

// Cluster mode is not implemented: the commands exist and answer as
// Redis answers them when cluster-enabled is no, so that clients that
// probe for a cluster (CLUSTER INFO, READONLY) learn there is none, and
// COMMAND lists them as Redis does.

const errClusterDisabled = "ERR This instance has cluster support disabled"

func (s *Server) registerClusterCommands(h func(string, srvHandler)) {
	disabled := func(s *Server, c *client, ctx *command.Ctx) { ctx.Err(errClusterDisabled) }
	for _, name := range []string{"readonly", "readwrite", "asking"} {
		h(name, disabled)
	}
	for _, sub := range s.clusterSubcommands() {
		h("cluster|"+sub, disabled)
	}
}

// clusterSubcommands lists CLUSTER's subcommands from the command table's
// data.
func (s *Server) clusterSubcommands() []string {
	var subs []string
	for _, spec := range command.Specs() {
		if spec.Name != "cluster" {
			continue
		}
		for _, sub := range spec.Subcommands {
			subs = append(subs, strings.TrimPrefix(sub.Name, "cluster|"))
		}
	}
	return subs
}
