package main

import (
	"fmt"
	"io"
	"time"
)

// progress reports how far the read of a big file has got, on standard
// error, at most once per interval: a check of a file that takes under a
// second prints nothing.
type progress struct {
	w        io.Writer
	name     string
	total    int64
	interval time.Duration
	now      func() time.Time
	next     time.Time
	calls    int
	checked  int64 // the offset at the last look at the clock
}

func newProgress(w io.Writer, name string, total int64) *progress {
	p := &progress{w: w, name: name, total: total, interval: time.Second, now: time.Now}
	p.next = p.now().Add(p.interval)
	return p
}

// at notes that the read is at offset off. It looks at the clock only
// every 1024 calls or 8 MB, to cost nothing per item.
func (p *progress) at(off int64) {
	p.calls++
	if p.calls%1024 != 0 && off-p.checked < 8<<20 {
		return
	}
	p.checked = off
	t := p.now()
	if t.Before(p.next) {
		return
	}
	p.next = t.Add(p.interval)
	pct := int64(100)
	if p.total > 0 {
		pct = off * 100 / p.total
	}
	fmt.Fprintf(p.w, "[progress] %s: %d of %d bytes (%d%%)\n", p.name, off, p.total, pct)
}
