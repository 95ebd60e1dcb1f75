package protocol

import (
	"bytes"

	"github.com/redoubt-db/redoubt/cnum"
)

// SplitArgs splits an inline request line into arguments with the quoting
// rules of redis-cli and Redis's inline protocol: "double quotes" with
// \n \r \t \b \a \xHH escapes, 'single quotes' with \' escapes, and a
// closing quote that must be followed by a space or the end of the line.
// Unescaping happens in place: the arguments alias line, which is modified.
// It returns false on unbalanced quotes. Like Redis, which splits a C
// string, it treats a NUL byte as the end of the line.
func SplitArgs(line []byte, args [][]byte) ([][]byte, bool) {
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	r := 0
	for {
		for r < len(line) && cnum.IsSpace(line[r]) {
			r++
		}
		if r == len(line) {
			return args, true
		}
		start, w := r, r
		inDouble, inSingle := false, false
		for done := false; !done; {
			if inDouble {
				if r >= len(line) {
					return args, false
				}
				c := line[r]
				switch {
				case c == '\\' && r+3 < len(line) && line[r+1] == 'x' && isHex(line[r+2]) && isHex(line[r+3]):
					line[w] = hexVal(line[r+2])<<4 | hexVal(line[r+3])
					w++
					r += 4
				case c == '\\' && r+1 < len(line):
					r++
					switch line[r] {
					case 'n':
						line[w] = '\n'
					case 'r':
						line[w] = '\r'
					case 't':
						line[w] = '\t'
					case 'b':
						line[w] = '\b'
					case 'a':
						line[w] = '\a'
					default:
						line[w] = line[r]
					}
					w++
					r++
				case c == '"':
					// The closing quote must end the argument.
					if r+1 < len(line) && !cnum.IsSpace(line[r+1]) {
						return args, false
					}
					r++
					done = true
				default:
					line[w] = c
					w++
					r++
				}
			} else if inSingle {
				if r >= len(line) {
					return args, false
				}
				c := line[r]
				switch {
				case c == '\\' && r+1 < len(line) && line[r+1] == '\'':
					line[w] = '\''
					w++
					r += 2
				case c == '\'':
					if r+1 < len(line) && !cnum.IsSpace(line[r+1]) {
						return args, false
					}
					r++
					done = true
				default:
					line[w] = c
					w++
					r++
				}
			} else {
				if r >= len(line) {
					break
				}
				switch c := line[r]; c {
				case ' ', '\n', '\r', '\t':
					done = true
				case '"':
					inDouble = true
					r++
				case '\'':
					inSingle = true
					r++
				default:
					line[w] = c
					w++
					r++
				}
			}
		}
		args = append(args, line[start:w:w])
	}
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func hexVal(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// AppendRepr appends s in double quotes as Redis's sdscatrepr writes it,
// the form SplitArgs reads back: \\ \" \n \r \t \a \b escaped, other
// bytes outside printable ASCII as \xHH. MONITOR, the slow log's
// clients, CONFIG REWRITE, the AOF manifest and the Lua debugger all
// quote with it.
func AppendRepr(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for _, c := range s {
		switch c {
		case '\\', '"':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\a':
			b = append(b, '\\', 'a')
		case '\b':
			b = append(b, '\\', 'b')
		default:
			if c >= 0x20 && c < 0x7f {
				b = append(b, c)
			} else {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			}
		}
	}
	return append(b, '"')
}
