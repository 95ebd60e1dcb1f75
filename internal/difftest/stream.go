package difftest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Stream is a connection attached to a server's replication stream with
// SYNC, as the Tcl suite's attach_to_replication_stream attaches: the
// snapshot is skipped, and each command the server propagates can be
// read.
type Stream struct {
	t    testing.TB
	conn net.Conn
	r    *bufio.Reader
}

// AttachStream sends SYNC to the server at addr and skips the snapshot
// it answers with.
func AttachStream(t testing.TB, addr string) *Stream {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	s := &Stream{t: t, conn: c, r: bufio.NewReader(c)}
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := c.Write([]byte("SYNC\r\n")); err != nil {
		t.Fatalf("SYNC: %v", err)
	}
	var line string
	for line == "" {
		// Newlines may come first, as keepalives.
		if line, err = s.r.ReadString('\n'); err != nil {
			t.Fatalf("SYNC: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
	}
	if line[0] != '$' {
		t.Fatalf("SYNC answered %q", line)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		t.Fatalf("SYNC answered %q", line)
	}
	if _, err := io.CopyN(io.Discard, s.r, int64(n)); err != nil {
		t.Fatalf("SYNC payload: %v", err)
	}
	c.SetDeadline(time.Time{})
	return s
}

// Next reads the next command of the stream, or fails the test after
// timeout.
func (s *Stream) Next(timeout time.Duration) []string {
	s.t.Helper()
	s.conn.SetReadDeadline(time.Now().Add(timeout))
	cmd, err := readCommand(s.r)
	if err != nil {
		s.t.Fatalf("reading the replication stream: %v", err)
	}
	return cmd
}

// Until reads commands up to and including the first whose arguments
// are want (compared case-insensitively for the command name), and
// returns them, each rendered with Quote.
func (s *Stream) Until(want ...string) []string {
	s.t.Helper()
	var out []string
	for {
		cmd := s.Next(10 * time.Second)
		out = append(out, Quote(cmd))
		if len(cmd) == len(want) && strings.EqualFold(cmd[0], want[0]) && strings.Join(cmd[1:], "\x00") == strings.Join(want[1:], "\x00") {
			return out
		}
	}
}

func readCommand(r *bufio.Reader) ([]string, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" || line[0] != '*' {
		return nil, fmt.Errorf("expected a multibulk, got %q", line)
	}
	n, err := strconv.Atoi(line[1:])
	if err != nil {
		return nil, err
	}
	cmd := make([]string, n)
	for i := range cmd {
		line, err := r.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if line[0] != '$' {
			return nil, fmt.Errorf("expected a bulk, got %q", line)
		}
		l, err := strconv.Atoi(strings.TrimRight(line[1:], "\r\n"))
		if err != nil {
			return nil, err
		}
		b := make([]byte, l+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return nil, err
		}
		cmd[i] = string(b[:l])
	}
	return cmd, nil
}
