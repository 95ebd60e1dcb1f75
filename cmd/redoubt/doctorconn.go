package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// doctorConn is the doctor's RESP client. The doctor is pointed at
// whatever an operator typed, so the client must survive anything at the
// other end: a port that is not Redis (an HTTP server, a TLS port, a
// random service), one that never answers, one that sends lengths it
// never fills. So every command has a deadline, and replies are read
// with bounds (line length, bulk size, element count, nesting) and
// without allocating what a length merely claims: protocol.ReadValue
// trusts the server and would allocate a claimed 10^12-byte bulk.
//
// Once the connection fails (a timeout, a reply that is not RESP, a
// close), the failure sticks: a late reply would answer the wrong
// command, so every later command fails at once with the same error and
// the audit reports what it could not check.
type doctorConn struct {
	c       net.Conn
	r       *bufio.Reader
	timeout time.Duration
	err     *connError // the sticky failure
}

// Limits of a reply. INFO everything, CONFIG GET * and CLIENT LIST of a
// busy server are the biggest replies the doctor reads: a few MB.
const (
	maxReplyLine  = 64 << 10
	maxReplyBulk  = 64 << 20
	maxReplyElems = 1 << 20
	maxReplyDepth = 8
)

// connError is a failure to talk to the server, as opposed to an error
// reply: after it the connection is unusable.
type connError struct {
	cmd string // the command (its name) that failed
	why string // what happened, in words for the report
}

func (e *connError) Error() string { return e.why + " (at " + e.cmd + ")" }

// errNotRESP marks a reply that is not the Redis protocol.
var errNotRESP = errors.New("not RESP")

func dialDoctor(host string, timeout time.Duration) (*doctorConn, error) {
	c, err := net.DialTimeout("tcp", host, timeout)
	if err != nil {
		return nil, fmt.Errorf("cannot connect: %v", err)
	}
	return &doctorConn{c: c, r: bufio.NewReaderSize(c, 64<<10), timeout: timeout}, nil
}

func (d *doctorConn) Close() error { return d.c.Close() }

// do sends one command and reads its reply. An error reply is returned
// as a value (v.Err() says it); the error is a connError only.
func (d *doctorConn) do(args ...string) (protocol.Value, error) {
	vs, err := d.pipeline([][]string{args})
	if err != nil {
		return protocol.Value{}, err
	}
	return vs[0], nil
}

// pipeline sends commands at once and reads their replies: the key walk
// sends a batch per SCAN page, so that sampling costs round trips per
// hundred keys, not per key.
func (d *doctorConn) pipeline(cmds [][]string) ([]protocol.Value, error) {
	if d.err != nil {
		return nil, d.err
	}
	name := cmdName(cmds[0])
	var buf []byte
	for _, args := range cmds {
		buf = protocol.AppendCommand(buf, args...)
	}
	d.c.SetDeadline(time.Now().Add(d.timeout))
	if _, err := d.c.Write(buf); err != nil {
		return nil, d.fail(name, err)
	}
	out := make([]protocol.Value, 0, len(cmds))
	for i := range cmds {
		// Each reply gets the full timeout: a big reply of a slow
		// server is not a dead server.
		d.c.SetDeadline(time.Now().Add(d.timeout))
		v, err := readReply(d.r, 0)
		if err != nil {
			return nil, d.fail(cmdName(cmds[i]), err)
		}
		out = append(out, v)
	}
	return out, nil
}

func cmdName(args []string) string {
	name := strings.ToUpper(args[0])
	if len(args) > 1 && (name == "CONFIG" || name == "COMMAND" || name == "CLIENT" || name == "MEMORY" || name == "OBJECT") {
		name += " " + strings.ToUpper(args[1])
	}
	return name
}

// fail turns a read or write error into the sticky connError, in words
// an operator can act on.
func (d *doctorConn) fail(cmd string, err error) error {
	var why string
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		why = fmt.Sprintf("no reply within %v (a busy or stuck server, or not a Redis server)", d.timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.ECONNRESET):
		why = "the server closed the connection (not a Redis server, or one that refuses this client)"
	case errors.Is(err, errNotRESP):
		why = "not a Redis server: " + strings.TrimPrefix(err.Error(), errNotRESP.Error()+": ")
	default:
		why = err.Error()
	}
	d.err = &connError{cmd: cmd, why: why}
	d.c.Close()
	return d.err
}

// readReply reads one RESP2/RESP3 reply within the limits above.
func readReply(r *bufio.Reader, depth int) (protocol.Value, error) {
	line, err := readLine(r)
	if err != nil {
		return protocol.Value{}, err
	}
	if len(line) == 0 {
		return protocol.Value{}, notRESP(line)
	}
	t, body := line[0], string(line[1:])
	v := protocol.Value{Type: t}
	switch t {
	case '+', '-', ',', '(':
		v.Str = body
	case ':':
		if v.Int, err = strconv.ParseInt(body, 10, 64); err != nil {
			return v, notRESP(line)
		}
	case '#':
		if body == "t" {
			v.Int = 1
		}
	case '_':
		v.Null = true
	case '$', '=', '!':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n > maxReplyBulk {
			return v, notRESP(line)
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		// CopyN grows the buffer as bytes arrive, so a length the
		// server never fills costs nothing.
		var b bytes.Buffer
		if _, err := io.CopyN(&b, r, n+2); err != nil {
			return v, err
		}
		if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
			return v, notRESP(line)
		}
		v.Str = string(b.Bytes()[:n])
	case '*', '~', '>', '%', '|':
		n, err := strconv.ParseInt(body, 10, 64)
		if err != nil || n > maxReplyElems || depth >= maxReplyDepth {
			return v, notRESP(line)
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		for range n {
			e, err := readReply(r, depth+1)
			if err != nil {
				return v, err
			}
			v.Elems = append(v.Elems, e)
		}
		if t == '|' {
			next, err := readReply(r, depth+1)
			next.Attrs = v.Elems
			return next, err
		}
	default:
		return v, notRESP(line)
	}
	return v, nil
}

// readLine reads a CRLF-terminated line, without its CRLF, of at most
// maxReplyLine bytes.
func readLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > maxReplyLine {
			return nil, notRESP(line)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			// Bytes that never make a line (a TLS handshake, a banner
			// without CRLF) say more about the port than the timeout
			// or close that follows them.
			if len(line) > 0 {
				return nil, notRESP(line)
			}
			return nil, err
		}
		break
	}
	if len(line) < 2 || line[len(line)-2] != '\r' {
		return nil, notRESP(line)
	}
	return line[:len(line)-2], nil
}

// notRESP describes what the server sent instead of a reply: its first
// bytes, printable, so that "HTTP/1.1 400 Bad Request" or a TLS alert
// says what is listening there.
func notRESP(got []byte) error {
	s := strings.TrimRight(string(got), "\r\n")
	if len(s) > 60 {
		s = s[:60] + "..."
	}
	return fmt.Errorf("%w: it answered %q", errNotRESP, s)
}
