package aof

import (
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Writer appends the propagated stream to the AOF's current incremental
// file with Redis's appendfsync policies:
//
//   - always: a reply waits (Sync) until what it depends on is written
//     and fsynced. Commands that run while one fsync is under way are
//     written and synced together by the next (group commit), so many
//     clients cost one fsync per round, not one each.
//   - everysec: a reply waits until what it depends on is written;
//     a background fsync runs at most once a second (Tick). While one is
//     under way a write waits up to two seconds, then goes anyway and
//     counts in aof_delayed_fsync, as Redis's flushAppendOnlyFile does.
//   - no: written before the reply, fsynced when the kernel decides.
//
// Bytes are appended (Append) under the engine lock into a buffer; the
// engine never waits for the disk. Whoever needs them on disk (a client
// loop about to send replies, the cron) writes them, one at a time under
// ioMu, swapping the buffer out first so that appends go on meanwhile.
//
// A failed write leaves the data in the buffer (a short write is cut
// off the file again) and is remembered: the server then refuses
// writes with MISCONF until a later write succeeds, as Redis does. Under
// always, whose promise a failed write has broken, the caller stops the
// process (Fatal).
type Writer struct {
	policy atomic.Int32

	bufMu sync.Mutex // guards buf
	buf   []byte
	spare []byte

	ioMu sync.Mutex // one writer or fsync of f at a time
	f    *os.File
	// size is the length of the current file (aof_last_incr_size).
	size atomic.Int64

	// Offsets in the stream since the writer opened, across files.
	appended atomic.Int64
	written  atomic.Int64
	synced   atomic.Int64

	fsyncing      atomic.Bool
	lastFsync     time.Time
	postponed     time.Time // when a write was first put off (aof_flush_postponed_start)
	delayedFsyncs atomic.Int64
	// writeErr is the error of the last write, nil once one succeeds.
	writeErr atomic.Pointer[error]
	// fsyncErr is a failed background fsync's error.
	fsyncErr atomic.Pointer[error]
	// Fatal is called, under ioMu, when a write or an fsync fails under
	// appendfsync always.
	Fatal func(err error)
	// Logf reports what Redis logs here (a delayed fsync, a write error
	// and its recovery).
	Logf func(format string, args ...any)
	// FlushSleep delays each write of buffered bytes (DEBUG
	// AOF-FLUSH-SLEEP, for tests of what waits for the disk).
	FlushSleep atomic.Int64 // nanoseconds
	// NoFsync skips fsyncs while it is set: no-appendfsync-on-rewrite
	// during a background save or rewrite, which compete for the disk.
	NoFsync atomic.Bool
	// JobActive is set while a background job (a save, a rewrite, a full
	// resynchronisation's snapshot) runs: Redis's hasActiveChildProcess,
	// which tells a write slowed by the job's I/O (aof-write-active-child)
	// from one alone.
	JobActive atomic.Bool
	// Latency, if set, is told how long each write of the buffer and each
	// fsync under appendfsync always took, under the latency monitor's
	// event names, as Redis's flushAppendOnlyFile measures them. It is
	// called with ioMu held, from whichever goroutine writes, and must
	// not block.
	Latency func(event string, d time.Duration)
}

// Policy is appendfsync.
type Policy int32

// appendfsync values.
const (
	FsyncEverysec Policy = iota
	FsyncAlways
	FsyncNo
)

// ParsePolicy maps an appendfsync value to a Policy.
func ParsePolicy(s string) Policy {
	switch s {
	case "always":
		return FsyncAlways
	case "no":
		return FsyncNo
	}
	return FsyncEverysec
}

// OpenWriter opens (creating it if needed) the file at path for
// appending.
func OpenWriter(path string, p Policy) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	w := &Writer{f: f, lastFsync: time.Now()}
	w.size.Store(st.Size())
	w.policy.Store(int32(p))
	return w, nil
}

// Truncate empties the file, before anything is appended: the temporary
// incremental file of a rewrite starts empty, as Redis opens it.
func (w *Writer) Truncate() error {
	w.ioMu.Lock()
	defer w.ioMu.Unlock()
	if err := w.f.Truncate(0); err != nil {
		return err
	}
	w.size.Store(0)
	return nil
}

// SetPolicy changes appendfsync.
func (w *Writer) SetPolicy(p Policy) { w.policy.Store(int32(p)) }

// Append adds bytes to the stream and returns the offset at their end.
// The caller holds the engine lock.
func (w *Writer) Append(b []byte) int64 {
	w.bufMu.Lock()
	w.buf = append(w.buf, b...)
	w.bufMu.Unlock()
	return w.appended.Add(int64(len(b)))
}

// Appended is the offset at the end of what was appended.
func (w *Writer) Appended() int64 { return w.appended.Load() }

// Sync returns once the stream up to offset is as safe as the policy
// promises before a reply leaves: written and fsynced (always), or
// written (everysec, no; everysec may put the write off while a
// background fsync is under way, as Redis does).
func (w *Writer) Sync(offset int64) {
	p := Policy(w.policy.Load())
	if p == FsyncAlways && !w.NoFsync.Load() {
		if w.synced.Load() >= offset {
			return
		}
	} else if w.written.Load() >= offset {
		return
	}
	w.ioMu.Lock()
	defer w.ioMu.Unlock()
	w.flushLocked(p, false)
}

// Flush writes whatever is buffered, whatever the policy, and fsyncs
// under always. The cron calls it (with the clock) to write what was put
// off, and it starts the background fsync of everysec once a second.
func (w *Writer) Flush(force bool) {
	w.ioMu.Lock()
	defer w.ioMu.Unlock()
	w.flushLocked(Policy(w.policy.Load()), force)
}

func (w *Writer) flushLocked(p Policy, force bool) {
	now := time.Now()
	// Redis's sync_in_progress, looked at under everysec only.
	pendingFsync := p == FsyncEverysec && w.fsyncing.Load()
	if p == FsyncEverysec && !force && w.fsyncing.Load() {
		if w.postponed.IsZero() {
			w.postponed = now
			return
		}
		if now.Sub(w.postponed) < 2*time.Second {
			return
		}
		w.delayedFsyncs.Add(1)
		w.logf("Asynchronous AOF fsync is taking too long (disk is busy?). Writing the AOF buffer without waiting for fsync to complete, this may slow down Redis.")
	}
	w.postponed = time.Time{}
	w.bufMu.Lock()
	b := w.buf
	w.buf = w.spare[:0]
	w.bufMu.Unlock()
	if len(b) > 0 {
		if d := w.FlushSleep.Load(); d > 0 {
			time.Sleep(time.Duration(d))
		}
		start := time.Now()
		n, err := w.f.Write(b)
		w.writeLatency(time.Since(start), pendingFsync)
		if err != nil {
			w.writeFailed(b, n, err, p)
			return
		}
		w.size.Add(int64(n))
		w.written.Add(int64(n))
		if w.writeErr.Load() != nil {
			w.writeErr.Store(nil)
			w.logf("AOF write error looks solved, Redis can write again.")
		}
	}
	w.bufMu.Lock()
	w.spare = b[:0]
	w.bufMu.Unlock()
	if w.NoFsync.Load() {
		return
	}
	if p == FsyncAlways && w.synced.Load() < w.written.Load() {
		target := w.written.Load()
		start := time.Now()
		if err := fdatasync(w.f); err != nil {
			w.fatal(err)
			return
		}
		w.latency("aof-fsync-always", time.Since(start))
		w.synced.Store(target)
		w.lastFsync = now
	} else if p == FsyncEverysec && w.synced.Load() < w.written.Load() && now.Sub(w.lastFsync) >= time.Second && !w.fsyncing.Load() {
		w.backgroundFsync(w.f, w.written.Load())
		w.lastFsync = now
	}
}

// writeLatency reports a write of the buffer as Redis does: under one of
// three events by what it may have waited behind (an fsync in progress,
// a background job's I/O, nothing), and under aof-write for all of them.
func (w *Writer) writeLatency(d time.Duration, pendingFsync bool) {
	switch {
	case w.Latency == nil:
		return
	case pendingFsync:
		w.Latency("aof-write-pending-fsync", d)
	case w.JobActive.Load():
		w.Latency("aof-write-active-child", d)
	default:
		w.Latency("aof-write-alone", d)
	}
	w.Latency("aof-write", d)
}

func (w *Writer) latency(event string, d time.Duration) {
	if w.Latency != nil {
		w.Latency(event, d)
	}
}

// writeFailed handles a failed write of b, of which n bytes went: a
// short write is cut off the file, and b stays buffered, ahead of what
// was appended since, for the next attempt.
func (w *Writer) writeFailed(b []byte, n int, err error, p Policy) {
	if n > 0 {
		if terr := w.f.Truncate(w.size.Load()); terr != nil {
			// The partial bytes stay: keep only what is not in the file.
			w.logf("Could not remove short write from the append-only file.  Redis may refuse to load the AOF the next time it starts.  ftruncate: %v", terr)
			w.size.Add(int64(n))
			w.written.Add(int64(n))
			b = b[n:]
		}
		// A short write is a full disk, as Redis reports it.
		err = syscall.ENOSPC
	}
	if w.writeErr.Load() == nil {
		w.logf("Error writing to the AOF file: %v", errnoText(err))
	}
	w.writeErr.Store(&err)
	if p == FsyncAlways {
		w.fatal(err)
	}
	w.bufMu.Lock()
	w.buf = append(b, w.buf...)
	w.bufMu.Unlock()
}

func (w *Writer) fatal(err error) {
	if w.Fatal != nil {
		w.Fatal(err)
	}
}

// backgroundFsync fsyncs f in a goroutine of its own (Redis's bio
// thread); target is the offset that is durable once it returns.
func (w *Writer) backgroundFsync(f *os.File, target int64) {
	w.fsyncing.Store(true)
	go func() {
		defer w.fsyncing.Store(false)
		if err := fdatasync(f); err != nil {
			w.fsyncErr.Store(&err)
			return
		}
		w.fsyncErr.Store(nil)
		for {
			cur := w.synced.Load()
			if cur >= target || w.synced.CompareAndSwap(cur, target) {
				return
			}
		}
	}()
}

// Err is the error that makes the server refuse writes: the last write
// failed, or the last background fsync did. nil when all is well.
func (w *Writer) Err() error {
	if e := w.writeErr.Load(); e != nil {
		return *e
	}
	if e := w.fsyncErr.Load(); e != nil {
		return *e
	}
	return nil
}

// Switch makes path the file appended to from now on (a rewrite opens a
// new incremental file): what is buffered goes to the old file first,
// which is then fsynced and closed in the background.
func (w *Writer) Switch(path string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	w.ioMu.Lock()
	defer w.ioMu.Unlock()
	w.flushLocked(Policy(w.policy.Load()), true)
	// A background fsync of the old file must end before it is closed,
	// or it would fail on a closed descriptor and refuse writes.
	for w.fsyncing.Load() {
		time.Sleep(time.Millisecond)
	}
	old := w.f
	w.f = f
	w.size.Store(0)
	go func() {
		fdatasync(old)
		old.Close()
	}()
	return nil
}

// Close writes what is buffered, fsyncs and closes the file (SHUTDOWN,
// CONFIG SET appendonly no).
func (w *Writer) Close() error {
	w.ioMu.Lock()
	defer w.ioMu.Unlock()
	w.flushLocked(FsyncNo, true)
	var err error
	if w.written.Load() > w.synced.Load() {
		err = fdatasync(w.f)
		if err == nil {
			w.synced.Store(w.written.Load())
		}
	}
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Stats are the writer's INFO persistence figures.
type Stats struct {
	// Size is the current incremental file's length (aof_last_incr_size).
	Size int64
	// Buffered is what is appended and not yet written
	// (aof_buffer_length).
	Buffered int64
	// FsyncPending is a background fsync under way
	// (aof_pending_bio_fsync).
	FsyncPending bool
	// DelayedFsyncs counts writes that could not wait for a slow fsync
	// (aof_delayed_fsync).
	DelayedFsyncs int64
}

// Stats reports the writer's figures.
func (w *Writer) Stats() Stats {
	w.bufMu.Lock()
	buffered := int64(len(w.buf))
	w.bufMu.Unlock()
	return Stats{Size: w.size.Load(), Buffered: buffered, FsyncPending: w.fsyncing.Load(), DelayedFsyncs: w.delayedFsyncs.Load()}
}

func (w *Writer) logf(format string, args ...any) {
	if w.Logf != nil {
		w.Logf(format, args...)
	}
}

// errnoText is an error as strerror words it: "No space left on device"
// rather than Go's "write /path: no space left on device".
func errnoText(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" && 'a' <= s[0] && s[0] <= 'z' {
			return string(s[0]-'a'+'A') + s[1:]
		}
		return s
	}
	return err.Error()
}

// ErrnoText is errnoText for the server's MISCONF message.
func ErrnoText(err error) string { return errnoText(err) }
