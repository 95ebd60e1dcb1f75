package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// The progress line comes at most once per interval of a (fake) clock.
func TestProgress(t *testing.T) {
	var buf bytes.Buffer
	now := time.Unix(1000, 0)
	p := newProgress(&buf, "f.aof", 200<<20)
	p.now = func() time.Time { return now }
	p.next = now.Add(p.interval)
	off := int64(0)
	step := func(n int) {
		for range n {
			off += 100
			p.at(off)
		}
	}
	step(5000)
	if buf.Len() != 0 {
		t.Fatalf("printed before a second passed: %q", buf.String())
	}
	now = now.Add(1500 * time.Millisecond)
	step(5000)
	if got := strings.Count(buf.String(), "\n"); got != 1 {
		t.Fatalf("%d lines: %q", got, buf.String())
	}
	if !strings.HasPrefix(buf.String(), "[progress] f.aof: ") || !strings.HasSuffix(buf.String(), " of 209715200 bytes (0%)\n") {
		t.Fatalf("%q", buf.String())
	}
	// A few big items are enough to look at the clock.
	now = now.Add(2 * time.Second)
	p.at(100 << 20)
	if !strings.HasSuffix(buf.String(), "[progress] f.aof: 104857600 of 209715200 bytes (50%)\n") {
		t.Fatalf("%q", buf.String())
	}
}
