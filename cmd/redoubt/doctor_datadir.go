package main

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/aof"
	"github.com/redoubt-db/redoubt/datadir"
)

// The data directory checks, with --datadir only: what they look at is
// on the server's disk, which no command shows.
//
//   - Incident 9: temporary files of interrupted saves and rewrites. Redis
//     never removes them and they pile up until the disk is full; Redoubt
//     removes them at start-up, but not while it runs. And whether the
//     next snapshot or rewrite fits in the free space.
//   - Incident 10: the directory's identity. Redoubt's marker
//     (redoubt-identity, package datadir) records the node that last wrote
//     the directory and the files it wrote; the doctor compares it with the
//     server's node-name and with the files there, as the server does at
//     start-up, so that a restart that would refuse to start (or, with the
//     guard off, start on the wrong data) is seen before it happens. Redoubt
//     does not show its dataset ID over the connection, so the marker is
//     tied to the server by its node-name, and by the server's last save:
//     a server that saved at T writes dbfilename in its directory at T,
//     which tells whether PATH is that directory at all (Redis included).

// staleAfter is how long a temporary file must have gone unwritten to be
// stale: a save or rewrite in progress writes its file continuously.
const staleAfter = time.Minute

// emptiedMin is datadir's bar: a recorded file at least this big that
// shrank under a tenth of its size counts as emptied.
const emptiedMin = 64 << 10

func checkDatadir(a *audit) {
	if a.dir == "" {
		return
	}
	dir := a.dir
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		why := fmt.Sprintf("%s is not a directory", dir)
		if err != nil {
			why = err.Error()
		}
		a.add(levelUnchecked, "9/10", "the data directory not checked", why,
			"give --datadir the server's data directory (CONFIG GET dir) as seen on this machine")
		return
	}
	names := struct{ appendDir, appendFile, dbfile string }{"appendonlydir", "appendonly.aof", "dump.rdb"}
	if a.cfg != nil {
		names.appendDir = orDefault(a.cfg["appenddirname"], names.appendDir)
		names.appendFile = orDefault(a.cfg["appendfilename"], names.appendFile)
		names.dbfile = orDefault(a.cfg["dbfilename"], names.dbfile)
		a.sameDir(dir)
	}
	a.staleTemps(dir, names.appendDir, names.appendFile)
	a.freeSpace(dir, names.dbfile)
	a.identity(dir)
	a.lastSave(dir, names.dbfile)
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// sameDir notes when PATH is not the server's dir on this machine: the
// doctor may run elsewhere, or the path may be a mount of the same
// volume, so it is a note, and the checks go on with PATH.
func (a *audit) sameDir(dir string) {
	server := a.cfg["dir"]
	if server == "" {
		return
	}
	sfi, err := os.Stat(server)
	dfi, err2 := os.Stat(dir)
	if err == nil && err2 == nil && os.SameFile(sfi, dfi) {
		return
	}
	a.add(levelNote, "9/10", "--datadir is not the server's dir on this machine",
		fmt.Sprintf("the server's dir is %s; %s was checked as given", server, dir),
		"run the doctor on the server's machine (or where its volume is mounted) with --datadir set to its dir")
}

// isTempName says whether name is a temporary file an interrupted save or
// rewrite leaves: Redis's (aof.IsLeftover: temp-<pid>.rdb,
// temp-<unixtime>.<pid>.rdb, temp-rewriteaof-[bg-]<pid>.aof,
// temp-<appendfilename>.incr and .manifest), and Redoubt's background
// snapshot (temp-bg-<pid>.rdb) and marker (temp-redoubt-identity-<pid>).
func isTempName(name, appendFilename string) bool {
	if _, ok := aof.IsLeftover(name, appendFilename); ok {
		return true
	}
	for _, p := range []struct{ prefix, suffix string }{
		{"temp-bg-", ".rdb"},
		{"temp-" + datadir.MarkerName + "-", ""},
	} {
		if mid, ok := strings.CutPrefix(name, p.prefix); ok {
			if mid, ok = strings.CutSuffix(mid, p.suffix); ok && mid != "" && strings.Trim(mid, "0123456789") == "" {
				return true
			}
		}
	}
	return false
}

type staleFile struct {
	name string
	size int64
	age  time.Duration
}

// findStaleTemps lists the temporary files of dir and its AOF directory
// not written for staleAfter.
func findStaleTemps(dir, appendDir, appendFile string, now time.Time) ([]staleFile, error) {
	var out []staleFile
	for i, d := range []string{dir, filepath.Join(dir, appendDir)} {
		entries, err := os.ReadDir(d)
		if err != nil {
			if i == 1 && errors.Is(err, os.ErrNotExist) {
				break // no AOF directory: no AOF
			}
			return out, err
		}
		for _, e := range entries {
			if !e.Type().IsRegular() || !isTempName(e.Name(), appendFile) {
				continue
			}
			fi, err := e.Info()
			if err != nil {
				continue // removed meanwhile
			}
			if age := now.Sub(fi.ModTime()); age >= staleAfter {
				name := e.Name()
				if i == 1 {
					name = path.Join(appendDir, name)
				}
				out = append(out, staleFile{name, fi.Size(), age})
			}
		}
	}
	return out, nil
}

func (a *audit) staleTemps(dir, appendDir, appendFile string) {
	stale, err := findStaleTemps(dir, appendDir, appendFile, time.Now())
	if err != nil {
		a.add(levelUnchecked, "9", "stale temporary files not checked", err.Error(),
			"let the doctor read the data directory (run it as the server's user)")
		return
	}
	if len(stale) == 0 {
		return
	}
	var total int64
	parts := make([]string, len(stale))
	for i, s := range stale {
		total += s.size
		parts[i] = fmt.Sprintf("%s (%s, unwritten for %s)", s.name, human(s.size), duration(s.age.Seconds()))
	}
	a.add(levelWarning, "9", plural(len(stale), "stale temporary file"),
		fmt.Sprintf("%s in %s, left by interrupted saves or AOF rewrites: nothing will finish or remove them (Redis never does; Redoubt does at its next start), and they fill the disk: %s",
			human(total), dir, strings.Join(parts, ", ")),
		"remove them (rm in "+dir+"); if they keep coming, look for what kills the saves (the OOM killer, a full disk)")
}

// freeSpace warns when the next snapshot or AOF rewrite may not fit: it
// needs about the data set's size beside the old file (datadir.NeedFor,
// with used_memory as the data set's size, which overstates it).
func (a *audit) freeSpace(dir, dbfile string) {
	if a.info == nil {
		return
	}
	persists := a.info["aof_enabled"] == "1" || (a.cfg != nil && a.cfg["save"] != "")
	if !persists {
		return
	}
	var prev int64
	if fi, err := os.Stat(filepath.Join(dir, dbfile)); err == nil {
		prev = fi.Size()
	}
	need := datadir.NeedFor(prev, a.num("used_memory"))
	avail, err := datadir.Available(dir)
	if err != nil || avail >= need {
		return
	}
	a.add(levelWarning, "9", "the next snapshot or AOF rewrite may not fit on the disk",
		fmt.Sprintf("%s free in %s; a new snapshot or AOF base needs about %s beside the old one (used_memory %s)", human(avail), dir, human(need), a.info["used_memory_human"]),
		"free disk space (stale temporary files, old AOF history files), or move the data directory to a bigger volume")
}

// identityMarker is what the doctor reads of Redoubt's marker; the format
// is package datadir's (see its doc), read here because the package keeps
// its reader unexported and the doctor must not write (datadir.Open
// writes a marker where there is none).
type identityMarker struct {
	dataset, node string
	files         []markerFile
}

type markerFile struct {
	verb, kind string
	size       int64
	at         time.Time
	name       string
}

func parseIdentityMarker(data []byte) (*identityMarker, error) {
	m := &identityMarker{}
	for i, line := range strings.Split(string(data), "\n") {
		if line == "" || line[0] == '#' {
			continue
		}
		key, rest, _ := strings.Cut(line, " ")
		switch key {
		case "dataset":
			m.dataset = rest
		case "node":
			m.node = rest
		case "wrote", "found":
			f := strings.SplitN(rest, " ", 4)
			if len(f) != 4 {
				return nil, fmt.Errorf("line %d (%q): expected kind, size, time and name", i+1, line)
			}
			size, err := strconv.ParseInt(f[1], 10, 64)
			at, err2 := time.Parse(time.RFC3339, f[2])
			if err != nil || err2 != nil || (f[0] != "snapshot" && f[0] != "aof") {
				return nil, fmt.Errorf("line %d (%q): not a file line", i+1, line)
			}
			m.files = append(m.files, markerFile{key, f[0], size, at, f[3]})
		}
	}
	if len(m.dataset) != 32 || strings.Trim(m.dataset, "0123456789abcdef") != "" {
		return nil, errors.New("no dataset line with a dataset ID")
	}
	return m, nil
}

// measureDataFile is the size of a data file the marker records: the
// snapshot's, or the sum of the files an AOF manifest names. missing
// says what is gone; unknown is a manifest that does not parse (the
// loader's to report, as for the server).
func measureDataFile(dir string, f markerFile) (size int64, missing string, unknown bool) {
	p := filepath.Join(dir, filepath.FromSlash(f.name))
	fi, err := os.Stat(p)
	if err != nil {
		return 0, f.name + " is missing", false
	}
	if f.kind != "aof" {
		return fi.Size(), "", false
	}
	m, err := aof.ReadManifest(p)
	if err != nil {
		return 0, "", true
	}
	parts := m.Incr
	if m.Base != nil {
		parts = append([]aof.FileInfo{*m.Base}, parts...)
	}
	for _, part := range parts {
		pfi, err := os.Stat(filepath.Join(filepath.Dir(p), part.Name))
		if err != nil {
			return size, path.Join(path.Dir(f.name), part.Name) + ", which its manifest names, is missing", false
		}
		size += pfi.Size()
	}
	return size, "", false
}

// markerProblems compares a marker with the directory as datadir.Open
// does at start-up: each problem is a reason the server would refuse to
// start there (datadir-guard yes).
func markerProblems(dir string, m *identityMarker, node string) []string {
	var out []string
	if m.node != "" && node != "" && m.node != node {
		out = append(out, fmt.Sprintf("the marker says node %s wrote here last, and this server is node %s", m.node, node))
	}
	for _, f := range m.files {
		size, missing, unknown := measureDataFile(dir, f)
		said := fmt.Sprintf("the marker says %s %s held %s at %s", map[string]string{"wrote": "the node wrote", "found": "it found"}[f.verb],
			f.name, human(f.size), f.at.UTC().Format("2006-01-02 15:04:05 UTC"))
		switch {
		case unknown:
		case missing != "":
			out = append(out, said+", but "+missing)
		case f.size > 0 && size == 0:
			out = append(out, said+", but it is now empty")
		case f.size >= emptiedMin && size < f.size/10:
			out = append(out, said+", but it now holds only "+human(size))
		}
	}
	return out
}

func (a *audit) identity(dir string) {
	data, err := os.ReadFile(filepath.Join(dir, datadir.MarkerName))
	switch {
	case errors.Is(err, os.ErrNotExist) && a.isRedoubt():
		a.add(levelWarning, "10", "no identity marker where Redoubt keeps one",
			fmt.Sprintf("%s has no %s, which Redoubt writes in its dir at start-up: %s is not this server's data directory, or the marker was removed", dir, datadir.MarkerName, dir),
			"point --datadir at the server's dir (CONFIG GET dir); if it is the right directory, the next start adopts what is there as a new dataset")
		return
	case errors.Is(err, os.ErrNotExist):
		a.add(levelNote, "10", "nothing ties the data directory to its data",
			fmt.Sprintf("%s has no identity marker (Redis keeps none): restarted on an empty path where the volume should be mounted, the server starts empty and its next save replaces the real snapshot when the volume returns", dir),
			"make sure the volume is mounted before the server starts (an init check, a StatefulSet's volume claim), or run Redoubt, which refuses to start where the data it wrote has vanished")
		return
	case err != nil:
		a.add(levelUnchecked, "10", "the identity marker not checked", err.Error(),
			"let the doctor read the data directory (run it as the server's user)")
		return
	}
	m, err := parseIdentityMarker(data)
	if err != nil {
		a.add(levelWarning, "10", "the identity marker cannot be read",
			fmt.Sprintf("%s: %v: Redoubt refuses to start on this directory (datadir-guard yes)", filepath.Join(dir, datadir.MarkerName), err),
			"if the files in the directory are the right data, remove the marker with the server stopped: the next start adopts them")
		return
	}
	if problems := markerProblems(dir, m, a.cfg["node-name"]); len(problems) > 0 {
		a.add(levelCritical, "10", "the data directory does not hold what its marker records",
			strings.Join(problems, "; ")+fmt.Sprintf(" (dataset %s): the server refuses its next start here (datadir-guard yes), or starts on the wrong data (no)", m.dataset),
			"find the volume with this node's data and mount it here; remove the marker (server stopped) only to start deliberately with what is there")
	}
}

// lastSave ties PATH to the server: a server that saved its snapshot at T
// since it started wrote dbfilename in its directory then.
func (a *audit) lastSave(dir, dbfile string) {
	if a.info == nil || a.num("rdb_saves") == 0 || a.info["rdb_last_bgsave_status"] != "ok" {
		return
	}
	saved := time.Unix(a.num("rdb_last_save_time"), 0)
	fi, err := os.Stat(filepath.Join(dir, dbfile))
	var found string
	switch {
	case err != nil:
		found = dbfile + " is not there"
	case fi.ModTime().Before(saved.Add(-2 * time.Second)):
		found = fmt.Sprintf("%s there was written at %s", dbfile, fi.ModTime().UTC().Format("2006-01-02 15:04:05 UTC"))
	default:
		return
	}
	a.add(levelWarning, "10", "the data directory is not where the server saves",
		fmt.Sprintf("the server saved %s at %s (rdb_last_save_time), but %s: %s is not its directory, or its files were replaced", dbfile, saved.UTC().Format("2006-01-02 15:04:05 UTC"), found, dir),
		"point --datadir at the server's dir (CONFIG GET dir); if it is, find what replaces the files")
}
