package protocol

import (
	"bytes"
	"testing"
)

// What AppendRepr writes, SplitArgs reads back as the same bytes, and
// the escapes are sdscatrepr's.
func TestAppendReprRoundTrip(t *testing.T) {
	if got := string(AppendRepr(nil, []byte("a\\b\"c\n\r\t\a\b\x00\xffz"))); got != `"a\\b\"c\n\r\t\a\b\x00\xffz"` {
		t.Fatalf("AppendRepr: %s", got)
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	for _, s := range [][]byte{nil, []byte("plain"), []byte("with space"), all} {
		args, ok := SplitArgs(AppendRepr(nil, s), nil)
		if !ok || len(args) != 1 || !bytes.Equal(args[0], s) {
			t.Fatalf("%q did not read back: %q %v", s, args, ok)
		}
	}
}
