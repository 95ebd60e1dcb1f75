package server

import "time"

// The backlog's cover: incident 2's guardrail. Redis's backlog is a
// fixed repl-backlog-size (1 MB by default); a replica that loses its
// link for longer than the backlog's worth of writes needs a full
// resynchronisation, and when every replica needs one at once the
// primary drowns (the full-resync storm). Here the backlog also holds at
// least the last repl-backlog-cover seconds of stream: before the backlog
// would drop a byte written within that window, it grows, up to
// repl-backlog-cover-limit; once the window's writes fit in a quarter of
// it, it shrinks back towards repl-backlog-size. The cover applies while
// repl-backlog-size is left at its default: an operator who sized the
// backlog gets exactly that size, as in Redis. INFO reports how many
// seconds the backlog holds (repl_backlog_covers_seconds), and the
// cron warns when a replica lags by most of what the backlog holds.

// coverMark is the stream's offset at a moment: one a second, kept for
// the window.
type coverMark struct {
	t   int64 // Unix ms
	off int64
}

// coverState is the backlog's cover, guarded by the engine lock.
type coverState struct {
	marks []coverMark
	// windowStart is the offset the window starts at: bytes from it on
	// must stay in the backlog.
	windowStart int64
	// lastWarn is when each replica's lag was last warned about.
	lastWarn map[*client]time.Time
}

// backlogRoom grows the backlog before an append of n bytes would drop
// bytes of the window. The caller holds the engine lock.
func (s *Server) backlogRoom(n int) {
	r := &s.repl
	b := r.backlog
	over := b.HistLen() + n - b.Size()
	if over <= 0 || !s.coverOn() || int64(b.Size()) >= s.cfg.ReplBacklogCoverLimit {
		return
	}
	// The oldest byte kept after the append would be First()+over.
	if b.First()+int64(over) <= r.cover.windowStart {
		return
	}
	size := max(2*b.Size(), b.HistLen()+n)
	size = int(min(int64(size), s.cfg.ReplBacklogCoverLimit))
	b.Resize(size)
}

// coverCron records the stream's offset each second, moves the window,
// shrinks a backlog grown for a burst that has passed, and warns about
// replicas that lag by most of what the backlog holds. The caller holds
// the engine lock.
func (s *Server) coverCron(t time.Time) {
	r := &s.repl
	c := &r.cover
	b := r.backlog
	if b == nil {
		c.marks = c.marks[:0]
		return
	}
	nowMs := t.UnixMilli()
	if len(c.marks) == 0 || nowMs-c.marks[len(c.marks)-1].t >= 1000 {
		c.marks = append(c.marks, coverMark{nowMs, r.offset})
	}
	windowMs := s.cfg.ReplBacklogCover * 1000
	// The window starts at the newest mark at least windowMs old; with
	// none that old, at the oldest mark (the history we know of is all
	// within the window).
	i := 0
	for i+1 < len(c.marks) && c.marks[i+1].t <= nowMs-windowMs {
		i++
	}
	c.marks = c.marks[i:]
	c.windowStart = c.marks[0].off + 1
	if len(c.marks) > 0 && c.marks[0].t > nowMs-windowMs {
		c.windowStart = 0
	}
	if s.coverOn() {
		windowBytes := r.offset - c.marks[0].off
		if c.windowStart == 0 {
			// No mark is as old as the window: all the history is in
			// it, including what came before the first mark.
			windowBytes = int64(b.HistLen())
		}
		if int64(b.Size()) > s.cfg.ReplBacklogSize && windowBytes*4 < int64(b.Size()) {
			b.Resize(int(max(s.cfg.ReplBacklogSize, 2*windowBytes)))
		}
	}
	for _, rc := range r.replicas {
		if rc.rs.state != replOnline || rc.rs.oldSync {
			continue
		}
		lag := r.offset - rc.rs.ackOff
		if lag <= int64(b.Size())*3/4 {
			continue
		}
		if c.lastWarn == nil {
			c.lastWarn = make(map[*client]time.Time)
		}
		if t.Sub(c.lastWarn[rc]) < time.Minute {
			continue
		}
		c.lastWarn[rc] = t
		s.log.Warningf("Replica %s lags %d bytes behind, close to the %d bytes the replication backlog holds: if its link breaks now it will need a full resync (raise repl-backlog-size or repl-backlog-cover)", rc.replicaName(), lag, b.Size())
	}
	for rc := range c.lastWarn {
		if rc.rs.gone.Load() {
			delete(c.lastWarn, rc)
		}
	}
}

// defaultBacklogSize is repl-backlog-size's default.
const defaultBacklogSize = 1 << 20

// coverOn reports whether the backlog follows repl-backlog-cover.
func (s *Server) coverOn() bool {
	return s.cfg.ReplBacklogCover > 0 && s.cfg.ReplBacklogSize == defaultBacklogSize
}

// backlogCoversSeconds is how many seconds of stream the backlog holds
// now: the age of the oldest mark still inside it.
func (s *Server) backlogCoversSeconds(t time.Time) int64 {
	r := &s.repl
	if r.backlog == nil || len(r.cover.marks) == 0 {
		return 0
	}
	first := r.backlog.First()
	for _, m := range r.cover.marks {
		if m.off+1 >= first {
			return (t.UnixMilli() - m.t) / 1000
		}
	}
	return 0
}
