package durability

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Interop: an AOF directory written by one server (the corpus, a
// BGREWRITEAOF, more of the corpus, so that it holds a base and an
// incremental file) must pass redis-check-aof and load in both servers
// with the writer's dataset; the two loaders must agree on encodings
// and stream layouts too.

// interopVariants are the settings the directories are written with:
// a base in RDB form or as commands, and commands with timestamp
// annotations (the base then starts with one).
var interopVariants = []struct{ name, preamble, timestamps string }{
	{"rdb-preamble", "yes", "no"},
	{"commands", "no", "no"},
	{"commands-with-timestamps", "no", "yes"},
}

func TestInteropRedoubtWritesRedisLoads(t *testing.T) {
	for _, v := range interopVariants {
		t.Run(v.name, func(t *testing.T) { interop(t, redoubtKind, v.preamble, v.timestamps) })
	}
}

func TestInteropRedisWritesRedoubtLoads(t *testing.T) {
	for _, v := range interopVariants {
		t.Run(v.name, func(t *testing.T) { interop(t, redisKind, v.preamble, v.timestamps) })
	}
}

// writeAOFDir has a server of kind write the corpus with a rewrite in
// the middle, stops it, and returns the directory and the dataset it
// held.
func writeAOFDir(t *testing.T, kind, preamble, timestamps string) (string, dataset) {
	t.Helper()
	dir := t.TempDir()
	w := startServer(t, kind, dir, "appendonly yes", "aof-use-rdb-preamble "+preamble, "aof-timestamp-enabled "+timestamps)
	c := w.conn()
	runCorpus(t, c, corpusBefore())
	c.Do("BGREWRITEAOF")
	w.waitRewriteDone()
	runCorpus(t, c, corpusAfter())
	src := readDataset(t, w.addr)
	w.stop()
	return dir, src
}

func interop(t *testing.T, writer, preamble, timestamps string) {
	dir, src := writeAOFDir(t, writer, preamble, timestamps)
	t.Logf("%s wrote %d keys: %s", writer, len(src), manifestOf(t, dir))
	if timestamps == "yes" {
		base := readFile(t, filepath.Join(dir, appendDir, readManifest(t, dir)[0].name))
		if !strings.HasPrefix(string(base), "#TS:") {
			t.Errorf("with aof-timestamp-enabled the base written as commands starts with %q, want a #TS: annotation", base[:min(len(base), 20)])
		}
	}

	// The directory's shape: base 2 in the format asked for, incr 2, the
	// manifest, nothing else.
	ext := ".aof"
	if preamble == "yes" {
		ext = ".rdb"
	}
	wantManifest := "b:appendonly.aof.2.base" + ext + "#2 i:appendonly.aof.2.incr.aof#2"
	if got := manifestOf(t, dir); got != wantManifest {
		t.Errorf("manifest %s, want %s", got, wantManifest)
	}
	wantFiles := []string{"appendonlydir/appendonly.aof.2.base" + ext, "appendonlydir/appendonly.aof.2.incr.aof", "appendonlydir/" + manifestName}
	if got := listDir(t, dir); strings.Join(got, " ") != strings.Join(wantFiles, " ") {
		t.Errorf("files %q, want %q", got, wantFiles)
	}
	manifest := filepath.Join(dir, appendDir, manifestName)
	out, code := runTool(t, "", refredis.Tool(t, "redis-check-aof"), manifest)
	if code != 0 || !strings.Contains(out, "All AOF files and manifest are valid") {
		t.Errorf("redis-check-aof %s: exit %d\n%s", manifest, code, out)
	}
	if out, code := runTool(t, "", toolBin, "check-aof", manifest); code != 0 || !strings.Contains(out, "All AOF files and manifest are valid") {
		t.Errorf("redoubt check-aof %s: exit %d\n%s", manifest, code, out)
	}

	loaded := map[string]dataset{}
	for _, kind := range []string{redisKind, redoubtKind} {
		d := t.TempDir()
		copyDir(t, dir, d)
		srv := startServer(t, kind, d, "appendonly yes", "aof-use-rdb-preamble "+preamble, "aof-timestamp-enabled "+timestamps)
		loaded[kind] = readDataset(t, srv.addr)
		srv.stop()
		compareDatasets(t, kind+" loading what "+writer+" wrote", src, loaded[kind], 0)
	}
	compareDatasets(t, "redoubt against redis, both loading what "+writer+" wrote", loaded[redisKind], loaded[redoubtKind], cmpEnc|cmpLayout)
}
