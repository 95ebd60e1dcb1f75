package listpack

import "testing"

// TestBacklen covers the boundaries of every backlen size, including those
// too large to build a listpack for in a test.
func TestBacklen(t *testing.T) {
	cases := []struct{ size, n int }{
		{0, 1}, {1, 1}, {127, 1}, {128, 2}, {16382, 2}, {16383, 3}, {16384, 3},
		{2097150, 3}, {2097151, 4}, {268435454, 4}, {268435455, 5},
		{1<<32 + 4, 5},
	}
	for _, c := range cases {
		if got := backlenSize(c.size); got != c.n {
			t.Errorf("backlenSize(%d) = %d, want %d", c.size, got, c.n)
		}
		buf := make([]byte, 2+c.n)
		putBacklen(buf[2:], c.size)
		if buf[2]&0x80 != 0 {
			t.Errorf("backlen of %d starts with a continuation bit: %x", c.size, buf[2:])
		}
		got, ok := decodeBacklen(buf, len(buf)-1)
		if !ok || got != c.size {
			t.Errorf("backlen of %d reads back as %d, %v (%x)", c.size, got, ok, buf[2:])
		}
	}
	// 16383 in three bytes, as Redis writes it.
	buf := make([]byte, 3)
	putBacklen(buf, 16383)
	if buf[0] != 0 || buf[1] != 0xFF || buf[2] != 0xFF {
		t.Errorf("backlen of 16383 is %x, want 00ffff", buf)
	}
	if _, ok := decodeBacklen([]byte{0x80, 0x80, 0x80, 0x80, 0x80, 0x80}, 5); ok {
		t.Error("a six-byte backlen decoded")
	}
	if _, ok := decodeBacklen([]byte{0x80, 0x80}, 1); ok {
		t.Error("a backlen running off the start decoded")
	}
}
