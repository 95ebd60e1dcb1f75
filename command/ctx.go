package command

import (
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/cnum"
	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/longdouble"
	"github.com/redoubt-db/redoubt/protocol"
)

// Ctx is what a handler sees of one command call: its arguments, the
// selected database, the reply writer, and the server around it.
type Ctx struct {
	Args [][]byte
	Cmd  *Command
	W    *protocol.Writer
	KS   *keyspace.Keyspace
	DB   *keyspace.DB
	Cfg  *config.Values
	// E is the execution engine: every effect of the command goes
	// through it.
	E Engine
	// Client is the calling connection; only the server looks inside.
	Client any
	// Dirty counts the changes the command made (Redis's server.dirty),
	// for propagation, save points and INFO.
	Dirty int64
	// Errors counts error replies written by the call.
	Errors int
	// InScript is set when a script runs the command (Redis's
	// CLIENT_SCRIPT): a few commands answer differently there.
	InScript bool
	// Replayed is set when the command comes from the AOF or from a
	// primary (Redis's mustObeyClient): what it does was decided where it
	// first ran, and limits meant for clients do not apply.
	Replayed bool
	// Retry is set when the server runs a blocked command again because
	// one of its keys was signalled ready; Woken is that key.
	Retry bool
	Woken []byte
	// redacted lists arguments shown as "(redacted)" in SLOWLOG and
	// MONITOR (passwords).
	redacted []int
	// prop is how the command is propagated (AOF, replicas).
	prop propagation
	// Buf is scratch space, e.g. for formatting int-encoded strings.
	Buf [64]byte
}

// Engine is the execution engine as handlers see it: the one channel
// through which every effect of a command leaves it (package engine
// implements it; internal/cmdtest has one for tests).
type Engine interface {
	// KeyChanged is Redis's signalModifiedKey: WATCH and client-side
	// caching learn that key, in db, changed.
	KeyChanged(db *keyspace.DB, key []byte)
	// Notify fires a keyspace notification of the given class.
	Notify(class Event, event string, key []byte, db int)
	// SignalReady reports that key, in database db, may now serve
	// clients blocked on it.
	SignalReady(db int, key []byte)
	// Propagate adds a command to the execution unit's propagated
	// stream, in database db, to the given targets, ahead of the calling
	// command's own (Redis's alsoPropagate).
	Propagate(db int, target Target, args ...[]byte)
	// Propagating reports whether anything receives what is propagated
	// to target (an AOF, a replica): when nothing does, handlers need
	// not build what they would propagate.
	Propagating(target Target) bool
	// Block suspends the calling client on keys (see Ctx.Block).
	Block(c *Ctx, keys [][]byte, deadline int64) bool
	// RecordError counts an error reply in INFO errorstats.
	RecordError(msg string)
}

// Event is a keyspace notification class (notify-keyspace-events).
type Event uint16

// Notification classes, with the letters notify-keyspace-events uses.
const (
	EvKeyspace Event = 1 << iota // K
	EvKeyevent                   // E
	EvGeneric                    // g
	EvString                     // $
	EvList                       // l
	EvSet                        // s
	EvHash                       // h
	EvZSet                       // z
	EvExpired                    // x
	EvEvicted                    // e
	EvStream                     // t
	EvKeyMiss                    // m
	EvModule                     // d
	EvNew                        // n
)

// Shared error replies, worded as Redis words them.
const (
	ErrSyntax     = "ERR syntax error"
	ErrWrongType  = "WRONGTYPE Operation against a key holding the wrong kind of value"
	ErrNotInt     = "ERR value is not an integer or out of range"
	ErrNotFloat   = "ERR value is not a valid float"
	ErrNoSuchKey  = "ERR no such key"
	ErrOverflow   = "ERR increment or decrement would overflow"
	ErrOutOfRange = "ERR index out of range"
)

// Err writes an error reply. msg starts with the error code ("ERR ...",
// "WRONGTYPE ..."); one without a code gets "ERR " in front, as Redis does.
func (c *Ctx) Err(msg string) {
	code := msg
	if i := strings.IndexByte(msg, ' '); i >= 0 {
		code = msg[:i]
	}
	// A message that does not start with an error code gets ERR; a bare
	// code ("ERR", Redis's shared.err) stays as it is.
	if code == "" || strings.ToUpper(code) != code {
		msg = "ERR " + msg
	}
	c.W.Error(msg)
	c.Errors++
	c.E.RecordError(msg)
}

// ArityErr writes Redis's wrong-number-of-arguments error.
func (c *Ctx) ArityErr() {
	c.Err("ERR wrong number of arguments for '" + c.Cmd.FullName() + "' command")
}

// Redact hides argument i (a password) from SLOWLOG and MONITOR.
func (c *Ctx) Redact(i int) { c.redacted = append(c.redacted, i) }

// Redacted returns the arguments as SLOWLOG and MONITOR may show them.
func (c *Ctx) Redacted() [][]byte {
	if len(c.redacted) == 0 {
		return c.Args
	}
	out := append([][]byte(nil), c.Args...)
	for _, i := range c.redacted {
		out[i] = []byte("(redacted)")
	}
	return out
}

// Notify fires a keyspace notification for a key of the current database.
func (c *Ctx) Notify(class Event, event string, key []byte) {
	c.E.Notify(class, event, key, c.DB.ID)
}

// NotifyIn fires a keyspace notification for a key of database db.
func (c *Ctx) NotifyIn(db *keyspace.DB, class Event, event string, key []byte) {
	c.E.Notify(class, event, key, db.ID)
}

// SignalModified tells WATCH and client-side caching that key, in db,
// changed, without counting a change (Redis's signalModifiedKey).
func (c *Ctx) SignalModified(db *keyspace.DB, key []byte) { c.E.KeyChanged(db, key) }

// Changed records a change to key: WATCH and client-side caching learn of
// it, the dirty counter moves, and a notification fires.
func (c *Ctx) Changed(key []byte, class Event, event string) {
	c.E.KeyChanged(c.DB, key)
	c.Dirty++
	c.Notify(class, event, key)
}

// Removed records that a command took n > 0 elements out of the
// collection at key (entry id): one change with its notification, a
// dirty count of n, and, when the collection is now empty, the key's
// deletion and its "del" notification (Redis deletes empty collections).
func (c *Ctx) Removed(key []byte, id uint32, class Event, event string, n int64, empty bool) {
	c.Changed(key, class, event)
	c.Dirty += n - 1
	if empty {
		c.DB.Delete(id)
		c.Notify(EvGeneric, "del", key)
	}
}

// RemoveEach is the body of HDEL and SREM: it takes each argument after
// the key out of the collection of kind at key with remove, stops once
// the collection (length elements) is empty, records the change with
// Removed (event, then "del" if emptied) and replies with the number
// removed.
func (c *Ctx) RemoveEach(kind keyspace.Kind, class Event, event string,
	remove func(c *Ctx, id uint32, elem []byte) bool, length func(c *Ctx, id uint32) int) {
	key := c.Args[1]
	id, ok := c.ReadWrite(key, kind)
	if !ok {
		return
	}
	if id == dict.None {
		c.W.Int(0)
		return
	}
	var removed int64
	empty := false
	for _, elem := range c.Args[2:] {
		if !remove(c, id, elem) {
			continue
		}
		removed++
		if empty = length(c, id) == 0; empty {
			break
		}
	}
	if removed > 0 {
		c.Removed(key, id, class, event, removed, empty)
	}
	c.W.Int(removed)
}

// Block suspends the client until one of keys (in the current database)
// is signalled ready or the deadline passes (Unix ms; 0 waits forever).
// The handler must then return without a reply: when a key becomes ready
// the server runs the handler again with Retry set, in the order clients
// blocked; if the deadline passes first, the client gets a null array.
// While retrying, calling Block again keeps the client's place in line.
// Block returns false where blocking is not allowed (inside MULTI/EXEC or
// a script): the handler must then reply as if the timeout had passed.
func (c *Ctx) Block(keys [][]byte, deadline int64) bool {
	return c.E.Block(c, keys, deadline)
}

// ServesFrom reports whether a blocking command may serve from key now:
// on its first run from any of its keys, on a retry only from the key
// whose signal woke it. Redis 7.0 serves a woken client from that key
// alone, so a client blocked on a and b, woken by a push to b, gets b's
// element even when a was filled by the same transaction.
func (c *Ctx) ServesFrom(key []byte) bool {
	return !c.Retry || string(key) == string(c.Woken)
}

// SignalReady tells clients blocked on key (BLPOP, BZPOPMIN, XREAD ...)
// that it may serve them now; handlers call it after adding elements.
func (c *Ctx) SignalReady(key []byte) { c.E.SignalReady(c.DB.ID, key) }

// Read looks key up for reading and checks its kind. It returns the entry
// id, or dict.None if the key does not exist. If the key holds another
// kind it writes WRONGTYPE and returns ok false.
func (c *Ctx) Read(key []byte, kind keyspace.Kind) (id uint32, ok bool) {
	id = c.DB.LookupRead(key)
	if id != dict.None && c.DB.Kind(id) != kind {
		c.Err(ErrWrongType)
		return id, false
	}
	return id, true
}

// ReadWrite looks key up for writing and checks its kind, like Read.
func (c *Ctx) ReadWrite(key []byte, kind keyspace.Kind) (id uint32, ok bool) {
	id = c.DB.LookupWrite(key)
	if id != dict.None && c.DB.Kind(id) != kind {
		c.Err(ErrWrongType)
		return id, false
	}
	return id, true
}

// Int parses argument i as a 64-bit integer, writing ErrNotInt if it is
// not one.
func (c *Ctx) Int(i int) (int64, bool) {
	n, ok := protocol.ParseInt(c.Args[i])
	if !ok {
		c.Err(ErrNotInt)
	}
	return n, ok
}

// IntMsg parses argument i as an integer, writing msg if it is not one.
func (c *Ctx) IntMsg(i int, msg string) (int64, bool) {
	n, ok := protocol.ParseInt(c.Args[i])
	if !ok {
		c.Err(msg)
	}
	return n, ok
}

// Float parses argument i as a double the way Redis's getDoubleFromObject
// does, writing ErrNotFloat if it is not one.
func (c *Ctx) Float(i int) (float64, bool) {
	f, ok := ParseFloat(c.Args[i])
	if !ok {
		c.Err(ErrNotFloat)
	}
	return f, ok
}

// ParseFloat parses a double as Redis does with strtod: no leading space,
// nothing left over, "inf" accepted, NaN and out-of-range values refused
// (an overflow, or an underflow to zero).
func ParseFloat(b []byte) (float64, bool) {
	if len(b) == 0 || cnum.IsSpace(b[0]) {
		return 0, false
	}
	f, rangeErr, ok := Strtod(string(b))
	if !ok || rangeErr || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// Strtod parses all of s as C's strtod does: decimal or hexadecimal
// ("0x1.8", exponent optional) notation, "inf", "infinity" and "nan" in
// any case. rangeErr reports an overflow (f is then an infinity) or an
// underflow to zero, which strtod flags with ERANGE.
func Strtod(s string) (f float64, rangeErr, ok bool) {
	if isHexFloat(s) {
		// Go wants a binary exponent, and would take digit separators
		// that strtod refuses.
		if strings.IndexByte(s, '_') >= 0 {
			return 0, false, false
		}
		if !strings.ContainsAny(s, "pP") {
			s += "p0"
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, isNum := err.(*strconv.NumError); !isNum || ne.Err != strconv.ErrRange {
			return 0, false, false
		}
		return f, true, true
	}
	return f, f == 0 && hasNonZeroDigit(s), true
}

// isHexFloat reports whether s is in strtod's hexadecimal notation.
func isHexFloat(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	return len(s) > 1 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')
}

// hasNonZeroDigit reports whether a number's mantissa has a digit other
// than 0: such a number parsing to zero underflowed.
func hasNonZeroDigit(s string) bool {
	hex := isHexFloat(s)
	if hex {
		s = s[strings.IndexAny(s, "xX")+1:]
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case !hex && (ch == 'e' || ch == 'E'), hex && (ch == 'p' || ch == 'P'):
			return false
		case ch >= '1' && ch <= '9', hex && (ch >= 'a' && ch <= 'f' || ch >= 'A' && ch <= 'F'):
			return true
		}
	}
	return false
}

// Is reports whether argument i equals word, ignoring case.
func (c *Ctx) Is(i int, word string) bool {
	return EqualFold(c.Args[i], word)
}

// EqualFold compares an argument with a lower- or upper-case ASCII word
// without allocating.
func EqualFold(b []byte, word string) bool {
	if len(b) != len(word) {
		return false
	}
	for i := 0; i < len(b); i++ {
		x, y := b[i], word[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Help writes a HELP reply: a header naming the command, the given lines,
// and the lines for HELP itself, as Redis's addReplyHelp does.
func Help(w *protocol.Writer, cmd string, lines []string) {
	w.Array(len(lines) + 3)
	w.Simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		w.Simple(l)
	}
	w.Simple("HELP")
	w.Simple("    Prints this help.")
}

// Timeout parses argument i as a blocking command's timeout in seconds
// (BLPOP, BZPOPMIN ...), fractions allowed, parsed as C's long double as
// Redis parses it. It returns the deadline in Unix ms, 0 for "wait
// forever", or writes Redis's error and returns false.
func (c *Ctx) Timeout(i int) (deadline int64, ok bool) {
	var secs big.Float
	if !longdouble.Parse(&secs, c.Args[i]) {
		c.Err("ERR timeout is not a float or out of range")
		return 0, false
	}
	ms, _ := secs.Mul(&secs, big.NewFloat(1000)).Float64()
	return c.deadline(math.Ceil(ms))
}

// TimeoutMillis parses argument i as a timeout in milliseconds (XREAD
// BLOCK), like Timeout.
func (c *Ctx) TimeoutMillis(i int) (deadline int64, ok bool) {
	ms, ok := c.IntMsg(i, "ERR timeout is not an integer or out of range")
	if !ok {
		return 0, false
	}
	return c.deadline(float64(ms))
}

func (c *Ctx) deadline(ms float64) (int64, bool) {
	// Out of long long's range, C's conversion gives LLONG_MIN on x86,
	// hence a negative timeout.
	t := int64(math.MinInt64)
	if ms > -0x1p63 && ms < 0x1p63 {
		t = int64(ms)
	}
	if t < 0 {
		c.Err("ERR timeout is negative")
		return 0, false
	}
	if t == 0 {
		return 0, true
	}
	now := time.Now().UnixMilli()
	if t > math.MaxInt64-now {
		return math.MaxInt64, true // Redis overflows here; never is close enough
	}
	return t + now, true
}

// RangeInt parses argument i as an integer in [lo, hi], as Redis's
// getRangeLongFromObjectOrReply does, writing its error otherwise.
func (c *Ctx) RangeInt(i int, lo, hi int64) (int64, bool) {
	n, ok := c.Int(i)
	if ok && (n < lo || n > hi) {
		c.Err("ERR value is out of range, value must between " + strconv.FormatInt(lo, 10) + " and " + strconv.FormatInt(hi, 10))
		return n, false
	}
	return n, ok
}

// RankRange clips the inclusive index range [start, end], negative
// indexes counting from the end, to a sequence of length l, as LRANGE,
// LTRIM and ZRANGE do. It returns the first index and the number of
// elements, n = 0 when the range is empty.
func RankRange(start, end, l int64) (first, n int64) {
	if start < 0 {
		start += l
	}
	if end < 0 {
		end += l
	}
	start = max(start, 0)
	if start > end || start >= l {
		return 0, 0
	}
	end = min(end, l-1)
	return start, end - start + 1
}
