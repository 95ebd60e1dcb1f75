package aof

import (
	"os"
	"strconv"
	"strings"
)

// Redis 7.0 names the parts of an AOF after appendfilename (aof.c):
//
//	<appendfilename>.<seq>.base.rdb   a base written with an RDB preamble
//	<appendfilename>.<seq>.base.aof   a base written as commands
//	<appendfilename>.<seq>.incr.aof   an incremental part
//	<appendfilename>.manifest         the manifest
//
// and its temporary files: the manifest being replaced and the incremental
// part opened while AOF is being switched on go in the AOF directory; the
// rewrite's output and a snapshot being saved go in the working directory
// (dir), since Redis opens them by a relative name.

const (
	baseSuffix     = ".base"
	incrSuffix     = ".incr"
	rdbSuffix      = ".rdb"
	aofSuffix      = ".aof"
	manifestSuffix = ".manifest"
	tempPrefix     = "temp-"
)

// ManifestName is the manifest's name in the AOF directory.
func ManifestName(appendFilename string) string { return appendFilename + manifestSuffix }

// TempManifestName is the name a manifest is written under before it is
// renamed over the real one.
func TempManifestName(appendFilename string) string {
	return tempPrefix + appendFilename + manifestSuffix
}

// BaseName is the name of the base file of sequence seq: ".base.rdb" when
// it is written with an RDB preamble (aof-use-rdb-preamble), ".base.aof"
// when it is commands.
func BaseName(appendFilename string, seq int64, rdbPreamble bool) string {
	suffix := aofSuffix
	if rdbPreamble {
		suffix = rdbSuffix
	}
	return appendFilename + "." + strconv.FormatInt(seq, 10) + baseSuffix + suffix
}

// IncrName is the name of the incremental file of sequence seq.
func IncrName(appendFilename string, seq int64) string {
	return appendFilename + "." + strconv.FormatInt(seq, 10) + incrSuffix + aofSuffix
}

// TempIncrName is the incremental file Redis writes while AOF is being
// switched on (CONFIG SET appendonly yes), before the first rewrite ends
// and names it.
func TempIncrName(appendFilename string) string {
	return tempPrefix + appendFilename + incrSuffix
}

// RewriteTempName is the file a foreground rewrite writes before renaming
// it (rewriteAppendOnlyFile), in the working directory.
func RewriteTempName(pid int) string { return "temp-rewriteaof-" + strconv.Itoa(pid) + ".aof" }

// BackgroundRewriteTempName is the file a background rewrite (BGREWRITEAOF)
// writes, in the working directory, until the server renames it into the
// AOF directory as the new base.
func BackgroundRewriteTempName(pid int) string {
	return "temp-rewriteaof-bg-" + strconv.Itoa(pid) + ".aof"
}

// SnapshotTempName is the file SAVE and BGSAVE write before renaming it
// over dbfilename (rdbSave's "temp-<pid>.rdb").
func SnapshotTempName(pid int) string { return "temp-" + strconv.Itoa(pid) + ".rdb" }

// A Leftover is a temporary file that an interrupted save or rewrite left
// behind: nothing refers to it, and nothing will finish it.
type Leftover struct {
	Name string
	// PID is the process that wrote it, when its name says (0 otherwise).
	// A caller sharing a directory with other servers should spare the
	// files of live processes other than itself.
	PID int
}

// IsLeftover says whether name is one of the temporary files Redis (and
// Redoubt) write in the working or the AOF directory: a snapshot being
// saved (temp-<pid>.rdb), a replica's transfer (temp-<unixtime>.<pid>.rdb),
// a rewrite (temp-rewriteaof-[bg-]<pid>.aof), a manifest being replaced,
// or the incremental file of an AOF being switched on.
func IsLeftover(name, appendFilename string) (Leftover, bool) {
	if name == TempManifestName(appendFilename) || name == TempIncrName(appendFilename) {
		return Leftover{Name: name}, true
	}
	for _, pat := range []struct{ prefix, suffix string }{
		{"temp-rewriteaof-bg-", ".aof"},
		{"temp-rewriteaof-", ".aof"},
		{"temp-", ".rdb"},
	} {
		mid, ok := strings.CutPrefix(name, pat.prefix)
		if !ok {
			continue
		}
		if mid, ok = strings.CutSuffix(mid, pat.suffix); !ok {
			continue
		}
		if pat.suffix == ".rdb" {
			// temp-<unixtime>.<pid>.rdb, from a replica's full sync.
			if t, p, two := strings.Cut(mid, "."); two {
				if !digits(t) {
					return Leftover{}, false
				}
				mid = p
			}
		}
		if !digits(mid) {
			return Leftover{}, false
		}
		pid, err := strconv.Atoi(mid)
		if err != nil {
			return Leftover{}, false
		}
		return Leftover{Name: name, PID: pid}, true
	}
	return Leftover{}, false
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Leftovers lists the leftover temporary files among the regular files of
// dir (the working directory or the AOF directory), for a clean-up at
// start-up: Redis leaves them when it is killed during a save or rewrite.
func Leftovers(dir, appendFilename string) ([]Leftover, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []Leftover
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		if l, ok := IsLeftover(e.Name(), appendFilename); ok {
			out = append(out, l)
		}
	}
	return out, nil
}
