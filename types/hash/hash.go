// Package hash implements the hash commands (Redis's t_hash.c).
package hash

import "github.com/redoubt-db/redoubt/command"

// Register adds the hash commands to t.
func Register(t *command.Table) {}
