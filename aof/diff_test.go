package aof

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Differential tests: the real redis-server writes an AOF directory and
// this package reads it; this package writes files and the real
// redis-server and redis-check-aof read them.

const app = "appendonly.aof"

// TestRedisAOFDirectory runs the real redis-server with AOF on through two
// rewrites (keeping history files), and checks that each manifest it
// writes parses, encodes back to the same bytes, and is what the Manifest
// steps predict; that every file reads cleanly and re-encodes to its exact
// bytes; and that the commands read back are the writes sent.
func TestRedisAOFDirectory(t *testing.T) {
	for _, preamble := range []bool{true, false} {
		t.Run(fmt.Sprint("rdb-preamble=", preamble), func(t *testing.T) { testRedisAOFDirectory(t, preamble) })
	}
}

func testRedisAOFDirectory(t *testing.T, preamble bool) {
	dir := t.TempDir()
	yes := map[bool]string{true: "yes", false: "no"}[preamble]
	s, log := refredis.Start(t, dir, "appendonly yes", "aof-timestamp-enabled yes",
		"aof-disable-auto-gc yes", "aof-use-rdb-preamble "+yes)
	if s == nil {
		t.Fatal(log)
	}
	aofDir := filepath.Join(dir, "appendonlydir")
	readManifest := func() *Manifest {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(aofDir, ManifestName(app)))
		if err != nil {
			t.Fatal(err)
		}
		m, err := ParseManifest(data)
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if enc := m.Encode(); !bytes.Equal(enc, data) {
			t.Fatalf("Redis wrote %q, we encode %q", data, enc)
		}
		return m
	}
	// At start-up on an empty dataset: a base, and a first incremental file.
	want := &Manifest{}
	want.NewBase(app, preamble)
	want.LastIncr(app)
	if m := readManifest(); !reflect.DeepEqual(m, want) {
		t.Fatalf("at start: %s, predicted %s", m.Encode(), want.Encode())
	}
	rewrite := func() {
		t.Helper()
		s.Rewrite()
		want.NewIncr(app)
		want.NewBase(app, preamble)
		want.MarkIncrAsHistory(true)
		if m := readManifest(); !reflect.DeepEqual(m, want) {
			t.Fatalf("after a rewrite: %s, predicted %s", m.Encode(), want.Encode())
		}
	}

	// The writes, and what Redis propagates: a SELECT before the first
	// write of each incremental file, transactions in MULTI/EXEC.
	var expect [][]string
	write := func(args ...string) {
		s.Do(args...)
		expect = append(expect, args)
	}
	expect = append(expect, []string{"SELECT", "0"})
	write("SET", "k", "v")
	write("SET", "bin", "\x00\r\n\xff\"'")
	write("SET", "empty", "")
	write("RPUSH", "l", "a", "b", "c")
	write("MULTI")
	s.Do("SET", "a", "1")
	s.Do("INCR", "a")
	expect = append(expect, []string{"SET", "a", "1"}, []string{"INCR", "a"})
	write("EXEC")
	write("SET", "big", strings.Repeat("0123456789", 20000))
	write("APPEND", "big", "x")
	rewrite()
	expect = append(expect, []string{"SELECT", "0"})
	write("HSET", "h", "f", "v")
	write("ZADD", "z", "1.5", "m")
	write("DEL", "k")
	rewrite()
	s.Do("SELECT", "3")
	expect = append(expect, []string{"SELECT", "3"})
	write("SET", "k3", "v3")
	write("SADD", "s", "a", "b")
	s.Shutdown()
	m := readManifest()
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("after shutdown: %s, predicted %s", m.Encode(), want.Encode())
	}

	// Every incremental file, in order, holds the writes.
	var incr []FileInfo
	for _, fi := range append(slices.Clone(m.History), m.Incr...) {
		if strings.HasSuffix(fi.Name, ".incr.aof") {
			incr = append(incr, fi)
		}
	}
	slices.SortFunc(incr, func(a, b FileInfo) int { return int(a.Seq - b.Seq) })
	if len(incr) != 3 || len(m.History) != 4 {
		t.Fatalf("after two rewrites, history kept: %s", m.Encode())
	}
	var got [][]string
	for _, fi := range incr {
		for _, it := range readRoundTrip(t, filepath.Join(aofDir, fi.Name)) {
			if it.Kind == Command {
				got = append(got, it.Args)
			}
		}
	}
	if !reflect.DeepEqual(got, expect) {
		t.Fatalf("read back %.200q\nwant %.200q", got, expect)
	}
	// Every base: an RDB file, or commands that start with a timestamp.
	for _, fi := range append(slices.Clone(m.History), *m.Base) {
		if !strings.Contains(fi.Name, ".base.") {
			continue
		}
		path := filepath.Join(aofDir, fi.Name)
		if preamble {
			data, _ := os.ReadFile(path)
			_, err := readBytes(data)
			var e *Error
			if !errors.As(err, &e) || e.Kind != ErrPreamble || e.Offset != 0 {
				t.Fatalf("%s: %v", fi.Name, err)
			}
			continue
		}
		items := readRoundTrip(t, path)
		if len(items) == 0 || items[0].Kind != Annotation || !strings.HasPrefix(items[0].Annotation, "#TS:") {
			t.Fatalf("%s starts with %+v", fi.Name, items)
		}
	}
}

// readRoundTrip reads an AOF, requiring a clean read whose items, encoded
// again, are the file's exact bytes.
func readRoundTrip(t *testing.T, path string) []item {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	items, err := readBytes(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var enc []byte
	for _, it := range items {
		if it.Kind == Annotation {
			r := NewReader(bytes.NewReader(data[it.Start:it.End]), 0, it.End-it.Start)
			r.Next()
			ts, isTS, ok := r.Timestamp()
			if !isTS || !ok {
				t.Fatalf("%s: annotation %q", path, it.Annotation)
			}
			enc = AppendTimestamp(enc, ts)
			continue
		}
		args := make([][]byte, len(it.Args))
		for i, a := range it.Args {
			args[i] = []byte(a)
		}
		enc = AppendCommand(enc, args...)
	}
	if !bytes.Equal(enc, data) {
		t.Fatalf("%s does not encode back to its bytes", path)
	}
	return items
}

// TestManifestErrorsAsRedis gives redis-check-aof, which loads a manifest
// with Redis's own aofLoadManifestFromFile, each manifest the parser
// refuses, and compares the messages.
func TestManifestErrorsAsRedis(t *testing.T) {
	checker := refredis.Tool(t, "redis-check-aof")
	for _, in := range []string{
		"file a seq 1 type i",
		"# c\nfile a seq 1 type i\nfile b seq 2 type i",
		"file " + strings.Repeat("a", 1100) + " seq 1 type i\n",
		"file a seq 1 type i\n\n",
		"file a seq 1 type i\n \t\r\n",
		"file a seq 1 type\n",
		"file a seq 1 type i x\n",
		"file \"a seq 1 type i\n",
		"file \"a\"b seq 1 type i\n",
		"file a seq 1 type i\nname a seq 2 type i\n",
		"file a seq 0 type i\n",
		"file a seq x type i\n",
		"file a seq 1 type \"\"\n",
		"file a/b seq 1 type i\n",
		"file a\\\\b seq 1 type i\n",
		"file a seq 1 type b\nfile b seq 2 type b\n",
		"file a seq 2 type i\nfile b seq 2 type i\n",
		"file a seq -1 type i\n",
		"file a seq 1 type x\n",
		"file a seq 1 type i\x00\n",
		"#" + strings.Repeat("c", 1100) + "\nfile a seq 1 type i\n",
	} {
		path := filepath.Join(t.TempDir(), "appendonly.aof.manifest")
		if err := os.WriteFile(path, []byte(in), 0o644); err != nil {
			t.Fatal(err)
		}
		out, _ := exec.Command(checker, path).CombinedOutput()
		want := redisManifestError(string(out))
		_, err := ParseManifest([]byte(in))
		var got *ManifestError
		if !errors.As(err, &got) {
			t.Errorf("%q: we accept it, redis-check-aof says %q", in, out)
			continue
		}
		if want != nil && !want.HasText {
			want.Line = got.Line // Redis does not say which line then
		}
		if want == nil || *got != *want {
			t.Errorf("%q:\n got %+v\nwant %+v (%q)", in, *got, want, out)
		}
	}
	// And what it accepts, it goes on to check the files it names.
	for _, in := range []string{
		// (redis-check-aof takes a file for a manifest only if a line
		// starts with "file" in lower case.)
		"file a.aof SeQ 7 TYPE i extra 1\r\n",
		"file \"a b\\x41\" seq 1 type i\n",
		"file f seq 12abc type i\n",
		"file b seq -4 type b\n",
	} {
		path := filepath.Join(t.TempDir(), "appendonly.aof.manifest")
		os.WriteFile(path, []byte(in), 0o644)
		out, _ := exec.Command(checker, path).CombinedOutput()
		if _, err := ParseManifest([]byte(in)); err != nil || !strings.Contains(string(out), "Cannot open file") {
			t.Errorf("%q: we say %v, redis-check-aof says %q", in, err, out)
		}
	}
}

// redisManifestError reads the manifest error Redis logs (a log line per
// message, its text after "# ").
func redisManifestError(out string) *ManifestError {
	var msgs []string
	for _, line := range strings.Split(out, "\n") {
		if _, msg, ok := strings.Cut(line, " # "); ok {
			msgs = append(msgs, msg)
		} else if len(msgs) > 0 && line != "" && !strings.Contains(line, "FATAL AOF MANIFEST") {
			msgs = append(msgs, line)
		}
	}
	e := &ManifestError{}
	for _, m := range msgs {
		if n, ok := strings.CutPrefix(m, "Reading the manifest file, at line "); ok {
			fmt.Sscan(n, &e.Line)
		} else if text, ok := strings.CutPrefix(m, ">>> '"); ok {
			e.Text, e.HasText = strings.TrimSuffix(text, "'"), true
		} else if m != "" {
			e.Msg = m
		}
	}
	if e.Msg == "" {
		return nil
	}
	return e
}

// aofDir writes an AOF directory of one incremental file holding data, as
// Redis would read it at start-up.
func aofDir(t *testing.T, data []byte) (dir, file string) {
	dir = t.TempDir()
	sub := filepath.Join(dir, "appendonlydir")
	os.Mkdir(sub, 0o755)
	m := &Manifest{}
	m.NewIncr(app)
	if err := WriteManifest(sub, app, m); err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(sub, m.Incr[0].Name)
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, file
}

// TestLoaderAgreesOnTornWrites cuts an AOF at every byte and lets the real
// redis-server load it with aof-load-truncated: Redis must take each cut
// for a torn write, as the reader does, and cut the file where the reader
// says: at ValidEnd, except for a command torn inside a transaction,
// where Redis cuts after the last complete command and leaves the open
// MULTI for its next start to drop (ValidEnd drops it at once, as
// redis-check-aof --fix does).
func TestLoaderAgreesOnTornWrites(t *testing.T) {
	var data []byte
	for _, c := range [][]string{{"SELECT", "0"}, {"SET", "k", "v"}, {"MULTI"}, {"SET", "a", "1"},
		{"INCR", "a"}, {"EXEC"}, {"RPUSH", "l", "a", "bb"}} {
		data = append(data, cmd(c...)...)
	}
	for cut := 1; cut < len(data); cut++ {
		items, err := readBytes(data[:cut])
		want := int64(cut)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || !e.Truncated {
				t.Fatalf("cut %d: %v", cut, err)
			}
			want = e.ValidEnd
			if e.Kind != ErrMultiEOF && len(items) > 0 {
				want = items[len(items)-1].End
			}
		}
		dir, file := aofDir(t, data[:cut])
		if s, log := refredis.Start(t, dir, "appendonly yes", "aof-load-truncated yes"); s == nil {
			t.Fatalf("cut %d: redis-server refuses it:\n%s", cut, log)
		}
		// Redis cuts the file while it loads, which refredis.Start
		// waits for; a loaded machine (the race detector's CI run) has
		// still been seen to stat it first, so the size is polled for a
		// while: Redis never cuts a file twice, so a wrong size stays.
		var size int64
		for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if st, err := os.Stat(file); err == nil {
				size = st.Size()
			}
			if size == want || time.Now().After(deadline) {
				break
			}
		}
		if size != want {
			t.Fatalf("cut %d: Redis cut the file to %d, the reader to %d", cut, size, want)
		}
	}
}

// TestLoaderAgreesOnCorruption: what the reader calls corrupt, Redis's
// loader refuses as a bad format even with aof-load-truncated on, where
// both look at the same bytes. Where Redis's loader reads past bytes that
// redis-check-aof refuses, the reader sides with redis-check-aof: the last
// cases pin that difference.
func TestLoaderAgreesOnCorruption(t *testing.T) {
	set := string(cmd("SET", "k", "v"))
	for _, tc := range []struct {
		in        string
		redisLoad bool // Redis's loader reads it anyway
	}{
		{set + "+OK\r\n" + set, false},
		{set + "*2\r\n:3\r\nGET\r\n$1\r\nk\r\n", false},
		{set + "*0\r\n" + set, false},
		{set + "*-1\r\n" + set, false},
		{set + "\r\n", false},
		// A string not followed by \r\n: Redis skips two bytes blindly.
		{"*3\r\n$3\r\nSET\r\n$1\r\nkXY$1\r\nv\r\n", true},
		// MULTI inside MULTI, EXEC without MULTI: Redis's loader runs
		// them as a client would, getting errors nobody reads.
		{string(cmd("MULTI")) + string(cmd("MULTI")) + set + string(cmd("EXEC")), true},
		{set + string(cmd("EXEC")), true},
	} {
		_, err := readBytes([]byte(tc.in))
		var e *Error
		if !errors.As(err, &e) || e.Truncated {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		dir, _ := aofDir(t, []byte(tc.in))
		s, log := refredis.Start(t, dir, "appendonly yes", "aof-load-truncated yes")
		if s != nil && !tc.redisLoad {
			// Seen once on a loaded machine: Redis answered while it
			// read the file, then refused it and exited.
			if l, exited := s.ExitsWithin(5 * time.Second); exited {
				s, log = nil, l
			}
		}
		switch {
		case tc.redisLoad && s == nil:
			t.Errorf("%q: Redis refuses it now:\n%s", tc.in, log)
		case !tc.redisLoad && s != nil:
			t.Errorf("%q: Redis loads it", tc.in)
		case !tc.redisLoad && !strings.Contains(log, "Bad file format reading the append only file"):
			t.Errorf("%q: Redis says\n%s", tc.in, log)
		}
	}
}
