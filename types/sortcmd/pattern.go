package sortcmd

import (
	"bytes"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/types/hash"
)

// cstring is b up to its first NUL: Redis reads patterns and compares
// ALPHA weights as C strings, so a NUL ends them there.
func cstring(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// lookuper resolves BY and GET patterns for elements, reusing its
// buffers across calls.
type lookuper struct {
	key []byte
	buf [20]byte
}

// lookup returns the value a pattern names for elem: elem itself for
// "#", else the string at the key made by replacing the pattern's first
// '*' with elem, or with "key->field" the field of the hash there. found
// is false when there is no such value. The value is valid until the
// keyspace changes.
func (l *lookuper) lookup(c *command.Ctx, pattern, elem []byte) (v []byte, found bool) {
	cs := cstring(pattern)
	if len(cs) == 1 && cs[0] == '#' {
		return elem, true
	}
	star := bytes.IndexByte(cs, '*')
	if star < 0 {
		return nil, false
	}
	keyEnd, field := len(pattern), []byte(nil)
	if f := bytes.Index(cs[star+1:], []byte("->")); f >= 0 && star+1+f+2 < len(cs) {
		keyEnd = star + 1 + f
		field = pattern[keyEnd+2:]
	}
	l.key = append(append(append(l.key[:0], pattern[:star]...), elem...), pattern[star+1:keyEnd]...)
	id := c.DB.LookupRead(l.key)
	switch {
	case id == dict.None:
		return nil, false
	case field != nil:
		if c.DB.Kind(id) != keyspace.KindHash {
			return nil, false
		}
		return hash.Get(c, id, field, l.buf[:0])
	case c.DB.Kind(id) != keyspace.KindString:
		return nil, false
	}
	return c.DB.String(id, l.buf[:0]), true
}
