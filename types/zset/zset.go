// Package zset implements the sorted set commands (Redis's t_zset.c).
package zset

import "github.com/redoubt-db/redoubt/command"

// Register adds the sorted set commands to t.
func Register(t *command.Table) {}
