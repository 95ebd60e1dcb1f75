// Package slowlog keeps the commands that ran longer than
// slowlog-log-slower-than, newest first, as SLOWLOG GET shows them.
package slowlog

import (
	"strconv"
)

// Redis keeps at most this many arguments of a command, each cut to
// maxArgLen bytes, so that a huge command cannot fill the log.
const (
	maxArgs   = 32
	maxArgLen = 128
)

// Entry is one logged command.
type Entry struct {
	ID         int64
	Time       int64 // Unix seconds
	Duration   int64 // microseconds
	Args       []string
	ClientAddr string
	ClientName string
}

// Log is a bounded list of entries. It is not safe for concurrent use.
type Log struct {
	entries []Entry // newest last
	maxLen  int
	nextID  int64
}

// New returns an empty log keeping 128 entries.
func New() *Log { return &Log{maxLen: 128} }

// SetMaxLen changes how many entries are kept.
func (l *Log) SetMaxLen(n int) {
	l.maxLen = n
	l.trim()
}

func (l *Log) trim() {
	if over := len(l.entries) - l.maxLen; over > 0 {
		l.entries = append(l.entries[:0], l.entries[over:]...)
	}
}

// Add records a command. args are copied and shortened as Redis does.
func (l *Log) Add(now, duration int64, args [][]byte, addr, name string) {
	n := min(len(args), maxArgs)
	e := Entry{ID: l.nextID, Time: now, Duration: duration, ClientAddr: addr, ClientName: name, Args: make([]string, n)}
	l.nextID++
	for i := 0; i < n; i++ {
		if i == maxArgs-1 && len(args) > maxArgs {
			e.Args[i] = "... (" + strconv.Itoa(len(args)-maxArgs+1) + " more arguments)"
			break
		}
		a := args[i]
		if len(a) > maxArgLen {
			e.Args[i] = string(a[:maxArgLen]) + "... (" + strconv.Itoa(len(a)-maxArgLen) + " more bytes)"
		} else {
			e.Args[i] = string(a)
		}
	}
	l.entries = append(l.entries, e)
	l.trim()
}

// Get returns up to n entries, newest first; n < 0 means all.
func (l *Log) Get(n int) []Entry {
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]Entry, n)
	for i := 0; i < n; i++ {
		out[i] = l.entries[len(l.entries)-1-i]
	}
	return out
}

// Len is the number of entries.
func (l *Log) Len() int { return len(l.entries) }

// Reset empties the log.
func (l *Log) Reset() { l.entries = nil }
