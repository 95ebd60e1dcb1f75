// Package protocol implements the Redis serialization protocol (RESP2 and
// RESP3): parsing client requests and encoding replies.
//
// Requests arrive either as multibulk arrays (*N\r\n$len\r\n...) or as inline
// commands typed by a human over telnet. The parser works in place on the
// connection's read buffer: arguments are sub-slices of that buffer, so a
// steady stream of requests parses without allocating. The caller must
// finish with the arguments before it compacts or refills the buffer.
//
// Lengths announced by the client are never trusted for allocation: an
// argument is only sliced once its bytes have arrived, so "*3000000000" or
// "$536870912" cost nothing until the data is really sent.
package protocol

import (
	"bytes"
	"errors"
	"math"
)

// Limits that Redis applies to the request stream.
const (
	// InlineMax bounds an inline request, and the length line of a
	// multibulk request, that has not seen its newline yet.
	InlineMax = 64 * 1024
	// unauthMultibulk and unauthBulk bound requests of clients that still
	// have to authenticate, so they cannot make the server buffer much.
	unauthMultibulk = 10
	unauthBulk      = 16384
)

// ProtocolError is a malformed request. The server replies with
// "-ERR <Msg>" and closes the connection, as Redis does.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return e.Msg }

// ErrIncomplete means the buffer holds only part of the next request.
var ErrIncomplete = errors.New("incomplete request")

// Parser splits a byte stream into commands.
type Parser struct {
	// MaxBulkLen is proto-max-bulk-len.
	MaxBulkLen int64
	// Unauthenticated applies Redis's tighter limits for clients that must
	// still AUTH.
	Unauthenticated bool

	args [][]byte
	// State of a multibulk request whose bytes have not all arrived, so
	// that resuming it does not re-parse the arguments already seen. All
	// offsets are relative to the request's first byte, which stays valid
	// when the caller moves the request to a bigger buffer.
	pending int   // arguments still expected; 0 when idle
	bulkLen int   // length of the argument being read, -1 if unknown
	pos     int   // offset of the next unparsed byte
	offs    []int // start offset of each complete argument
	lens    []int // its length, or -1-i for ext[i]
	// ext are arguments held outside the buffer (External); done is set
	// when the last argument of a request was one.
	ext  [][]byte
	done bool
}

// BigArg is the length from which a bulk argument is worth reading into
// an allocation of its own rather than the query buffer: Redis's
// PROTO_MBULK_BIG_ARG.
const BigArg = 32 << 10

// Bulk reports the bulk argument being read, if its length is known and
// its bytes have not all arrived: its length, and the offset of its
// first byte from the request's first byte.
func (p *Parser) Bulk() (n, off int, ok bool) {
	if p.pending == 0 || p.bulkLen < 0 {
		return 0, 0, false
	}
	return p.bulkLen, p.pos, true
}

// External completes the bulk argument being read (Bulk) with b, which
// the caller read outside the buffer: the request goes on with the
// buffer's bytes from the argument's offset, which the argument does not
// take.
func (p *Parser) External(b []byte) {
	p.ext = append(p.ext, b)
	p.offs = append(p.offs, 0)
	p.lens = append(p.lens, -len(p.ext))
	p.bulkLen = -1
	p.pending--
	p.done = p.pending == 0
}

// NewParser returns a parser with Redis's default bulk limit.
func NewParser() *Parser {
	return &Parser{MaxBulkLen: 512 << 20, bulkLen: -1}
}

// Next parses one request from buf. It returns the arguments (which alias
// buf) and the number of bytes consumed. An empty request (a blank inline
// line or "*0") returns no arguments and a positive consumed count. If buf
// holds an incomplete request, Next returns ErrIncomplete and remembers how
// far it got: the next call must pass the same bytes again, possibly moved
// to the start of a larger buffer, followed by more data.
func (p *Parser) Next(buf []byte) (args [][]byte, consumed int, err error) {
	if p.pending == 0 && !p.done {
		if len(buf) == 0 {
			return nil, 0, ErrIncomplete
		}
		if buf[0] != '*' {
			return p.inline(buf)
		}
		return p.startMultibulk(buf)
	}
	return p.continueMultibulk(buf)
}

// Pending reports whether a multibulk request is partially parsed.
func (p *Parser) Pending() bool { return p.pending > 0 || p.done }

// Reset forgets any partially parsed request.
func (p *Parser) Reset() {
	p.pending, p.bulkLen, p.pos = 0, -1, 0
	p.offs, p.lens = p.offs[:0], p.lens[:0]
	clear(p.ext)
	p.ext, p.done = p.ext[:0], false
}

// NeedBytes is how many bytes the request in progress still needs before it
// can make progress, when that is known (a bulk payload); 0 otherwise. The
// reader uses it to size the last growth of its buffer for a big argument.
func (p *Parser) NeedBytes(buffered int) int {
	if p.pending == 0 || p.bulkLen < 0 {
		return 0
	}
	need := p.pos + p.bulkLen + 2 - buffered
	if need < 0 {
		return 0
	}
	return need
}

func (p *Parser) startMultibulk(buf []byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\r')
	if nl < 0 {
		if len(buf) > InlineMax {
			return nil, 0, &ProtocolError{"Protocol error: too big mbulk count string"}
		}
		return nil, 0, ErrIncomplete
	}
	if nl+1 >= len(buf) {
		return nil, 0, ErrIncomplete
	}
	n, ok := ParseInt(buf[1:nl])
	if !ok || n > math.MaxInt32 {
		return nil, 0, &ProtocolError{"Protocol error: invalid multibulk length"}
	}
	if n > unauthMultibulk && p.Unauthenticated {
		return nil, 0, &ProtocolError{"Protocol error: unauthenticated multibulk length"}
	}
	if n <= 0 {
		return nil, nl + 2, nil
	}
	p.pending = int(n)
	p.bulkLen = -1
	p.pos = nl + 2
	p.offs, p.lens = p.offs[:0], p.lens[:0]
	return p.continueMultibulk(buf)
}

func (p *Parser) continueMultibulk(buf []byte) ([][]byte, int, error) {
	for p.pending > 0 {
		if p.bulkLen < 0 {
			rest := buf[p.pos:]
			nl := bytes.IndexByte(rest, '\r')
			if nl < 0 {
				if len(rest) > InlineMax {
					return nil, 0, &ProtocolError{"Protocol error: too big bulk count string"}
				}
				return nil, 0, ErrIncomplete
			}
			if nl+1 >= len(rest) {
				return nil, 0, ErrIncomplete
			}
			if rest[0] != '$' {
				return nil, 0, &ProtocolError{"Protocol error: expected '$', got '" + string(rest[0]) + "'"}
			}
			n, ok := ParseInt(rest[1:nl])
			if !ok || n < 0 || n > p.MaxBulkLen {
				return nil, 0, &ProtocolError{"Protocol error: invalid bulk length"}
			}
			if n > unauthBulk && p.Unauthenticated {
				return nil, 0, &ProtocolError{"Protocol error: unauthenticated bulk length"}
			}
			p.bulkLen = int(n)
			p.pos += nl + 2
		}
		// Like Redis, the two bytes after the payload are skipped unread.
		if len(buf)-p.pos < p.bulkLen+2 {
			return nil, 0, ErrIncomplete
		}
		p.offs = append(p.offs, p.pos)
		p.lens = append(p.lens, p.bulkLen)
		p.pos += p.bulkLen + 2
		p.bulkLen = -1
		p.pending--
	}
	p.args = p.args[:0]
	for i, off := range p.offs {
		if l := p.lens[i]; l < 0 {
			p.args = append(p.args, p.ext[-1-l])
			continue
		}
		end := off + p.lens[i]
		p.args = append(p.args, buf[off:end:end])
	}
	consumed := p.pos
	p.pos = 0
	clear(p.ext)
	p.ext, p.done = p.ext[:0], false
	return p.args, consumed, nil
}

func (p *Parser) inline(buf []byte) ([][]byte, int, error) {
	nl := bytes.IndexByte(buf, '\n')
	// Redis looks for the newline with strchr, which stops at a NUL byte:
	// an inline request with a NUL before its newline never completes
	// (until it is too big). Do the same, so both servers agree.
	if z := bytes.IndexByte(buf, 0); z >= 0 && (nl < 0 || z < nl) {
		nl = -1
	}
	if nl < 0 {
		if len(buf) > InlineMax {
			return nil, 0, &ProtocolError{"Protocol error: too big inline request"}
		}
		return nil, 0, ErrIncomplete
	}
	line := buf[:nl]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := SplitArgs(line, p.args[:0])
	if !ok {
		return nil, 0, &ProtocolError{"Protocol error: unbalanced quotes in request"}
	}
	p.args = args
	return args, nl + 1, nil
}

// ParseInt parses a decimal integer strictly as Redis's string2ll does: no
// sign other than a leading '-', no leading zeros, no spaces, no overflow.
func ParseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '0' {
		return 0, true
	}
	neg := false
	i := 0
	if b[0] == '-' {
		neg = true
		i = 1
		if len(b) == 1 {
			return 0, false
		}
	}
	if b[i] < '1' || b[i] > '9' {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > (math.MaxUint64-9)/10 {
			return 0, false
		}
		v = v*10 + uint64(c-'0')
	}
	if neg {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}
