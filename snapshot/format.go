package snapshot

import (
	"strconv"
	"strings"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
	"github.com/redoubt-db/redoubt/rdb"
)

// Format is how a snapshot writes the keyspace. Both walk the keyspace
// the same way, in the foreground (Write) or in the background
// (StartBackground); they differ in how a database and a key are
// written.
type Format int

const (
	// RDB is a dump.rdb file, or the RDB base of an AOF (with
	// aof-use-rdb-preamble, Info.AOFBase set).
	RDB Format = iota
	// AOF is the base of an AOF written as commands (aof-use-rdb-preamble
	// no): each database's keys after a SELECT, each key as the commands
	// Redis's rewrite writes (keyspace.DB.RewriteKey).
	AOF
)

// layout writes one format's parts into the walk's buffer.
type layout interface {
	// begin is the start of the file.
	begin(cfg *config.Values, info Info) rdb.Encoder
	// section starts database index, which has keys keys, expires of
	// them with a TTL.
	section(e *rdb.Encoder, index, keys, expires int)
	// record writes key id of db.
	record(db *keyspace.DB, id uint32, e *rdb.Encoder)
	// trailer says whether the file ends with the RDB EOF opcode and
	// checksum.
	trailer() bool
}

func layoutOf(f Format, cfg *config.Values) layout {
	if f == AOF {
		return aofLayout{}
	}
	lru, lfu := accessRecords(cfg)
	return rdbLayout{lru: lru, lfu: lfu}
}

type rdbLayout struct{ lru, lfu bool }

// begin writes the header and AUX fields.
func (rdbLayout) begin(cfg *config.Values, info Info) rdb.Encoder {
	e := rdb.Encoder{Compress: cfg.RDBCompression, B: rdb.AppendHeader(nil)}
	e.Aux("redis-ver", info.Version)
	e.AuxInt("redis-bits", 64)
	e.AuxInt("ctime", info.Now)
	e.AuxInt("used-mem", info.UsedMemory)
	if info.ReplID != "" {
		e.AuxInt("repl-stream-db", int64(info.ReplStreamDB))
		e.Aux("repl-id", info.ReplID)
		e.AuxInt("repl-offset", info.ReplOffset)
	}
	aofBase := int64(0)
	if info.AOFBase {
		aofBase = 1
	}
	e.AuxInt("aof-base", aofBase)
	for _, code := range info.Functions {
		e.Byte(rdb.OpFunction2)
		e.String(code)
	}
	return e
}

// section writes SELECTDB and RESIZEDB.
func (rdbLayout) section(e *rdb.Encoder, index, keys, expires int) {
	e.Byte(rdb.OpSelectDB)
	e.Len(uint64(index))
	e.Byte(rdb.OpResizeDB)
	e.Len(uint64(keys))
	e.Len(uint64(expires))
}

func (l rdbLayout) record(db *keyspace.DB, id uint32, e *rdb.Encoder) {
	db.SaveRecord(id, e, l.lru, l.lfu)
}

func (rdbLayout) trailer() bool { return true }

// accessRecords says which access data records carry: idle times under
// an LRU policy, counters under an LFU one, as Redis writes them.
func accessRecords(cfg *config.Values) (lru, lfu bool) {
	return strings.Contains(cfg.MaxMemoryPolicy, "lru"), strings.Contains(cfg.MaxMemoryPolicy, "lfu")
}

type aofLayout struct{}

// begin writes the timestamp annotation Redis starts a rewritten AOF
// with when aof-timestamp-enabled is on.
func (aofLayout) begin(cfg *config.Values, info Info) rdb.Encoder {
	var e rdb.Encoder
	if cfg.AOFTimestampEnabled {
		e.B = append(e.B, "#TS:"...)
		e.B = strconv.AppendInt(e.B, info.Now, 10)
		e.B = append(e.B, '\r', '\n')
	}
	for _, code := range info.Functions {
		e.B = append(e.B, "*3\r\n$8\r\nFUNCTION\r\n$4\r\nLOAD\r\n$"...)
		e.B = strconv.AppendInt(e.B, int64(len(code)), 10)
		e.B = append(e.B, '\r', '\n')
		e.B = append(e.B, code...)
		e.B = append(e.B, '\r', '\n')
	}
	return e
}

var wordSelect = []byte("SELECT")

// section writes SELECT index, as Redis's rewrite does before each
// non-empty database.
func (aofLayout) section(e *rdb.Encoder, index, keys, expires int) {
	var n [20]byte
	e.B = protocol.AppendCommandBytes(e.B, wordSelect, strconv.AppendInt(n[:0], int64(index), 10))
}

func (aofLayout) record(db *keyspace.DB, id uint32, e *rdb.Encoder) {
	w := protocol.Writer{Buf: e.B}
	db.RewriteKey(id, &w)
	e.B = w.Buf
}

func (aofLayout) trailer() bool { return false }
