package aof

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/redoubt-db/redoubt/cnum"
	"github.com/redoubt-db/redoubt/protocol"
)

// FileType is the type of a file in the manifest.
type FileType byte

// The types of the manifest's "type" field.
const (
	TypeBase    FileType = 'b'
	TypeHistory FileType = 'h'
	TypeIncr    FileType = 'i'
)

// FileInfo is a line of the manifest.
type FileInfo struct {
	Name string
	Seq  int64
	Type FileType
}

// Manifest lists the files of a multi-part AOF.
type Manifest struct {
	Base    *FileInfo  // the base file, if any
	History []FileInfo // files replaced by a rewrite, waiting for deletion
	Incr    []FileInfo // the incremental files, in the order they are read
	// BaseSeq and IncrSeq are the last sequence numbers given: the next
	// base or incremental file takes the next one.
	BaseSeq, IncrSeq int64
}

// manifestMaxLine is Redis's MANIFEST_MAX_LINE: it reads the manifest in
// chunks of at most this many bytes, each ending at a newline if one comes
// first.
const manifestMaxLine = 1024

// ManifestError is a manifest Redis would refuse to start with, and why.
type ManifestError struct {
	// Line is the number of the line at fault, counting comments (0 when
	// the manifest is empty).
	Line int
	// Text is the line, trimmed, when Redis shows it (HasText): it does
	// not for an empty manifest or a line over the length limit.
	Text    string
	HasText bool
	// Msg is Redis's message, e.g. "Invalid AOF manifest file format".
	Msg string
}

func (e *ManifestError) Error() string {
	if e.HasText {
		return fmt.Sprintf("%s (line %d: '%s')", e.Msg, e.Line, e.Text)
	}
	if e.Line > 0 {
		return fmt.Sprintf("%s (line %d)", e.Msg, e.Line)
	}
	return e.Msg
}

// ReadManifest reads and parses the manifest at path.
func ReadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(data)
}

// ParseManifest parses a manifest as Redis 7.0's aofLoadManifestFromFile
// does, and refuses what it refuses with its message:
//
//   - the file is read in chunks of up to 1024 bytes ending at a newline;
//     a chunk starting with '#' is a comment; any other chunk without a
//     newline (a line too long, or a last line without its newline) is an
//     error, as is an empty line or a file with no line at all;
//   - a line is split with Redis's quoting rules (sdssplitargs) into an
//     even number, at least six, of words: key/value pairs in which the
//     keys file, seq and type (any case) must all appear with a non-zero
//     seq, and other keys are skipped, for forward compatibility;
//   - a file name cannot hold '/' or '\'; there is at most one base; the
//     sequence numbers of incremental files must increase.
//
// Redis reads words as C strings, so a word holding a NUL byte (written
// "\x00" in quotes) stops there, and seq is read as atoll reads it.
func ParseManifest(data []byte) (*Manifest, error) {
	m := &Manifest{}
	var maxSeq int64
	lineNum := 0
	fail := func(msg string, text []byte, show bool) error {
		return &ManifestError{Line: lineNum, Text: string(text), HasText: show, Msg: msg}
	}
	for pos := 0; ; {
		if pos == len(data) {
			if lineNum == 0 {
				return nil, fail("Found an empty AOF manifest", nil, false)
			}
			return m, nil
		}
		end := min(pos+manifestMaxLine, len(data))
		if i := bytes.IndexByte(data[pos:end], '\n'); i >= 0 {
			end = pos + i + 1
		}
		chunk := cString(data[pos:end])
		pos = end
		lineNum++
		if len(chunk) > 0 && chunk[0] == '#' {
			continue
		}
		if bytes.IndexByte(chunk, '\n') < 0 {
			return nil, fail("The AOF manifest file contains too long line", nil, false)
		}
		line := bytes.Trim(chunk, " \t\r\n")
		if len(line) == 0 {
			return nil, fail("Invalid AOF manifest file format", line, true)
		}
		words, ok := protocol.SplitArgs(bytes.Clone(line), nil)
		if !ok || len(words) < 6 || len(words)%2 != 0 {
			return nil, fail("Invalid AOF manifest file format", line, true)
		}
		var fi FileInfo
		hasName := false
		for i := 0; i < len(words); i += 2 {
			key, val := cString(words[i]), cString(words[i+1])
			switch {
			case strings.EqualFold(string(key), "file"):
				fi.Name, hasName = string(val), true
				if strings.ContainsAny(fi.Name, `/\`) {
					return nil, fail("File can't be a path, just a filename", line, true)
				}
			case strings.EqualFold(string(key), "seq"):
				fi.Seq = atoll(val)
			case strings.EqualFold(string(key), "type"):
				fi.Type = 0
				if len(val) > 0 {
					fi.Type = FileType(val[0])
				}
			}
		}
		if !hasName || fi.Seq == 0 || fi.Type == 0 {
			return nil, fail("Invalid AOF manifest file format", line, true)
		}
		switch fi.Type {
		case TypeBase:
			if m.Base != nil {
				return nil, fail("Found duplicate base file information", line, true)
			}
			m.Base = &fi
			m.BaseSeq = fi.Seq
		case TypeHistory:
			m.History = append(m.History, fi)
		case TypeIncr:
			if fi.Seq <= maxSeq {
				return nil, fail("Found a non-monotonic sequence number", line, true)
			}
			m.Incr = append(m.Incr, fi)
			m.IncrSeq, maxSeq = fi.Seq, fi.Seq
		default:
			return nil, fail("Unknown AOF file type", line, true)
		}
	}
}

// cString is b as C sees it: up to its first NUL byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// atoll reads a number as glibc's atoll does: leading white space, a sign,
// digits up to the first other byte, saturating at the int64 limits.
func atoll(b []byte) int64 {
	v, _, _ := cnum.Strtoll(b, 10)
	return v
}

// LooksLikeManifest says whether the file r reads is a manifest rather
// than an AOF: its first line that is not a comment starts with "file".
// (redis-check-aof looks at every line of the file, and so takes for a
// manifest an AOF in which a string happens to start with "file" at the
// start of a line; the first line is enough, and reads no further.)
func LooksLikeManifest(r io.Reader) (bool, error) {
	br := bufio.NewReaderSize(r, manifestMaxLine)
	for {
		chunk, err := br.ReadSlice('\n')
		if len(chunk) > 0 && chunk[0] != '#' {
			return bytes.HasPrefix(chunk, []byte("file")), nil
		}
		switch err {
		case nil, bufio.ErrBufferFull:
		case io.EOF:
			return false, nil
		default:
			return false, err
		}
	}
}
