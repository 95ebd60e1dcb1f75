package aof

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/iotest"
)

// item is what a Reader reports for one item, for comparisons.
type item struct {
	Kind       Kind
	Start, End int64
	Args       []string
	Annotation string
}

// readAll reads an AOF to its end, returning the items and the final
// error (nil at a clean end).
func readAll(r *Reader) ([]item, error) {
	var items []item
	for {
		k, err := r.Next()
		if err == io.EOF {
			return items, nil
		}
		if err != nil {
			return items, err
		}
		it := item{Kind: k, Start: r.Start(), End: r.End()}
		if k == Command {
			for _, a := range r.Args() {
				it.Args = append(it.Args, string(a))
			}
		} else {
			it.Annotation = string(r.Annotation())
		}
		items = append(items, it)
	}
}

func readBytes(data []byte) ([]item, error) {
	return readAll(NewReader(bytes.NewReader(data), 0, int64(len(data))))
}

func cmd(args ...string) []byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return AppendCommand(nil, b...)
}

// sample is a small AOF of every kind of item.
func sample() []byte {
	var b []byte
	b = AppendTimestamp(b, 1700000000)
	b = append(b, cmd("SELECT", "0")...)
	b = append(b, cmd("SET", "k", "v")...)
	b = append(b, cmd("MULTI")...)
	b = append(b, cmd("RPUSH", "l", "a\r\nb", "")...)
	b = AppendTimestamp(b, 1700000001)
	b = append(b, cmd("EXEC")...)
	b = append(b, cmd("DEL", "k")...)
	return b
}

func TestEncodeAsRedis(t *testing.T) {
	if got := string(cmd("SET", "key", "")); got != "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$0\r\n\r\n" {
		t.Errorf("got %q", got)
	}
	if got := string(AppendTimestamp(nil, 1796397688)); got != "#TS:1796397688\r\n" {
		t.Errorf("got %q", got)
	}
}

func TestReadBack(t *testing.T) {
	big := strings.Repeat("x", 3*bufSize+17)
	var data []byte
	var want [][]string
	for i := range 300 {
		args := []string{"SET", fmt.Sprint("key:", i), strings.Repeat("v", i*i%1000)}
		if i%50 == 7 {
			args[2] = big
		}
		want = append(want, args)
		data = append(data, cmd(args...)...)
	}
	for _, src := range []struct {
		name string
		r    io.Reader
		size int64
	}{
		{"sized", bytes.NewReader(data), int64(len(data))},
		{"unsized one byte at a time", iotest.OneByteReader(bytes.NewReader(data)), -1},
		{"unsized half reads", iotest.HalfReader(bytes.NewReader(data)), -1},
	} {
		items, err := readAll(NewReader(src.r, 0, src.size))
		if err != nil {
			t.Fatalf("%s: %v", src.name, err)
		}
		if len(items) != len(want) {
			t.Fatalf("%s: %d items, want %d", src.name, len(items), len(want))
		}
		var off int64
		for i, it := range items {
			if !slices.Equal(it.Args, want[i]) {
				t.Fatalf("%s: item %d: got %.40q", src.name, i, it.Args)
			}
			if it.Start != off || it.End != off+int64(len(cmd(want[i]...))) {
				t.Fatalf("%s: item %d at %d-%d, want start %d", src.name, i, it.Start, it.End, off)
			}
			off = it.End
		}
	}
}

func TestReadSample(t *testing.T) {
	data := sample()
	items, err := readBytes(data)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []Kind
	for _, it := range items {
		kinds = append(kinds, it.Kind)
	}
	want := []Kind{Annotation, Command, Command, Command, Command, Annotation, Command, Command}
	if !slices.Equal(kinds, want) {
		t.Fatalf("kinds %v, want %v", kinds, want)
	}
	if items[0].Annotation != "#TS:1700000000" || !slices.Equal(items[4].Args, []string{"RPUSH", "l", "a\r\nb", ""}) {
		t.Fatalf("%+v", items)
	}
	// The timestamp of an annotation.
	r := NewReader(bytes.NewReader(data), 0, int64(len(data)))
	r.Next()
	if ts, isTS, ok := r.Timestamp(); ts != 1700000000 || !isTS || !ok {
		t.Fatalf("Timestamp %d %v %v", ts, isTS, ok)
	}
	r.Next()
	if _, isTS, _ := r.Timestamp(); isTS {
		t.Fatal("a command has no timestamp")
	}
	// Lines: a command of n arguments is 1+2n lines.
	readAll(r)
	if r.Lines() != 5+7+3+9+3+5 {
		t.Fatalf("Lines %d", r.Lines())
	}
}

func TestTimestamps(t *testing.T) {
	for in, want := range map[string]struct {
		ts       int64
		isTS, ok bool
	}{
		"#TS:12\r\n":                   {12, true, true},
		"#TS: +12\r\n":                 {12, true, true},
		"#TS:\r\n":                     {0, true, true}, // as redis-check-aof: no digits, then \r
		"#TS:12\n":                     {12, true, false},
		"#TS:12":                       {12, true, false},
		"#TS:12x\r\n":                  {12, true, false},
		"#TS:99999999999999999999\r\n": {1<<63 - 1, true, false},
		"#ts:12\r\n":                   {0, false, false},
		"#note\r\n":                    {0, false, false},
	} {
		r := NewReader(strings.NewReader(in), 0, -1)
		if k, err := r.Next(); k != Annotation || err != nil {
			t.Fatalf("%q: %v %v", in, k, err)
		}
		ts, isTS, ok := r.Timestamp()
		if ts != want.ts || isTS != want.isTS || ok != want.ok {
			t.Errorf("%q: got %d %v %v, want %+v", in, ts, isTS, ok, want)
		}
	}
}

// Every cut of a sound file is a torn write, to be cut back to the end of
// the last item outside a transaction; a cut inside an annotation outside
// a transaction is no fault at all, as for Redis, which skips the line.
func TestEveryTruncation(t *testing.T) {
	data := sample()
	items, _ := readBytes(data)
	multiStart, execEnd := items[3].Start, items[6].End
	for cut := int64(0); cut < int64(len(data)); cut++ {
		got, err := readBytes(data[:cut])
		var sound int64 // the last item end at or before cut, outside MULTI
		for _, it := range items {
			if it.End <= cut && (it.End <= multiStart || it.End >= execEnd) {
				sound = it.End
			}
		}
		for i, it := range got {
			partial := it.Kind == Annotation && it.Start == items[i].Start && it.End == cut
			if !partial && !reflect.DeepEqual(it, items[i]) {
				t.Fatalf("cut %d: item %d is %+v, want %+v", cut, i, it, items[i])
			}
		}
		inFirstAnnotation := cut < items[0].End
		if sound == cut || inFirstAnnotation {
			if err != nil {
				t.Fatalf("cut %d: %v", cut, err)
			}
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !e.Truncated || e.ValidEnd != sound {
			t.Fatalf("cut %d: got %v (%+v), want a torn write valid up to %d", cut, err, e, sound)
		}
	}
}

func TestFaults(t *testing.T) {
	set := string(cmd("SET", "k", "v")) // 27 bytes
	for _, tc := range []struct {
		in        string
		kind      ErrorKind
		offset    int64
		validEnd  int64
		truncated bool
		msg       string
	}{
		{set + "*2\r\n", ErrEOF, 31, 27, true, "Unexpected end of file"},
		{set + "*2\r\n$3\r\nGE", ErrShort, 35, 27, true, "Expected to read 5 bytes, got 2 bytes"},
		{set + "*2\r\n$3\r\nGETxy", ErrNewline, 35, 27, false, `Expected \r\n, got: 7879`},
		{set + "*2\r\n$3\r\nGET\r\n$1", ErrNewline, 40, 27, true, `Expected \r\n, got: 0000`},
		{set + "*2\r\n$3\r\nGET\r\n$1\r", ErrNewline, 40, 27, true, `Expected \r\n, got: 0d00`},
		{set + "*2\r\n$3\r\nGET\r\n$1x", ErrNewline, 40, 27, false, `Expected \r\n, got: 7800`},
		{set + "*2\r\n$3\r\nGET\r\n$\xff\r\n", ErrNewline, 40, 27, false, `Expected \r\n, got: ffffffff0d`},
		{set + "*2\r\n:3\r\n", ErrPrefix, 31, 27, false, "Expected prefix '$', got: ':'"},
		{set + "*1\r\n$-1\r\n", ErrRange, 31, 27, false, "Expected to read string of -1 bytes, which is not in the suitable range"},
		{set + "*1\r\n$99999999999999999999\r\n", ErrRange, 31, 27, false, "Expected to read string of 9223372036854775807 bytes, which is not in the suitable range"},
		{set + "*1\r\n$9223372036854775805\r\n", ErrShort, 53, 27, true, "Expected to read 9223372036854775807 bytes, got 0 bytes"},
		{set + "*0\r\n", ErrArgc, 27, 27, false, "Expected a command of one argument or more, got 0"},
		{set + "+OK\r\n", ErrItem, 27, 27, false, "Expected prefix '*', got: '+'"},
		{set + "\r\n", ErrItem, 27, 27, false, "Expected prefix '*', got: '\r'"},
		{set + "*" + strings.Repeat("0", 130) + "1\r\n", ErrNewline, 27, 27, false, `Expected \r\n, got: 0000`},
		{string(cmd("MULTI")) + set + string(cmd("MULTI")), ErrNestedMulti, 50, 0, false, "Unexpected MULTI"},
		{set + string(cmd("exec")), ErrExecWithoutMulti, 35, 27, false, "Unexpected EXEC"},
		{set + string(cmd("MULTI")) + set, ErrMultiEOF, 69, 27, true, "Reached EOF before reading EXEC for MULTI"},
		{set + string(cmd("MULTI")) + set + "*1\r\n$4\r\nEX", ErrShort, 77, 27, true, "Expected to read 6 bytes, got 2 bytes"},
		{"REDIS0010\xff", ErrPreamble, 0, 0, false, "The file starts with an RDB preamble"},
		{"REDI", ErrItem, 0, 0, false, "Expected prefix '*', got: 'R'"},
	} {
		for _, size := range []int64{int64(len(tc.in)), -1} {
			items, err := readAll(NewReader(strings.NewReader(tc.in), 0, size))
			var e *Error
			if !errors.As(err, &e) {
				t.Errorf("%q (size %d): got %v after %d items", tc.in, size, err, len(items))
				continue
			}
			want := Error{tc.kind, tc.offset, tc.validEnd, tc.truncated, tc.msg}
			if *e != want {
				t.Errorf("%q (size %d):\n got %+v\nwant %+v", tc.in, size, *e, want)
			}
		}
	}
}

// Faults are found at the first bad byte in the same way whatever the
// reads look like, and a reader that starts after an RDB preamble reports
// offsets in the file.
func TestOffsetFromPreamble(t *testing.T) {
	tail := append(cmd("SET", "a", "b"), "*1\r\n$4\r\nPI"...)
	r := NewReader(bytes.NewReader(tail), 1000, 1000+int64(len(tail)))
	items, err := readAll(r)
	var e *Error
	if len(items) != 1 || items[0].Start != 1000 || !errors.As(err, &e) || e.ValidEnd != 1000+27 || e.Offset != 1000+35 {
		t.Fatalf("%+v %v", items, err)
	}
	// "REDIS" is a preamble only at the start of the file.
	r = NewReader(strings.NewReader("REDIS"), 5, 10)
	if _, err := r.Next(); !errors.As(err, &e) || e.Kind != ErrItem {
		t.Fatalf("%v", err)
	}
}

func TestReadErrorsPassThrough(t *testing.T) {
	boom := errors.New("boom")
	r := NewReader(io.MultiReader(strings.NewReader("*1\r\n$4\r\nPI"), iotest.ErrReader(boom)), 0, -1)
	if _, err := r.Next(); err != boom {
		t.Fatalf("got %v", err)
	}
	if _, err := r.Next(); err != boom {
		t.Fatalf("not sticky: %v", err)
	}
}

// A length that points far past the end costs nothing: the reader never
// allocates for bytes that have not arrived.
func TestHostileLengthAllocatesNothing(t *testing.T) {
	in := "*1\r\n$1000000000000\r\nabc"
	allocs := testing.AllocsPerRun(20, func() {
		r := NewReader(strings.NewReader(in), 0, -1)
		r.buf = r.buf[:64] // a small buffer, to see any growth
		if _, err := r.Next(); err == nil {
			t.Fatal("no error")
		}
	})
	if allocs > 10 {
		t.Fatalf("%v allocations", allocs)
	}
}

// Reading commands allocates nothing once the buffers have grown.
func TestSteadyReadsAllocateNothing(t *testing.T) {
	one := cmd("RPUSH", "list", "some value", "another value")
	data := bytes.Repeat(one, 20000)
	r := NewReader(bytes.NewReader(data), 0, int64(len(data)))
	for range 10 {
		r.Next()
	}
	allocs := testing.AllocsPerRun(5000, func() {
		if k, err := r.Next(); k != Command || err != nil {
			t.Fatal(k, err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per command", allocs)
	}
}

// A buffer grown for a huge command is given back once the reader is past
// it.
func TestBufferShrinks(t *testing.T) {
	data := append(cmd("SET", "k", strings.Repeat("x", shrinkAbove+1)), cmd("DEL", "k")...)
	data = append(data, cmd("DEL", "k")...)
	r := NewReader(bytes.NewReader(data), 0, int64(len(data)))
	r.Next()
	if len(r.buf) <= shrinkAbove {
		t.Fatalf("buffer %d", len(r.buf))
	}
	r.Next()
	if len(r.buf) > bufSize {
		t.Fatalf("buffer still %d", len(r.buf))
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
}
