package repl

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/rdb"
)

// The backlog against a plain copy of the whole stream: after any
// sequence of appends (small, wrapping, larger than the ring) and
// resizes, it holds exactly the newest bytes that fit, at the right
// offsets.
func TestBacklogKeepsTheNewestBytes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		size := 1 + rng.IntN(64)
		start := int64(rng.IntN(1000))
		b := NewBacklog(size, start)
		var all []byte
		for step := 0; step < 50; step++ {
			if rng.IntN(10) == 0 {
				size = 1 + rng.IntN(64)
				b.Resize(size)
			} else {
				p := make([]byte, rng.IntN(2*size+1))
				for i := range p {
					p[i] = byte(rng.IntN(256))
				}
				b.Append(p)
				all = append(all, p...)
			}
			if b.End() != start+int64(len(all)) {
				t.Fatalf("end %d, want %d", b.End(), start+int64(len(all)))
			}
			want := b.HistLen()
			if want > len(all) || want > b.Size() {
				t.Fatalf("histlen %d with %d bytes fed, size %d", want, len(all), b.Size())
			}
			if !b.Has(b.First()) || !b.Has(b.End()+1) || b.Has(b.End()+2) || (b.First() > start+1 && b.Has(b.First()-1)) {
				t.Fatalf("Has is wrong around [%d, %d]", b.First(), b.End())
			}
			for off := b.First(); off <= b.End()+1; off++ {
				got := b.From(nil, off)
				exp := all[off-start-1:]
				if !bytes.Equal(got, exp) {
					t.Fatalf("From(%d) = %q, want %q", off, got, exp)
				}
			}
		}
	}
}

// A ring that has never wrapped keeps everything fed.
func TestBacklogHistoryGrowsToSize(t *testing.T) {
	b := NewBacklog(10, 0)
	b.Append([]byte("abc"))
	if b.First() != 1 || b.End() != 3 || b.HistLen() != 3 {
		t.Fatalf("first %d end %d histlen %d", b.First(), b.End(), b.HistLen())
	}
	b.Append([]byte("defghijkl"))
	if got := string(b.From(nil, b.First())); got != "cdefghijkl" {
		t.Fatalf("history %q", got)
	}
}

func TestIDs(t *testing.T) {
	a, b := NewID(), NewID()
	if len(a) != IDLen || a == b || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("ids %q %q", a, b)
	}
}

// Both forms of the bulk, after keep-alive newlines, read in pieces.
func TestPayloadForms(t *testing.T) {
	data := bytes.Repeat([]byte("REDIS0010-and-some-bytes-"), 10000)
	mark := []byte(NewID())
	for name, wire := range map[string][]byte{
		"sized":    append([]byte("\n\n$"+strconv.Itoa(len(data))+"\r\n"), data...),
		"diskless": append(append([]byte("\n$EOF:"+string(mark)+"\r\n"), data...), mark...),
	} {
		r := bufio.NewReaderSize(&slowReader{b: wire, n: 777}, 4096)
		p, err := ReadPayloadHeader(r)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var out bytes.Buffer
		var last int64
		n, err := p.Copy(&out, r, func(x int64) { last = x })
		if err != nil || n != int64(len(data)) || !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("%s: copied %d (%v), equal %v", name, n, err, bytes.Equal(out.Bytes(), data))
		}
		if last == 0 {
			t.Fatalf("%s: no progress reported", name)
		}
	}
}

// A transfer cut short is an error, never a short dataset taken as whole.
func TestPayloadTruncated(t *testing.T) {
	mark := NewID()
	for _, wire := range []string{"$100\r\nabc", "$EOF:" + mark + "\r\nabc" + mark[:20]} {
		r := bufio.NewReader(strings.NewReader(wire))
		p, err := ReadPayloadHeader(r)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.Copy(&bytes.Buffer{}, r, nil); err == nil {
			t.Fatalf("%q: truncated transfer accepted", wire)
		}
	}
	for _, wire := range []string{"+OK\r\n", "$EOF:short\r\n", "$-1\r\n", "$x\r\n"} {
		if _, err := ReadPayloadHeader(bufio.NewReader(strings.NewReader(wire))); err == nil {
			t.Fatalf("%q: header accepted", wire)
		}
	}
	if _, err := ReadPayloadHeader(bufio.NewReader(strings.NewReader("-ERR no\r\n"))); err == nil || !strings.Contains(err.Error(), "ERR no") {
		t.Fatalf("error reply: %v", err)
	}
}

type slowReader struct {
	b []byte
	n int
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	k := min(len(p), s.n, len(s.b))
	copy(p, s.b[:k])
	s.b = s.b[k:]
	return k, nil
}

// The checker against the CRC of the whole file, fed in pieces of every
// size, and a flipped byte anywhere is caught.
func TestCheckerSeesDamage(t *testing.T) {
	body := []byte("REDIS0010" + strings.Repeat("some records ", 300))
	file := binary.LittleEndian.AppendUint64(append([]byte(nil), body...), rdb.CRC64(0, body))
	rng := rand.New(rand.NewPCG(3, 4))
	feed := func(b []byte) error {
		var c Checker
		for len(b) > 0 {
			n := min(len(b), rng.IntN(20))
			c.Write(b[:n])
			b = b[n:]
		}
		return c.Check()
	}
	for i := 0; i < 50; i++ {
		if err := feed(file); err != nil {
			t.Fatalf("whole file refused: %v", err)
		}
	}
	for i := range file {
		bad := append([]byte(nil), file...)
		bad[i] ^= 0x20
		if err := feed(bad); err == nil {
			t.Fatalf("byte %d flipped, accepted", i)
		}
	}
	if err := feed(file[:len(file)-1]); err == nil {
		t.Fatal("truncated file accepted")
	}
}

// Whatever a primary sends, reading a transfer fails or succeeds: it
// never panics nor returns more bytes than came.
func FuzzPayload(f *testing.F) {
	mark := strings.Repeat("x", IDLen)
	f.Add([]byte("$5\r\nhello"))
	f.Add([]byte("\n\n$EOF:" + mark + "\r\nhello" + mark))
	f.Add([]byte("$EOF:" + mark + "\r\n" + mark[:20]))
	f.Add([]byte("-ERR x\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		p, err := ReadPayloadHeader(r)
		if err != nil {
			return
		}
		var out bytes.Buffer
		var c Checker
		n, _ := p.Copy(io.MultiWriter(&out, &c), r, nil)
		if n != int64(out.Len()) || out.Len() > len(b) {
			t.Fatalf("copied %d, wrote %d, from %d bytes", n, out.Len(), len(b))
		}
		c.Check()
	})
}
