// Package list implements the list commands (Redis's t_list.c).
package list

import "github.com/redoubt-db/redoubt/command"

// Register adds the list commands to t.
func Register(t *command.Table) {}
