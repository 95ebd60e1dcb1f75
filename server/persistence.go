package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/snapshot"
)

// Persistence (Redis's rdb.c, the server side): SAVE, DEBUG RELOAD, the
// snapshot taken at SHUTDOWN or SIGTERM when save points are configured
// (or SHUTDOWN SAVE asks), the empty snapshot after FLUSHALL, and the
// load of dir/dbfilename at start-up. Each runs in the foreground under
// the engine lock, as Redis's SAVE does. Background snapshots (BGSAVE and
// the save points' periodic saves) are not here yet: they wait for the
// fork-less snapshot of docs/ARCHITECTURE.md.

// persistStats feed INFO persistence.
type persistStats struct {
	saves                   int64
	lastSaveOK              bool
	loadedKeys, expiredKeys int64
}

func (s *Server) rdbPath() string { return s.cfg.Path(s.cfg.DBFilename) }

// saveSnapshot writes the dataset to the RDB file. The caller holds mu.
func (s *Server) saveSnapshot() error {
	err := snapshot.Save(s.rdbPath(), s.ks, &s.cfg.Values, snapshot.Info{
		Version: Version, UsedMemory: s.memory().used(), Now: time.Now().Unix(),
	})
	if err != nil {
		s.log.Warningf("%v", err)
		return err
	}
	s.log.Noticef("DB saved on disk")
	s.stats.dirty = 0
	s.lastSave = time.Now().Unix()
	s.persist.saves++
	return nil
}

// loadSnapshot loads the RDB file into the dataset. The caller holds mu
// or the server is not serving yet.
func (s *Server) loadSnapshot(replace bool) error {
	start := time.Now()
	s.ks.Now = time.Now().UnixMilli()
	got, err := snapshot.Load(s.rdbPath(), s.ks, &s.cfg.Values, snapshot.LoadOptions{Now: s.ks.Now, Replace: replace})
	if err != nil {
		return err
	}
	if got.Version != "" {
		s.log.Noticef("Loading RDB produced by version %s", got.Version)
	}
	if got.CTime != 0 {
		s.log.Noticef("RDB age %d seconds", time.Now().Unix()-got.CTime)
	}
	s.log.Noticef("RDB memory usage when created %.2f Mb", float64(got.UsedMemory)/(1024*1024))
	s.log.Noticef("Done loading RDB, keys loaded: %d, keys expired: %d.", got.Keys, got.Expired)
	s.log.Noticef("DB loaded from disk: %.3f seconds", time.Since(start).Seconds())
	s.persist.loadedKeys, s.persist.expiredKeys = got.Keys, got.Expired
	return nil
}

// loadAtStart loads the RDB file if there is one, before clients come.
// It warns when save points are configured: they take effect at shutdown
// only, until background snapshots exist.
func (s *Server) loadAtStart() error {
	if len(s.cfg.Save) > 0 {
		s.log.Warningf("WARNING save points are configured, but Redoubt does not snapshot in the background yet: the dataset is written on SAVE, SHUTDOWN, SIGTERM and FLUSHALL only.")
	}
	err := s.loadSnapshot(false)
	if errors.Is(err, snapshot.ErrNotFound) {
		return nil
	}
	if err != nil {
		s.log.Warningf("Fatal error loading the DB: %v. Exiting.", err)
		return fmt.Errorf("Fatal error loading the DB: %w", err)
	}
	return nil
}

// saveOnShutdown takes the final snapshot when save points are configured
// (unless nosave) or save is asked. The caller holds mu.
func (s *Server) saveOnShutdown(save, nosave bool) error {
	if nosave || (!save && len(s.cfg.Save) == 0) {
		return nil
	}
	s.log.Noticef("Saving the final RDB snapshot before exiting.")
	if err := s.saveSnapshot(); err != nil {
		s.log.Warningf("Error trying to save the DB, can't exit.")
		return err
	}
	return nil
}

// ShutdownOnSignal is SIGTERM/SIGINT: the final snapshot if save points
// are configured, then the shutdown. If the snapshot fails the server
// keeps running, as Redis does, and the error says why.
func (s *Server) ShutdownOnSignal() error {
	s.mu.Lock()
	err := s.saveOnShutdown(false, false)
	s.mu.Unlock()
	if err != nil {
		return err
	}
	s.shutdown(0)
	<-s.done
	return nil
}

func saveCmd(s *Server, c *client, ctx *command.Ctx) {
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
	if save && s.saveSnapshot() != nil {
		ctx.Err("ERR")
		return
	}
	if flush {
		for _, db := range s.ks.DBs {
			s.flush(db, false)
		}
	}
	if err := s.loadSnapshot(merge); err != nil {
		s.log.Warningf("%v", err)
		ctx.Err("ERR Error trying to load the RDB dump")
		return
	}
	s.log.Warningf("DB reloaded by DEBUG RELOAD")
	ctx.W.OK()
}
