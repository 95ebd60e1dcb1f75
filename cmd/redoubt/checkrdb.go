package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"

	// The types register the loaders of their RDB encodings.
	_ "github.com/redoubt-db/redoubt/types/hash"
	_ "github.com/redoubt-db/redoubt/types/list"
	_ "github.com/redoubt-db/redoubt/types/set"
	_ "github.com/redoubt-db/redoubt/types/stream"
	_ "github.com/redoubt-db/redoubt/types/zset"
)

// The RDB check walks the file record by record, as redis-check-rdb does
// beside Redis's loader, so that it can say where it is and what it was
// reading, and where the RDB ends when it is an AOF's preamble. Each value
// goes through the loader Redoubt uses (keyspace.LoadTyped, with every
// check the types make) and is freed at once; the keys stay, with no
// value, in a throwaway keyspace off the Go heap, to find duplicates. The
// framing follows snapshot.Read, and a test holds the two to the same
// verdict on every cut and flipped byte of sample files.

// rdbTypeNames are redis-check-rdb's names of the object types.
var rdbTypeNames = []string{"string", "list-linked", "set-hashtable", "zset-v1", "hash-hashtable",
	"zset-v2", "module-value", "", "", "hash-zipmap", "list-ziplist", "set-intset", "zset-ziplist",
	"hash-ziplist", "quicklist", "stream", "hash-listpack", "zset-listpack", "quicklist-v2", "stream-v2"}

// isObjectType is Redis's rdbIsObjectType.
func isObjectType(t byte) bool { return t <= 7 || (t >= 9 && t <= 19) }

// A value that fails this close to the end of the data is loaded again
// with zeros after the end, to tell a cut file from bad bytes.
const (
	tornCheckMax = 64 << 20
	tornPad      = 4 << 20
)

type rdbFault struct {
	off int
	msg string
}

type rdbChecker struct {
	out     io.Writer
	prog    *progress
	data    []byte
	cfg     *config.Values
	ks      *keyspace.Keyspace
	now     int64
	doing   string
	key     []byte
	hasKey  bool
	keyType int
	keys    int64
	expires int64
	expired int64
}

// checkRDB checks the RDB file at the start of data (an AOF base goes on
// with commands after it), printing what redis-check-rdb prints under the
// file's name. It returns the offset just after the RDB and whether it is
// sound.
func checkRDB(out, progOut io.Writer, name string, data []byte) (int, bool) {
	c := &rdbChecker{
		out: out, prog: newProgress(progOut, name, int64(len(data))), data: data,
		cfg: &config.New().Values, ks: keyspace.New(16), now: time.Now().UnixMilli(), keyType: -1,
	}
	defer c.ks.Arena.Release()
	c.info(0, "Checking RDB file %s", name)
	c.doing = "start"
	end, fault := c.walk()
	if fault != nil {
		fmt.Fprintf(out, "--- RDB ERROR DETECTED ---\n[offset %d] %s\n[additional info] While doing: %s\n", fault.off, fault.msg, c.doing)
		if c.hasKey {
			fmt.Fprintf(out, "[additional info] Reading key '%s'\n", cString(c.key))
		}
		if c.keyType >= 0 {
			tn := "unknown"
			if c.keyType < len(rdbTypeNames) {
				tn = rdbTypeNames[c.keyType]
			}
			fmt.Fprintf(out, "[additional info] Reading type %d (%s)\n", c.keyType, tn)
		}
		c.summary()
		return 0, false
	}
	c.info(end, `\o/ RDB looks OK! \o/`)
	c.summary()
	return end, true
}

func (c *rdbChecker) info(off int, format string, args ...any) {
	fmt.Fprintf(c.out, "[offset %d] %s\n", off, fmt.Sprintf(format, args...))
}

func (c *rdbChecker) summary() {
	fmt.Fprintf(c.out, "[info] %d keys read\n[info] %d expires\n[info] %d already expired\n", c.keys, c.expires, c.expired)
}

func (c *rdbChecker) walk() (int, *rdbFault) {
	data := c.data
	if len(data) < rdb.HeaderSize {
		return 0, &rdbFault{0, "Unexpected EOF reading RDB file"}
	}
	version, err := rdb.ParseHeader(data)
	if err != nil {
		return 0, &rdbFault{rdb.HeaderSize, err.Error()}
	}
	d := rdb.NewDecoder(data[rdb.HeaderSize:])
	off := func() int { return len(data) - d.Remaining() }
	eof := func() (int, *rdbFault) { return 0, &rdbFault{off(), "Unexpected EOF reading RDB file"} }
	fail := func(msg string) (int, *rdbFault) { return 0, &rdbFault{off(), msg} }
	db := c.ks.DBs[0]
	expire := int64(-1)
	for {
		c.prog.at(int64(off()))
		c.doing = "read-type"
		t := d.Byte()
		if d.Err() != nil {
			return eof()
		}
		switch t {
		case rdb.OpExpireTime:
			c.doing = "read-expire"
			if p := d.Raw(4); p != nil {
				expire = int64(binary.LittleEndian.Uint32(p)) * 1000
			}
		case rdb.OpExpireTimeMs:
			c.doing = "read-expire"
			expire = d.Millis()
		case rdb.OpFreq:
			d.Byte()
		case rdb.OpIdle:
			d.Len()
		case rdb.OpSelectDB:
			c.doing = "read-len"
			n := d.Len()
			if d.Err() != nil {
				return eof()
			}
			c.info(off(), "Selecting DB ID %d", n)
			if n >= uint64(len(c.ks.DBs)) {
				return fail(fmt.Sprintf("Data file was created with a Redis server configured to handle more than %d databases", len(c.ks.DBs)))
			}
			db = c.ks.DBs[n]
		case rdb.OpResizeDB:
			c.doing = "read-len"
			d.Len()
			d.Len()
		case rdb.OpAux:
			c.doing = "read-aux"
			k := string(cString(d.String()))
			v := string(cString(d.String()))
			if d.Err() != nil {
				return eof()
			}
			c.info(off(), "AUX FIELD %s = '%s'", k, v)
		case rdb.OpModuleAux:
			c.doing = "read-module-aux"
			return fail("The file holds module data, which Redoubt cannot load")
		case rdb.OpFunction2:
			c.doing = "read-functions"
			d.String()
			if d.Err() != nil {
				return eof()
			}
		case rdb.OpFunction:
			c.doing = "read-functions"
			return fail("The file holds function libraries in the format of Redis 7.0's release candidates, which Redoubt cannot load")
		case rdb.OpEOF:
			return c.checksum(d, version)
		default:
			if fault := c.record(t, d, db, expire); fault != nil {
				return 0, fault
			}
			expire = -1
		}
		if d.Err() != nil {
			return eof()
		}
	}
}

// record reads a key and its value, of type t.
func (c *rdbChecker) record(t byte, d *rdb.Decoder, db *keyspace.DB, expire int64) *rdbFault {
	off := func() int { return len(c.data) - d.Remaining() }
	if !isObjectType(t) {
		return &rdbFault{off(), fmt.Sprintf("Invalid object type: %d", t)}
	}
	c.keyType = int(t)
	c.doing = "read-key"
	k := d.String()
	if d.Err() != nil {
		return &rdbFault{off(), "Unexpected EOF reading RDB file"}
	}
	c.key, c.hasKey = append(c.key[:0], k...), true
	c.keys++
	c.doing = "read-object-value"
	start := off()
	kind, enc, val, ok := c.ks.LoadTyped(c.cfg, t, d)
	if !ok && d.SkipEmpty() {
		// Redis's loader skips a collection with no element, where
		// redis-check-rdb stops with "Unexpected EOF": the check says
		// what the server will do.
		c.info(off(), "Skipping empty key '%s', as the server does when loading", cString(c.key))
		c.hasKey, c.keyType = false, -1
		return nil
	}
	if !ok {
		return c.valueFault(t, start, off())
	}
	c.ks.FreeValue(kind, enc, val)
	if expire != -1 {
		c.expires++
		if expire < c.now {
			c.expired++
		}
	}
	if db.Find(c.key) != dict.None {
		return &rdbFault{off(), fmt.Sprintf("Duplicated key '%s'", cString(c.key))}
	}
	e, v := keyspace.IntValue(0)
	db.Add(c.key, keyspace.KindString, e, v)
	c.hasKey, c.keyType = false, -1
	return nil
}

// valueFault says why the value at start failed at offset at.
func (c *rdbChecker) valueFault(t byte, start, at int) *rdbFault {
	if t == rdb.TypeModule || t == rdb.TypeModule2 {
		return &rdbFault{at, "The file holds a module value, which Redoubt cannot load"}
	}
	if c.torn(t, start, at) {
		return &rdbFault{at, "Unexpected EOF reading RDB file"}
	}
	return &rdbFault{at, "Bad data format"}
}

// torn says whether the value at start failed at offset at for want of
// bytes: loaded again with zeros after the end of the data, it gets past
// the end.
func (c *rdbChecker) torn(t byte, start, at int) bool {
	rest := len(c.data) - start
	if rest > tornCheckMax {
		return false
	}
	buf := make([]byte, rest+tornPad)
	copy(buf, c.data[start:])
	d := rdb.NewDecoder(buf)
	kind, enc, val, ok := c.ks.LoadTyped(c.cfg, t, d)
	if ok {
		c.ks.FreeValue(kind, enc, val)
		return true
	}
	return start+len(buf)-d.Remaining() > at
}

// checksum reads the CRC-64 after the EOF opcode (version 5 on): zero
// when the writer had rdbchecksum off.
func (c *rdbChecker) checksum(d *rdb.Decoder, version int) (int, *rdbFault) {
	end := len(c.data) - d.Remaining()
	if version < 5 {
		return end, nil
	}
	c.doing = "check-sum"
	p := d.Raw(8)
	if p == nil {
		return 0, &rdbFault{end, "Unexpected EOF reading RDB file"}
	}
	sum := binary.LittleEndian.Uint64(p)
	switch {
	case sum == 0:
		c.info(end+8, "RDB file was saved with checksum disabled: no check performed.")
	case sum != rdb.CRC64(0, c.data[:end]):
		return 0, &rdbFault{end + 8, "RDB CRC error"}
	default:
		c.info(end+8, "Checksum OK")
	}
	return end + 8, nil
}

// cString is b as C prints it: up to its first NUL byte.
func cString(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

func checkRDBMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		fmt.Fprintln(stderr, "Usage: redoubt check-rdb <rdb-file-name>")
		return 1
	}
	name := args[0]
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(stdout, "[offset 0] Checking RDB file %s\nCannot open file %s: %s\n", name, name, strerror(err))
		return 1
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		fmt.Fprintf(stdout, "Cannot stat file: %s\n", name)
		return 1
	}
	data, unmap, err := mapFile(f, st.Size())
	if err != nil {
		fmt.Fprintf(stdout, "Cannot read file %s: %s\n", name, strerror(err))
		return 1
	}
	defer unmap()
	if _, ok := checkRDB(stdout, stderr, name, data); !ok {
		return 1
	}
	return 0
}
