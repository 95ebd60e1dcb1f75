package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/datadir"
)

// The data directory's guardrails (package datadir) in the server's
// life: at start-up, before anything is loaded, the temporary files of
// interrupted saves and rewrites are removed and the directory's identity
// is checked (a server that would start on another node's data, or where
// the data it last wrote has vanished, refuses to start unless
// datadir-guard is off); before each snapshot and AOF base is written,
// the directory must still be the one it loaded and there must be room
// for the file; after each, the identity marker records it.

// openDatadir runs the start-up checks. The caller holds the engine lock.
func (s *Server) openDatadir() error {
	// An embedded server given no dir works in its program's directory,
	// which is not a data directory: it has no guard, and leaves no
	// marker there.
	if s.cfg.Dir == "" {
		return nil
	}
	dir := s.cfg.Dir
	aofDir := s.cfg.Path(s.cfg.AppendDirname)
	removed, err := datadir.Clean(dir, aofDir, s.cfg.AppendFilename, s.pid)
	if err != nil {
		s.log.Warningf("Cleaning up temporary files: %v", err)
	}
	for _, r := range removed {
		s.log.Noticef("Removed %s (%d bytes), left by an interrupted save or AOF rewrite", r.Path, r.Size)
	}
	id, finding, err := datadir.Open(dir, s.cfg.NodeName, s.dataFiles())
	if err != nil {
		return s.logErr("Can't check the data directory's identity: %v", err)
	}
	if finding != nil {
		if s.cfg.DatadirGuard {
			s.log.Warningf("Refusing to start: %v", finding)
			s.log.Warningf("The data directory %s does not hold what this node last wrote: is the right volume mounted? To start anyway with what is there, set datadir-guard no (or remove %s with the server stopped).", dir, datadir.MarkerName)
			return errors.New("the data directory failed its identity check")
		}
		s.log.Warningf("The data directory's identity check found: %v", finding)
		s.log.Warningf("Starting anyway (datadir-guard no): the files in %s are adopted as they are.", dir)
		if err := id.Accept(); err != nil {
			return s.logErr("Can't adopt the data directory: %v", err)
		}
	}
	s.ident, s.identFinding = id, nil
	s.log.Verbosef("Data directory %s: %s dataset %s", dir, id.Origin(), id.Dataset())
	return nil
}

// dataFiles are the files the identity check looks at. A Redis 6
// appendonly.aof is not one: loading it moves it into the AOF directory,
// whose manifest then names it.
func (s *Server) dataFiles() []datadir.DataFile {
	var out []datadir.DataFile
	for _, d := range []datadir.DataFile{
		{Kind: datadir.Snapshot, Name: s.cfg.DBFilename},
		{Kind: datadir.AOF, Name: filepath.Join(s.cfg.AppendDirname, aof.ManifestName(s.cfg.AppendFilename))},
	} {
		// The marker is lines of text: a name with a control character
		// (Redis allows newlines in appendfilename) is not tracked.
		if recordable(d.Name) {
			out = append(out, d)
		}
	}
	return out
}

func recordable(name string) bool {
	for i := 0; i < len(name); i++ {
		if name[i] < ' ' || name[i] == 0x7f {
			return false
		}
	}
	return true
}

// moveDatadir follows CONFIG SET dir: the new directory's identity is
// checked as at start-up, and if it holds another node's data (with the
// guard on) the server refuses to write there, saying why, until dir
// changes again.
func (s *Server) moveDatadir() {
	s.ident, s.identFinding = nil, nil
	if s.cfg.Dir == "" {
		return
	}
	id, finding, err := datadir.Open(s.cfg.Dir, s.cfg.NodeName, s.dataFiles())
	if err != nil {
		s.log.Warningf("Can't check the data directory's identity: %v", err)
		return
	}
	if finding != nil {
		s.log.Warningf("The new data directory's identity check found: %v", finding)
		if s.cfg.DatadirGuard {
			s.log.Warningf("Snapshots and AOF files will not be written in %s (datadir-guard yes).", s.cfg.Dir)
			s.identFinding = finding
			return
		}
		if err := id.Accept(); err != nil {
			s.log.Warningf("Can't adopt the data directory: %v", err)
			return
		}
	}
	s.ident = id
}

// checkWrite says whether file (a snapshot, an AOF base) may be written
// now: the directory is still the one the server loaded, and has room for
// about need bytes. The error says why not; it is logged.
func (s *Server) checkWrite(file string, need int64, what string) error {
	if s.identFinding != nil {
		s.log.Warningf("Refusing to write %s: %v", file, s.identFinding)
		return fmt.Errorf("refusing to write %s: %v", filepath.Base(file), s.identFinding)
	}
	if s.ident == nil || !recordable(file) {
		return nil
	}
	if err := s.ident.CheckBeforeWrite(file); err != nil {
		s.log.Warningf("Refusing to write %s: %v", file, err)
		if s.cfg.DatadirGuard {
			return fmt.Errorf("refusing to write %s: %w", filepath.Base(file), err)
		}
		s.log.Warningf("Writing anyway (datadir-guard no).")
	}
	// Only a real shortage refuses the write here: a directory that
	// cannot be measured (gone, say) fails the write itself, as in Redis.
	var se *datadir.SpaceError
	if err := datadir.CheckSpace(filepath.Dir(file), need, what); errors.As(err, &se) {
		s.log.Warningf("%v", err)
		return err
	}
	return nil
}

// snapshotNeed estimates the room a snapshot (or an RDB AOF base) needs:
// at least the previous file, or the dataset's size.
func (s *Server) snapshotNeed(previous string) int64 {
	var prev int64
	if st, err := os.Stat(previous); err == nil {
		prev = st.Size()
	}
	return datadir.NeedFor(prev, s.ks.Arena.Allocated())
}

// wrote records a file written in the identity marker.
func (s *Server) wrote(k datadir.Kind, file string) {
	if s.ident == nil || !recordable(file) {
		return
	}
	if err := s.ident.Wrote(k, file); err != nil {
		s.log.Warningf("Can't update the data directory's identity marker: %v", err)
	}
}
