package keys

import (
	"sync"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/keyspace"
)

// KeysCmd is KEYS pattern, all at once. Keys past their deadline are
// left out but not deleted, as Redis does. (The server runs a KEYS over a
// big database in steps instead, with a Walk.)
func KeysCmd(c *command.Ctx) {
	pat := c.Args[1]
	all := len(pat) == 1 && pat[0] == '*'
	d := c.W.Defer()
	n := 0
	c.DB.Dict().ForEach(func(id uint32) bool {
		k := c.DB.Key(id)
		if (all || glob.Match(pat, k, false)) && !c.DB.Expired(id) {
			c.W.Bulk(k)
			n++
		}
		return true
	})
	c.W.FillArray(d, n)
}

// ErrInvalidCursor is the reply to a cursor that is not a number.
const ErrInvalidCursor = "ERR invalid cursor"

// ParseCursor parses a SCAN-family cursor as Redis does with strtoul:
// base 10, an optional sign (a negative number wraps around), no leading
// space, nothing after the digits. The argument is read as a C string, up
// to its first NUL byte, so the empty string is cursor 0.
func ParseCursor(b []byte) (uint64, bool) {
	for i, ch := range b {
		if ch == 0 {
			b = b[:i]
			break
		}
	}
	if len(b) == 0 {
		return 0, true
	}
	switch b[0] {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return 0, false
	}
	neg := false
	if b[0] == '+' || b[0] == '-' {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, false
	}
	var v uint64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		d := uint64(ch - '0')
		if v > (^uint64(0)-d)/10 {
			return 0, false // ERANGE
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// ScanOptions are what a SCAN-family call asks for beyond its cursor.
type ScanOptions struct {
	Count           int64
	pat, typ        []byte
	usePat, useType bool
}

// Matches reports whether an element passes the MATCH pattern.
func (o *ScanOptions) Matches(b []byte) bool { return !o.usePat || glob.Match(o.pat, b, false) }

// ParseScanOptions parses the options from argument i on: MATCH, COUNT
// and, for SCAN itself, TYPE. It writes the error and returns false on a
// bad one.
func ParseScanOptions(c *command.Ctx, i int, allowType bool) (ScanOptions, bool) {
	o := ScanOptions{Count: 10}
	for ; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Err(command.ErrSyntax)
			return o, false
		}
		switch {
		case c.IsOpt(i, "count"):
			n, ok := c.Int(i + 1)
			if !ok {
				return o, false
			}
			if n < 1 {
				c.Err(command.ErrSyntax)
				return o, false
			}
			o.Count = n
		case c.IsOpt(i, "match"):
			o.pat = c.Args[i+1]
			// "*" matches everything: no need to match at all.
			o.usePat = len(o.pat) != 1 || o.pat[0] != '*'
		case allowType && c.IsOpt(i, "type"):
			o.typ, o.useType = command.CString(c.Args[i+1]), true // compared with strcasecmp
		default:
			c.Err(command.ErrSyntax)
			return o, false
		}
	}
	return o, true
}

// ScanDict advances a SCAN cursor over d, appending the ids it visits to
// ids, until it has about count of them or the table is done. It visits
// at most ten buckets per id asked for, so a sparse table cannot make one
// call long (the product wraps like C's long does); twice that for pairs
// (HSCAN, ZSCAN), because Redis counts a field and its value as two.
func ScanDict(d *dict.Dict, cursor uint64, count int64, pairs bool, ids []uint32) (uint64, []uint32) {
	collect := func(id uint32) { ids = append(ids, id) }
	maxIter := count * 10
	if pairs {
		maxIter *= 2
	}
	for {
		cursor = d.Scan(cursor, collect)
		if cursor == 0 {
			break
		}
		left := maxIter
		maxIter--
		if left == 0 || int64(len(ids)) >= count {
			break
		}
	}
	return cursor, ids
}

// ScanScratch lends a pooled id buffer to a SCAN-family call, so that
// steady-state scans do not allocate; give it back with PutScanScratch.
func ScanScratch() *[]uint32 {
	p := scanPool.Get().(*[]uint32)
	*p = (*p)[:0]
	return p
}

// PutScanScratch returns a buffer from ScanScratch.
func PutScanScratch(p *[]uint32) {
	if cap(*p) > 1<<16 {
		*p = nil // a huge COUNT should not pin its scratch forever
	}
	scanPool.Put(p)
}

var scanPool = sync.Pool{New: func() any { return new([]uint32) }}

// scan is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
func scan(c *command.Ctx) {
	cursor, ok := ParseCursor(c.Args[1])
	if !ok {
		c.Err(ErrInvalidCursor)
		return
	}
	o, ok := ParseScanOptions(c, 2, true)
	if !ok {
		return
	}
	ids := ScanScratch()
	cursor, *ids = ScanDict(c.DB.Dict(), cursor, o.Count, false, *ids)
	w := c.W
	w.Array(2)
	w.BulkInt(int64(cursor))
	hdr := w.Defer()
	n := 0
	for _, id := range *ids {
		if keep(c, id, &o) {
			n++
		}
	}
	w.FillArray(hdr, n)
	PutScanScratch(ids)
}

// keep writes a collected key to the reply unless a filter drops it: the
// pattern, the type (looked up as Redis does, counting a hit or a miss and
// collecting the key if expired), then expiry.
func keep(c *command.Ctx, id uint32, f *ScanOptions) bool {
	db := c.DB
	k := db.Key(id)
	if f.usePat && !glob.Match(f.pat, k, false) {
		return false
	}
	// The reply holds the name from here: the type lookup may free it.
	mark := c.W.Len()
	c.W.Bulk(k)
	if f.useType {
		tid := db.Lookup(k, keyspace.NoTouch)
		name := "none"
		if tid != dict.None {
			name = db.Kind(tid).String()
		}
		if !command.EqualFold(f.typ, name) {
			c.W.Truncate(mark)
			return false
		}
		if tid == dict.None {
			// The lookup found it expired: deleted, it passes the expiry
			// filter below; on a replica, still there, it does not.
			if c.KS.Replica {
				c.W.Truncate(mark)
				return false
			}
			return true
		}
	}
	if db.ExpireIfNeeded(id) {
		c.W.Truncate(mark)
		return false
	}
	return true
}

// ScanKey starts HSCAN, SSCAN or ZSCAN key cursor [MATCH p] [COUNT n]: it
// parses the cursor, looks the key up (a missing key gets an empty scan
// reply), and parses the options, in Redis's order. It returns ok false
// when the reply is already written.
func ScanKey(c *command.Ctx, k keyspace.Kind) (id uint32, cursor uint64, o ScanOptions, ok bool) {
	if cursor, ok = ParseCursor(c.Args[2]); !ok {
		c.Err(ErrInvalidCursor)
		return
	}
	if id, ok = c.Read(c.Args[1], k); !ok {
		return
	}
	if id == dict.None {
		c.W.Array(2)
		c.W.BulkString("0")
		c.W.Array(0)
		return id, 0, o, false
	}
	o, ok = ParseScanOptions(c, 3, false)
	return
}
