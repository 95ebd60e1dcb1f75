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
	"strings"
	"syscall"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
)

// Info is what a file records about the server that wrote it.
type Info struct {
	Version    string // redis-ver
	UsedMemory int64  // used-mem
	Now        int64  // ctime, Unix seconds
}

// flushAt is the buffered size at which records go to the file.
const flushAt = 64 << 10

// fileWriter writes an RDB file through a buffer, keeping the CRC-64 of
// what went by for the end of the file.
type fileWriter struct {
	w        *bufio.Writer
	crc      uint64
	checksum bool
}

func (f *fileWriter) Write(p []byte) error {
	f.crc = rdb.CRC64(f.crc, p)
	_, err := f.w.Write(p)
	return err
}

// end writes the EOF opcode and the checksum, and flushes.
func (f *fileWriter) end() error {
	if _, err := f.w.Write(rdb.AppendEOF(nil, f.crc, f.checksum)); err != nil {
		return err
	}
	return f.w.Flush()
}

// preamble is the start of a file: header and AUX fields.
func preamble(cfg *config.Values, info Info) rdb.Encoder {
	e := rdb.Encoder{Compress: cfg.RDBCompression, B: rdb.AppendHeader(nil)}
	e.Aux("redis-ver", info.Version)
	e.AuxInt("redis-bits", 64)
	e.AuxInt("ctime", info.Now)
	e.AuxInt("used-mem", info.UsedMemory)
	e.AuxInt("aof-base", 0)
	return e
}

// accessRecords says which access data records carry: idle times under
// an LRU policy, counters under an LFU one, as Redis writes them.
func accessRecords(cfg *config.Values) (lru, lfu bool) {
	return strings.Contains(cfg.MaxMemoryPolicy, "lru"), strings.Contains(cfg.MaxMemoryPolicy, "lfu")
}

// appendSection starts a database's records: SELECTDB and RESIZEDB.
func appendSection(e *rdb.Encoder, index, keys, expires int) {
	e.Byte(rdb.OpSelectDB)
	e.Len(uint64(index))
	e.Byte(rdb.OpResizeDB)
	e.Len(uint64(keys))
	e.Len(uint64(expires))
}

// Write writes the keyspace to w as an RDB file.
func Write(w io.Writer, ks *keyspace.Keyspace, cfg *config.Values, info Info) error {
	f := &fileWriter{w: bufio.NewWriterSize(w, flushAt), checksum: cfg.RDBChecksum}
	e := preamble(cfg, info)
	lru, lfu := accessRecords(cfg)
	var err error
	for n, db := range ks.DBs {
		if db.Len() == 0 {
			continue
		}
		appendSection(&e, n, db.Len(), db.ExpiresLen())
		db.Dict().ForEach(func(id uint32) bool {
			db.SaveRecord(id, &e, lru, lfu)
			if len(e.B) >= flushAt {
				err = f.Write(e.B)
				e.B = e.B[:0]
			}
			return err == nil
		})
	}
	if err == nil {
		err = f.Write(e.B)
	}
	if err == nil {
		err = f.end()
	}
	return err
}

// Save writes the keyspace to path (see saveFile).
func Save(path string, ks *keyspace.Keyspace, cfg *config.Values, info Info) error {
	return saveFile(path, "temp-"+strconv.Itoa(os.Getpid())+".rdb", func(w io.Writer) error {
		return Write(w, ks, cfg, info)
	})
}

// saveFile writes a file as Redis does: to a temporary file in the same
// directory, synced, then renamed over path, so that a crash never leaves
// a half-written file under the real name.
func saveFile(path, tmpName string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp := filepath.Join(dir, tmpName)
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("Failed opening the temp RDB file %s (in server root dir %s) for saving: %w", tmpName, dir, err)
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
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
	// whose time has passed are dropped, as a master drops them.
	Now int64
	// Replace lets a key in the file replace one already in the keyspace
	// (DEBUG RELOAD MERGE); otherwise a duplicate is an error.
	Replace bool
}

// Loaded describes a loaded file.
type Loaded struct {
	Version    string // the redis-ver AUX field, if any
	CTime      int64  // the ctime AUX field, Unix seconds, or 0
	UsedMemory int64  // the used-mem AUX field, or 0
	Keys       int64  // keys loaded
	Expired    int64  // keys dropped because their time had passed
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
	data, err := syscall.Mmap(int(f.Fd()), 0, int(st.Size()), syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_PRIVATE)
	if err != nil {
		return Loaded{}, err
	}
	defer syscall.Munmap(data)
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
	for {
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
			}
			continue
		case rdb.OpModuleAux:
			return corrupt("the file holds module data, which Redoubt cannot load")
		case rdb.OpFunction, rdb.OpFunction2:
			return corrupt("the file holds function libraries, which Redoubt cannot load yet")
		case rdb.OpEOF:
			return out, checkEnd(data, d, version, cfg)
		}
		key = append(key[:0], d.String()...)
		kind, enc, val, ok := ks.LoadTyped(cfg, t, d)
		if !ok {
			return corrupt(fmt.Sprintf("bad value of type %d for key %q", t, key))
		}
		if expire >= 0 && expire < opts.Now {
			ks.FreeValue(kind, enc, val)
			out.Expired++
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
			return fmt.Errorf("Wrong RDB checksum expected: (%x) got (%x)", uint64(sum), got)
		}
	}
	return nil
}
