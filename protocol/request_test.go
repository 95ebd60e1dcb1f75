package protocol

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// parseAll parses every request in buf at once.
func parseAll(p *Parser, buf []byte) (reqs [][]string, rest int, err error) {
	pos := 0
	for pos < len(buf) {
		args, n, err := p.Next(buf[pos:])
		if err != nil {
			return reqs, pos, err
		}
		pos += n
		if len(args) > 0 {
			reqs = append(reqs, strs(args))
		}
	}
	return reqs, pos, nil
}

// parseChunked feeds buf in chunks of the given size, as a socket might
// deliver it, moving the unconsumed bytes to a fresh buffer each time.
func parseChunked(p *Parser, buf []byte, chunk int) (reqs [][]string, err error) {
	var pending []byte
	for off := 0; off < len(buf); off += chunk {
		end := min(off+chunk, len(buf))
		pending = append(append([]byte(nil), pending...), buf[off:end]...)
		for len(pending) > 0 {
			args, n, err := p.Next(pending)
			if errors.Is(err, ErrIncomplete) {
				break
			}
			if err != nil {
				return reqs, err
			}
			pending = pending[n:]
			if len(args) > 0 {
				reqs = append(reqs, strs(args))
			}
		}
	}
	return reqs, nil
}

func strs(args [][]byte) []string {
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

func TestParseRequests(t *testing.T) {
	cases := []struct {
		in   string
		want [][]string
	}{
		{"*1\r\n$4\r\nPING\r\n", [][]string{{"PING"}}},
		{"*2\r\n$3\r\nGET\r\n$0\r\n\r\n", [][]string{{"GET", ""}}},
		{"*0\r\n*-1\r\n*1\r\n$1\r\nx\r\n", [][]string{{"x"}}},
		{"PING\r\n", [][]string{{"PING"}}},
		{"PING\n", [][]string{{"PING"}}},
		{"\r\n\r\nset a b\r\n", [][]string{{"set", "a", "b"}}},
		{"set \"a b\" 'c d'\r\n", [][]string{{"set", "a b", "c d"}}},
		{`set k "\x41\n\t\"q\\" 'it\'s'` + "\r\n", [][]string{{"set", "k", "A\n\t\"q\\", "it's"}}},
		{"  lots   of   space  \r\n", [][]string{{"lots", "of", "space"}}},
		{"a\"b c\" d\r\n", [][]string{{"ab c", "d"}}},
		// Pipelined, mixed.
		{"PING\r\n*1\r\n$4\r\nPING\r\nECHO hi\r\n", [][]string{{"PING"}, {"PING"}, {"ECHO", "hi"}}},
	}
	for _, c := range cases {
		got, rest, err := parseAll(NewParser(), []byte(c.in))
		if err != nil || rest != len(c.in) {
			t.Errorf("%q: err %v, consumed %d of %d", c.in, err, rest, len(c.in))
			continue
		}
		if !equal(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		// The same stream byte by byte gives the same requests.
		got, err = parseChunked(NewParser(), []byte(c.in), 1)
		if err != nil || !equal(got, c.want) {
			t.Errorf("%q byte by byte: got %q, %v", c.in, got, err)
		}
	}
}

func equal(a, b [][]string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if strings.Join(a[i], "\x00") != strings.Join(b[i], "\x00") || len(a[i]) != len(b[i]) {
			return false
		}
	}
	return true
}

func TestProtocolErrors(t *testing.T) {
	cases := []struct {
		in, msg string
		unauth  bool
	}{
		{"*3000000000\r\n", "Protocol error: invalid multibulk length", false},
		{"*x\r\n", "Protocol error: invalid multibulk length", false},
		{"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'", false},
		{"*1\r\n$-1\r\n", "Protocol error: invalid bulk length", false},
		{"*1\r\n$536870913\r\n", "Protocol error: invalid bulk length", false},
		{"*1\r\n$01\r\n", "Protocol error: invalid bulk length", false},
		{"set \"unbalanced\r\n", "Protocol error: unbalanced quotes in request", false},
		{"set 'a'b\r\n", "Protocol error: unbalanced quotes in request", false},
		{"echo a\"b c\"d\r\n", "Protocol error: unbalanced quotes in request", false},
		{"set a\x00" + strings.Repeat("b", InlineMax) + "\r\n", "Protocol error: too big inline request", false},
		{"*11\r\n", "Protocol error: unauthenticated multibulk length", true},
		{"*1\r\n$16385\r\n", "Protocol error: unauthenticated bulk length", true},
		{strings.Repeat("a", InlineMax+1), "Protocol error: too big inline request", false},
		{"*" + strings.Repeat("1", InlineMax+1), "Protocol error: too big mbulk count string", false},
		{"*1\r\n$" + strings.Repeat("1", InlineMax+1), "Protocol error: too big bulk count string", false},
	}
	for _, c := range cases {
		p := NewParser()
		p.Unauthenticated = c.unauth
		_, _, err := parseAll(p, []byte(c.in))
		var pe *ProtocolError
		if !errors.As(err, &pe) || pe.Msg != c.msg {
			t.Errorf("%.40q: got %v, want %q", c.in, err, c.msg)
		}
	}
}

// TestHostileLengthsAllocateNothing checks that announced lengths are not
// trusted: a request that claims huge sizes holds only what was sent.
func TestHostileLengthsAllocateNothing(t *testing.T) {
	p := NewParser()
	in := []byte("*2147483647\r\n$536870912\r\nabc")
	allocs := testing.AllocsPerRun(100, func() {
		p.Reset()
		if _, _, err := p.Next(in); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("got %v", err)
		}
	})
	if allocs > 0 {
		t.Fatalf("%v allocations for a hostile header", allocs)
	}
	if need := p.NeedBytes(len(in)); need != 536870912+2-3 {
		t.Fatalf("NeedBytes = %d", need)
	}
}

func TestSteadyStateParsingDoesNotAllocate(t *testing.T) {
	p := NewParser()
	in := []byte("*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\nGET key\r\n")
	allocs := testing.AllocsPerRun(1000, func() {
		if _, _, err := parseAll(p, in); err != nil {
			t.Fatal(err)
		}
	})
	// parseAll itself builds result slices; measure Next alone.
	_ = allocs
	allocs = testing.AllocsPerRun(1000, func() {
		pos := 0
		for pos < len(in) {
			_, n, err := p.Next(in[pos:])
			if err != nil {
				t.Fatal(err)
			}
			pos += n
		}
	})
	if allocs > 0 {
		t.Fatalf("Next allocates %v times per pipeline", allocs)
	}
}

func TestParseInt(t *testing.T) {
	good := map[string]int64{"0": 0, "1": 1, "-1": -1, "9223372036854775807": 1<<63 - 1, "-9223372036854775808": -1 << 63}
	for s, want := range good {
		if got, ok := ParseInt([]byte(s)); !ok || got != want {
			t.Errorf("ParseInt(%q) = %d, %v", s, got, ok)
		}
	}
	for _, s := range []string{"", "-", "+1", "01", "-0", " 1", "1 ", "1a", "9223372036854775808", "-9223372036854775809", "99999999999999999999"} {
		if _, ok := ParseInt([]byte(s)); ok {
			t.Errorf("ParseInt(%q) accepted", s)
		}
	}
}

// FuzzParser feeds arbitrary bytes to the parser, whole and in chunks: it
// must never panic, and both ways must agree on the requests and errors.
func FuzzParser(f *testing.F) {
	for _, s := range []string{
		"*1\r\n$4\r\nPING\r\n", "PING\r\n", "set \"a\\x41\" b\r\n", "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n",
		"*3000000000\r\n", "*1\r\n$-1\r\n", "set 'a\r\n", "*0\r\n", "\r\n",
	} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		whole, _, errWhole := parseAll(NewParser(), bytes.Clone(in))
		if errors.Is(errWhole, ErrIncomplete) {
			errWhole = nil
		}
		parts, errChunked := parseChunked(NewParser(), bytes.Clone(in), int(chunk%16)+1)
		if (errWhole == nil) != (errChunked == nil) {
			t.Fatalf("whole: %v, chunked: %v", errWhole, errChunked)
		}
		if errWhole == nil && !equal(whole, parts) {
			t.Fatalf("whole %q != chunked %q", whole, parts)
		}
	})
}
