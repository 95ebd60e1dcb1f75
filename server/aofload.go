package server

import (
	"errors"
	"fmt"
	"github.com/redoubt-db/redoubt/internal/filemap"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/snapshot"
)

// Loading an AOF (Redis's loadAppendOnlyFiles and
// loadSingleAppendOnlyFile): the base, then each incremental file in
// the manifest's order, each command run for a client of the server's
// own, with Redis's statuses and log lines. A file cut short by a crash
// (the last one only) is truncated to its last complete command and
// loaded when aof-load-truncated is on; a corrupt file, or a file the
// manifest names that is missing, stops the load. While it runs, the
// keyspace expires nothing and nothing is propagated, as in Redis; other
// clients get -LOADING between steps.

type aofStatus int

const (
	aofOK aofStatus = iota
	aofNotExist
	aofEmpty
	aofOpenErr
	aofFailed
	aofTruncated
)

// loadStep is how many commands run between two releases of the engine
// lock while loading (Redis serves events every 1024).
const loadStep = 1024

// readManifest reads the AOF directory's manifest; an AOF that does not
// exist yet is an empty manifest.
func (s *Server) readManifest() (*aof.Manifest, error) {
	a := &s.aof
	a.dir = s.cfg.Path(s.cfg.AppendDirname)
	path := filepath.Join(a.dir, aof.ManifestName(s.cfg.AppendFilename))
	m, err := aof.ReadManifest(path)
	if errors.Is(err, os.ErrNotExist) {
		return &aof.Manifest{}, nil
	}
	var me *aof.ManifestError
	switch {
	case errors.As(err, &me):
		// Logged as Redis logs it, and fatal as in Redis.
		s.log.Warningf("\n*** FATAL AOF MANIFEST FILE ERROR ***\n")
		if me.HasText {
			s.log.Warningf("Reading the manifest file, at line %d\n", me.Line)
			s.log.Warningf(">>> '%s'\n", me.Text)
		}
		s.log.Warningf("%s\n", me.Msg)
	case err != nil:
		s.log.Warningf("Fatal error: can't open the AOF manifest file %s for reading: %s", path, strerror(err))
	}
	return m, err
}

// upgradeIfNeeded makes a Redis 6 single appendonly.aof in dir the base
// of the AOF directory when the directory has no AOF of its own, as
// Redis's loadAppendOnlyFiles does.
func (s *Server) upgradeIfNeeded(m *aof.Manifest) error {
	a := &s.aof
	old := s.cfg.Path(s.cfg.AppendFilename)
	if _, err := os.Stat(old); err != nil {
		return nil
	}
	_, dirErr := os.Stat(a.dir)
	_, inDirErr := os.Stat(filepath.Join(a.dir, s.cfg.AppendFilename))
	if dirErr != nil || (m.Base == nil && len(m.Incr) == 0) ||
		(m.Base != nil && len(m.Incr) == 0 && m.Base.Name == s.cfg.AppendFilename && inDirErr != nil) {
		return s.upgradeAOF(m, old)
	}
	return nil
}

// upgradeAOF moves a Redis 6 appendonly.aof into the AOF directory as
// the base of a new manifest (Redis's aofUpgradePrepare).
func (s *Server) upgradeAOF(m *aof.Manifest, old string) error {
	a := &s.aof
	if err := os.MkdirAll(a.dir, 0o755); err != nil {
		return fmt.Errorf("Can't open or create append-only dir %s: %v", s.cfg.AppendDirname, err)
	}
	m.Base = &aof.FileInfo{Name: s.cfg.AppendFilename, Seq: 1, Type: aof.TypeBase}
	m.BaseSeq = 1
	if err := s.persistManifest(m); err != nil {
		return err
	}
	if err := os.Rename(old, filepath.Join(a.dir, s.cfg.AppendFilename)); err != nil {
		return fmt.Errorf("Error trying to move the old AOF file %s into dir %s: %v", s.cfg.AppendFilename, s.cfg.AppendDirname, err)
	}
	s.log.Noticef("Successfully migrated an old-style AOF file (%s) into the AOF directory (%s).", s.cfg.AppendFilename, s.cfg.AppendDirname)
	return nil
}

// loadAOF loads the files of m. The caller holds the engine lock, which
// is released and taken again between steps.
func (s *Server) loadAOF(m *aof.Manifest) aofStatus {
	if err := s.upgradeIfNeeded(m); err != nil {
		s.log.Warningf("%v", err)
		return aofFailed
	}
	if m.Base == nil && len(m.Incr) == 0 {
		return aofNotExist
	}
	var files []string
	if m.Base != nil {
		files = append(files, m.Base.Name)
	}
	for _, fi := range m.Incr {
		files = append(files, fi.Name)
	}
	var total, baseSize int64
	for i, name := range files {
		st, err := os.Stat(s.aofPath(name))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				s.log.Warningf("The append log file %s doesn't exist: %s", name, strerror(err))
			} else {
				s.log.Warningf("Fatal error: can't open the append log file %s: %s", name, strerror(err))
				return aofOpenErr
			}
			return aofFailed
		}
		total += st.Size()
		if i == 0 && m.Base != nil {
			baseSize = st.Size()
		}
	}
	if total == 0 {
		return aofEmpty
	}
	s.startLoading(total)
	defer s.stopLoading()
	status := aofOK
	for i, name := range files {
		last := i == len(files)-1
		start := time.Now()
		st := s.loadAOFFile(name)
		kind := "incr"
		if i == 0 && m.Base != nil {
			kind = "base"
		}
		if st == aofOK || (st == aofTruncated && last) {
			s.log.Noticef("DB loaded from %s file %s: %.3f seconds", kind, name, time.Since(start).Seconds())
		}
		if st == aofEmpty && kind == "incr" {
			st = aofOK
		}
		if st == aofTruncated && !last {
			s.log.Warningf("Fatal error: the truncated file is not the last file")
			st = aofFailed
		}
		if st == aofOpenErr || st == aofFailed {
			return st
		}
		status = st
	}
	s.aof.baseSize = baseSize
	return status
}

// loadAOFFile loads one file of the AOF directory.
func (s *Server) loadAOFFile(name string) aofStatus {
	path := s.aofPath(name)
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			s.log.Warningf("The append log file %s doesn't exist: %s", name, strerror(err))
			return aofNotExist
		}
		s.log.Warningf("Fatal error: can't open the append log file %s for reading: %s", name, strerror(err))
		return aofOpenErr
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		s.log.Warningf("Unrecoverable error reading the append only file %s: %v", name, err)
		return aofFailed
	}
	size := st.Size()
	if size == 0 {
		return aofEmpty
	}
	var offset int64
	var sig [5]byte
	if n, _ := f.ReadAt(sig[:], 0); n == 5 && string(sig[:]) == "REDIS" {
		oldStyle := name == s.cfg.AppendFilename
		if oldStyle {
			s.log.Noticef("Reading RDB preamble from AOF file...")
		} else {
			s.log.Noticef("Reading RDB base file on AOF loading...")
		}
		base := s.loading.done
		if offset, err = s.loadPreamble(f, size, base); err != nil {
			s.log.Warningf("%v", err)
			if oldStyle {
				s.log.Warningf("Error reading the RDB preamble of the AOF file %s, AOF loading aborted", name)
			} else {
				s.log.Warningf("Error reading the RDB base file %s, AOF loading aborted", name)
			}
			return aofFailed
		}
		s.loading.done = base + offset
		if oldStyle {
			s.log.Noticef("Reading the remaining AOF tail...")
		}
	}
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		s.log.Warningf("Unrecoverable error reading the append only file %s: %v", name, err)
		return aofFailed
	}
	return s.replayAOF(f, name, path, offset, size)
}

// loadPreamble loads the RDB at the start of f and returns its length.
func (s *Server) loadPreamble(f *os.File, size, base int64) (int64, error) {
	data, err := filemap.CopyOnWrite(f, int(size))
	if err != nil {
		return 0, err
	}
	defer filemap.Unmap(data)
	got, err := snapshot.Read(data, s.ks, &s.cfg.Values, snapshot.LoadOptions{KeyDelay: s.keyLoadDelay(), EmptyKey: s.emptyKeyLogger(),
		Function:   func(code []byte) error { return s.loadLibrary(code, false) },
		YieldEvery: s.cfg.LoadingEventsInterval, Yield: func(done int64) {
			s.loading.done = base + done
			s.loadingYield()
		}})
	if err != nil {
		return 0, err
	}
	s.logLoaded(got)
	return got.Size, nil
}

// replayAOF runs the commands of f from offset as the AOF client.
func (s *Server) replayAOF(f *os.File, name, path string, offset, size int64) aofStatus {
	c := s.aofClient()
	delay := s.keyLoadDelay()
	r := aof.NewReader(f, offset, size)
	validUpTo, validBeforeMulti := offset, offset
	n := 0
	for {
		kind, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			var ae *aof.Error
			if !errors.As(err, &ae) {
				s.log.Warningf("Unrecoverable error reading the append only file %s: %v", name, err)
				return aofFailed
			}
			if ae.Kind == aof.ErrMultiEOF {
				s.log.Warningf("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
				return s.truncatedAOF(name, path, validBeforeMulti)
			}
			if !ae.Truncated {
				s.log.Warningf("Bad file format reading the append only file %s: make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>", name)
				return aofFailed
			}
			return s.truncatedAOF(name, path, validUpTo)
		}
		if kind != aof.Command {
			continue
		}
		args := r.Args()
		cmd := s.lookupCommand(args)
		if cmd == nil {
			s.log.Warningf("Unknown command '%s' reading the append only file %s", args[0], name)
			return aofFailed
		}
		if cmd.Name == "multi" {
			validBeforeMulti = validUpTo
		}
		if c.flags&flagMulti != 0 && cmd.Name != "exec" {
			c.queue(cmd, args)
		} else {
			s.replay(c, cmd, args)
		}
		validUpTo = r.End()
		if delay != nil {
			delay()
		}
		if n++; n%loadStep == 0 {
			s.loadingProgress(r.End() - offset)
			offset = r.End()
			s.loadingYield()
		}
	}
	s.loadingProgress(r.End() - offset)
	if c.flags&flagMulti != 0 {
		s.log.Warningf("Revert incomplete MULTI/EXEC transaction in AOF file %s", name)
		return s.truncatedAOF(name, path, validBeforeMulti)
	}
	return aofOK
}

// truncatedAOF handles a file that ends early: cut at validUpTo and
// loaded, with aof-load-truncated; refused otherwise.
func (s *Server) truncatedAOF(name, path string, validUpTo int64) aofStatus {
	if s.cfg.AOFLoadTruncated {
		s.log.Warningf("!!! Warning: short read while loading the AOF file %s!!!", name)
		s.log.Warningf("!!! Truncating the AOF %s at offset %d !!!", name, validUpTo)
		if err := os.Truncate(path, validUpTo); err != nil {
			s.log.Warningf("Error truncating the AOF file %s: %s", name, strerror(err))
		} else {
			s.log.Warningf("AOF %s loaded anyway because aof-load-truncated is enabled", name)
			return aofTruncated
		}
	}
	s.log.Warningf("Unexpected end of file reading the append only file %s. You can: 1) Make a backup of your AOF file, then use ./redis-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server.", name)
	return aofFailed
}

// aofClient is the client AOF commands run as (Redis's createAOFClient):
// not connected, authenticated, its replies dropped.
func (s *Server) aofClient() *client {
	c := &client{s: s, id: -1, fd: -1, db: s.ks.DBs[0], resp: 2, authd: true, created: time.Now()}
	c.flags |= flagReplayed
	c.addr, c.laddr = "", ""
	return c
}

// lookupCommand finds the command args name, subcommand included, as
// processCommand does, or nil.
func (s *Server) lookupCommand(args [][]byte) *command.Command {
	cmd := s.cmds.Lookup(args[0])
	if cmd != nil && cmd.Subs != nil && len(args) >= 2 {
		cmd = cmd.LookupSub(args[1])
	}
	if cmd == nil || cmd.Handler == nil {
		return nil
	}
	return cmd
}

// replay runs a command for a client of the server's own (the AOF
// client), as Redis calls a command's proc directly: no statistics, no
// slow log, its reply dropped.
func (s *Server) replay(c *client, cmd *command.Command, args [][]byte) {
	c.clock = time.Now()
	ctx := c.ctxAt(s.eng.Depth())
	ctx.Reset(command.Ctx{Args: args, Cmd: cmd, W: &c.reply, KS: s.ks, DB: c.db, Cfg: &s.cfg.Values, E: s.eng, Client: c, Replayed: true})
	saved := s.eng.Begin(c, c.clock.UnixMilli(), false)
	s.eng.Run(ctx)
	s.eng.End(saved)
	c.reply.Truncate(0)
}

// ---- loading state ----

// loadingState is INFO's loading fields, and what refuses commands with
// -LOADING meanwhile.
type loadingState struct {
	active bool
	// async is set while a replica receives, with repl-diskless-load
	// swapdb, a dataset of the history it already serves: it goes on
	// serving the old one meanwhile (async_loading).
	async       bool
	start       time.Time
	total, done int64
}

// startLoading begins a load of total bytes: nothing expires and nothing
// is propagated until stopLoading.
func (s *Server) startLoading(total int64) {
	s.loading = loadingState{active: true, start: time.Now(), total: total}
	s.ks.Loading = true
	s.eng.Loading = true
}

func (s *Server) stopLoading() {
	s.loading.active = false
	s.ks.Loading = false
	s.eng.Loading = false
}

func (s *Server) loadingProgress(n int64) { s.loading.done += n }

// keyLoadDelay is key-load-delay as a function to call per key loaded,
// or nil (Redis's debugDelay).
func (s *Server) keyLoadDelay() func() {
	d := s.cfg.KeyLoadDelay
	switch {
	case d > 0:
		return func() { time.Sleep(time.Duration(d) * time.Microsecond) }
	case d < 0:
		return func() {
			if rand.Int64N(-d) == 0 {
				time.Sleep(time.Microsecond)
			}
		}
	}
	return nil
}

// loadingYield lets other clients in between two steps of a load: they
// are answered -LOADING (or served, for the commands allowed while
// loading).
func (s *Server) loadingYield() {
	if s.eng.Depth() > 0 {
		return // inside a command (DEBUG LOADAOF): the load is the command
	}
	s.eng.Unlock()
	s.eng.Lock()
}

// debugLoadAOF is DEBUG LOADAOF: the dataset is emptied and loaded again
// from the AOF directory. As in Redis, a load that fails stops the
// server.
func debugLoadAOF(s *Server, c *client, ctx *command.Ctx) {
	if w := s.aof.w; w != nil {
		w.Flush(true)
	}
	for _, db := range s.ks.DBs {
		s.flush(db, false)
	}
	m, err := s.readManifest()
	if err != nil {
		s.fatal()
		ctx.Err("ERR Error loading the AOF manifest")
		return
	}
	s.aof.manifest = m
	s.deleteAOFHistory()
	switch st := s.loadAOF(m); st {
	case aofOK, aofEmpty, aofNotExist, aofTruncated:
	default:
		s.fatal()
		ctx.Err("ERR Error loading the AOF")
		return
	}
	s.stats.dirty = 0
	s.log.Warningf("Append Only File loaded by DEBUG LOADAOF")
	ctx.W.OK()
}

// strerror renders an I/O error as C's strerror does.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		t := errno.Error()
		return strings.ToUpper(t[:1]) + t[1:]
	}
	return err.Error()
}
