package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"

	"github.com/redoubt-db/redoubt/aof"
)

// check-aof is redis-check-aof 7.0.15 (src/redis-check-aof.c): the same
// flow, messages and exit codes, on the same reading of the files, with
// these differences, each where Redis's tool is wrong or unhelpful:
//
//   - a file is a manifest when its first line that is not a comment
//     starts with "file" (redis-check-aof reads the whole file and takes an
//     AOF holding a string "file..." at the start of a line for one);
//   - a command of no arguments (*0) is a fault, as it is for Redis's
//     loader, which refuses it (redis-check-aof lets it pass);
//   - "Reached EOF before reading EXEC for MULTI" gives the offset of the
//     end of the file, where redis-check-aof gives the last string read;
//   - a string length past the end of the file is reported, where
//     redis-check-aof first tries to allocate it and may die;
//   - when the damage is not a torn write at the end, a line says so:
//     --fix then discards sound commands too;
//   - --yes answers the --fix question; files are opened for writing only
//     to be cut; and a manifest fault is printed without the log prefix.

type checkStatus int

const (
	checkOK checkStatus = iota
	checkEmpty
	checkTruncated
	checkTimestampTruncated
)

// errExit ends the check with exit code 1, its messages printed.
var errExit = errors.New("exit 1")

type aofChecker struct {
	out   io.Writer
	errw  io.Writer // progress
	stdin io.Reader
	fix   bool
	yes   bool
	to    int64 // --truncate-to-timestamp, or 0
	line  int64 // redis-check-aof's line count, over all files
}

func checkAOFMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	c := &aofChecker{out: stdout, errw: stderr, stdin: stdin, line: 1}
	var path string
	switch {
	case len(args) == 1:
		path = args[0]
	case len(args) == 2 && args[0] == "--fix":
		c.fix, path = true, args[1]
	case len(args) == 3 && (args[0] == "--fix" && args[1] == "--yes" || args[0] == "--yes" && args[1] == "--fix"):
		c.fix, c.yes, path = true, true, args[2]
	case len(args) == 3 && args[0] == "--truncate-to-timestamp":
		ts, err := strconv.ParseInt(args[1], 10, 64)
		if err != nil {
			fmt.Fprintln(stdout, "Invalid timestamp, aborting...")
			return 1
		}
		c.to, path = ts, args[2]
	default:
		fmt.Fprintln(stdout, "Usage: redoubt check-aof [--fix [--yes]|--truncate-to-timestamp $timestamp] <file.manifest|file.aof>")
		return 1
	}
	if err := c.check(path); err != nil {
		return 1
	}
	return 0
}

// fail prints a message and ends the check.
func (c *aofChecker) fail(format string, args ...any) error {
	fmt.Fprintf(c.out, format+"\n", args...)
	return errExit
}

func (c *aofChecker) printf(format string, args ...any) { fmt.Fprintf(c.out, format+"\n", args...) }

func (c *aofChecker) check(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return c.fail("Cannot open file %s: %s", path, strerror(err))
	}
	manifest, err := aof.LooksLikeManifest(f)
	f.Close()
	if err != nil {
		return c.fail("Cannot read file: %s", path)
	}
	if manifest {
		return c.checkMultiPart(filepath.Dir(path), path)
	}
	rdbFile, err := c.isRDB(path)
	if err != nil {
		return err
	}
	c.printf("Start checking Old-Style AOF")
	st, err := c.checkFile(path, path, true, rdbFile)
	if err != nil {
		return err
	}
	c.report("AOF", path, st)
	return nil
}

// isRDB is redis-check-aof's fileIsRDB: at least 8 bytes, starting with
// "REDIS".
func (c *aofChecker) isRDB(path string) (bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return false, c.fail("Cannot open file %s: %s", path, strerror(err))
	}
	defer f.Close()
	var sig [8]byte
	n, _ := io.ReadFull(f, sig[:])
	return n == 8 && string(sig[:5]) == "REDIS", nil
}

func (c *aofChecker) report(what, name string, st checkStatus) {
	prefix := what + " "
	if what == "AOF" {
		prefix = ""
	}
	switch st {
	case checkOK:
		c.printf("%sAOF %s is valid", prefix, name)
	case checkEmpty:
		c.printf("%sAOF %s is empty", prefix, name)
	case checkTimestampTruncated:
		c.printf("Successfully truncated AOF %s to timestamp %d", name, c.to)
	case checkTruncated:
		c.printf("Successfully truncated AOF %s", name)
	}
}

// checkMultiPart checks every file a manifest lists, in the order Redis
// loads them: the base, then the incremental files. Only the last file
// may be cut.
func (c *aofChecker) checkMultiPart(dir, path string) error {
	c.printf("Start checking Multi Part AOF")
	data, err := os.ReadFile(path)
	if err != nil {
		return c.fail("Fatal error: can't open the AOF manifest file %s for reading: %s", path, strerror(err))
	}
	m, err := aof.ParseManifest(data)
	if err != nil {
		var me *aof.ManifestError
		if !errors.As(err, &me) {
			return c.fail("%v", err)
		}
		c.printf("*** FATAL AOF MANIFEST FILE ERROR ***")
		if me.HasText {
			c.printf("Reading the manifest file, at line %d", me.Line)
			c.printf(">>> '%s'", me.Text)
		}
		return c.fail("%s", me.Msg)
	}
	total, n := len(m.Incr), 0
	if m.Base != nil {
		total++
		n++
		file := filepath.Join(dir, m.Base.Name)
		rdbFile, err := c.isRDB(file)
		if err != nil {
			return err
		}
		format := "RESP"
		if rdbFile {
			format = "RDB"
		}
		c.printf("Start to check BASE AOF (%s format).", format)
		st, err := c.checkFile(m.Base.Name, file, n == total, rdbFile)
		if err != nil {
			return err
		}
		c.report("BASE", m.Base.Name, st)
	}
	if len(m.Incr) > 0 {
		c.printf("Start to check INCR files.")
		for _, fi := range m.Incr {
			n++
			st, err := c.checkFile(fi.Name, filepath.Join(dir, fi.Name), n == total, false)
			if err != nil {
				return err
			}
			c.report("INCR", fi.Name, st)
		}
	}
	c.printf("All AOF files and manifest are valid")
	return nil
}

// checkFile is redis-check-aof's checkSingleAof: the file's RDB preamble
// if preamble, then its commands; a damaged last file may be cut (--fix).
func (c *aofChecker) checkFile(name, path string, last, preamble bool) (checkStatus, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, c.fail("Cannot open file %s: %s, aborting...", path, strerror(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, c.fail("Cannot stat file: %s, aborting...", name)
	}
	size := st.Size()
	if size == 0 {
		return checkEmpty, nil
	}
	var start int64
	if preamble {
		data, unmap, err := mapFile(f, size)
		if err != nil {
			return 0, c.fail("Cannot read file %s: %s, aborting...", path, strerror(err))
		}
		end, ok := checkRDB(c.out, c.errw, name, data)
		unmap()
		if !ok {
			return 0, c.fail("RDB preamble of AOF file is not sane, aborting.")
		}
		c.printf("RDB preamble is OK, proceeding with AOF tail...")
		start = int64(end)
		if _, err := f.Seek(start, io.SeekStart); err != nil {
			return 0, c.fail("Failed to fseek in AOF %s: %s", name, strerror(err))
		}
	}
	r := aof.NewReader(f, start, size)
	prog := newProgress(c.errw, name, size)
	var fault *aof.Error
	for {
		k, err := r.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			if !errors.As(err, &fault) {
				return 0, c.fail("Failed to read from AOF %s, aborting...", name)
			}
			break
		}
		prog.at(r.End())
		if k == aof.Annotation && c.to != 0 {
			if cut, err := c.timestamp(r, name, path, last); cut || err != nil {
				return checkTimestampTruncated, err
			}
		}
	}
	c.line += r.Lines()
	pos := r.ValidEnd()
	if fault != nil {
		c.describe(fault, r, name, path)
	}
	diff := size - pos
	if diff == 0 && c.to != 0 {
		c.printf("Truncate nothing in AOF %s to timestamp %d", name, c.to)
		return checkOK, nil
	}
	c.printf("AOF analyzed: filename=%s, size=%d, ok_up_to=%d, ok_up_to_line=%d, diff=%d", name, size, pos, c.line, diff)
	if diff == 0 {
		return checkOK, nil
	}
	if fault != nil && !fault.Truncated {
		c.printf("The damage at offset %d is not a torn write: cutting the file at %d discards %d bytes that may hold sound commands.",
			fault.Offset, pos, diff)
	}
	if !c.fix {
		return 0, c.fail("AOF %s is not valid. Use the --fix option to try fixing it.", name)
	}
	if !last {
		return 0, c.fail("Failed to truncate AOF %s because it is not the last file", name)
	}
	c.printf("This will shrink the AOF %s from %d bytes, with %d bytes, to %d bytes", name, size, diff, pos)
	if !c.confirm() {
		return 0, c.fail("Aborting...")
	}
	if err := os.Truncate(path, pos); err != nil {
		return 0, c.fail("Failed to truncate AOF %s", name)
	}
	return checkTruncated, nil
}

// describe prints a fault as redis-check-aof does: a position (%16llx,
// space-padded) and a message, or its "format error" line.
func (c *aofChecker) describe(e *aof.Error, r *aof.Reader, name, path string) {
	msg := e.Msg
	switch e.Kind {
	case aof.ErrItem, aof.ErrPreamble:
		c.printf("AOF %s format error", name)
		return
	case aof.ErrEOF:
		// redis-check-aof says nothing of a file that stops between two
		// elements, but for an open transaction.
		if !r.InMulti() {
			return
		}
		msg = "Reached EOF before reading EXEC for MULTI"
	case aof.ErrNestedMulti, aof.ErrExecWithoutMulti:
		msg += " in AOF " + path
	}
	c.printf("0x%16x: %s", e.Offset, msg)
}

// timestamp applies --truncate-to-timestamp to the annotation just read:
// the file is cut before the first time past the limit. cut says it was.
func (c *aofChecker) timestamp(r *aof.Reader, name, path string, last bool) (cut bool, err error) {
	ts, isTS, ok := r.Timestamp()
	if !isTS {
		return false, nil
	}
	if !ok {
		return false, c.fail("Invalid timestamp annotation")
	}
	if ts <= c.to {
		return false, nil
	}
	at := r.Start()
	if at == 0 {
		return false, c.fail("AOF %s has nothing before timestamp %d, aborting...", path, c.to)
	}
	if !last {
		c.printf("Failed to truncate AOF %s to timestamp %d to offset %d because it is not the last file.", path, c.to, at)
		return false, c.fail("If you insist, please delete all files after this file according to the manifest " +
			"file and delete the corresponding records in manifest file manually. Then re-run redis-check-aof.")
	}
	if err := os.Truncate(path, at); err != nil {
		return false, c.fail("Failed to truncate AOF %s to timestamp %d", path, c.to)
	}
	return true, nil
}

// confirm asks redis-check-aof's question; --yes answers it.
func (c *aofChecker) confirm() bool {
	fmt.Fprint(c.out, "Continue? [y/N]: ")
	if c.yes {
		fmt.Fprintln(c.out, "y (--yes)")
		return true
	}
	var b [1]byte
	n, _ := c.stdin.Read(b[:])
	return n == 1 && (b[0] == 'y' || b[0] == 'Y')
}
