package aof

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"
)

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestWriterPolicies: Sync returns once what was appended is written
// (everysec, no) or written and fsynced (always), and the file holds the
// appends in order.
func TestWriterPolicies(t *testing.T) {
	for _, p := range []Policy{FsyncAlways, FsyncEverysec, FsyncNo} {
		path := filepath.Join(t.TempDir(), "incr.aof")
		w, err := OpenWriter(path, p)
		if err != nil {
			t.Fatal(err)
		}
		off := w.Append([]byte("one "))
		off = w.Append([]byte("two "))
		w.Sync(off)
		if got := readFile(t, path); got != "one two " {
			t.Fatalf("policy %d: file holds %q after Sync", p, got)
		}
		if p == FsyncAlways && w.synced.Load() < off {
			t.Fatalf("always: Sync returned before the fsync (synced %d of %d)", w.synced.Load(), off)
		}
		if st := w.Stats(); st.Size != int64(len("one two ")) || st.Buffered != 0 {
			t.Fatalf("policy %d: stats %+v", p, st)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestWriterGroupCommit: many goroutines appending and syncing under
// always all return with their bytes on disk, and no byte is lost or
// duplicated.
func TestWriterGroupCommit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incr.aof")
	w, err := OpenWriter(path, FsyncAlways)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex // stands for the engine lock around appends
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				mu.Lock()
				off := w.Append([]byte("x"))
				mu.Unlock()
				w.Sync(off)
				if w.synced.Load() < off {
					t.Errorf("Sync(%d) returned with %d synced", off, w.synced.Load())
					return
				}
			}
		}()
	}
	wg.Wait()
	w.Close()
	if got := len(readFile(t, path)); got != 1000 {
		t.Fatalf("file holds %d bytes, want 1000", got)
	}
}

// TestWriterKeepsWhatItCouldNotWrite: a failed write leaves the bytes
// buffered and reported by Err; the next successful write puts them in
// the file, in order, and clears the error.
func TestWriterKeepsWhatItCouldNotWrite(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "incr.aof")
	w, err := OpenWriter(path, FsyncEverysec)
	if err != nil {
		t.Fatal(err)
	}
	var logged []string
	w.Logf = func(format string, args ...any) { logged = append(logged, format) }
	good := w.f
	bad, err := os.Open(path) // read-only: writes fail
	if err != nil {
		t.Fatal(err)
	}
	w.f = bad
	w.Sync(w.Append([]byte("first ")))
	if w.Err() == nil {
		t.Fatal("a failed write left no error")
	}
	w.Append([]byte("second "))
	w.f = good
	w.Flush(true)
	if w.Err() != nil {
		t.Fatalf("error after a good write: %v", w.Err())
	}
	if got := readFile(t, path); got != "first second " {
		t.Fatalf("file holds %q", got)
	}
	if len(logged) != 2 {
		t.Fatalf("logged %q, want the error and its recovery", logged)
	}
	bad.Close()
	w.Close()
}

// TestWriterSwitch: after Switch the old file has everything appended
// before it, the new one what came after.
func TestWriterSwitch(t *testing.T) {
	dir := t.TempDir()
	old, next := filepath.Join(dir, "1.incr.aof"), filepath.Join(dir, "2.incr.aof")
	w, err := OpenWriter(old, FsyncNo)
	if err != nil {
		t.Fatal(err)
	}
	w.Append([]byte("before "))
	if err := w.Switch(next); err != nil {
		t.Fatal(err)
	}
	w.Sync(w.Append([]byte("after ")))
	w.Close()
	if got := readFile(t, old); got != "before " {
		t.Fatalf("old file holds %q", got)
	}
	if got := readFile(t, next); got != "after " {
		t.Fatalf("new file holds %q", got)
	}
}

// TestWriterNoFsync: with NoFsync (no-appendfsync-on-rewrite during a
// job), always writes without syncing, and Sync still returns.
func TestWriterNoFsync(t *testing.T) {
	path := filepath.Join(t.TempDir(), "incr.aof")
	w, err := OpenWriter(path, FsyncAlways)
	if err != nil {
		t.Fatal(err)
	}
	w.NoFsync.Store(true)
	off := w.Append([]byte("x"))
	w.Sync(off)
	if w.written.Load() != off || w.synced.Load() != 0 {
		t.Fatalf("written %d synced %d, want %d and 0", w.written.Load(), w.synced.Load(), off)
	}
	w.Close()
}

// TestWriterLatencyEvents: each write of the buffer is reported as
// aof-write and under the sub-event Redis's flushAppendOnlyFile picks (a
// background fsync in progress under everysec, a background job, or
// neither), and each fsync under always as aof-fsync-always. The
// durations are the server's to judge against latency-monitor-threshold.
func TestWriterLatencyEvents(t *testing.T) {
	open := func(p Policy) (*Writer, *[]string) {
		w, err := OpenWriter(filepath.Join(t.TempDir(), "incr.aof"), p)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { w.Close() })
		var events []string
		w.Latency = func(event string, d time.Duration) { events = append(events, event) }
		return w, &events
	}
	check := func(what string, got *[]string, want ...string) {
		t.Helper()
		if !slices.Equal(*got, want) {
			t.Errorf("%s: events %q, want %q", what, *got, want)
		}
		*got = nil
	}

	w, events := open(FsyncAlways)
	w.Sync(w.Append([]byte("one")))
	check("always, alone", events, "aof-write-alone", "aof-write", "aof-fsync-always")
	w.JobActive.Store(true)
	w.Sync(w.Append([]byte("two")))
	check("always, during a job", events, "aof-write-active-child", "aof-write", "aof-fsync-always")
	w.Sync(w.Appended())
	check("nothing to write", events)

	// A write forced while a background fsync runs (a rewrite switching
	// files, or one put off for two seconds) waited behind it. Only
	// everysec fsyncs in the background; the flag stands for one here.
	w, events = open(FsyncEverysec)
	w.JobActive.Store(true)
	w.fsyncing.Store(true)
	w.Append([]byte("three"))
	w.Flush(true)
	w.fsyncing.Store(false)
	check("everysec, fsync in progress", events, "aof-write-pending-fsync", "aof-write")
}
