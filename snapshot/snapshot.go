// Package snapshot writes the keyspace to an RDB file and loads one back:
// SAVE, DEBUG RELOAD, the save at shutdown and the load at start-up. The
// files are Redis 7.0's (version 10), so a dump.rdb moves between Redis
// and Redoubt in both directions and passes redis-check-rdb.
//
// Values are written by their types (keyspace.DB.SaveValue) in the exact
// bytes Redis writes; this package adds the framing: header, AUX fields,
// one SELECTDB and RESIZEDB per non-empty database, per-key expiry and
// access data, EOF and the CRC-64.
//
// A save is a foreground walk of the keyspace under the engine lock, as
// Redis's SAVE is. A load maps the file into memory rather than reading
// it onto the heap, and checks everything: a file that is truncated,
// corrupt, or has a bad checksum loads nothing beyond the error.
package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/internal/filemap"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
)

// Info is what a file records about the server that wrote it.
type Info struct {
	Version    string // redis-ver
	UsedMemory int64  // used-mem
	Now        int64  // ctime, Unix seconds
	// AOFBase marks an RDB file written as the base of an AOF (the
	// aof-base AUX field).
	AOFBase bool
	// Functions is the code of each function library, saved before the
	// keys (FUNCTION2 records in an RDB file, FUNCTION LOAD commands in
	// an AOF).
	Functions [][]byte
	// ReplID and ReplOffset are the replication history the data
	// belongs to, and ReplStreamDB the database the stream was in
	// (repl-id, repl-offset and repl-stream-db): a replica restarted
	// from the file continues from its primary with a partial
	// resynchronisation. Empty ReplID writes none.
	ReplID       string
	ReplOffset   int64
	ReplStreamDB int
	// NoData leaves the keys out: a background snapshot of NoData
	// holds the header and the functions only (a replica's
	// rdb-filter-only).
	NoData bool
}

// flushAt is the buffered size at which records go to the file.
const flushAt = 64 << 10

// fileWriter writes a file through a buffer, keeping the CRC-64 of what
// went by for the end of an RDB file.
type fileWriter struct {
	w        *bufio.Writer
	crc      uint64
	checksum bool
	// rdb: the file ends with the EOF opcode and the checksum.
	rdb bool
}

func (f *fileWriter) Write(p []byte) error {
	f.crc = rdb.CRC64(f.crc, p)
	_, err := f.w.Write(p)
	return err
}

// end ends an RDB file with the EOF opcode and the checksum, and
// flushes.
func (f *fileWriter) end() error {
	if f.rdb {
		if _, err := f.w.Write(rdb.AppendEOF(nil, f.crc, f.checksum)); err != nil {
			return err
		}
	}
	return f.w.Flush()
}

// Write writes the keyspace to w as an RDB file.
func Write(w io.Writer, ks *keyspace.Keyspace, cfg *config.Values, info Info) error {
	return WriteAs(RDB, w, ks, cfg, info)
}

// WriteAs writes the keyspace to w in format f, in the foreground.
func WriteAs(f Format, w io.Writer, ks *keyspace.Keyspace, cfg *config.Values, info Info) error {
	l := layoutOf(f, cfg)
	fw := &fileWriter{w: bufio.NewWriterSize(w, flushAt), checksum: cfg.RDBChecksum, rdb: l.trailer()}
	e := l.begin(cfg, info)
	var err error
	for n, db := range ks.DBs {
		if db.Len() == 0 {
			continue
		}
		l.section(&e, n, db.Len(), db.ExpiresLen())
		db.Dict().ForEach(func(id uint32) bool {
			l.record(db, id, &e)
			if cfg.RDBKeySaveDelay > 0 {
				// rdb-key-save-delay (for tests): slow, as Redis's rdbSave.
				time.Sleep(time.Duration(cfg.RDBKeySaveDelay) * time.Microsecond)
			}
			if len(e.B) >= flushAt {
				err = fw.Write(e.B)
				e.B = e.B[:0]
			}
			return err == nil
		})
	}
	if err == nil {
		err = fw.Write(e.B)
	}
	if err == nil {
		err = fw.end()
	}
	return err
}

// Save writes the keyspace to path (see saveFile).
func Save(path string, ks *keyspace.Keyspace, cfg *config.Values, info Info) error {
	return saveFile(path, "temp-"+strconv.Itoa(os.Getpid())+".rdb", func(w io.Writer) error {
		return Write(w, ks, cfg, info)
	})
}

// SaveAs writes the keyspace in format f to tmp, then renames it to path
// (see saveFile): an AOF base written at start-up goes through a
// temporary file in the working directory, as Redis's does.
func SaveAs(f Format, tmp, path string, ks *keyspace.Keyspace, cfg *config.Values, info Info) error {
	return writeRename(tmp, path, func(w io.Writer) error {
		return WriteAs(f, w, ks, cfg, info)
	}, nil)
}

// saveFile writes a file as Redis does: to a temporary file in the same
// directory, synced, then renamed over path, so that a crash never leaves
// a half-written file under the real name.
func saveFile(path, tmpName string, write func(io.Writer) error) error {
	return writeRename(filepath.Join(filepath.Dir(path), tmpName), path, write, nil)
}

// writeRename writes a file to tmp, syncs it, renames it to path and
// syncs path's directory.
func writeRename(tmp, path string, write func(io.Writer) error, check func() error) error {
	dir := filepath.Dir(path)
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", filepath.Base(tmp), filepath.Dir(tmp), err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil && check != nil {
		err = check()
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("Write error saving DB on disk: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// LoadOptions say how a file joins the keyspace.
type LoadOptions struct {
	// Now is the time, in Unix ms, against which expiry is judged: keys
	// whose time has passed are dropped, as a master drops them. Zero
	// keeps every key, as Redis loads an AOF's RDB preamble.
	Now int64
	// Replace lets a key in the file replace one already in the keyspace
	// (DEBUG RELOAD MERGE); otherwise a duplicate is an error.
	Replace bool
	// Yield, if set, is called each time YieldEvery more bytes are
	// loaded, with the bytes loaded so far: the server serves other
	// clients (-LOADING) in between, as Redis does.
	Yield      func(loaded int64)
	YieldEvery int64
	// KeyDelay slows the load down per key (key-load-delay, for tests).
	KeyDelay func()
	// Expired, if set, is told of each key not loaded because its time
	// had passed, with its database's index.
	Expired func(db int, key []byte)
	// EmptyKey, if set, is told of each empty collection skipped.
	EmptyKey func(key []byte)
	// Function loads a function library's code found in the file; a
	// file with libraries cannot be loaded without it.
	Function func(code []byte) error
}

// Loaded describes a loaded file.
type Loaded struct {
	Version    string // the redis-ver AUX field, if any
	CTime      int64  // the ctime AUX field, Unix seconds, or 0
	UsedMemory int64  // the used-mem AUX field, or 0
	// ReplID, ReplOffset and ReplStreamDB are the repl-* AUX fields
	// (see Info); ReplID is empty without them.
	ReplID       string
	ReplOffset   int64
	ReplStreamDB int
	Keys         int64 // keys loaded
	Libraries    int64 // function libraries loaded
	Expired      int64 // keys dropped because their time had passed
	// EmptySkipped counts collections with no element, which are not
	// loaded (Redis 7.0 skips them too; older versions could save them).
	EmptySkipped int64
	// Size is how many bytes of the data the file took, up to its
	// checksum: an old AOF with an RDB preamble goes on with commands.
	Size int64
}

// ErrNotFound is Load's error when there is no file to load.
var ErrNotFound = errors.New("no RDB file")

// Load reads the RDB file at path into the keyspace.
func Load(path string, ks *keyspace.Keyspace, cfg *config.Values, opts LoadOptions) (Loaded, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return Loaded{}, ErrNotFound
	}
	if err != nil {
		return Loaded{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Loaded{}, err
	}
	if st.Size() == 0 {
		return Read(nil, ks, cfg, opts)
	}
	// A private mapping: loaders only read it, and a stray write would
	// change a private copy of a page, never the file.
	data, err := filemap.CopyOnWrite(f, int(st.Size()))
	if err != nil {
		return Loaded{}, err
	}
	defer filemap.Unmap(data)
	return Read(data, ks, cfg, opts)
}

// Read loads an RDB file's bytes into the keyspace. Nothing it returns
// aliases data. On error, keys loaded before the fault stay.
func Read(data []byte, ks *keyspace.Keyspace, cfg *config.Values, opts LoadOptions) (Loaded, error) {
	var out Loaded
	version, err := rdb.ParseHeader(data)
	if err != nil {
		return out, err
	}
	d := rdb.NewDecoder(data[rdb.HeaderSize:])
	corrupt := func(what string) (Loaded, error) {
		return out, fmt.Errorf("RDB file corrupt at offset %d: %s", len(data)-d.Remaining(), what)
	}
	db := ks.DBs[0]
	expire, idle, freq := int64(-1), int64(-1), int64(-1)
	var key []byte
	nextYield := opts.YieldEvery
	for {
		if opts.Yield != nil {
			if done := int64(len(data) - d.Remaining()); done >= nextYield {
				opts.Yield(done)
				nextYield = done + opts.YieldEvery
			}
		}
		t := d.Byte()
		if d.Err() != nil {
			return corrupt("unexpected end of file")
		}
		switch t {
		case rdb.OpExpireTime:
			if p := d.Raw(4); p != nil {
				expire = int64(binary.LittleEndian.Uint32(p)) * 1000
			}
			continue
		case rdb.OpExpireTimeMs:
			expire = d.Millis()
			continue
		case rdb.OpIdle:
			idle = int64(d.Len())
			continue
		case rdb.OpFreq:
			freq = int64(d.Byte())
			continue
		case rdb.OpSelectDB:
			n := d.Len()
			if n >= uint64(len(ks.DBs)) {
				return out, fmt.Errorf("Data file was created with a Redis server configured to handle more than %d databases", len(ks.DBs))
			}
			db = ks.DBs[n]
			continue
		case rdb.OpResizeDB:
			d.Len()
			d.Len()
			continue
		case rdb.OpAux:
			k := string(d.String())
			v := string(d.String())
			switch k {
			case "redis-ver":
				out.Version = v
			case "ctime":
				out.CTime, _ = strconv.ParseInt(v, 10, 64)
			case "used-mem":
				out.UsedMemory, _ = strconv.ParseInt(v, 10, 64)
			case "repl-id":
				out.ReplID = v
			case "repl-offset":
				out.ReplOffset, _ = strconv.ParseInt(v, 10, 64)
			case "repl-stream-db":
				n, _ := strconv.Atoi(v)
				out.ReplStreamDB = n
			}
			continue
		case rdb.OpModuleAux:
			return corrupt("the file holds module data, which Redoubt cannot load")
		case rdb.OpFunction2:
			code := d.String()
			if d.Err() != nil {
				return corrupt("truncated function library")
			}
			if opts.Function == nil {
				return corrupt("the file holds function libraries and nothing loads them")
			}
			if err := opts.Function(code); err != nil {
				return out, fmt.Errorf("Failed loading library: %v", err)
			}
			out.Libraries++
			continue
		case rdb.OpFunction:
			return corrupt("the file holds function libraries in the format of Redis 7.0's release candidates, which Redoubt cannot load")
		case rdb.OpEOF:
			err := checkEnd(data, d, version, cfg)
			out.Size = int64(len(data) - d.Remaining())
			return out, err
		}
		key = append(key[:0], d.String()...)
		kind, enc, val, ok := ks.LoadTyped(cfg, t, d)
		if !ok && d.SkipEmpty() {
			out.EmptySkipped++
			if opts.EmptyKey != nil {
				opts.EmptyKey(key)
			}
			expire, idle, freq = -1, -1, -1
			continue
		}
		if !ok {
			return corrupt(fmt.Sprintf("bad value of type %d for key %q", t, key))
		}
		if expire >= 0 && opts.Now > 0 && expire < opts.Now {
			ks.FreeValue(kind, enc, val)
			out.Expired++
			if opts.Expired != nil {
				opts.Expired(db.ID, key)
			}
		} else {
			if old := db.Find(key); old != dict.None {
				if !opts.Replace {
					ks.FreeValue(kind, enc, val)
					return corrupt(fmt.Sprintf("duplicated key %q", key))
				}
				db.Delete(old)
			}
			id := db.Add(key, kind, enc, val)
			if expire >= 0 {
				db.SetExpire(id, expire)
			}
			db.SetAccess(id, idle, freq)
			out.Keys++
		}
		if opts.KeyDelay != nil {
			opts.KeyDelay()
		}
		expire, idle, freq = -1, -1, -1
	}
}

// checkEnd verifies the checksum after the EOF opcode (version 5 on):
// zero means the writer had rdbchecksum off.
func checkEnd(data []byte, d *rdb.Decoder, version int, cfg *config.Values) error {
	if version < 5 {
		return nil
	}
	end := len(data) - d.Remaining()
	sum := d.Millis()
	if d.Err() != nil {
		return fmt.Errorf("RDB file corrupt: the checksum is missing")
	}
	if sum != 0 && cfg.RDBChecksum {
		if got := rdb.CRC64(0, data[:end]); uint64(sum) != got {
			return fmt.Errorf("Wrong RDB checksum expected: (%x) got (%x): RDB CRC error", uint64(sum), got)
		}
	}
	return nil
}
