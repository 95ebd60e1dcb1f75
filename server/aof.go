package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/snapshot"
)

// The append-only file, multi-part as Redis 7.0 writes it (Redis's
// aof.c, the server side). The directory appenddirname holds a base (an
// RDB file, or commands with aof-use-rdb-preamble no), incremental files
// of the commands propagated since, and the manifest naming them
// (package aof has the formats). Here are the states and their changes:
//
//   - off: nothing is written.
//   - on: the engine feeds every propagated command (SELECT when the
//     database changes, a #TS: annotation each new second with
//     aof-timestamp-enabled) to an aof.Writer appending to the last
//     incremental file. A client's replies wait for what they depend on
//     to be as safe as appendfsync promises (client.aofNeed, checked
//     where the loop writes).
//   - waiting for a rewrite (CONFIG SET appendonly yes): the rewrite that
//     makes the first base runs; meanwhile commands go to a temporary
//     incremental file that becomes the first real one when it ends.
//
// A rewrite (BGREWRITEAOF, the auto-aof-rewrite-* growth rule, switching
// AOF on) needs no fork: the incremental file is switched at the instant
// the rewrite starts, under the engine lock, and the base is the
// point-in-time walk of package snapshot (the BGSAVE walk) written from
// a goroutine. When it ends, the new base and the manifest are put in
// place and the files it replaced deleted, in Redis's order, so that a
// crash at any point leaves a directory that loads.

type aofState int

const (
	aofOff aofState = iota
	aofOn
	aofWaitRewrite
)

type aofPersist struct {
	state    aofState
	dir      string // the AOF directory's path
	manifest *aof.Manifest
	w        *aof.Writer
	unfeed   func()
	// selDB is the database the file is in (aof_selected_db); curTS the
	// last #TS: annotation written.
	selDB int
	curTS int64
	buf   []byte
	// otherSize is the size of the base and the incremental files before
	// the current one; with the writer's it is aof_current_size.
	otherSize int64
	baseSize  int64 // aof_rewrite_base_size

	// The rewrite in progress, if any, and its stand-in process.
	rw          *snapshot.Background
	rwJob       *jobProc
	rwFinish    func() // ends the rewrite at the next cron tick
	rwOut       string // the base it writes, until renamed into place
	rwStart     time.Time
	rwScheduled bool
	// lastRwSecs, lastRwFailed, rewrites and failures are INFO's
	// aof_last_rewrite_time_sec, aof_last_bgrewrite_status, aof_rewrites
	// and aof_rewrites_consecutive_failures; lastCowSize what the last
	// rewrite held beyond the dataset.
	lastRwSecs   int64
	lastRwFailed bool
	rewrites     int64
	failures     int64
	lastCowSize  int64
	// nextTry is when a failing automatic rewrite may run again (Redis's
	// aofRewriteLimited); delay the current back-off.
	nextTry time.Time
	delay   time.Duration
	// flushSleep is DEBUG AOF-FLUSH-SLEEP, applied to every writer.
	flushSleep time.Duration
}

// aofFeed is the AOF as an engine.Feed.
type aofFeed struct{ s *Server }

func (f *aofFeed) Feed(db int, args [][]byte) { f.s.feedAOF(db, args) }

// feedAOF appends a propagated command (Redis's feedAppendOnlyFile). The
// caller holds the engine lock.
func (s *Server) feedAOF(db int, args [][]byte) {
	a := &s.aof
	a.buf = a.buf[:0]
	if s.cfg.AOFTimestampEnabled {
		if now := time.Now().Unix(); a.curTS < now {
			a.curTS = now
			a.buf = aof.AppendTimestamp(a.buf, now)
		}
	}
	if db != a.selDB {
		var n [20]byte
		a.buf = protocol.AppendCommandBytes(a.buf, argSelect, strconv.AppendInt(n[:0], int64(db), 10))
		a.selDB = db
	}
	a.buf = protocol.AppendCommandBytes(a.buf, args...)
	a.w.Append(a.buf)
}

// aofWriter is the writer replies wait for, nil when AOF is off. Client
// loops read it without the engine lock.
func (s *Server) aofWriter() *aof.Writer { return s.aofW.Load() }

// attachWriter makes w the file the engine feeds.
func (s *Server) attachWriter(w *aof.Writer) {
	a := &s.aof
	a.w = w
	a.selDB = -1
	s.aofW.Store(w)
	if a.unfeed == nil {
		a.unfeed = s.eng.AddFeed(&aofFeed{s}, command.ToAOF)
	}
}

// detachWriter stops feeding the AOF and closes its file, fsynced.
func (s *Server) detachWriter() {
	a := &s.aof
	if a.unfeed != nil {
		a.unfeed()
		a.unfeed = nil
	}
	if a.w != nil {
		if err := a.w.Close(); err != nil {
			s.log.Warningf("Fail to fsync the AOF file: %v", err)
		}
		a.w = nil
	}
	s.aofW.Store(nil)
}

func (s *Server) newWriter(path string) (*aof.Writer, error) {
	w, err := aof.OpenWriter(path, aof.ParsePolicy(s.cfg.AppendFsync))
	if err != nil {
		return nil, err
	}
	w.Logf = func(format string, args ...any) { s.log.Warningf(format, args...) }
	w.FlushSleep.Store(int64(s.aof.flushSleep))
	w.JobActive.Store(s.jobActive())
	w.Latency = s.latencyAddAsync
	w.Fatal = func(err error) {
		s.log.Warningf("Can't recover from AOF write error when the AOF fsync policy is 'always': %s. Exiting...", aof.ErrnoText(err))
		s.fatal()
	}
	return w, nil
}

// aofPath is a file of the AOF directory.
func (s *Server) aofPath(name string) string { return filepath.Join(s.aof.dir, name) }

// persistManifest writes m as the AOF directory's manifest.
func (s *Server) persistManifest(m *aof.Manifest) error {
	path := s.aofPath(aof.ManifestName(s.cfg.AppendFilename))
	if err := s.checkWrite(path, 0, "the AOF manifest"); err != nil {
		return err
	}
	err := aof.WriteManifest(s.aof.dir, s.cfg.AppendFilename, m)
	if err != nil {
		s.log.Warningf("%v", err)
		return err
	}
	s.wrote(datadir.AOF, path)
	return nil
}

// openAOFAtStart is Redis's aofOpenIfNeededOnServerStart, after loading:
// a directory without a base or an incremental file gets a base of the
// dataset (empty, or what it loaded), then the last incremental file is
// opened for appending and the manifest written.
func (s *Server) openAOFAtStart() error {
	a := &s.aof
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return s.logErr("Can't open or create append-only dir %s: %s", s.cfg.AppendDirname, strerror(err))
	}
	hadIncr := len(a.manifest.Incr) > 0
	if a.manifest.Base == nil && !hadIncr {
		name := a.manifest.NewBase(s.cfg.AppendFilename, s.cfg.AOFUseRDBPreamble)
		if err := s.writeBaseNow(s.aofPath(name)); err != nil {
			return err
		}
		s.log.Noticef("Creating AOF base file %s on server start", name)
	}
	name := a.manifest.LastIncr(s.cfg.AppendFilename)
	w, err := s.newWriter(s.aofPath(name))
	if err != nil {
		return s.logErr("Can't open the append-only file %s: %s", name, strerror(err))
	}
	if err := s.persistManifest(a.manifest); err != nil {
		w.Close()
		return err
	}
	if hadIncr {
		s.log.Noticef("Opening AOF incr file %s on server start", name)
	} else {
		s.log.Noticef("Creating AOF incr file %s on server start", name)
	}
	a.otherSize = s.aofSizeBefore(name)
	a.state = aofOn
	s.attachWriter(w)
	s.deleteAOFHistory()
	return nil
}

// logErr logs a warning and returns it as an error.
func (s *Server) logErr(format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	s.log.Warningf("%v", err)
	return err
}

// aofBaseNeed is the room a new AOF base needs: about the current base,
// or the dataset (the incremental files are what a rewrite folds away).
func (s *Server) aofBaseNeed() int64 {
	var prev int64
	if m := s.aof.manifest; m != nil && m.Base != nil {
		if st, err := os.Stat(s.aofPath(m.Base.Name)); err == nil {
			prev = st.Size()
		}
	}
	return datadir.NeedFor(prev, s.ks.Arena.Allocated())
}

// aofFileSize stats a file of the AOF directory for its size, timed as
// Redis's getAppendOnlyFileSize times it (aof-fstat): a stat can stall
// on a busy or remote file system, and it runs under the engine lock.
func (s *Server) aofFileSize(name string) (int64, error) {
	start := time.Now()
	st, err := os.Stat(s.aofPath(name))
	stretchForTest("aof-fstat")
	s.latencyAdd("aof-fstat", time.Since(start))
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// aofSizeBefore is the size of the base and of the incremental files
// before current.
func (s *Server) aofSizeBefore(current string) int64 {
	m := s.aof.manifest
	var n int64
	size := func(name string) {
		if sz, err := s.aofFileSize(name); err == nil {
			n += sz
		}
	}
	if m.Base != nil {
		size(m.Base.Name)
	}
	for _, fi := range m.Incr {
		if fi.Name != current {
			size(fi.Name)
		}
	}
	return n
}

// writeBaseNow writes the dataset as a base file, in the foreground (at
// start-up, under the engine lock), through a temporary file in dir as
// Redis's rewriteAppendOnlyFile does.
func (s *Server) writeBaseNow(path string) error {
	info := s.snapshotInfo()
	info.AOFBase = true
	format := snapshot.AOF
	if s.cfg.AOFUseRDBPreamble {
		format = snapshot.RDB
	}
	tmp := s.cfg.Path(aof.RewriteTempName(os.Getpid()))
	if err := s.checkWrite(path, s.aofBaseNeed(), "the AOF base"); err != nil {
		return err
	}
	err := snapshot.SaveAs(format, tmp, path, s.ks, &s.cfg.Values, info)
	if err != nil {
		s.log.Warningf("Write error writing append only file on disk: %v", err)
	}
	return err
}

// deleteAOFHistory removes the files a rewrite replaced (Redis's
// aofDelHistoryFiles).
func (s *Server) deleteAOFHistory() {
	m := s.aof.manifest
	if len(m.History) == 0 || s.cfg.AOFDisableAutoGC {
		return
	}
	for _, fi := range m.History {
		s.log.Noticef("Removing the history file %s in the background", fi.Name)
		path := s.aofPath(fi.Name)
		go os.Remove(path)
	}
	m.History = nil
	s.persistManifest(m)
}

// aofSync makes a client's pending output wait until the AOF holds what
// it depends on, as appendfsync promises. The client's loop calls it,
// without the engine lock, before writing.
func (s *Server) aofSync(c *client) {
	if w := s.aofWriter(); w != nil {
		w.Sync(c.aofNeed.Load())
	}
}

// aofMark records that what the client's output now holds depends on
// everything appended to the AOF so far. The caller holds the engine
// lock.
func (s *Server) aofMark(c *client) {
	if w := s.aof.w; w != nil {
		c.aofNeed.Store(w.Appended())
	}
}

// aofDenied is the MISCONF error that refuses writes while the AOF
// cannot be written (Redis's writeCommandsDeniedByDiskError), or "".
func (s *Server) aofDenied() string {
	if s.aof.state == aofOff || s.aof.w == nil {
		return ""
	}
	if err := s.aof.w.Err(); err != nil {
		return "MISCONF Errors writing to the AOF file: " + aof.ErrnoText(err)
	}
	return ""
}

// ---- rewriting ----

// rewriteBusy says whether another background job is running, as Redis's
// hasActiveChildProcess.
func (s *Server) rewriteBusy() bool { return s.persist.bg != nil || s.aof.rw != nil }

// startRewrite starts a background rewrite (Redis's
// rewriteAppendOnlyFileBackground). The caller holds the engine lock.
func (s *Server) startRewrite() error {
	a := &s.aof
	if s.rewriteBusy() {
		return errors.New("another background job is running")
	}
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		s.log.Warningf("Can't open or create append-only dir %s: %v", s.cfg.AppendDirname, err)
		a.lastRwFailed = true
		return err
	}
	manifest := s.aofPath(aof.ManifestName(s.cfg.AppendFilename))
	if err := s.checkWrite(manifest, s.aofBaseNeed(), "the AOF base"); err != nil {
		a.lastRwFailed = true
		a.failures++
		return err
	}
	// The rewrite's base is the dataset now; what follows goes to a new
	// incremental file from this instant.
	if err := s.openNewIncr(); err != nil {
		a.lastRwFailed = true
		return err
	}
	a.rewrites++
	info := s.snapshotInfo()
	info.AOFBase = true
	format := snapshot.AOF
	if s.cfg.AOFUseRDBPreamble {
		format = snapshot.RDB
	}
	b := snapshot.StartBackgroundAs(format, s.ks, s.eng, &s.cfg.Values, info)
	s.timeSteps(b)
	var out string
	// Killing the job's stand-in process stops the rewrite, as killing
	// Redis's child does.
	job, pid := s.startJobProc(func(sig syscall.Signal) {
		if a.rw != b {
			return
		}
		s.log.Warningf("Background AOF rewrite terminated by signal %d", int(sig))
		a.rw = nil
		b.Abort()
		s.rewriteFailed(out, sig != sigStopJob)
	})
	b.TempName = s.cfg.Path(aof.RewriteTempName(pid))
	out = s.cfg.Path(aof.BackgroundRewriteTempName(pid))
	a.rw, a.rwJob, a.rwOut, a.rwStart, a.rwScheduled = b, job, out, time.Now(), false
	s.stats.jobs++
	s.noFsyncDuringJobs()
	s.log.Noticef("Background append only file rewriting started by pid %d", pid)
	s.runJob(b, out, job, &a.rwFinish, func(err error) { s.rewriteDone(b, out, err) })
	return nil
}

// openNewIncr switches the AOF to a new incremental file as a rewrite
// starts (Redis's openNewIncrAofForAppend): with AOF on, a new file
// named in the manifest; while waiting for the first rewrite, the
// temporary incremental file.
func (s *Server) openNewIncr() error {
	a := &s.aof
	a.selDB = -1
	switch a.state {
	case aofOff:
		return nil
	case aofWaitRewrite:
		name := aof.TempIncrName(s.cfg.AppendFilename)
		w, err := s.newWriter(s.aofPath(name))
		if err == nil {
			err = w.Truncate()
		}
		if err != nil {
			s.log.Warningf("Can't open the append-only file %s: %v", name, err)
			return err
		}
		s.log.Noticef("Creating AOF incr file %s on background rewrite", name)
		s.attachWriter(w)
		return nil
	}
	m := a.manifest.Clone()
	name := m.NewIncr(s.cfg.AppendFilename)
	path := s.aofPath(name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o644)
	if err != nil {
		s.log.Warningf("Can't open the append-only file %s: %v", name, err)
		return err
	}
	f.Close()
	if err := s.persistManifest(m); err != nil {
		os.Remove(path)
		return err
	}
	s.log.Noticef("Creating AOF incr file %s on background rewrite", name)
	old := a.w.Stats().Size
	if err := a.w.Switch(path); err != nil {
		return err
	}
	a.otherSize += old
	a.manifest = m
	return nil
}

// rewriteDone finishes a rewrite whose walk has ended with err (Redis's
// backgroundRewriteDoneHandler). The caller holds the engine lock.
func (s *Server) rewriteDone(b *snapshot.Background, tmp string, err error) {
	a := &s.aof
	if a.rw != b {
		os.Remove(tmp)
		return
	}
	a.rw = nil
	a.lastRwSecs = int64(time.Since(a.rwStart).Seconds())
	a.lastCowSize = b.Peak
	if errors.Is(err, snapshot.ErrAborted) {
		os.Remove(tmp)
		return
	}
	if err == nil {
		s.log.Noticef("Successfully created the temporary AOF base file %s", filepath.Base(tmp))
		s.log.Noticef("Background AOF rewrite terminated with success")
		err = s.installRewrite(tmp)
	} else {
		s.log.Warningf("Write error writing append only file on disk: %v", err)
		s.log.Warningf("Background AOF rewrite terminated with error")
	}
	if err != nil {
		s.rewriteFailed(tmp, true)
		return
	}
	a.lastRwFailed, a.failures, a.delay = false, 0, 0
	s.log.Noticef("Background AOF rewrite finished successfully")
	if a.state == aofWaitRewrite {
		a.state = aofOn
	}
}

// rewriteFailed cleans up after a rewrite that did not finish, counted
// as a failure unless it was stopped on purpose. The caller holds the
// engine lock.
func (s *Server) rewriteFailed(tmp string, failed bool) {
	a := &s.aof
	a.lastRwSecs = int64(time.Since(a.rwStart).Seconds())
	if failed {
		a.lastRwFailed = true
		a.failures++
	}
	os.Remove(tmp)
	if a.state == aofWaitRewrite {
		// Switching AOF on waits for a rewrite that works: the
		// temporary incremental file is dropped and the next try,
		// scheduled now, starts a new one.
		s.detachWriter()
		name := aof.TempIncrName(s.cfg.AppendFilename)
		s.log.Noticef("Removing the temp incr aof file %s in the background", name)
		os.Remove(s.aofPath(name))
		a.rwScheduled = true
	}
}

// installRewrite puts a finished base in place: renamed into the AOF
// directory under the next base name, the incremental files it covers
// made history, the manifest written, the history deleted.
func (s *Server) installRewrite(tmp string) error {
	a := &s.aof
	m := a.manifest.Clone()
	name := m.NewBase(s.cfg.AppendFilename, s.cfg.AOFUseRDBPreamble)
	path := s.aofPath(name)
	// The renames are timed as Redis times them (aof-rename): they run
	// under the engine lock.
	start := time.Now()
	if err := os.Rename(tmp, path); err != nil {
		s.log.Warningf("Error trying to rename the temporary AOF base file %s into %s: %v", filepath.Base(tmp), name, err)
		return err
	}
	stretchForTest("aof-rename")
	s.latencyAdd("aof-rename", time.Since(start))
	s.log.Noticef("Successfully renamed the temporary AOF base file %s into %s", filepath.Base(tmp), name)
	var newIncr string
	if a.state == aofWaitRewrite {
		tmpIncr := aof.TempIncrName(s.cfg.AppendFilename)
		newIncr = m.NewIncr(s.cfg.AppendFilename)
		start := time.Now()
		if err := os.Rename(s.aofPath(tmpIncr), s.aofPath(newIncr)); err != nil {
			s.log.Warningf("Error trying to rename the temporary AOF incr file %s into %s: %v", tmpIncr, newIncr, err)
			os.Remove(path)
			return err
		}
		stretchForTest("aof-rename")
		s.latencyAdd("aof-rename", time.Since(start))
		s.log.Noticef("Successfully renamed the temporary AOF incr file %s into %s", tmpIncr, newIncr)
	}
	m.MarkIncrAsHistory(a.w != nil)
	if err := s.persistManifest(m); err != nil {
		os.Remove(path)
		if newIncr != "" {
			os.Remove(s.aofPath(newIncr))
		}
		return err
	}
	a.manifest = m
	if size, err := s.aofFileSize(name); err == nil {
		a.otherSize = size
	}
	if a.w != nil {
		a.baseSize = a.otherSize + a.w.Stats().Size
	}
	s.deleteAOFHistory()
	return nil
}

// abortRewrite stops a rewrite in progress (Redis kills its child).
func (s *Server) abortRewrite() {
	a := &s.aof
	if a.rw == nil {
		return
	}
	s.log.Noticef("Killing running AOF rewrite child")
	a.rw.Abort()
	a.rw, a.rwFinish = nil, nil
	a.rwJob.end()
	os.Remove(a.rwOut)
}

// bgrewriteaofCmd is BGREWRITEAOF.
func bgrewriteaofCmd(s *Server, c *client, ctx *command.Ctx) {
	a := &s.aof
	switch {
	case a.rw != nil:
		ctx.Err("ERR Background append only file rewriting already in progress")
	case s.rewriteBusy() || s.eng.Depth() > 1:
		a.rwScheduled = true
		a.failures = 0
		ctx.W.Simple("Background append only file rewriting scheduled")
	case s.startRewrite() == nil:
		ctx.W.Simple("Background append only file rewriting started")
	default:
		ctx.Err("ERR Can't execute an AOF background rewriting. Please check the server logs for more information.")
	}
}

// startAppendOnly switches AOF on at run time (CONFIG SET appendonly
// yes): a rewrite makes the first base, as in Redis.
func (s *Server) startAppendOnly() error {
	a := &s.aof
	if a.state != aofOff {
		return nil
	}
	a.state = aofWaitRewrite
	switch {
	case s.persist.bg != nil:
		a.rwScheduled = true
		s.log.Warningf("AOF was enabled but there is already another background operation. An AOF background was scheduled to start when possible.")
	case s.eng.Depth() > 1:
		a.rwScheduled = true
		s.log.Warningf("AOF was enabled during a transaction. An AOF background was scheduled to start when possible.")
	default:
		if a.rw != nil {
			s.log.Warningf("AOF was enabled but there is already an AOF rewriting in background. Stopping background AOF and starting a rewrite now.")
			s.abortRewrite()
		}
		if err := s.startRewrite(); err != nil {
			a.state = aofOff
			s.log.Warningf("Redis needs to enable the AOF but can't trigger a background AOF rewrite operation. Check the above logs for more info about the error.")
			return err
		}
	}
	return nil
}

// stopAppendOnly switches AOF off (CONFIG SET appendonly no): what is
// buffered is written and fsynced, and a rewrite in progress stops.
func (s *Server) stopAppendOnly() {
	a := &s.aof
	if a.state == aofOff {
		return
	}
	s.detachWriter()
	a.state = aofOff
	a.rwScheduled = false
	s.abortRewrite()
}

// noFsyncDuringJobs tells the AOF writer whether background jobs run:
// it applies no-appendfsync-on-rewrite (while a background save or
// rewrite runs, the AOF is written but not fsynced, as Redis does, at
// the risk of the last writes, for the disk's sake), and names the
// latency events of writes made meanwhile (aof-write-active-child). The
// cron calls it each tick, and a job calls it as it starts. The caller
// holds the engine lock.
func (s *Server) noFsyncDuringJobs() {
	if w := s.aof.w; w != nil {
		w.NoFsync.Store(s.cfg.NoAppendfsyncOnRewrite && s.rewriteBusy())
		w.JobActive.Store(s.jobActive())
	}
}

// jobActive is Redis's hasActiveChildProcess: a background save, an AOF
// rewrite or the snapshot of a full resynchronisation runs.
func (s *Server) jobActive() bool { return s.rewriteBusy() || s.repl.jobs > 0 }

// timeSteps records each hold of the engine lock by a background
// snapshot's walk as the latency event snapshot-step (Redoubt's own: it
// is what a background save costs the other clients without a fork).
func (s *Server) timeSteps(b *snapshot.Background) {
	b.OnStep = func(held time.Duration) { s.latencyAdd("snapshot-step", held) }
}

// aofCron is the AOF's part of serverCron: a scheduled rewrite starts
// when nothing else runs, and one starts by itself when the AOF has grown
// by auto-aof-rewrite-percentage over its size after the last rewrite.
// The caller holds the engine lock.
func (s *Server) aofCron(now time.Time) {
	a := &s.aof
	if f := a.rwFinish; f != nil {
		a.rwFinish = nil
		f()
	}
	defer s.noFsyncDuringJobs()
	if s.rewriteBusy() {
		return
	}
	if a.rwScheduled && !s.rewriteLimited(now) {
		s.startRewrite()
		return
	}
	if a.state != aofOn || s.cfg.AutoAOFRewritePercentage == 0 {
		return
	}
	size := a.otherSize + a.w.Stats().Size
	if size <= s.cfg.AutoAOFRewriteMinSize {
		return
	}
	base := max(a.baseSize, 1)
	growth := size*100/base - 100
	if growth >= s.cfg.AutoAOFRewritePercentage && !s.rewriteLimited(now) {
		s.log.Noticef("Starting automatic rewriting of AOF on %d%% growth", growth)
		s.startRewrite()
	}
}

// rewriteLimited is Redis's aofRewriteLimited: after three failed
// rewrites in a row, the next automatic one waits a minute, then 2, 4 ...
// up to an hour, so that a failing disk does not fill with incremental
// files.
func (s *Server) rewriteLimited(now time.Time) bool {
	a := &s.aof
	if a.failures < 3 {
		a.delay, a.nextTry = 0, time.Time{}
		return false
	}
	if !a.nextTry.IsZero() {
		if now.Before(a.nextTry) {
			return true
		}
		a.nextTry = time.Time{}
		return false
	}
	a.delay = min(max(2*a.delay, time.Minute), time.Hour)
	a.nextTry = now.Add(a.delay)
	s.log.Warningf("Background AOF rewrite has repeatedly failed and triggered the limit, will retry in %d minutes", int(a.delay.Minutes()))
	return true
}
