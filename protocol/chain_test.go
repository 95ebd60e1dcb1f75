package protocol

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
)

// testBlocks hands out heap blocks and counts those not given back.
type testBlocks struct{ out int }

func (t *testBlocks) Block(n int) []byte { t.out++; return make([]byte, 0, max(n, ChunkSize)) }
func (t *testBlocks) Release(b []byte) {
	if cap(b) > 0 {
		t.out--
	}
}

func chained(w *Writer) []byte {
	var out []byte
	for _, b := range w.Sealed() {
		out = append(out, b...)
	}
	return append(out, w.Buf...)
}

// TestChainedMatchesPlain writes the same random replies, with deferred
// headers and truncations, to a plain Writer and a chained one, and
// compares the bytes: a chained reply is the plain one cut into blocks.
func TestChainedMatchesPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for round := 0; round < 30; round++ {
		var plain Writer
		var ch Writer
		src := &testBlocks{}
		ch.SetBlocks(src, src.Block(ChunkSize))
		for _, w := range []*Writer{&plain, &ch} {
			w.Resp = 2 + round%2
		}
		var hist []string
		var defs [][2]Deferred
		var marks [][2]int
		for op := 0; op < 200; op++ {
			k := rng.IntN(12)
			hist = append(hist, fmt.Sprintf("%d:%d len=%d sealed=%d", op, k, ch.Len(), ch.sealedLen))
			cut := rng.IntN(3) == 0
			var big []byte
			if k == 0 {
				big = bytes.Repeat([]byte{byte('a' + op%26)}, rng.IntN(100_000))
			}
			var d [2]Deferred
			for i, w := range []*Writer{&plain, &ch} {
				switch k {
				case 0:
					w.Bulk(big)
				case 1:
					w.Int(int64(op) * 1000003)
				case 2:
					w.Error("ERR two\r\nlines")
				case 3:
					w.Double(float64(op) / 7)
				case 4:
					d[i] = w.Defer()
				case 5:
					if len(defs) > 0 {
						w.FillArray(defs[len(defs)-1][i], op)
					}
				case 6:
					w.BulkString(strings.Repeat("x", op*37))
				case 7:
					w.Simple("OK")
				case 8:
					w.Verbatim([]byte("hello"), "txt")
				case 9:
					w.Null()
				case 10:
					if i == 0 {
						marks = append(marks, [2]int{plain.Len(), ch.Len()})
					}
				case 11:
					if len(marks) > 0 && cut {
						m := marks[len(marks)-1]
						w.Truncate(m[i])
					}
				}
			}
			switch k {
			case 4:
				defs = append(defs, d)
			case 5:
				if len(defs) > 0 {
					defs = defs[:len(defs)-1]
				}
			case 11:
				// A truncation forgets later marks and deferrals.
				if len(marks) > 0 && cut {
					m := marks[len(marks)-1][0]
					marks = marks[:len(marks)-1]
					for len(defs) > 0 && defs[len(defs)-1][0].pos > m {
						defs = defs[:len(defs)-1]
					}
					for len(marks) > 0 && marks[len(marks)-1][0] > m {
						marks = marks[:len(marks)-1]
					}
				}
			}
			if got := chained(&ch); !bytes.Equal(got, plain.Buf) {
				t.Fatalf("round %d op %d (%d): content differs at %d\n%s\nmarks %v", round, op, k, firstDiff(got, plain.Buf), strings.Join(hist[max(0, len(hist)-15):], "\n"), marks)
			}
			if plain.Len() != ch.Len() {
				t.Fatalf("round %d op %d (%d): lengths %d and %d", round, op, k, plain.Len(), ch.Len())
			}
		}
		if got := chained(&ch); !bytes.Equal(got, plain.Buf) {
			t.Fatalf("round %d: chained reply differs (%d and %d bytes)", round, len(got), len(plain.Buf))
		}
		ch.Reset()
		if src.out != 1 {
			t.Fatalf("round %d: %d blocks held after Reset, want 1", round, src.out)
		}
	}
}

// TestChainedLimit checks that a reply passing its limit is dropped, its
// blocks released, and that the Writer ignores what follows.
func TestChainedLimit(t *testing.T) {
	src := &testBlocks{}
	var w Writer
	w.SetBlocks(src, src.Block(ChunkSize))
	w.SetLimit(100_000)
	for i := 0; i < 1_000_000 && !w.Over(); i++ {
		w.BulkString("member:12345")
	}
	if !w.Over() {
		t.Fatal("the reply never passed its limit")
	}
	if src.out != 1 || w.Len() > ChunkSize {
		t.Fatalf("after the drop: %d blocks, %d bytes", src.out, w.Len())
	}
	w.Bulk(make([]byte, 10<<20))
	w.FillArray(Deferred{}, 3)
	w.Truncate(0)
	if src.out != 1 || w.Len() > ChunkSize {
		t.Fatalf("a dropped reply grew: %d blocks, %d bytes", src.out, w.Len())
	}
	w.Reset()
	w.OK()
	if w.Over() || string(w.Buf) != "+OK\r\n" {
		t.Fatalf("after Reset: over %v, %q", w.Over(), w.Buf)
	}
}

// TestChainedBigBulkExact checks that a big value is copied into a block
// of its own size, not a doubled one.
func TestChainedBigBulkExact(t *testing.T) {
	src := &testBlocks{}
	var w Writer
	w.SetBlocks(src, src.Block(ChunkSize))
	v := make([]byte, 10<<20)
	w.Bulk(v)
	if c := w.Cap(); c > len(v)+2*ChunkSize {
		t.Fatalf("a %d-byte value holds %d bytes of blocks", len(v), c)
	}
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}
