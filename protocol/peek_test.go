package protocol

import (
	"bytes"
	"math/rand/v2"
	"strconv"
	"testing"
)

// PeekKeys finds, in a pipeline of complete requests, each one's second
// argument as the parser reads it, and stops at a request cut short.
func TestPeekKeysAgreesWithParser(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := range 2000 {
		var buf []byte
		reqs := 1 + rng.IntN(20)
		for range reqs {
			argc := 1 + rng.IntN(4)
			var args []string
			for range argc {
				args = append(args, string(bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(30))))
			}
			buf = AppendCommand(buf, args...)
		}
		cut := len(buf)
		if rng.IntN(2) == 0 {
			cut = rng.IntN(len(buf) + 1)
		}
		keys := make([][]byte, 32)
		nk, nr := PeekKeys(buf[:cut], keys)
		// The parser's view of the same bytes.
		p := Parser{MaxBulkLen: 512 << 20}
		var got [][]byte
		complete := 0
		for rest := buf[:cut]; len(rest) > 0; {
			args, n, err := p.Next(rest)
			if err != nil {
				break
			}
			complete++
			if len(args) >= 2 {
				got = append(got, bytes.Clone(args[1]))
			}
			rest = rest[n:]
		}
		if nr != min(complete, 32) || nk != len(got) {
			t.Fatalf("round %d: PeekKeys went through %d requests with %d keys, the parser %d with %d", round, nr, nk, complete, len(got))
		}
		for i := range nk {
			if !bytes.Equal(keys[i], got[i]) {
				t.Fatalf("round %d: key %d is %q, the parser's %q", round, i, keys[i], got[i])
			}
		}
	}
}

// Whatever the bytes, PeekKeys gives, for the requests the parser also
// reads as complete, the same second arguments.
func FuzzPeekKeys(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$" + strconv.Itoa(5) + "\r\nkey\r\n"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys := make([][]byte, 16)
		nk, nr := PeekKeys(b, keys)
		p := Parser{MaxBulkLen: 512 << 20}
		k := 0
		for i, rest := 0, b; i < nr && len(rest) > 0; i++ {
			args, n, err := p.Next(rest)
			if err != nil || len(args) == 0 {
				return // the parser judges: PeekKeys is only a hint
			}
			if len(args) >= 2 {
				if k >= nk || !bytes.Equal(keys[k], args[1]) {
					t.Fatalf("request %d: the parser's key %q, PeekKeys's %d keys %q", i, args[1], nk, keys[:nk])
				}
				k++
			}
			rest = rest[n:]
		}
	})
}
