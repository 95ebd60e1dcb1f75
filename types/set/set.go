// Package set implements the set commands (Redis's t_set.c).
package set

import "github.com/redoubt-db/redoubt/command"

// Register adds the set commands to t.
func Register(t *command.Table) {}
