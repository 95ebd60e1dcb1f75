package expire

import "github.com/redoubt-db/redoubt/command"

// Register adds the TTL commands to t.
func Register(t *command.Table) {}
