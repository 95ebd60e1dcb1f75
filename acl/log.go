package acl

import "time"

// LogContext is where a denied call came from.
type LogContext uint8

// Contexts, with Redis's values.
const (
	ContextToplevel LogContext = iota
	ContextLua
	ContextMulti
	ContextModule
)

// String is the context as ACL LOG shows it.
func (c LogContext) String() string {
	switch c {
	case ContextToplevel:
		return "toplevel"
	case ContextLua:
		return "lua"
	case ContextMulti:
		return "multi"
	case ContextModule:
		return "module"
	}
	return "unknown"
}

// LogEntry is one ACL LOG entry. The server sends it as a map of seven
// fields, in order: "count" (integer), "reason", "context", "object",
// "username" (bulk strings), "age-seconds" (a double, AgeSeconds) and
// "client-info" (a bulk string, the CLIENT LIST line of the client).
type LogEntry struct {
	Count    int64
	Reason   Reason
	Context  LogContext
	Object   string // the command's full name, the key or channel, or for auth the command typed (AUTH, HELLO)
	Username string // the user the client was, or for auth the user it tried
	// Updated is when the entry was added or last grouped with a new
	// event; Redis keeps it in milliseconds.
	Updated    time.Time
	ClientInfo string // of the last client
}

// AgeSeconds is the entry's age-seconds field.
func (e *LogEntry) AgeSeconds(now time.Time) float64 {
	return float64(now.UnixMilli()-e.Updated.UnixMilli()) / 1000
}

// Log is the ACL log: the most recent denials first, similar ones
// grouped, at most MaxLen (acllog-max-len) entries.
//
// A Log is not safe for concurrent use.
type Log struct {
	// MaxLen is acllog-max-len. Lowering it takes effect at the next
	// Add, as in Redis.
	MaxLen  int
	entries []*LogEntry // newest first
}

// logGroupWindow is how close in time two events must be to be
// grouped; logGroupScan is how many recent entries are looked at.
const (
	logGroupWindow = 60 * time.Second
	logGroupScan   = 10
)

// NewLog returns an empty log keeping maxLen entries (Redis's default is
// 128).
func NewLog(maxLen int) *Log { return &Log{MaxLen: maxLen} }

// Add records a denial. e.Updated is the time of the event; e.Count is
// ignored. If one of the ten most recent entries has the same reason,
// context, object and user and is at most a minute apart, that entry
// counts one more event, takes e's time and client info, and moves to
// the front; otherwise e is added at the front and the oldest entries
// beyond MaxLen are dropped.
func (l *Log) Add(e LogEntry) {
	for i, cur := range l.entries {
		if i == logGroupScan {
			break
		}
		if cur.matches(&e) {
			cur.Count++
			cur.Updated, cur.ClientInfo = e.Updated, e.ClientInfo
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = cur
			return
		}
	}
	e.Count = 1
	l.entries = append(l.entries, nil)
	copy(l.entries[1:], l.entries)
	l.entries[0] = &e
	for len(l.entries) > max(l.MaxLen, 0) {
		l.entries[len(l.entries)-1] = nil
		l.entries = l.entries[:len(l.entries)-1]
	}
}

func (a *LogEntry) matches(b *LogEntry) bool {
	delta := a.Updated.UnixMilli() - b.Updated.UnixMilli()
	if delta < 0 {
		delta = -delta
	}
	return a.Reason == b.Reason && a.Context == b.Context &&
		delta <= logGroupWindow.Milliseconds() &&
		a.Object == b.Object && a.Username == b.Username
}

// Entries returns copies of up to count entries, newest first (ACL LOG
// [count]; the default count is 10 and a negative one means none).
func (l *Log) Entries(count int) []LogEntry {
	count = min(max(count, 0), len(l.entries))
	out := make([]LogEntry, count)
	for i := range out {
		out[i] = *l.entries[i]
	}
	return out
}

// Len is the number of entries.
func (l *Log) Len() int { return len(l.entries) }

// Reset is ACL LOG RESET.
func (l *Log) Reset() { l.entries = nil }
