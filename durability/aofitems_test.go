package durability

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// clockMs matches a Unix time in milliseconds near now, alone or as a
// stream ID's time part: each server read its own clock.
var clockMs = regexp.MustCompile(`\b1[6-9]\d{11}\b`)

// An aofItem is a command or an annotation of an AOF: as text (a
// command's arguments quoted) for messages, and as its bytes, both with
// clock times masked.
type aofItem struct {
	text, raw string
	ts        int64 // an annotation's time, or 0
	isTS      bool
}

// parseAOF reads a file of commands and annotations, failing the test
// on anything else.
func parseAOF(t *testing.T, who string, b []byte) []aofItem {
	t.Helper()
	var out []aofItem
	for pos := 0; pos < len(b); {
		line, _, ok := bytes.Cut(b[pos:], []byte("\r\n"))
		if !ok {
			t.Fatalf("%s: unterminated line at offset %d", who, pos)
		}
		switch {
		case len(line) > 0 && line[0] == '#':
			it := aofItem{text: string(line), raw: string(line) + "\r\n"}
			if v, ok := strings.CutPrefix(it.text, "#TS:"); ok {
				ts, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("%s: annotation %q at offset %d", who, line, pos)
				}
				it.ts, it.isTS, it.text, it.raw = ts, true, "#TS:<time>", "#TS:<time>\r\n"
			}
			out = append(out, it)
			pos += len(line) + 2
		case len(line) > 0 && line[0] == '*':
			n, err := strconv.Atoi(string(line[1:]))
			if err != nil || n <= 0 {
				t.Fatalf("%s: command header %q at offset %d", who, line, pos)
			}
			start := pos
			pos += len(line) + 2
			args := make([]string, n)
			for i := range args {
				hdr, _, ok := bytes.Cut(b[pos:], []byte("\r\n"))
				if !ok || len(hdr) == 0 || hdr[0] != '$' {
					t.Fatalf("%s: argument header at offset %d of the command at %d", who, pos, start)
				}
				l, err := strconv.Atoi(string(hdr[1:]))
				if err != nil || pos+len(hdr)+2+l+2 > len(b) {
					t.Fatalf("%s: argument length %q at offset %d", who, hdr, pos)
				}
				pos += len(hdr) + 2
				args[i] = string(b[pos : pos+l])
				pos += l + 2
			}
			out = append(out, aofItem{
				text: clockMs.ReplaceAllString(difftest.Quote(args), "<ms>"),
				raw:  clockMs.ReplaceAllString(string(b[start:pos]), "<ms>"),
			})
		default:
			t.Fatalf("%s: unexpected %q at offset %d", who, line, pos)
		}
	}
	return out
}

// checkTimestamps checks the #TS: annotations of both files: increasing,
// each within the second a chunk ran; in the chunks that ran inside one
// second, exactly one, of that second, as the chunk's first item (so
// they compare by position). The annotations are then left out of the
// comparison of the commands where they could not compare. It returns
// the number of chunks compared by position.
func checkTimestamps(t *testing.T, runs []chunkRun, want, got []aofItem) int {
	t.Helper()
	exact := 0
	for _, r := range runs[1:] {
		if r.inOneSecond {
			exact++
		}
	}
	for _, f := range []struct {
		who   string
		items []aofItem
	}{{"redis", want}, {"redoubt", got}} {
		chunk, last, seen := 0, int64(0), 0
		for i, it := range f.items {
			if it.isTS {
				seen++
				r := runs[min(chunk, len(runs)-1)]
				if it.ts <= last {
					t.Errorf("%s: #TS:%d after #TS:%d", f.who, it.ts, last)
				}
				if it.ts < r.start-1 || it.ts > r.end {
					t.Errorf("%s: #TS:%d in chunk %d, which ran in seconds %d-%d", f.who, it.ts, chunk, r.start, r.end)
				}
				first := i == 0 || strings.Contains(f.items[i-1].text, `"chunk-end"`)
				if r.inOneSecond && (!first || it.ts != r.start) {
					t.Errorf("%s: #TS:%d at item %d of chunk %d, which ran inside second %d: want one annotation of that second before its first command",
						f.who, it.ts, i, chunk, r.start)
				}
				last = it.ts
			}
			if strings.Contains(it.text, `"chunk-end"`) {
				chunk++
			}
		}
		if seen < exact {
			t.Errorf("%s: %d #TS: annotations for %d chunks that each ran inside a second", f.who, seen, exact)
		}
	}
	return exact
}

// dropLooseTimestamps leaves out the annotations of the chunks that did
// not run inside one second, whose place depends on when each server
// saw the second change.
func dropLooseTimestamps(runs []chunkRun, items []aofItem) []aofItem {
	var out []aofItem
	chunk := 0
	for _, it := range items {
		if !it.isTS || runs[min(chunk, len(runs)-1)].inOneSecond {
			out = append(out, it)
		}
		if strings.Contains(it.text, `"chunk-end"`) {
			chunk++
		}
	}
	return out
}

// compareItems compares the two files item by item, byte for byte.
func compareItems(t *testing.T, want, got []aofItem) {
	t.Helper()
	bad := 0
	for i := 0; i < max(len(want), len(got)); i++ {
		var w, g aofItem
		if i < len(want) {
			w = want[i]
		}
		if i < len(got) {
			g = got[i]
		}
		if w.raw != g.raw {
			if w.text == g.text {
				// The same arguments, encoded otherwise.
				w.text, g.text = strconv.Quote(w.raw), strconv.Quote(g.raw)
			}
			t.Errorf("AOF item %d:\n redis:   %s\n redoubt: %s", i, w.text, g.text)
			if bad++; bad >= 10 {
				t.Fatalf("too many differences (redis appended %d items, redoubt %d)", len(want), len(got))
			}
		}
	}
	if bad == 0 && len(want) == 0 {
		t.Fatal("both files are empty")
	}
}
