package aof

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/redoubt-db/redoubt/cnum"
	"github.com/redoubt-db/redoubt/protocol"
)

// Encode returns the manifest as Redis writes it (getAofManifestAsString):
// the base, the history files, then the incremental files, one line each,
// "file <name> seq <seq> type <t>\n", with the name quoted as sdscatrepr
// quotes it when it holds a byte that needs escaping or a space.
func (m *Manifest) Encode() []byte {
	var b []byte
	if m.Base != nil {
		b = appendFileInfo(b, *m.Base)
	}
	for _, fi := range m.History {
		b = appendFileInfo(b, fi)
	}
	for _, fi := range m.Incr {
		b = appendFileInfo(b, fi)
	}
	return b
}

func appendFileInfo(b []byte, fi FileInfo) []byte {
	b = append(b, "file "...)
	if needsRepr(fi.Name) {
		b = protocol.AppendRepr(b, []byte(fi.Name))
	} else {
		b = append(b, fi.Name...)
	}
	b = append(b, " seq "...)
	b = strconv.AppendInt(b, fi.Seq, 10)
	b = append(b, " type "...)
	return append(b, byte(fi.Type), '\n')
}

// isPrint and isSpace are C's isprint and isspace in the C locale, where
// bytes from 0x80 up are neither.
func isPrint(c byte) bool { return c >= 0x20 && c < 0x7f }

// needsRepr is sdsneedsrepr: whether s must be quoted to survive
// sdssplitargs.
func needsRepr(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == '\\' || c == '"' || !isPrint(c) || cnum.IsSpace(c) {
			return true
		}
	}
	return false
}

// Clone returns a deep copy, to change while the original stays in use
// (Redis's aofManifestDup: a rewrite edits a copy and swaps it in only
// once the new manifest is on disk).
func (m *Manifest) Clone() *Manifest {
	c := &Manifest{
		History: slices.Clone(m.History),
		Incr:    slices.Clone(m.Incr),
		BaseSeq: m.BaseSeq,
		IncrSeq: m.IncrSeq,
	}
	if m.Base != nil {
		b := *m.Base
		c.Base = &b
	}
	return c
}

// NewBase names the base file of a rewrite that just ended, and makes the
// previous base, if any, the first history file: Redis's
// getNewBaseFileNameAndMarkPreAsHistory.
func (m *Manifest) NewBase(appendFilename string, rdbPreamble bool) string {
	if m.Base != nil {
		old := *m.Base
		old.Type = TypeHistory
		m.History = slices.Insert(m.History, 0, old)
	}
	m.BaseSeq++
	m.Base = &FileInfo{Name: BaseName(appendFilename, m.BaseSeq, rdbPreamble), Seq: m.BaseSeq, Type: TypeBase}
	return m.Base.Name
}

// NewIncr names a new incremental file and appends it: Redis's
// getNewIncrAofName, called when a rewrite starts.
func (m *Manifest) NewIncr(appendFilename string) string {
	m.IncrSeq++
	fi := FileInfo{Name: IncrName(appendFilename, m.IncrSeq), Seq: m.IncrSeq, Type: TypeIncr}
	m.Incr = append(m.Incr, fi)
	return fi.Name
}

// LastIncr is the incremental file to append to at start-up: the last
// one, or a new one if there is none (getLastIncrAofName).
func (m *Manifest) LastIncr(appendFilename string) string {
	if len(m.Incr) == 0 {
		return m.NewIncr(appendFilename)
	}
	return m.Incr[len(m.Incr)-1].Name
}

// MarkIncrAsHistory moves the incremental files a successful rewrite has
// folded into the new base to the front of the history, keeping the last
// one when keepLast (AOF is on and writing to it): Redis's
// markRewrittenIncrAofAsHistory. The files keep their order.
func (m *Manifest) MarkIncrAsHistory(keepLast bool) {
	n := len(m.Incr)
	if keepLast && n > 0 {
		n--
	}
	moved := make([]FileInfo, n, n+len(m.History))
	for i, fi := range m.Incr[:n] {
		fi.Type = TypeHistory
		moved[i] = fi
	}
	m.History = append(moved, m.History...)
	m.Incr = slices.Delete(m.Incr, 0, n)
}

// WriteManifest replaces the manifest of the AOF directory dir with m as
// Redis's writeAofManifestFile does: written to TempManifestName, synced,
// renamed over ManifestName, then the directory synced so the rename (and
// any file the manifest now names) survives a crash. Errors carry Redis's
// messages.
func WriteManifest(dir, appendFilename string, m *Manifest) error {
	name, tmpName := ManifestName(appendFilename), TempManifestName(appendFilename)
	path, tmp := filepath.Join(dir, name), filepath.Join(dir, tmpName)
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_TRUNC|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("Can't open the AOF manifest file %s: %w", tmpName, err)
	}
	fail := func(err error) error {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if _, err := f.Write(m.Encode()); err != nil {
		return fail(fmt.Errorf("Error trying to write the temporary AOF manifest file %s: %w", tmpName, err))
	}
	if err := f.Sync(); err != nil {
		return fail(fmt.Errorf("Fail to fsync the temp AOF file %s: %w.", tmpName, err))
	}
	if err := os.Rename(tmp, path); err != nil {
		return fail(fmt.Errorf("Error trying to rename the temporary AOF manifest file %s into %s: %w", tmpName, name, err))
	}
	f.Close()
	if err := syncDir(dir); err != nil {
		return fmt.Errorf("Fail to fsync AOF directory %s: %w.", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
