// Package bitops implements the bit commands over string values (Redis's
// bitops.c and the BITFIELD family).
package bitops

import "github.com/redoubt-db/redoubt/command"

// Register adds the bit commands to t.
func Register(t *command.Table) {}
