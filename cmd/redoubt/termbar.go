package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// keyBar is the doctor's progress bar for the key sample, redrawn in
// place with a carriage return. It is drawn only on a terminal (the
// caller passes a nil writer otherwise, and a nil *keyBar does nothing),
// at most every tenth of a second, and erased when the walk ends so that
// the report that follows starts on a clean line.
type keyBar struct {
	w     io.Writer
	label string
	total int
	now   func() time.Time
	start time.Time
	last  time.Time
	drawn bool
	done  int // as last drawn
}

const barWidth = 30

func newKeyBar(w io.Writer, label string, total int) *keyBar {
	if w == nil || total <= 0 {
		return nil
	}
	b := &keyBar{w: w, label: label, total: total, now: time.Now}
	b.start = b.now()
	return b
}

// update notes that done keys were sampled.
func (b *keyBar) update(done int) {
	if b == nil {
		return
	}
	t := b.now()
	if b.drawn && (done == b.done || t.Sub(b.last) < 100*time.Millisecond && done < b.total) {
		return
	}
	b.last, b.drawn, b.done = t, true, done
	filled := min(done*barWidth/b.total, barWidth)
	fmt.Fprintf(b.w, "\r%s: sampling keys [%s%s] %d/%d %.1fs", b.label,
		strings.Repeat("#", filled), strings.Repeat(".", barWidth-filled), done, b.total, t.Sub(b.start).Seconds())
}

// finish erases the bar.
func (b *keyBar) finish() {
	if b == nil || !b.drawn {
		return
	}
	fmt.Fprint(b.w, "\r\x1b[K")
}
