package aof

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseManifest(t *testing.T) {
	good := "file appendonly.aof.2.base.rdb seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type h\n" +
		"file appendonly.aof.3.incr.aof seq 3 type h\n" +
		"file appendonly.aof.4.incr.aof seq 4 type i\n" +
		"file appendonly.aof.5.incr.aof seq 5 type i\n"
	m, err := ParseManifest([]byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := &Manifest{
		Base: &FileInfo{"appendonly.aof.2.base.rdb", 2, TypeBase},
		History: []FileInfo{
			{"appendonly.aof.1.incr.aof", 1, TypeHistory},
			{"appendonly.aof.2.incr.aof", 2, TypeHistory},
			{"appendonly.aof.3.incr.aof", 3, TypeHistory},
		},
		Incr: []FileInfo{
			{"appendonly.aof.4.incr.aof", 4, TypeIncr},
			{"appendonly.aof.5.incr.aof", 5, TypeIncr},
		},
		BaseSeq: 2, IncrSeq: 5,
	}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("got %+v\nwant %+v", m, want)
	}
	if got := string(m.Encode()); got != good {
		t.Fatalf("Encode:\n%s\nwant\n%s", got, good)
	}
}

// Lines Redis accepts, and what it reads from them.
func TestParseManifestAccepts(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want FileInfo
	}{
		// Keys in any case and order, unknown pairs skipped, spaces and
		// CRLF trimmed.
		{"  FILE a.aof SeQ 7 TYPE i extra 1\r\n", FileInfo{"a.aof", 7, TypeIncr}},
		{"type i seq 3 file x\n", FileInfo{"x", 3, TypeIncr}},
		// Quoted names, with escapes.
		{"file \"a b\\x41\\n\" seq 1 type i\n", FileInfo{"a bA\n", 1, TypeIncr}},
		{"file 'q' seq 1 type i\n", FileInfo{"q", 1, TypeIncr}},
		// seq is atoll: leading digits count, and a repeated key wins last.
		{"file f seq 12abc type i\n", FileInfo{"f", 12, TypeIncr}},
		{"file f seq 1 type i seq 9\n", FileInfo{"f", 9, TypeIncr}},
		// type is the value's first byte.
		{"file f seq 1 type incr\n", FileInfo{"f", 1, TypeIncr}},
		// An empty name passes; a NUL ends a word as in C.
		{"file \"\" seq 1 type i\n", FileInfo{"", 1, TypeIncr}},
		{"file \"ab\\x00cd\" seq 1 type i\n", FileInfo{"ab", 1, TypeIncr}},
	} {
		m, err := ParseManifest([]byte(tc.in))
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		if len(m.Incr) != 1 || m.Incr[0] != tc.want {
			t.Errorf("%q: got %+v, want %+v", tc.in, m.Incr, tc.want)
		}
	}
	// A negative seq is a valid base (only incremental files must grow).
	if m, err := ParseManifest([]byte("file b seq -4 type b\n")); err != nil || m.BaseSeq != -4 {
		t.Errorf("negative base seq: %+v %v", m, err)
	}
	// Comments, even long ones, and a manifest of nothing but comments.
	if m, err := ParseManifest([]byte("# " + strings.Repeat("x", 900) + "\n#\n")); err != nil || m.Base != nil || len(m.Incr) != 0 {
		t.Errorf("comments only: %+v %v", m, err)
	}
}

// What Redis refuses, with its message and whether it shows the line.
func TestParseManifestRefuses(t *testing.T) {
	long := "file " + strings.Repeat("a", 1100) + " seq 1 type i\n"
	for _, tc := range []struct {
		in       string
		msg      string
		line     int
		showLine bool
	}{
		{"", "Found an empty AOF manifest", 0, false},
		{"file a seq 1 type i", "The AOF manifest file contains too long line", 1, false},
		{"# c\nfile a seq 1 type i\nfile b seq 2 type i", "The AOF manifest file contains too long line", 3, false},
		{long, "The AOF manifest file contains too long line", 1, false},
		// A comment over 1024 bytes goes on as a line of its own.
		{"#" + strings.Repeat("c", 1100) + "\n", "Invalid AOF manifest file format", 2, true},
		{"\n", "Invalid AOF manifest file format", 1, true},
		{" \t\r\n", "Invalid AOF manifest file format", 1, true},
		{"file a seq 1 type\n", "Invalid AOF manifest file format", 1, true},
		{"file a seq 1 type i x\n", "Invalid AOF manifest file format", 1, true},
		{"file \"a seq 1 type i\n", "Invalid AOF manifest file format", 1, true},
		{"file \"a\"b seq 1 type i\n", "Invalid AOF manifest file format", 1, true},
		{"name a seq 1 type i\n", "Invalid AOF manifest file format", 1, true},
		{"file a seq 0 type i\n", "Invalid AOF manifest file format", 1, true},
		{"file a seq x type i\n", "Invalid AOF manifest file format", 1, true},
		{"file a seq 1 type \"\"\n", "Invalid AOF manifest file format", 1, true},
		{"file a/b seq 1 type i\n", "File can't be a path, just a filename", 1, true},
		{"file a\\\\b seq 1 type i\n", "File can't be a path, just a filename", 1, true},
		{"file a seq 1 type b\nfile b seq 2 type b\n", "Found duplicate base file information", 2, true},
		{"file a seq 2 type i\nfile b seq 2 type i\n", "Found a non-monotonic sequence number", 2, true},
		{"file a seq -1 type i\n", "Found a non-monotonic sequence number", 1, true},
		{"file a seq 1 type x\n", "Unknown AOF file type", 1, true},
		// A NUL byte hides the newline from C's strchr.
		{"file a seq 1 type i\x00\n", "The AOF manifest file contains too long line", 1, false},
	} {
		_, err := ParseManifest([]byte(tc.in))
		var me *ManifestError
		if !errors.As(err, &me) {
			t.Errorf("%q: got %v, want %q", tc.in, err, tc.msg)
			continue
		}
		if me.Msg != tc.msg || me.Line != tc.line || me.HasText != tc.showLine {
			t.Errorf("%q: got %+v, want %q at line %d (shown %v)", tc.in, me, tc.msg, tc.line, tc.showLine)
		}
	}
}

func TestEncodeQuotesNames(t *testing.T) {
	for _, name := range []string{"a b", `a"b`, "a\tb\r\n", "\x01\x7f\xff", "é", "\a\b"} {
		m := &Manifest{Incr: []FileInfo{{name, 1, TypeIncr}}}
		enc := m.Encode()
		if !strings.HasPrefix(string(enc), `file "`) {
			t.Errorf("%q not quoted: %q", name, enc)
		}
		back, err := ParseManifest(enc)
		if err != nil || back.Incr[0].Name != name {
			t.Errorf("%q: encoded %q, read back %+v %v", name, enc, back, err)
		}
	}
	m := &Manifest{Incr: []FileInfo{{"\x01é\"", 3, TypeIncr}}}
	if got, want := string(m.Encode()), `file "\x01\xc3\xa9\"" seq 3 type i`+"\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// The steps of Redis's rewrites, as backgroundRewriteDoneHandler takes
// them: a new incremental file when the rewrite starts, then a new base,
// then the rewritten incremental files to history.
func TestManifestSteps(t *testing.T) {
	m := &Manifest{}
	if name := m.NewBase("appendonly.aof", true); name != "appendonly.aof.1.base.rdb" {
		t.Fatal(name)
	}
	if name := m.LastIncr("appendonly.aof"); name != "appendonly.aof.1.incr.aof" {
		t.Fatal(name)
	}
	if name := m.LastIncr("appendonly.aof"); name != "appendonly.aof.1.incr.aof" {
		t.Fatal(name)
	}
	before := m.Clone()
	m.NewIncr("appendonly.aof")
	m.NewBase("appendonly.aof", false)
	m.MarkIncrAsHistory(true)
	want := "file appendonly.aof.2.base.aof seq 2 type b\n" +
		"file appendonly.aof.1.incr.aof seq 1 type h\n" +
		"file appendonly.aof.1.base.rdb seq 1 type h\n" +
		"file appendonly.aof.2.incr.aof seq 2 type i\n"
	if got := string(m.Encode()); got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	if got := string(before.Encode()); got != "file appendonly.aof.1.base.rdb seq 1 type b\nfile appendonly.aof.1.incr.aof seq 1 type i\n" {
		t.Fatalf("the clone changed: %s", got)
	}
	m.MarkIncrAsHistory(false)
	if len(m.Incr) != 0 || len(m.History) != 3 || m.History[0].Name != "appendonly.aof.2.incr.aof" {
		t.Fatalf("%+v", m)
	}
}

func TestWriteManifest(t *testing.T) {
	dir := t.TempDir()
	m := &Manifest{}
	m.NewBase("x.aof", true)
	m.NewIncr("x.aof")
	for range 2 {
		if err := WriteManifest(dir, "x.aof", m); err != nil {
			t.Fatal(err)
		}
	}
	back, err := ReadManifest(filepath.Join(dir, "x.aof.manifest"))
	if err != nil || !reflect.DeepEqual(back, m) {
		t.Fatalf("%+v %v", back, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("files left: %v", entries)
	}
	if err := WriteManifest(filepath.Join(dir, "missing"), "x.aof", m); err == nil ||
		!strings.HasPrefix(err.Error(), "Can't open the AOF manifest file temp-x.aof.manifest") {
		t.Fatalf("got %v", err)
	}
}

func TestLooksLikeManifest(t *testing.T) {
	for in, want := range map[string]bool{
		"file a seq 1 type b\n":             true,
		"# note\nfile a seq 1 type b\n":     true,
		"*1\r\n$4\r\nPING\r\n":              false,
		"#TS:1\r\n*1\r\n$4\r\nPING\r\n":     false,
		"REDIS0010":                         false,
		"":                                  false,
		"# only\n":                          false,
		"*2\r\n$3\r\nGET\r\n$4\r\nfile\r\n": false,
	} {
		got, err := LooksLikeManifest(strings.NewReader(in))
		if err != nil || got != want {
			t.Errorf("%q: got %v %v, want %v", in, got, err, want)
		}
	}
}

func TestNames(t *testing.T) {
	for got, want := range map[string]string{
		ManifestName("appendonly.aof"):       "appendonly.aof.manifest",
		TempManifestName("appendonly.aof"):   "temp-appendonly.aof.manifest",
		BaseName("appendonly.aof", 3, true):  "appendonly.aof.3.base.rdb",
		BaseName("appendonly.aof", 3, false): "appendonly.aof.3.base.aof",
		IncrName("appendonly.aof", 12):       "appendonly.aof.12.incr.aof",
		TempIncrName("appendonly.aof"):       "temp-appendonly.aof.incr",
		RewriteTempName(42):                  "temp-rewriteaof-42.aof",
		BackgroundRewriteTempName(42):        "temp-rewriteaof-bg-42.aof",
		SnapshotTempName(42):                 "temp-42.rdb",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestLeftovers(t *testing.T) {
	dir := t.TempDir()
	files := map[string]int{ // name → pid, or -1 when not a leftover
		"temp-123.rdb":                 123,
		"temp-1700000000.456.rdb":      456,
		"temp-rewriteaof-77.aof":       77,
		"temp-rewriteaof-bg-78.aof":    78,
		"temp-appendonly.aof.manifest": 0,
		"temp-appendonly.aof.incr":     0,
		"dump.rdb":                     -1,
		"temp-.rdb":                    -1,
		"temp-12a.rdb":                 -1,
		"temp-x.1.rdb":                 -1,
		"temp-rewriteaof-bg-.aof":      -1,
		"temp-rewriteaof-7.rdb":        -1,
		"temp-other.aof.manifest":      -1,
		"appendonly.aof.1.incr.aof":    -1,
	}
	for name := range files {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "temp-9.rdb.d"), 0o755)
	os.Mkdir(filepath.Join(dir, "temp-10.rdb"), 0o755) // not a regular file
	got, err := Leftovers(dir, "appendonly.aof")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]int{}
	for _, l := range got {
		found[l.Name] = l.PID
	}
	for name, pid := range files {
		if p, ok := found[name]; ok != (pid >= 0) || (ok && p != pid) {
			t.Errorf("%s: listed %v with pid %d, want pid %d", name, ok, p, pid)
		}
	}
	if len(found) != 6 {
		t.Errorf("got %v", got)
	}
}
