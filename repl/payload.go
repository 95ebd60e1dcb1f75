package repl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// The dataset of a full resynchronisation comes as a bulk: "$<size>\r\n"
// and size bytes when the primary wrote an RDB file first, or, when it
// streams the snapshot as it is made (diskless, to replicas that
// announced "capa eof"), "$EOF:<mark>\r\n", the bytes, and the 40-byte
// mark again. Before the bulk, a primary may send bare newlines to keep
// the link alive while it prepares the snapshot.

// ErrPayload is the error for a malformed bulk header.
var ErrPayload = errors.New("bad protocol from MASTER: the first byte is not '$'")

// Payload is the header of a dataset transfer.
type Payload struct {
	// Size is the announced length, or -1 for the diskless form.
	Size int64
	// Mark ends the diskless form.
	Mark []byte
}

// ReadPayloadHeader reads the header of the bulk, skipping keep-alive
// newlines. An error reply from the primary is returned as an error
// carrying its text.
func ReadPayloadHeader(r *bufio.Reader) (Payload, error) {
	for {
		line, err := r.ReadSlice('\n')
		if err != nil {
			return Payload{}, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			continue
		}
		switch line[0] {
		case '-':
			return Payload{}, fmt.Errorf("MASTER aborted replication with an error: %s", line[1:])
		case '$':
		default:
			return Payload{}, ErrPayload
		}
		if rest, ok := bytes.CutPrefix(line[1:], []byte("EOF:")); ok {
			if len(rest) != IDLen {
				return Payload{}, ErrPayload
			}
			return Payload{Size: -1, Mark: append([]byte(nil), rest...)}, nil
		}
		n, err := strconv.ParseInt(string(line[1:]), 10, 64)
		if err != nil || n < 0 {
			return Payload{}, ErrPayload
		}
		return Payload{Size: n}, nil
	}
}

// Copy copies the bulk's bytes, without the diskless form's mark, from r
// to w. progress, if set, is told the bytes read so far after each read.
// It returns the bytes of data copied.
func (p Payload) Copy(w io.Writer, r *bufio.Reader, progress func(int64)) (int64, error) {
	if p.Size >= 0 {
		n, err := io.CopyN(w, r, p.Size)
		if progress != nil {
			progress(n)
		}
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return n, err
	}
	// The diskless form: hold back the last IDLen bytes read, since they
	// may be the mark, which nothing follows until the replica answers.
	var (
		buf  = make([]byte, 64<<10)
		tail []byte
		n    int64
		read int64
	)
	for {
		k, err := r.Read(buf)
		read += int64(k)
		if progress != nil && k > 0 {
			progress(read)
		}
		if k > 0 {
			tail = append(tail, buf[:k]...)
			if len(tail) >= IDLen && bytes.Equal(tail[len(tail)-IDLen:], p.Mark) {
				out := tail[:len(tail)-IDLen]
				if _, werr := w.Write(out); werr != nil {
					return n, werr
				}
				return n + int64(len(out)), nil
			}
			if len(tail) > IDLen {
				out := tail[:len(tail)-IDLen]
				if _, werr := w.Write(out); werr != nil {
					return n, werr
				}
				n += int64(len(out))
				tail = append(tail[:0], tail[len(tail)-IDLen:]...)
			}
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
	}
}
