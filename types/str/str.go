// Package str implements the string commands (Redis's t_string.c).
//
// Values live in the keyspace in one of Redis's three string encodings,
// and each command leaves the encoding Redis would: a value set from a
// client argument goes through keyspace.StringValue (a canonical integer
// becomes "int", a short string "embstr", anything else "raw"); commands
// that edit a string in place (APPEND, SETRANGE, and SETBIT in package
// bitops) make it "raw" with DB.MutableString; INCR and friends store
// integers; INCRBYFLOAT stores its formatted result as a string, never as
// an integer, exactly as Redis's createStringObject does.
//
// The handlers follow Redis's order of checks and lookups, because both
// are observable: which error wins when several apply, and whether a
// lookup counts as a keyspace hit or miss.
//
// GET, SET and INCR run without allocating: int-encoded values are
// formatted into the context's scratch buffer, and arena blobs are reused
// by the allocator's free lists.
//
// INCRBYFLOAT computes in x87 80-bit long double arithmetic as Redis does
// on x86-64; longdouble.go emulates it exactly with math/big.
package str

import (
	"math"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Register adds the string commands to t.
func Register(t *command.Table) {
	t.Handle("get", get)
	t.Handle("set", set)
	t.Handle("setnx", func(c *command.Ctx) { setGeneric(c, optNX, c.Args[1], c.Args[2], 0, true) })
	t.Handle("setex", func(c *command.Ctx) { setGeneric(c, optEX, c.Args[1], c.Args[3], 2, false) })
	t.Handle("psetex", func(c *command.Ctx) { setGeneric(c, optPX, c.Args[1], c.Args[3], 2, false) })
	t.Handle("getex", getex)
	t.Handle("getdel", getdel)
	t.Handle("getset", getset)
	t.Handle("mget", mget)
	t.Handle("mset", func(c *command.Ctx) { mset(c, false) })
	t.Handle("msetnx", func(c *command.Ctx) { mset(c, true) })
	t.Handle("append", appendCmd)
	t.Handle("strlen", strlen)
	t.Handle("getrange", getrange)
	t.Handle("substr", getrange)
	t.Handle("setrange", setrange)
	t.Handle("incr", func(c *command.Ctx) { incrDecr(c, 1) })
	t.Handle("decr", func(c *command.Ctx) { incrDecr(c, -1) })
	t.Handle("incrby", incrby)
	t.Handle("decrby", decrby)
	t.Handle("incrbyfloat", incrbyfloat)
	t.Handle("lcs", lcs)
}

// Options of SET and GETEX, as Redis's parseExtendedStringArgumentsOrReply
// accepts them.
const (
	optNX = 1 << iota
	optXX
	optGet
	optKeepTTL
	optPersist
	optEX
	optPX
	optEXAT
	optPXAT

	optExpire = optEX | optPX | optEXAT | optPXAT
)

// errTooBig is the error for a string that would outgrow proto-max-bulk-len.
const errTooBig = "ERR string exceeds maximum allowed size (proto-max-bulk-len)"

// parseOpts reads the options of SET (forSet) or GETEX from argument
// start on. It returns the option flags and the index of the expire
// argument (0 if none). Conflicting options are a syntax error, as is an
// option given to the wrong command.
func parseOpts(c *command.Ctx, start int, forSet bool) (flags, expire int, ok bool) {
	for j := start; j < len(c.Args); j++ {
		next := j+1 < len(c.Args)
		a := c.Args[j]
		switch {
		case forSet && command.EqualFold(a, "nx") && flags&optXX == 0:
			flags |= optNX
		case forSet && command.EqualFold(a, "xx") && flags&optNX == 0:
			flags |= optXX
		case forSet && command.EqualFold(a, "get"):
			flags |= optGet
		case forSet && command.EqualFold(a, "keepttl") && flags&(optPersist|optExpire) == 0:
			flags |= optKeepTTL
		case !forSet && command.EqualFold(a, "persist") && flags&(optKeepTTL|optExpire) == 0:
			flags |= optPersist
		case next && command.EqualFold(a, "ex") && flags&(optKeepTTL|optPersist|optExpire&^optEX) == 0:
			flags |= optEX
			expire = j + 1
			j++
		case next && command.EqualFold(a, "px") && flags&(optKeepTTL|optPersist|optExpire&^optPX) == 0:
			flags |= optPX
			expire = j + 1
			j++
		case next && command.EqualFold(a, "exat") && flags&(optKeepTTL|optPersist|optExpire&^optEXAT) == 0:
			flags |= optEXAT
			expire = j + 1
			j++
		case next && command.EqualFold(a, "pxat") && flags&(optKeepTTL|optPersist|optExpire&^optPXAT) == 0:
			flags |= optPXAT
			expire = j + 1
			j++
		default:
			c.Err(command.ErrSyntax)
			return 0, 0, false
		}
	}
	return flags, expire, true
}

// expireAt turns the expire argument i into a deadline in Unix ms, with
// Redis's checks: the value must be positive, and the conversion to an
// absolute time in milliseconds must not overflow.
func expireAt(c *command.Ctx, i, flags int) (int64, bool) {
	ms, ok := c.Int(i)
	if !ok {
		return 0, false
	}
	seconds := flags&(optEX|optEXAT) != 0
	if ms <= 0 || seconds && ms > math.MaxInt64/1000 {
		c.Err("ERR invalid expire time in '" + c.Cmd.FullName() + "' command")
		return 0, false
	}
	if seconds {
		ms *= 1000
	}
	if flags&(optEX|optPX) != 0 {
		ms += c.KS.Now() // wraps on overflow, caught below as Redis does
	}
	if ms <= 0 {
		c.Err("ERR invalid expire time in '" + c.Cmd.FullName() + "' command")
		return 0, false
	}
	return ms, true
}

// store writes a string value at key as Redis's setKey does: id is the
// key's entry from a write lookup (dict.None if it is missing). A new key
// fires "new"; an existing one loses its TTL unless keepTTL. The caller
// fires the command's own event.
func store(c *command.Ctx, key []byte, id uint32, e keyspace.Encoding, v uint64, keepTTL bool) uint32 {
	if id == dict.None {
		id = c.DB.Add(key, keyspace.KindString, e, v)
		c.Notify(command.EvNew, "new", key)
		return id
	}
	c.DB.Overwrite(id, keyspace.KindString, e, v)
	if !keepTTL {
		c.DB.Persist(id)
	}
	return id
}

// stringObject encodes a computed string as Redis's createStringObject
// does: "embstr" if short, "raw" otherwise, never "int".
func stringObject(ks *keyspace.Keyspace, b []byte) (keyspace.Encoding, uint64) {
	if len(b) <= keyspace.EmbstrMax {
		return keyspace.EncEmbstr, uint64(ks.Arena.New(b))
	}
	return ks.RawValue(b)
}

// tooBig reports (and answers) a string of size+grow bytes that would
// exceed proto-max-bulk-len; the sum is checked for overflow too.
func tooBig(c *command.Ctx, size, grow int64) bool {
	total := int64(uint64(size) + uint64(grow))
	if total > c.Cfg.ProtoMaxBulkLen || total < size || total < grow {
		c.Err(errTooBig)
		return true
	}
	return false
}

// replyGet is Redis's getGenericCommand: a read lookup, then the value or
// a null. It returns false if the key holds another type (WRONGTYPE was
// written).
func replyGet(c *command.Ctx, key []byte) bool {
	id, ok := c.Read(key, keyspace.KindString)
	if !ok {
		return false
	}
	if id == dict.None {
		c.W.Null()
	} else {
		c.W.Bulk(c.DB.String(id, c.Buf[:]))
	}
	return true
}

func get(c *command.Ctx) { replyGet(c, c.Args[1]) }

func set(c *command.Ctx) {
	flags, expire, ok := parseOpts(c, 3, true)
	if !ok {
		return
	}
	setGeneric(c, flags, c.Args[1], c.Args[2], expire, false)
}

// setGeneric is SET and its variants. expire is the index of the expire
// argument, 0 for none. SETNX (intReply) answers 1/0 instead of OK/null.
func setGeneric(c *command.Ctx, flags int, key, val []byte, expire int, intReply bool) {
	var when int64
	if expire != 0 {
		var ok bool
		if when, ok = expireAt(c, expire, flags); !ok {
			return
		}
	}
	if flags&optGet != 0 && !replyGet(c, key) {
		return
	}
	id := c.DB.LookupWrite(key)
	found := id != dict.None
	if flags&optNX != 0 && found || flags&optXX != 0 && !found {
		switch {
		case flags&optGet != 0:
		case intReply:
			c.W.Int(0)
		default:
			c.W.Null()
		}
		return
	}
	e, v := c.KS.StringValue(val)
	id = store(c, key, id, e, v, flags&optKeepTTL != 0)
	c.Changed(key, command.EvString, "set")
	switch {
	case expire != 0:
		c.DB.SetExpire(id, when)
		c.Notify(command.EvGeneric, "expire", key)
		// A relative expiry would expire later on a replica or after a
		// restart: it travels as an absolute one.
		c.Rewrite(command.WordSet, key, val, command.WordPXAT, c.FormatInt(when))
	case flags&optGet != 0:
		rewriteWithoutGet(c)
	}
	switch {
	case flags&optGet != 0:
	case intReply:
		c.W.Int(1)
	default:
		c.W.OK()
	}
}

// rewriteWithoutGet propagates SET without its GET options, which only
// shape the reply.
func rewriteWithoutGet(c *command.Ctx) {
	var tmp [8][]byte
	args := tmp[:0]
	for j, a := range c.Args {
		if j >= 3 && command.EqualFold(a, "get") {
			continue
		}
		args = append(args, a)
	}
	c.Rewrite(args...)
}

func getex(c *command.Ctx) {
	flags, expire, ok := parseOpts(c, 2, false)
	if !ok {
		return
	}
	key := c.Args[1]
	id, ok := c.Read(key, keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	var when int64
	if expire != 0 {
		if when, ok = expireAt(c, expire, flags); !ok {
			return
		}
	}
	c.W.Bulk(c.DB.String(id, c.Buf[:]))
	switch {
	case flags&(optEXAT|optPXAT) != 0 && c.KS.AlreadyExpired(when):
		// An absolute deadline already past deletes the key now.
		if c.Cfg.LazyfreeLazyExpire {
			c.DB.Unlink(id)
		} else {
			c.DB.Delete(id)
		}
		c.Changed(key, command.EvGeneric, "del")
		c.Rewrite(command.DelWord(c.Cfg.LazyfreeLazyExpire), key)
	case expire != 0:
		c.DB.SetExpire(id, when)
		c.Changed(key, command.EvGeneric, "expire")
		c.Rewrite(command.WordPExpireAt, key, c.FormatInt(when))
	case flags&optPersist != 0:
		if c.DB.Persist(id) {
			c.Changed(key, command.EvGeneric, "persist")
			c.Rewrite(command.WordPersist, key)
		}
	}
}

func getdel(c *command.Ctx) {
	key := c.Args[1]
	id, ok := c.Read(key, keyspace.KindString)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Null()
		return
	}
	c.W.Bulk(c.DB.String(id, c.Buf[:]))
	if c.Cfg.LazyfreeLazyUserDel {
		c.DB.Unlink(id)
	} else {
		c.DB.Delete(id)
	}
	c.Changed(key, command.EvGeneric, "del")
	c.Rewrite(command.DelWord(c.Cfg.LazyfreeLazyUserDel), key)
}

func getset(c *command.Ctx) {
	key := c.Args[1]
	if !replyGet(c, key) {
		return
	}
	e, v := c.KS.StringValue(c.Args[2])
	store(c, key, c.DB.LookupWrite(key), e, v, false)
	c.Changed(key, command.EvString, "set")
	c.Rewrite(command.WordSet, key, c.Args[2])
}

// mget answers a null for missing keys and for keys of other types.
func mget(c *command.Ctx) {
	c.W.Array(len(c.Args) - 1)
	for _, k := range c.Args[1:] {
		id := c.DB.LookupRead(k)
		if id == dict.None || c.DB.Kind(id) != keyspace.KindString {
			c.W.Null()
			continue
		}
		c.W.Bulk(c.DB.String(id, c.Buf[:]))
	}
}

// mset is MSET and MSETNX; MSETNX sets nothing if any key exists.
func mset(c *command.Ctx, nx bool) {
	if len(c.Args)%2 == 0 {
		c.ArityErr()
		return
	}
	if nx {
		for j := 1; j < len(c.Args); j += 2 {
			if c.DB.LookupWrite(c.Args[j]) != dict.None {
				c.W.Int(0)
				return
			}
		}
	}
	for j := 1; j < len(c.Args); j += 2 {
		key := c.Args[j]
		e, v := c.KS.StringValue(c.Args[j+1])
		store(c, key, c.DB.LookupWrite(key), e, v, false)
		c.Changed(key, command.EvString, "set")
	}
	if nx {
		c.W.Int(1)
	} else {
		c.W.OK()
	}
}
