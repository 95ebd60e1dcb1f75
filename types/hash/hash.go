// Package hash implements the hash commands (Redis's t_hash.c).
//
// A hash has Redis's two encodings, and OBJECT ENCODING names them as
// Redis does:
//
//   - listpack: field, value, field, value ... in one listpack (Redis 7.0's
//     byte layout, see package listpack) held in a single arena blob. A hash
//     stays so while it has at most hash-max-listpack-entries fields and
//     every field and value is at most hash-max-listpack-value bytes; new
//     fields are appended, so the blob costs what Redis's allocation costs.
//     Growing the blob moves it to an exactly fitting slot, not a doubled
//     one: small hashes are numerous and mostly read once built.
//   - hashtable: a dict (package dict) whose keys are the fields and whose
//     entry values are arena refs of the values. Its slabs and buckets
//     hold no Go pointers, so a hash of millions of fields costs the
//     garbage collector one small object, kept in the keyspace's object
//     table. Deletes compact the dict's ids as they go so random picks
//     (HRANDFIELD) stay O(1).
//
// A hash converts from listpack to hashtable exactly where Redis's does
// (before a write of a too long argument, after a write that exceeds the
// field count, in HINCRBY* when the field or result is too long) and never
// back. Replies are written straight from the listpack or the arena, and
// the hot commands do not allocate.
package hash

import (
	"math"
	"math/big"
	"strconv"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keys"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/listpack"
	"github.com/redoubt-db/redoubt/longdouble"
	"github.com/redoubt-db/redoubt/protocol"
)

// Register adds the hash commands to t.
func Register(t *command.Table) {
	t.Handle("hset", func(c *command.Ctx) { hset(c, false) })
	t.Handle("hmset", func(c *command.Ctx) { hset(c, true) })
	t.Handle("hsetnx", hsetnx)
	t.Handle("hget", hget)
	t.Handle("hmget", hmget)
	t.Handle("hgetall", func(c *command.Ctx) { hgetall(c, true, true) })
	t.Handle("hkeys", func(c *command.Ctx) { hgetall(c, true, false) })
	t.Handle("hvals", func(c *command.Ctx) { hgetall(c, false, true) })
	t.Handle("hlen", hlen)
	t.Handle("hexists", hexists)
	t.Handle("hstrlen", hstrlen)
	t.Handle("hdel", hdel)
	t.Handle("hincrby", hincrby)
	t.Handle("hincrbyfloat", hincrbyfloat)
	t.Handle("hrandfield", hrandfield)
	t.Handle("hscan", hscan)
}

// hset is HSET key field value [field value ...], and HMSET, which
// replies OK instead of the number of new fields.
func hset(c *command.Ctx, hmset bool) {
	if len(c.Args)%2 == 1 {
		c.ArityErr()
		return
	}
	key := c.Args[1]
	id, ok := lookupCreate(c, key)
	if !ok {
		return
	}
	tryConvert(c, id, c.Args[2:])
	var created int64
	for i := 2; i < len(c.Args); i += 2 {
		if !set(c, id, c.Args[i], c.Args[i+1]) {
			created++
		}
	}
	if hmset {
		c.W.OK()
	} else {
		c.W.Int(created)
	}
	c.Changed(key, command.EvHash, "hset")
	c.Dirty += int64(len(c.Args)-2)/2 - 1
}

func hsetnx(c *command.Ctx) {
	key, field := c.Args[1], c.Args[2]
	id, ok := lookupCreate(c, key)
	if !ok {
		return
	}
	if _, _, _, found := get(c, id, field); found {
		c.W.Int(0)
		return
	}
	tryConvert(c, id, c.Args[2:4])
	set(c, id, field, c.Args[3])
	c.W.Int(1)
	c.Changed(key, command.EvHash, "hset")
}

// writeField replies with the value of field, or a null if it is missing.
func writeField(c *command.Ctx, id uint32, field []byte) {
	s, n, isInt, found := get(c, id, field)
	switch {
	case !found:
		c.W.Null()
	case isInt:
		c.W.BulkInt(n)
	default:
		c.W.Bulk(s)
	}
}

func hget(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	writeField(c, id, c.Args[2])
}

// hmget replies with a null for every field of a missing key.
func hmget(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	c.W.Array(len(c.Args) - 2)
	for _, f := range c.Args[2:] {
		if id == dict.None {
			c.W.Null()
		} else {
			writeField(c, id, f)
		}
	}
}

// hgetall is HGETALL (a map), HKEYS and HVALS (arrays), in the order the
// encoding keeps: insertion order for a listpack, dict order otherwise.
func hgetall(c *command.Ctx, fields, values bool) {
	both := fields && values
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	n := 0
	if id != dict.None {
		n = keyLen(c, id)
	}
	if both {
		c.W.Map(n)
	} else {
		c.W.Array(n)
	}
	if n == 0 {
		return
	}
	if c.DB.Encoding(id) == keyspace.EncListpack {
		lp := c.DB.Blob(id)
		for off := listpack.First(lp); off >= 0; {
			voff := listpack.Next(lp, off)
			if fields {
				writeElem(c, lp, off)
			}
			if values {
				writeElem(c, lp, voff)
			}
			off = listpack.Next(lp, voff)
		}
		return
	}
	d := table(c.KS, c.DB.Value(id))
	d.ForEach(func(eid uint32) bool {
		writeEntry(c, d, eid, fields, values)
		return true
	})
}

func hlen(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	c.W.Int(int64(keyLen(c, id)))
}

func hexists(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	found := false
	if id != dict.None {
		_, _, _, found = get(c, id, c.Args[2])
	}
	if found {
		c.W.Int(1)
	} else {
		c.W.Int(0)
	}
}

// hstrlen counts the digits of a value a listpack keeps as an integer.
func hstrlen(c *command.Ctx) {
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	var l int
	if id != dict.None {
		s, n, isInt, _ := get(c, id, c.Args[2])
		if isInt {
			l = len(strconv.AppendInt(c.Buf[:0], n, 10))
		} else {
			l = len(s)
		}
	}
	c.W.Int(int64(l))
}

// hdel deletes the key with its last field, firing "del" after "hdel".
func hdel(c *command.Ctx) { c.RemoveEach(keyspace.KindHash, command.EvHash, "hdel", del, keyLen) }

const (
	errNotIntValue   = "ERR hash value is not an integer"
	errNotFloatValue = "ERR hash value is not a float"
)

// hincrby parses the increment before looking the key up, as Redis does,
// so a bad increment wins over WRONGTYPE.
func hincrby(c *command.Ctx) {
	incr, ok := c.Int(3)
	if !ok {
		return
	}
	key, field := c.Args[1], c.Args[2]
	id, ok := lookupCreate(c, key)
	if !ok {
		return
	}
	var v int64
	if s, n, isInt, found := get(c, id, field); found {
		if isInt {
			v = n
		} else if v, ok = protocol.ParseInt(s); !ok {
			c.Err(errNotIntValue)
			return
		}
	}
	if incr < 0 && v < 0 && incr < math.MinInt64-v || incr > 0 && v > 0 && incr > math.MaxInt64-v {
		c.Err(command.ErrOverflow)
		return
	}
	v += incr
	set(c, id, field, strconv.AppendInt(c.Buf[:0], v, 10))
	c.W.Int(v)
	c.Changed(key, command.EvHash, "hincrby")
}

// hincrbyfloat adds in x87 long double arithmetic, as Redis does, and
// stores the result as ld2string's human-friendly decimal.
func hincrbyfloat(c *command.Ctx) {
	var v, incr big.Float
	if !longdouble.Parse(&incr, c.Args[3]) {
		c.Err(command.ErrNotFloat)
		return
	}
	if incr.IsInf() {
		c.Err("ERR value is NaN or Infinity")
		return
	}
	key, field := c.Args[1], c.Args[2]
	id, ok := lookupCreate(c, key)
	if !ok {
		return
	}
	v.SetPrec(longdouble.Prec)
	if s, n, isInt, found := get(c, id, field); found {
		if isInt {
			v.SetInt64(n)
		} else if !longdouble.Parse(&v, s) {
			c.Err(errNotFloatValue)
			return
		}
	}
	if !longdouble.Add(&v, &v, &incr) {
		c.Err("ERR increment would produce NaN or Infinity")
		return
	}
	out := longdouble.Append(c.Buf[:0], &v)
	set(c, id, field, out)
	c.W.Bulk(out)
	c.Changed(key, command.EvHash, "hincrbyfloat")
	// The result travels, not the increment (as INCRBYFLOAT's does).
	c.Rewrite(wordHSet, key, field, out)
}

var wordHSet = []byte("HSET")

// hscan is HSCAN key cursor [MATCH pattern] [COUNT count]. A listpack hash
// is returned whole with cursor 0, as Redis does; COUNT bounds the work on
// a hashtable.
func hscan(c *command.Ctx) {
	id, cursor, o, ok := keys.ScanKey(c, keyspace.KindHash)
	if !ok {
		return
	}
	w := c.W
	w.Array(2)
	if c.DB.Encoding(id) == keyspace.EncListpack {
		w.BulkString("0")
		hdr := w.Defer()
		n := 0
		lp := c.DB.Blob(id)
		for off := listpack.First(lp); off >= 0; {
			voff := listpack.Next(lp, off)
			if o.Matches(elem(lp, off, c.Buf[:0])) {
				writeElem(c, lp, off)
				writeElem(c, lp, voff)
				n += 2
			}
			off = listpack.Next(lp, voff)
		}
		w.FillArray(hdr, n)
		return
	}
	d := table(c.KS, c.DB.Value(id))
	ids := keys.ScanScratch()
	cursor, *ids = keys.ScanDict(d, cursor, o.Count, true, *ids)
	w.BulkInt(int64(cursor))
	hdr := w.Defer()
	n := 0
	for _, eid := range *ids {
		if o.Matches(d.Key(eid)) {
			writeEntry(c, d, eid, true, true)
			n += 2
		}
	}
	w.FillArray(hdr, n)
	keys.PutScanScratch(ids)
}

// hrandfield is HRANDFIELD key [count [WITHVALUES]]. A negative count
// may repeat fields; a positive one returns distinct fields, all of them
// if count is at least the hash's length.
func hrandfield(c *command.Ctx) {
	if len(c.Args) == 2 {
		id, ok := c.Read(c.Args[1], keyspace.KindHash)
		switch {
		case !ok:
		case id == dict.None:
			c.W.Null()
		case c.DB.Encoding(id) == keyspace.EncListpack:
			lp := c.DB.Blob(id)
			writeElem(c, lp, listpack.Seek(lp, 2*int(c.KS.Rand(uint32(keyLen(c, id))))))
		default:
			d := table(c.KS, c.DB.Value(id))
			c.W.Bulk(d.Key(d.Random(c.KS.Rand)))
		}
		return
	}
	l, ok := c.RangeInt(2, -math.MaxInt64, math.MaxInt64)
	if !ok {
		return
	}
	withValues := false
	if len(c.Args) > 4 || len(c.Args) == 4 && !c.IsOpt(3, "withvalues") {
		c.Err(command.ErrSyntax)
		return
	}
	if len(c.Args) == 4 {
		withValues = true
		// count*2 replies must not overflow.
		if l < -math.MaxInt64/2 || l > math.MaxInt64/2 {
			c.Err("ERR value is out of range")
			return
		}
	}
	id, ok := c.Read(c.Args[1], keyspace.KindHash)
	if !ok {
		return
	}
	if id == dict.None || l == 0 {
		c.W.Array(0)
		return
	}
	size := int64(keyLen(c, id))
	count, distinct := l, true
	if l < 0 {
		count, distinct = -l, false
	} else if count > size {
		count = size
	}
	// RESP3 gets [field, value] pairs, RESP2 a flat array.
	pairs := withValues && c.W.Resp > 2
	if withValues && !pairs {
		c.W.Array(int(count * 2))
	} else {
		c.W.Array(int(count))
	}
	writePair := func(lp []byte, off int, d *dict.Dict, eid uint32) {
		if pairs {
			c.W.Array(2)
		}
		if lp != nil {
			writeElem(c, lp, off)
			if withValues {
				writeElem(c, lp, listpack.Next(lp, off))
			}
		} else {
			writeEntry(c, d, eid, true, withValues)
		}
	}
	if c.DB.Encoding(id) == keyspace.EncListpack {
		lp := c.DB.Blob(id)
		switch {
		case !distinct:
			// Stopped once the reply passed the output limit: the
			// client is to be closed (Redis checks CLIENT_CLOSE_ASAP).
			for ; count > 0 && !c.W.Over(); count-- {
				writePair(lp, listpack.Seek(lp, 2*int(c.KS.Rand(uint32(size)))), nil, 0)
			}
		case count == size:
			for off := listpack.First(lp); off >= 0; off = listpack.Next(lp, listpack.Next(lp, off)) {
				writePair(lp, off, nil, 0)
			}
		default:
			listpack.Sample(lp, 2, int(count), c.KS.Rand, func(off int) { writePair(lp, off, nil, 0) })
		}
		return
	}
	d := table(c.KS, c.DB.Value(id))
	if !distinct {
		for ; count > 0 && !c.W.Over(); count-- {
			writePair(nil, 0, d, d.Random(c.KS.Rand))
		}
		return
	}
	d.Sample(int(count), c.KS.Rand, func(eid uint32) { writePair(nil, 0, d, eid) })
}
