package acl

import (
	"fmt"
	"testing"
	"time"
)

func TestLogGrouping(t *testing.T) {
	t0 := time.UnixMilli(1_000_000)
	entry := func(obj string, at time.Duration) LogEntry {
		return LogEntry{Reason: DeniedKey, Context: ContextToplevel, Object: obj, Username: "u",
			Updated: t0.Add(at), ClientInfo: "id=" + obj}
	}
	l := NewLog(128)
	l.Add(entry("a", 0))
	l.Add(entry("a", time.Second))
	l.Add(entry("b", 2*time.Second))
	// One minute apart is still the same event; a millisecond more is not.
	l.Add(entry("a", time.Second+time.Minute))
	l.Add(entry("a", 2*time.Second+2*time.Minute+time.Millisecond))
	got := l.Entries(10)
	want := []string{"a:1@122001", "a:3@61000", "b:1@2000"}
	if len(got) != len(want) {
		t.Fatalf("%d entries: %+v", len(got), got)
	}
	for i, e := range got {
		if s := fmt.Sprintf("%s:%d@%d", e.Object, e.Count, e.Updated.Sub(t0).Milliseconds()); s != want[i] {
			t.Errorf("entry %d: %s, want %s", i, s, want[i])
		}
	}

	// Only the ten newest entries are looked at.
	l.Reset()
	l.Add(entry("old", 0))
	for i := range 10 {
		l.Add(entry(fmt.Sprint(i), 0))
	}
	l.Add(entry("old", 0))
	if l.Len() != 12 || l.Entries(1)[0].Count != 1 {
		t.Errorf("an entry beyond the ten newest was grouped: %d entries", l.Len())
	}
	l.Add(entry("1", 0))
	if e := l.Entries(1)[0]; e.Object != "1" || e.Count != 2 || l.Len() != 12 {
		t.Errorf("grouping moves the entry to the front: %+v", e)
	}

	// Different reason, context or user: different entries.
	l.Reset()
	e := entry("k", 0)
	l.Add(e)
	e.Reason = DeniedCommand
	l.Add(e)
	e.Context = ContextMulti
	l.Add(e)
	e.Username = "v"
	l.Add(e)
	if l.Len() != 4 {
		t.Errorf("%d entries, want 4", l.Len())
	}
}

func TestLogLength(t *testing.T) {
	l := NewLog(3)
	for i := range 5 {
		l.Add(LogEntry{Object: fmt.Sprint(i), Updated: time.UnixMilli(int64(i) * 61000)})
	}
	if got := l.Entries(10); len(got) != 3 || got[0].Object != "4" || got[2].Object != "2" {
		t.Errorf("trimmed to %+v", got)
	}
	if len(l.Entries(-1)) != 0 || len(l.Entries(2)) != 2 {
		t.Error("Entries count")
	}
	// Lowering the length trims at the next Add, as in Redis.
	l.MaxLen = 1
	if l.Len() != 3 {
		t.Error("trimmed before the next event")
	}
	l.Add(LogEntry{Object: "x"})
	if l.Len() != 1 {
		t.Errorf("%d entries", l.Len())
	}
	l.MaxLen = 0
	l.Add(LogEntry{Object: "y"})
	if l.Len() != 0 {
		t.Error("acllog-max-len 0 keeps entries")
	}
}

func TestLogStrings(t *testing.T) {
	e := LogEntry{Updated: time.UnixMilli(1000)}
	if got := e.AgeSeconds(time.UnixMilli(3500)); got != 2.5 {
		t.Errorf("age %v", got)
	}
	var got []string
	for _, c := range []LogContext{ContextToplevel, ContextLua, ContextMulti, ContextModule, 9} {
		got = append(got, c.String())
	}
	for _, r := range []Reason{DeniedCommand, DeniedKey, DeniedAuth, DeniedChannel, Allowed} {
		got = append(got, r.String())
	}
	if fmt.Sprint(got) != "[toplevel lua multi module unknown command key auth channel unknown]" {
		t.Errorf("%q", got)
	}
}
