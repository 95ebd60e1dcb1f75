package durability

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
)

// appendfilename and appenddirname name every part of the AOF, and a
// name with a space is quoted in the manifest (sdscatrepr). Both servers
// run the same commands with the same unusual names and must leave the
// same files and manifest, each loadable by the other.
func TestCustomAOFNames(t *testing.T) {
	const name, dirname = "my aof", "my dir"
	settings := []string{"appendonly yes", "appendfilename " + name, "appenddirname " + dirname}
	dirs := map[string]string{}
	written := map[string]dataset{}
	for _, kind := range []string{redisKind, redoubtKind} {
		dirs[kind] = t.TempDir()
		s := startServer(t, kind, dirs[kind], settings...)
		c := s.conn()
		runCorpus(t, c, corpusBefore())
		c.Do("BGREWRITEAOF")
		s.waitRewriteDone()
		runCorpus(t, c, corpusAfter())
		written[kind] = readDataset(t, s.addr)
		s.stop()
	}
	want, got := listDir(t, dirs[redisKind]), listDir(t, dirs[redoubtKind])
	if !slices.Equal(want, got) {
		t.Errorf("files\n redis:   %q\n redoubt: %q", want, got)
	}
	m := filepath.Join(dirname, name+".manifest")
	if w, g := readFile(t, filepath.Join(dirs[redisKind], m)), readFile(t, filepath.Join(dirs[redoubtKind], m)); !bytes.Equal(w, g) {
		t.Errorf("manifest\n redis:   %q\n redoubt: %q", w, g)
	}
	t.Logf("files: %q", got)
	// Each loads the other's directory.
	for writer, loader := range map[string]string{redisKind: redoubtKind, redoubtKind: redisKind} {
		d := t.TempDir()
		copyDir(t, dirs[writer], d)
		s := startServer(t, loader, d, settings...)
		compareDatasets(t, loader+" loading what "+writer+" wrote", written[writer], readDataset(t, s.addr), 0)
		s.stop()
	}
}
