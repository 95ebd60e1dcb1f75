package keys

import (
	"sync"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/keyspace"
)

// keysCmd is KEYS pattern. Keys past their deadline are left out but not
// deleted, as Redis does.
func keysCmd(c *command.Ctx) {
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

const errInvalidCursor = "ERR invalid cursor"

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

// scanState is the scratch of one SCAN call, pooled so that steady-state
// SCANs do not allocate.
type scanState struct{ ids []uint32 }

var scanPool = sync.Pool{New: func() any { return new(scanState) }}

// scanFilter is what SCAN's options ask to leave out.
type scanFilter struct {
	pat, typ        []byte
	usePat, useType bool
}

// scan is SCAN cursor [MATCH pattern] [COUNT count] [TYPE type].
func scan(c *command.Ctx) {
	cursor, ok := ParseCursor(c.Args[1])
	if !ok {
		c.Err(errInvalidCursor)
		return
	}
	count := int64(10)
	var f scanFilter
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			c.Err(command.ErrSyntax)
			return
		}
		switch {
		case c.IsOpt(i, "count"):
			n, ok := c.Int(i + 1)
			if !ok {
				return
			}
			if n < 1 {
				c.Err(command.ErrSyntax)
				return
			}
			count = n
		case c.IsOpt(i, "match"):
			f.pat = c.Args[i+1]
			// "*" matches everything: no need to match at all.
			f.usePat = len(f.pat) != 1 || f.pat[0] != '*'
		case c.IsOpt(i, "type"):
			f.typ, f.useType = command.CString(c.Args[i+1]), true // compared with strcasecmp
		default:
			c.Err(command.ErrSyntax)
			return
		}
	}

	st := scanPool.Get().(*scanState)
	st.ids = st.ids[:0]
	collect := func(id uint32) { st.ids = append(st.ids, id) }
	d := c.DB.Dict()
	// At most ten buckets per key asked for, so a sparse table cannot
	// make one call long (the product wraps like C's long does).
	maxIter := count * 10
	for {
		cursor = d.Scan(cursor, collect)
		if cursor == 0 {
			break
		}
		left := maxIter
		maxIter--
		if left == 0 || int64(len(st.ids)) >= count {
			break
		}
	}

	w := c.W
	w.Array(2)
	w.BulkInt(int64(cursor))
	hdr := w.Defer()
	n := 0
	for _, id := range st.ids {
		if keep(c, id, &f) {
			n++
		}
	}
	w.FillArray(hdr, n)
	if cap(st.ids) > 1<<16 {
		st.ids = nil // a huge COUNT should not pin its scratch forever
	}
	scanPool.Put(st)
}

// keep writes a collected key to the reply unless a filter drops it: the
// pattern, the type (looked up as Redis does, counting a hit or a miss and
// collecting the key if expired), then expiry.
func keep(c *command.Ctx, id uint32, f *scanFilter) bool {
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
