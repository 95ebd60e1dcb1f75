package server

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/datadir"
	"github.com/redoubt-db/redoubt/snapshot"
)

// Persistence (Redis's rdb.c, the server side): SAVE and BGSAVE, the
// background saves at the save points, DEBUG RELOAD, the snapshot taken
// at SHUTDOWN or SIGTERM when save points are configured (or SHUTDOWN
// SAVE asks), the empty one after FLUSHALL, and the load of
// dir/dbfilename at start-up. Foreground saves run under the engine lock,
// as Redis's SAVE does; BGSAVE is snapshot.Background, written by a
// goroutine that takes the lock a step at a time.

// persistStats are the snapshots' state, for INFO persistence and cron.
type persistStats struct {
	saves                   int64
	loadedKeys, expiredKeys int64
	// loadedRepl is the replication history of the file loaded at
	// start (its repl-* AUX fields), if any.
	loadedRepl snapshot.Loaded
	// loadExpired are the keys the load at start dropped as expired: a
	// primary that keeps its history propagates their deletion.
	loadExpired []expiredKey
	// bg is the background save in progress, started at bgStart when the
	// dirty count was bgDirty.
	bg    *snapshot.Background
	bgJob *jobProc
	// bgFinish, once the walk is over, ends the save at the next tick.
	bgFinish  func()
	bgStart   time.Time
	bgDirty   int64
	scheduled bool // BGSAVE inside MULTI: started by the cron
	// lastBgFailed and lastBgSecs describe the last background save,
	// lastBgTry when one was last started.
	lastBgFailed bool
	lastBgSecs   int64
	lastBgTry    time.Time
	// lastCowSize is the most memory the last background save held
	// beyond the dataset (INFO rdb_last_cow_size).
	lastCowSize int64
}

// errMisconf refuses writes after a failed background save, in Redis's
// words.
const errMisconf = "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error."

// diskError is Redis's writeCommandsDeniedByDiskError: the MISCONF error
// that refuses writes when the last background save failed (with save
// points set and stop-writes-on-bgsave-error on), or when the AOF cannot
// be written; "" when writes are fine. Clients learn that their writes
// would not reach the disk instead of losing them at the next restart.
func (s *Server) diskError() string {
	if s.persist.lastBgFailed && s.cfg.StopWritesOnBgsaveError && len(s.cfg.Save) > 0 {
		return errMisconf
	}
	return s.aofDenied()
}

// bgRetryDelay is how long the save points wait after a failed
// background save before trying again, as Redis's CONFIG_BGSAVE_RETRY_DELAY.
const bgRetryDelay = 5 * time.Second

func (s *Server) rdbPath() string { return s.cfg.Path(s.cfg.DBFilename) }

// snapshotInfo is what a file records about this server now.
func (s *Server) snapshotInfo() snapshot.Info {
	info := snapshot.Info{Version: Version, UsedMemory: s.memory().used(), Now: time.Now().Unix()}
	s.replSaveInfo(&info)
	for _, l := range s.scripts.fvm.Libraries() {
		info.Functions = append(info.Functions, l.Code)
	}
	return info
}

// saveSnapshot writes the dataset to the RDB file in the foreground,
// stopping a background save first, as Redis kills its child. The caller
// holds the engine lock.
func (s *Server) saveSnapshot() error {
	s.abortBackgroundSave()
	path := s.rdbPath()
	if err := s.checkWrite(path, s.snapshotNeed(path), "the snapshot"); err != nil {
		return err
	}
	err := snapshot.Save(path, s.ks, &s.cfg.Values, s.snapshotInfo())
	if err != nil {
		s.log.Warningf("%v", err)
		return err
	}
	s.wrote(datadir.Snapshot, path)
	s.log.Noticef("DB saved on disk")
	s.stats.dirty = 0
	s.lastSave = time.Now().Unix()
	s.persist.saves++
	s.persist.lastBgFailed = false // as Redis's rdbSave clears lastbgsave_status
	return nil
}

type expiredKey struct {
	db  int
	key string
}

// loadSnapshot loads the RDB file into the dataset. The caller holds the engine lock
// or the server is not serving yet.
func (s *Server) loadSnapshot(replace bool) error {
	start := time.Now()
	s.eng.SetNow(start.UnixMilli())
	opts := snapshot.LoadOptions{Now: start.UnixMilli(), Replace: replace,
		YieldEvery: s.cfg.LoadingEventsInterval, KeyDelay: s.keyLoadDelay(), EmptyKey: s.emptyKeyLogger(),
		Function: func(code []byte) error { return s.loadLibrary(code, replace) },
		Expired: func(db int, key []byte) {
			s.persist.loadExpired = append(s.persist.loadExpired, expiredKey{db, string(key)})
		}}
	if st, err := os.Stat(s.rdbPath()); err == nil {
		s.startLoading(st.Size())
		defer s.stopLoading()
		opts.Yield = func(done int64) {
			s.loading.done = done
			s.loadingYield()
		}
	}
	got, err := snapshot.Load(s.rdbPath(), s.ks, &s.cfg.Values, opts)
	if err != nil {
		return err
	}
	s.logLoaded(got)
	s.log.Noticef("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	s.persist.loadedKeys, s.persist.expiredKeys = got.Keys, got.Expired
	s.persist.loadedRepl = got
	return nil
}

// logLoaded writes Redis's log lines about a loaded RDB (or AOF
// preamble).
func (s *Server) logLoaded(got snapshot.Loaded) {
	if got.Version != "" {
		s.log.Noticef("Loading RDB produced by version %s", got.Version)
	}
	if got.CTime != 0 {
		s.log.Noticef("RDB age %d seconds", time.Now().Unix()-got.CTime)
	}
	s.log.Noticef("RDB memory usage when created %.2f Mb", float64(got.UsedMemory)/(1024*1024))
	if got.EmptySkipped > 0 {
		s.log.Warningf("Done loading RDB, keys loaded: %d, keys expired: %d, empty keys skipped: %d.", got.Keys, got.Expired, got.EmptySkipped)
	} else {
		s.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", got.Keys, got.Expired)
	}
}

// emptyKeyLogger names the first ten empty collections a load skips, as
// Redis does.
func (s *Server) emptyKeyLogger() func([]byte) {
	n := 0
	return func(key []byte) {
		if n++; n <= 10 {
			s.log.Warningf("rdbLoadObject skipping empty key: %s", key)
		}
	}
}

// startBackgroundSave starts BGSAVE. The caller holds the engine lock.
func (s *Server) startBackgroundSave() error {
	p := &s.persist
	path := s.rdbPath()
	if err := s.checkWrite(path, s.snapshotNeed(path), "the snapshot"); err != nil {
		p.lastBgFailed, p.lastBgTry, p.scheduled = true, time.Now(), false
		return err
	}
	b := snapshot.StartBackground(s.ks, s.eng, &s.cfg.Values, s.snapshotInfo())
	s.timeSteps(b)
	// The directory may have changed while the file was written.
	b.BeforeRename = func() error {
		s.eng.Lock()
		defer s.eng.Unlock()
		return s.checkWrite(path, 0, "the snapshot")
	}
	// Killing the job's stand-in process stops it, as killing Redis's
	// child does.
	job, pid := s.startJobProc(func(sig syscall.Signal) {
		if p.bg != b {
			return
		}
		s.log.Warningf("Background saving terminated by signal %d", int(sig))
		p.bg = nil
		b.Abort()
		s.removeSaveTemp(b.TempPath(path))
		p.lastBgSecs = int64(time.Since(p.bgStart).Seconds())
		// SIGUSR1 is how Redis stops its own child: not a failure.
		if sig != sigStopJob {
			p.lastBgFailed = true
		}
	})
	b.TempName = aof.SnapshotTempName(pid)
	s.stats.jobs++
	p.bg, p.bgJob, p.bgStart, p.bgDirty, p.lastBgTry, p.scheduled = b, job, time.Now(), s.stats.dirty, time.Now(), false
	s.noFsyncDuringJobs()
	s.log.Noticef("Background saving started by pid %d", pid)
	s.runJob(b, path, job, &p.bgFinish, func(err error) { s.backgroundSaveDone(b, path, err) })
	return nil
}

// removeSaveTemp removes the temporary file of a background save whose
// job was killed, at once, as Redis's backgroundSaveDoneHandlerDisk
// does, timed as the latency event rdb-unlink-temp-file. The walk may
// still hold the file open: unlinking it then only drops its name, and
// the walk's own clean-up finds it gone. The caller holds the engine
// lock.
func (s *Server) removeSaveTemp(tmp string) {
	start := time.Now()
	os.Remove(tmp)
	stretchForTest("rdb-unlink-temp-file")
	s.latencyAdd("rdb-unlink-temp-file", time.Since(start))
}

// backgroundSaveDone ends a background save whose walk returned err
// (Redis's backgroundSaveDoneHandler). The caller holds the engine lock.
func (s *Server) backgroundSaveDone(b *snapshot.Background, path string, err error) {
	p := &s.persist
	{
		if p.bg != b {
			return // stopped meanwhile
		}
		p.bg = nil
		if errors.Is(err, snapshot.ErrAborted) {
			return
		}
		p.lastBgSecs = int64(time.Since(p.bgStart).Seconds())
		p.lastCowSize = b.Peak
		if err != nil {
			s.log.Warningf("%v", err)
			s.log.Warningf("Background saving error")
			p.lastBgFailed = true
			return
		}
		s.wrote(datadir.Snapshot, path)
		s.log.Noticef("DB saved on disk")
		s.log.Noticef("Background saving terminated with success")
		p.lastBgFailed = false
		p.saves++
		s.lastSave = time.Now().Unix()
		s.stats.dirty = max(s.stats.dirty-p.bgDirty, 0)
	}
}

// abortBackgroundSave stops a background save in progress. The caller
// holds the engine lock.
func (s *Server) abortBackgroundSave() {
	if b := s.persist.bg; b != nil {
		b.Abort()
		s.persist.bg = nil
		s.persist.bgFinish = nil
		s.persist.bgJob.end()
		s.log.Warningf("Background saving stopped: a foreground save or a shutdown takes over")
	}
}

// saveCron starts a background save when a save point is reached (so
// many changes in so many seconds), or one was scheduled. The caller
// holds the engine lock.
func (s *Server) saveCron(now time.Time) {
	p := &s.persist
	if f := p.bgFinish; f != nil {
		p.bgFinish = nil
		f()
	}
	if p.bg != nil || s.aof.rw != nil {
		return
	}
	if p.scheduled {
		s.startBackgroundSave()
		return
	}
	if p.lastBgFailed && now.Sub(p.lastBgTry) < bgRetryDelay {
		return
	}
	for _, sp := range s.cfg.Save {
		if s.stats.dirty >= sp.Changes && now.Unix()-s.lastSave > sp.Seconds {
			s.log.Noticef("%d changes in %d seconds. Saving...", sp.Changes, sp.Seconds)
			s.startBackgroundSave()
			return
		}
	}
}

// loadAtStart loads the data at start-up, as Redis's loadDataFromDisk:
// the AOF when appendonly is on (and nothing else, even if it does not
// exist yet), the RDB file otherwise; then an AOF is opened for
// appending. The caller holds the engine lock.
func (s *Server) loadAtStart() error {
	defer func() { s.loading.active = false }()
	if err := s.openDatadir(); err != nil {
		return err
	}
	if s.cfg.AppendOnly {
		m, err := s.readManifest()
		if err != nil {
			return fmt.Errorf("Fatal error loading the AOF manifest: %w", err)
		}
		s.aof.manifest = m
		start := time.Now()
		switch st := s.loadAOF(m); st {
		case aofFailed, aofOpenErr:
			return errors.New("Fatal error loading the AOF")
		case aofNotExist:
		default:
			s.log.Noticef("DB loaded from append only file: %.3f seconds", time.Since(start).Seconds())
		}
		return s.openAOFAtStart()
	}
	m, err := s.readManifest()
	if err != nil {
		return fmt.Errorf("Fatal error loading the AOF manifest: %w", err)
	}
	s.aof.manifest = m
	err = s.loadSnapshot(false)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.log.Warningf("Fatal error loading the DB: %v. Exiting.", err)
		return fmt.Errorf("Fatal error loading the DB: %w", err)
	}
	return nil
}

func saveCmd(s *Server, c *client, ctx *command.Ctx) {
	if s.persist.bg != nil {
		ctx.Err("ERR Background save already in progress")
		return
	}
	if err := s.saveSnapshot(); err != nil {
		ctx.Err("ERR")
		return
	}
	ctx.W.OK()
}

// debugReload is DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: save, empty the
// dataset, load the file back.
func debugReload(s *Server, c *client, ctx *command.Ctx) {
	flush, save, merge := true, true, false
	for _, opt := range ctx.Args[2:] {
		switch {
		case command.EqualFold(opt, "merge"):
			merge = true
		case command.EqualFold(opt, "noflush"):
			flush = false
		case command.EqualFold(opt, "nosave"):
			save = false
		default:
			ctx.Err("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	s.abortBackgroundSave()
	if save && s.saveSnapshot() != nil {
		ctx.Err("ERR")
		return
	}
	if flush {
		for _, db := range s.ks.DBs {
			s.flush(db, false)
		}
		s.scripts.fvm.FlushFunctions()
	}
	if err := s.loadSnapshot(merge); err != nil {
		s.log.Warningf("%v", err)
		ctx.Err("ERR Error trying to load the RDB dump")
		return
	}
	s.log.Warningf("DB reloaded by DEBUG RELOAD")
	ctx.W.OK()
}

// bgsaveCmd is BGSAVE [SCHEDULE]. Inside a transaction the save is
// scheduled for the cron, as in Redis.
func bgsaveCmd(s *Server, c *client, ctx *command.Ctx) {
	if len(ctx.Args) > 2 || (len(ctx.Args) == 2 && !command.EqualFold(ctx.Args[1], "schedule")) {
		ctx.Err(command.ErrSyntax)
		return
	}
	schedule := len(ctx.Args) == 2
	switch {
	case s.persist.bg != nil:
		ctx.Err("ERR Background save already in progress")
	case s.aof.rw != nil && !schedule && s.eng.Depth() <= 1:
		ctx.Err("ERR Another child process is active (AOF?): can't BGSAVE right now. Use BGSAVE SCHEDULE in order to schedule a BGSAVE whenever possible.")
	case s.aof.rw != nil || s.eng.Depth() > 1: // an AOF rewrite runs, or inside EXEC
		s.persist.scheduled = true
		ctx.W.Simple("Background saving scheduled")
	default:
		if err := s.startBackgroundSave(); err != nil {
			ctx.Err("ERR " + err.Error())
			return
		}
		ctx.W.Simple("Background saving started")
	}
}
