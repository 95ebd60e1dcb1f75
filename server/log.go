package server

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// Log levels, in Redis's order.
const (
	LogDebug = iota
	LogVerbose
	LogNotice
	LogWarning
	LogNothing
)

var levelNames = []string{"debug", "verbose", "notice", "warning", "nothing"}

// levelMarks are the characters Redis puts before each message.
var levelMarks = []byte{'.', '-', '*', '#'}

// Logger writes lines in Redis's format:
//
//	12345:M 23 Nov 2026 06:40:00.123 * Ready to accept connections tcp
type Logger struct {
	mu    sync.Mutex
	out   io.Writer
	level int
	pid   int
	role  byte
}

// NewLogger logs to out at the given level name ("notice", ...).
func NewLogger(out io.Writer, level string) *Logger {
	l := &Logger{out: out, pid: os.Getpid(), role: 'M'}
	l.SetLevel(level)
	return l
}

// SetLevel changes the level by name.
func (l *Logger) SetLevel(name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i, n := range levelNames {
		if n == name {
			l.level = i
		}
	}
}

// SetRole sets the role letter: M master, S replica, C child.
func (l *Logger) SetRole(r byte) {
	l.mu.Lock()
	l.role = r
	l.mu.Unlock()
}

// Logf logs a message at a level.
func (l *Logger) Logf(level int, format string, args ...any) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if level < l.level || l.level == LogNothing {
		return
	}
	now := time.Now()
	fmt.Fprintf(l.out, "%d:%c %s %c %s\n", l.pid, l.role, now.Format("02 Jan 2006 15:04:05.000"),
		levelMarks[level], fmt.Sprintf(format, args...))
}

// Noticef logs at notice level.
func (l *Logger) Noticef(format string, args ...any) { l.Logf(LogNotice, format, args...) }

// Warningf logs at warning level.
func (l *Logger) Warningf(format string, args ...any) { l.Logf(LogWarning, format, args...) }

// Verbosef logs at verbose level.
func (l *Logger) Verbosef(format string, args ...any) { l.Logf(LogVerbose, format, args...) }

// Raw writes text as it is, at notice level, as Redis's serverLogRaw
// writes its logo.
func (l *Logger) Raw(text string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if LogNotice < l.level || l.level == LogNothing {
		return
	}
	io.WriteString(l.out, text)
}
