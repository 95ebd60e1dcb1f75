package aof

import "fmt"

// ErrorKind says what is wrong with an AOF.
type ErrorKind int

// The kinds of Error. The messages are redis-check-aof's where it has one.
const (
	// ErrEOF: the file ends between two elements of a command.
	ErrEOF ErrorKind = iota + 1
	// ErrShort: the file ends inside a string ("Expected to read N bytes,
	// got M bytes").
	ErrShort
	// ErrMultiEOF: the file ends inside a MULTI block ("Reached EOF before
	// reading EXEC for MULTI"). Redis's loader undoes the open
	// transaction, as for a torn command.
	ErrMultiEOF
	// ErrNewline: a length line or a string not ended by \r\n ("Expected
	// \r\n, got: ..."); a torn write when a length line is cut by the end
	// of the file.
	ErrNewline
	// ErrPrefix: an argument that does not start with '$'.
	ErrPrefix
	// ErrRange: a string length below zero or too large.
	ErrRange
	// ErrArgc: a command of no arguments (*0 or less), which Redis's loader
	// refuses though redis-check-aof lets it pass.
	ErrArgc
	// ErrNestedMulti: a MULTI inside a MULTI block.
	ErrNestedMulti
	// ErrExecWithoutMulti: an EXEC outside a MULTI block.
	ErrExecWithoutMulti
	// ErrItem: an item that starts with neither '*' nor '#' (Redis's "Bad
	// file format reading the append only file").
	ErrItem
	// ErrPreamble: the file starts with an RDB preamble ("REDIS"), which
	// the caller must load with the RDB loader and read past.
	ErrPreamble
)

// Error is a fault in an AOF.
type Error struct {
	Kind ErrorKind
	// Offset is where the reader found the fault: the start of the length
	// line or string being read (the position redis-check-aof reports),
	// the start of the item for ErrItem, ErrArgc and ErrPreamble, and the
	// end of the file for ErrEOF and ErrMultiEOF.
	Offset int64
	// ValidEnd is the end of the last complete item outside a MULTI block:
	// cutting the file there leaves one that loads, without a partial
	// command or transaction: where redis-check-aof --fix cuts, and where
	// Redis's aof-load-truncated cuts too, except for a command torn
	// inside a transaction: Redis then cuts after the last complete
	// command, leaving the open MULTI for its next start to drop.
	ValidEnd int64
	// Truncated says the file merely stops early, as a write interrupted
	// by a crash leaves it: what follows ValidEnd is a prefix of a valid
	// command, or a transaction without its EXEC. Otherwise the file is
	// corrupt.
	Truncated bool
	// Msg describes the fault.
	Msg string
}

func (e *Error) Error() string {
	return fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
}
