package main

import (
	"bufio"
	"errors"
	"strings"
	"testing"
)

// The doctor's reader takes RESP2 and RESP3 replies, and refuses what is
// not RESP or claims more than it may hold, without allocating it.
func TestReadReply(t *testing.T) {
	for _, in := range []string{
		"+OK\r\n", "-ERR x\r\n", ":42\r\n", "$3\r\nabc\r\n", "$-1\r\n", "*2\r\n$1\r\na\r\n:1\r\n", "*-1\r\n",
		"%1\r\n+k\r\n:1\r\n", "~1\r\n+a\r\n", "_\r\n", "#t\r\n", ",1.5\r\n", "(123\r\n", "=7\r\ntxt:abc\r\n",
		"|1\r\n+a\r\n:1\r\n+value\r\n",
	} {
		if _, err := readReply(bufio.NewReader(strings.NewReader(in)), 0); err != nil {
			t.Errorf("%q: %v", in, err)
		}
	}
	deep := strings.Repeat("*1\r\n", maxReplyDepth+1) + ":1\r\n"
	for _, in := range []string{
		"HTTP/1.1 200 OK\r\n", "\r\n", ":x\r\n", "$abc\r\n", "$3\r\nabcd\r\n", "$100000000000\r\n", "*100000000000\r\n",
		"+no end", "+OK\n", deep, strings.Repeat("+", maxReplyLine+10) + "\r\n",
	} {
		_, err := readReply(bufio.NewReader(strings.NewReader(in)), 0)
		if !errors.Is(err, errNotRESP) {
			t.Errorf("%.40q: %v, want not RESP", in, err)
		}
	}
	v, _ := readReply(bufio.NewReader(strings.NewReader("*2\r\n$1\r\na\r\n%1\r\n+k\r\n:7\r\n")), 0)
	if len(v.Elems) != 2 || v.Elems[0].Str != "a" || v.Elems[1].Elems[1].Int != 7 {
		t.Errorf("%+v", v)
	}
}
