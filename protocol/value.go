package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Value is a decoded reply, for clients of the protocol: the command line
// tool, the test harnesses and code generators. The server itself never
// decodes replies.
type Value struct {
	// Type is the RESP type byte: + - : $ * _ , # ! = ( % ~ > |
	Type  byte
	Str   string  // simple, error, bulk, verbatim, big number, double text
	Int   int64   // integer, boolean (0/1)
	Elems []Value // array, set, push; map as key, value, key, value...
	Null  bool    // $-1, *-1 or _
	// Attrs holds a RESP3 attribute that preceded the value, if any.
	Attrs []Value
}

// ReadValue reads one reply.
func ReadValue(r *bufio.Reader) (Value, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return Value{}, err
	}
	if len(line) < 3 || line[len(line)-2] != '\r' {
		return Value{}, fmt.Errorf("protocol: bad line %q", line)
	}
	t, body := line[0], line[1:len(line)-2]
	v := Value{Type: t}
	switch t {
	case '+', '-', ',', '(':
		v.Str = body
	case ':':
		v.Int, err = strconv.ParseInt(body, 10, 64)
	case '#':
		if body == "t" {
			v.Int = 1
		}
	case '_':
		v.Null = true
	case '$', '=', '!':
		n, perr := strconv.Atoi(body)
		if perr != nil {
			return v, perr
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		buf := make([]byte, n+2)
		if _, err = io.ReadFull(r, buf); err != nil {
			return v, err
		}
		v.Str = string(buf[:n])
	case '*', '~', '>', '%', '|':
		n, perr := strconv.Atoi(body)
		if perr != nil {
			return v, perr
		}
		if n < 0 {
			v.Null = true
			return v, nil
		}
		if t == '%' || t == '|' {
			n *= 2
		}
		v.Elems = make([]Value, n)
		for i := range v.Elems {
			if v.Elems[i], err = ReadValue(r); err != nil {
				return v, err
			}
		}
		if t == '|' {
			next, err := ReadValue(r)
			next.Attrs = v.Elems
			return next, err
		}
	default:
		return v, fmt.Errorf("protocol: unknown reply type %q", t)
	}
	return v, err
}

// ErrReply is an error reply turned into a Go error.
type ErrReply struct{ Msg string }

func (e *ErrReply) Error() string { return e.Msg }

// Err returns the error of an error reply, or nil.
func (v Value) Err() error {
	if v.Type == '-' || v.Type == '!' {
		return &ErrReply{v.Str}
	}
	return nil
}

// IsError reports whether err is an error reply.
func IsError(err error) bool {
	var e *ErrReply
	return errors.As(err, &e)
}

// Map returns the key/value pairs of a map (or of a flat RESP2 array).
func (v Value) Map() map[string]Value {
	m := make(map[string]Value, len(v.Elems)/2)
	for i := 0; i+1 < len(v.Elems); i += 2 {
		m[v.Elems[i].Str] = v.Elems[i+1]
	}
	return m
}

// String renders a value the way redis-cli does (without its REPL
// numbering of nested aggregates): useful in test failure messages.
func (v Value) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Value) format(b *strings.Builder) {
	switch {
	case v.Null:
		b.WriteString("(nil)")
	case v.Type == '-' || v.Type == '!':
		b.WriteString("(error) " + v.Str)
	case v.Type == ':':
		b.WriteString("(integer) " + strconv.FormatInt(v.Int, 10))
	case v.Type == '#':
		b.WriteString(map[int64]string{0: "(false)", 1: "(true)"}[v.Int])
	case v.Type == ',':
		b.WriteString("(double) " + v.Str)
	case v.Type == '+' || v.Type == '(':
		b.WriteString(v.Str)
	case v.Elems != nil || v.Type == '*' || v.Type == '%' || v.Type == '~' || v.Type == '>':
		b.WriteByte('[')
		for i, e := range v.Elems {
			if i > 0 {
				b.WriteString(", ")
			}
			e.format(b)
		}
		b.WriteByte(']')
	default:
		b.WriteString(strconv.Quote(v.Str))
	}
}

// AppendCommand encodes a command as a multibulk request.
func AppendCommand(b []byte, args ...string) []byte {
	b = appendCount(b, len(args))
	for _, a := range args {
		b = appendBulk(b, a)
	}
	return b
}

// AppendCommandBytes is AppendCommand for arguments held as bytes.
func AppendCommandBytes(b []byte, args ...[]byte) []byte {
	b = appendCount(b, len(args))
	for _, a := range args {
		b = appendBulk(b, a)
	}
	return b
}

func appendCount(b []byte, n int) []byte {
	b = append(b, '*')
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk[T string | []byte](b []byte, a T) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(a)), 10)
	b = append(b, '\r', '\n')
	b = append(b, a...)
	return append(b, '\r', '\n')
}
