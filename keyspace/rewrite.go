package keyspace

import (
	"github.com/redoubt-db/redoubt/protocol"
)

// An AOF rewrite writes each key as the commands that rebuild it, in the
// bytes Redis 7.0's rewriteAppendOnlyFileRio writes when
// aof-use-rdb-preamble is no: each command a RESP array of bulk strings
// (protocol.Writer's Array and Bulk are exactly that encoding), the value
// first, then PEXPIREAT when the key has a TTL. Strings are the
// keyspace's own; each other kind registers a Rewriter.
//
// Collections are written as they are walked, RewriteItemsPerCmd elements
// per command, never copied out first: a value of a million elements costs
// the output and nothing else.

// A Rewriter writes the commands that rebuild the value val of encoding e
// at key.
type Rewriter func(ks *Keyspace, e Encoding, val uint64, key []byte, w *protocol.Writer)

var rewriters [8]Rewriter

// RegisterRewriter installs the rewriter of a kind. Type packages call it
// from an init function.
func RegisterRewriter(k Kind, r Rewriter) { rewriters[k] = r }

// RewriteKey writes the commands that rebuild key id: its value (SET for
// a string, whatever the kind's Rewriter writes otherwise), then
// PEXPIREAT with its deadline if it has one, as Redis's AOF rewrite does.
func (db *DB) RewriteKey(id uint32, w *protocol.Writer) {
	key := db.dict.Key(id)
	ent := db.dict.At(id)
	k, e := Kind(ent.Meta>>kindShift), Encoding(ent.Meta>>encShift&0xf)
	if k == KindString {
		// Redis writes an int-encoded string as its decimal form
		// (rioWriteBulkObject), which is what String formats.
		var buf [20]byte
		w.Array(3)
		w.BulkString("SET")
		w.Bulk(key)
		w.Bulk(db.String(id, buf[:]))
	} else {
		r := rewriters[k]
		if r == nil {
			panic("keyspace: no Rewriter registered for " + k.String())
		}
		r(db.ks, e, ent.Val, key, w)
	}
	if when := db.Expire(id); when >= 0 {
		w.Array(3)
		w.BulkString("PEXPIREAT")
		w.Bulk(key)
		w.BulkInt(when)
	}
}

// RewriteItemsPerCmd is the most elements one command of a rewrite
// carries (Redis's AOF_REWRITE_ITEMS_PER_CMD).
const RewriteItemsPerCmd = 64

// Batch writes a collection's elements as commands "NAME key element ...",
// each carrying RewriteItemsPerCmd elements but the last, which carries
// the rest: Redis's rewrite*Object loops. Call Next before writing each
// element's arguments.
type Batch struct {
	w    *protocol.Writer
	name string
	key  []byte
	args int // arguments per element: 1, or 2 for score/member, field/value
	left int // elements not yet started
	room int // elements the current command still takes
}

// NewBatch prepares to write n elements of args arguments each with the
// command name.
func NewBatch(w *protocol.Writer, name string, key []byte, n, args int) Batch {
	return Batch{w: w, name: name, key: key, args: args, left: n}
}

// Next starts a command when the current one is full (or none is
// started), then counts one element.
func (b *Batch) Next() {
	if b.room == 0 {
		b.room = min(b.left, RewriteItemsPerCmd)
		b.w.Array(2 + b.room*b.args)
		b.w.BulkString(b.name)
		b.w.Bulk(b.key)
	}
	b.room--
	b.left--
}
