// Package keyspace holds the databases: for each one a dict of keys, the
// keys' time to live, and the access clock used by eviction. It is the
// layer the commands of every data type stand on (Redis's db.c).
//
// A key's entry carries everything about it in 32 pointer-free bytes: its
// kind and encoding, its LRU clock or LFU counter, a value word, and the
// position of its expire record. The value word is the integer itself for
// int-encoded strings, an arena blob for other strings and compact
// collections, or a handle into a small table of Go objects for the big
// collection encodings, which are few.
//
// Keys with a TTL are also listed in a dense vector of (entry, deadline)
// records, so that active expiry samples them uniformly in O(1), as
// eviction samples the dict.
//
// Time is the command's time, which the keyspace asks its Env (the
// execution engine): a key cannot expire half-way through a command, a
// MULTI block or a script.
package keyspace

import (
	"math/rand/v2"
	"time"

	"github.com/redoubt-db/redoubt/arena"
	"github.com/redoubt-db/redoubt/dict"
)

// Kind is the type of a value, numbered as in RDB files.
type Kind uint8

// Value kinds, in Redis's OBJ_* numbering.
const (
	KindString Kind = 0
	KindList   Kind = 1
	KindSet    Kind = 2
	KindZSet   Kind = 3
	KindHash   Kind = 4
	KindStream Kind = 6
)

var kindNames = [...]string{KindString: "string", KindList: "list", KindSet: "set", KindZSet: "zset", KindHash: "hash", 5: "none", KindStream: "stream"}

func (k Kind) String() string { return kindNames[k] }

// ParseKind maps a TYPE name to a kind.
func ParseKind(name string) (Kind, bool) {
	for k, n := range kindNames {
		if n == name && n != "none" {
			return Kind(k), true
		}
	}
	return 0, false
}

// Encoding is a value's in-memory representation, as OBJECT ENCODING
// names it.
type Encoding uint8

// Encodings, with Redis's names.
const (
	EncRaw Encoding = iota
	EncInt
	EncEmbstr
	EncHashtable
	EncIntset
	EncListpack
	EncQuicklist
	EncSkiplist
	EncStream
	// EncPackedHashtable is a small collection of strings kept in one
	// listpack blob where Redis 7.0 would build a hashtable: it answers
	// OBJECT ENCODING as Redis 7.0 does, and costs a tenth of the memory
	// and nothing to the garbage collector.
	EncPackedHashtable
)

var encNames = [...]string{"raw", "int", "embstr", "hashtable", "intset", "listpack", "quicklist", "skiplist", "stream", "hashtable"}

func (e Encoding) String() string { return encNames[e] }

// Meta word layout: 24 bits of LRU clock or LFU data, then the encoding
// and the kind.
const (
	lruBits   = 24
	lruMask   = 1<<lruBits - 1
	encShift  = 24
	kindShift = 28
)

func meta(k Kind, e Encoding, lru uint32) uint32 {
	return uint32(k)<<kindShift | uint32(e)<<encShift | lru&lruMask
}

// Env is the execution engine as the keyspace sees it: the time of the
// running command, and where the keyspace's own events go. One engine
// implements it for the server (package engine); a keyspace without one
// (tools, loaders, unit tests) runs on a Clock.
type Env interface {
	// Now is the running command's time in Unix milliseconds: keys do not
	// expire half-way through a command, a MULTI block or a script.
	Now() int64
	// NoTouch is true while a command's reads must not count as accesses
	// (CLIENT NO-TOUCH).
	NoTouch() bool
	// BeforeChange is called before a key changes in any way (value, TTL,
	// existence; or a write lookup, after which a command may change a
	// value in place), while its old state is still there: a background
	// snapshot writes it out first if it has not yet.
	BeforeChange(db *DB, key []byte)
	// BeforeFlush is called before a database's contents go or move at
	// once (FLUSHDB, FLUSHALL, SWAPDB).
	BeforeFlush(db *DB)
	// Expired is called after a key was deleted because its TTL passed,
	// lazily or by the active cycle: notification, WATCH, propagation of
	// the deletion.
	Expired(db *DB, key []byte)
	// Ready is called when a key appears, and when a stream goes away or
	// is replaced: clients blocked on it may now be served, or told
	// (Redis's signalKeyAsReady in dbAdd and dbGenericDelete).
	Ready(db *DB, key []byte)
	// Missed is called when a read finds no key (the keymiss event).
	Missed(db *DB, key []byte)
}

// ChangeListener is told before a key or a whole database changes, as
// Env's BeforeChange and BeforeFlush are: background snapshots and AOF
// rewrites listen, several at a time, through the engine.
type ChangeListener interface {
	BeforeChange(db *DB, key []byte)
	BeforeFlush(db *DB)
}

// Clock is the Env of a keyspace without an engine: time is T (zero
// means the wall clock), reads touch, and events are dropped except
// expirations, which go to OnExpired if set.
type Clock struct {
	T         int64
	OnExpired func(db *DB, key []byte)
}

// Now implements Env.
func (c *Clock) Now() int64 {
	if c.T != 0 {
		return c.T
	}
	return time.Now().UnixMilli()
}

// NoTouch implements Env.
func (c *Clock) NoTouch() bool { return false }

// BeforeChange implements Env.
func (c *Clock) BeforeChange(*DB, []byte) {}

// BeforeFlush implements Env.
func (c *Clock) BeforeFlush(*DB) {}

// Expired implements Env.
func (c *Clock) Expired(db *DB, key []byte) {
	if c.OnExpired != nil {
		c.OnExpired(db, key)
	}
}

// Ready implements Env.
func (c *Clock) Ready(*DB, []byte) {}

// Missed implements Env.
func (c *Clock) Missed(*DB, []byte) {}

func (db *DB) beforeChange(key []byte) {
	if !db.shadow {
		db.ks.env.BeforeChange(db, key)
	}
}

// WillChange tells the keyspace that a command is about to change key in
// place after looking it up for reading, as PFCOUNT (its cached count)
// and the stream group commands (XREADGROUP, XACK, XCLAIM ...) do, since
// Redis counts their lookups as reads.
func (db *DB) WillChange(key []byte) { db.beforeChange(key) }

func (db *DB) beforeFlush() {
	if !db.shadow {
		db.ks.env.BeforeFlush(db)
	}
}

func (db *DB) beforeChangeID(id uint32) {
	if !db.shadow {
		db.ks.env.BeforeChange(db, db.dict.Key(id))
	}
}

// Keyspace is the set of databases.
type Keyspace struct {
	Arena *arena.Arena
	DBs   []*DB
	env   Env
	// Evict mirrors maxmemory-policy's effect on access tracking.
	LFU          bool
	LFULogFactor int
	LFUDecayTime int
	// ActiveExpire is DEBUG SET-ACTIVE-EXPIRE's switch.
	ActiveExpire bool
	// Replica makes lookups report expired keys as missing without
	// deleting them: the master sends the deletes.
	Replica bool
	// WritableReplica (replica-read-only no) deletes expired keys that a
	// write looks up, so that the write does not meet a key that is
	// both gone and there (Redis's EXPIRE_FORCE_DELETE_EXPIRED).
	WritableReplica bool
	// FromPrimary is set while a replica runs its primary's commands:
	// no key is expired for them, since the primary decides expiries
	// and sends their DELs (Redis's expireIfNeeded for the master
	// client).
	FromPrimary bool
	// ExpiryPaused does the same while CLIENT PAUSE holds writes: a
	// key deleted now would be a write nobody asked for, made while a
	// failover may be under way (Redis's
	// checkClientPauseTimeoutAndReturnIfPaused).
	ExpiryPaused bool
	// Hot, when set, samples accesses for the hot keys (HotKeys).
	Hot *HotKeys
	// Loading is set while an AOF is replayed: no key expires, and a
	// deadline already past is set rather than acted on, as Redis loads.
	Loading bool
	// LazyExpire (lazyfree-lazy-expire) frees the big values of expired
	// keys in the background, and LazyServerDel (lazyfree-lazy-server-del)
	// those a write replaces (SET over a big hash, RENAME onto one), as
	// UNLINK does.
	LazyExpire, LazyServerDel bool

	compact         compaction
	CompactionStats CompactionStats
	// GrowAllowed, if set, may refuse a database's table a growth of its
	// buckets by more bytes (dict.Dict.AllowGrow): the server refuses
	// one that would take used memory past maxmemory.
	GrowAllowed func(more int64) bool

	Stats Stats
	rng   *rand.Rand
	lazy  lazyQueue
	objs  objTable
}

// Stats are the keyspace's INFO stats counters.
type Stats struct {
	Hits, Misses        int64
	ExpiredKeys         int64
	ExpiredStalePerc    float64
	ExpiredTimeCapReach int64
	ExpireCycleMicros   int64
	LazyfreedObjects    int64
}

// New creates n empty databases, on a wall Clock until SetEnv.
func New(n int) *Keyspace {
	ks := &Keyspace{Arena: arena.New(), ActiveExpire: true, LFULogFactor: 10, LFUDecayTime: 1,
		env: &Clock{}, rng: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))}
	for i := 0; i < n; i++ {
		ks.DBs = append(ks.DBs, ks.newDB(i))
	}
	return ks
}

func (ks *Keyspace) newDB(id int) *DB {
	db := &DB{ID: id, ks: ks, dict: dict.New(ks.Arena)}
	db.dict.OnMove = db.entryMoved
	db.dict.AllowGrow = ks.allowGrow
	return db
}

// SetEnv connects the keyspace to its execution engine.
func (ks *Keyspace) SetEnv(env Env) { ks.env = env }

// Env returns the keyspace's execution engine.
func (ks *Keyspace) Env() Env { return ks.env }

// Now is the running command's time in Unix milliseconds.
func (ks *Keyspace) Now() int64 { return ks.env.Now() }

// Rand returns a random number in [0, n).
func (ks *Keyspace) Rand(n uint32) uint32 { return uint32(ks.rng.Uint64N(uint64(n))) }

// DB is one numbered database.
type DB struct {
	ID      int
	ks      *Keyspace
	dict    *dict.Dict
	expires []expireRec
	// AvgTTL is the estimate reported by INFO keyspace, refreshed by the
	// active expire cycle.
	AvgTTL int64
	// expireCursor is where the active expire cycle resumes.
	expireCursor int
	// shadow marks a database outside the numbered ones (Shadow).
	shadow bool
}

type expireRec struct {
	id   uint32
	when int64
}

// Keyspace returns the keyspace the database belongs to.
func (db *DB) Keyspace() *Keyspace { return db.ks }

// Len is the number of keys, expired ones not yet collected included.
func (db *DB) Len() int { return db.dict.Len() }

// ExpiresLen is the number of keys with a TTL.
func (db *DB) ExpiresLen() int { return len(db.expires) }

// Dict gives maintenance code (cron, SCAN, DEBUG) the underlying table.
func (db *DB) Dict() *dict.Dict { return db.dict }

// entryMoved follows dict compaction.
func (db *DB) entryMoved(from, to uint32) {
	if x := db.dict.Aux(to); x != 0 {
		db.expires[x-1].id = to
	}
}

// ---- lookups ----

// Lookup flags.
const (
	// Write lookups do not count hits and misses.
	Write = 1 << iota
	// NoTouch leaves the access clock alone (OBJECT, TYPE, CLIENT NO-TOUCH).
	NoTouch
	// NoExpire reports an expired key as missing without deleting it.
	NoExpire
)

// Find returns the id of a key without any side effect, expired or not.
func (db *DB) Find(key []byte) uint32 { return db.dict.Find(key) }

// Lookup finds a live key: an expired key is deleted (or, with NoExpire or
// on a replica, only reported missing). It returns dict.None if absent.
func (db *DB) Lookup(key []byte, flags int) uint32 {
	id := db.dict.Find(key)
	if id != dict.None && db.expiredID(id) {
		if flags&NoExpire == 0 && (!db.ks.Replica || flags&Write != 0 && db.ks.WritableReplica) && !db.ks.ExpiryPaused {
			db.deleteExpired(id)
		}
		id = dict.None
	}
	if flags&Write == 0 {
		if id == dict.None {
			db.ks.Stats.Misses++
			db.ks.env.Missed(db, key)
		} else {
			db.ks.Stats.Hits++
		}
	}
	if id != dict.None && flags&NoTouch == 0 && !db.ks.env.NoTouch() {
		db.touch(id)
	}
	if id != dict.None && flags&Write != 0 {
		db.beforeChange(key)
	}
	return id
}

// MaxPrefetch is the most keys Prefetch takes at once.
const MaxPrefetch = 16

// Prefetch fetches ahead what looking up keys will read: the batch's
// buckets, then their first entries, then those entries' keys and
// values, each stage for every key before the next (see dict's
// PrefetchBucket), so that a pipeline's look-ups wait for memory
// together rather than one after another. It changes nothing; keys past
// MaxPrefetch are ignored.
func (db *DB) Prefetch(keys [][]byte) {
	d := db.dict
	if d.Len() == 0 {
		return
	}
	var hs [MaxPrefetch]uint32
	n := min(len(keys), MaxPrefetch)
	for i := range n {
		hs[i] = d.Hash(keys[i])
		d.PrefetchBucket(hs[i])
	}
	for _, h := range hs[:n] {
		d.PrefetchEntry(h)
	}
	for _, h := range hs[:n] {
		// The value too, where it is one blob: a string's bytes, a
		// small collection's listpack or intset.
		if e := d.PrefetchKey(h); e != nil && oneBlob(Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf)) {
			db.ks.Arena.Prefetch(arena.Ref(e.Val))
		}
	}
}

// LookupRead is Lookup for reading commands.
func (db *DB) LookupRead(key []byte) uint32 { return db.Lookup(key, 0) }

// LookupWrite is Lookup for writing commands.
func (db *DB) LookupWrite(key []byte) uint32 { return db.Lookup(key, Write) }

// Exists reports whether a live key exists, deleting it if expired.
func (db *DB) Exists(key []byte) bool { return db.Lookup(key, Write|NoTouch) != dict.None }

func (db *DB) expiredID(id uint32) bool {
	x := db.dict.Aux(id)
	return x != 0 && db.expires[x-1].when < db.ks.env.Now() && !db.ks.Loading && !db.ks.FromPrimary
}

// AlreadyExpired reports whether a deadline a command is about to set is
// already past, so that the key is deleted rather than given it (Redis's
// checkAlreadyExpired): never on a replica, which waits for its primary's
// delete, nor while loading, where the key is kept as it was written.
func (ks *Keyspace) AlreadyExpired(when int64) bool {
	return when <= ks.env.Now() && !ks.Replica && !ks.Loading
}

func (db *DB) deleteExpired(id uint32) {
	key := db.dict.Key(id)
	// The key's bytes die with the entry; hooks get a copy.
	k := append([]byte(nil), key...)
	if db.ks.LazyExpire {
		db.Unlink(id)
	} else {
		db.Delete(id)
	}
	db.ks.Stats.ExpiredKeys++
	db.ks.env.Expired(db, k)
}

// Key returns the key of an entry, aliasing arena memory.
func (db *DB) Key(id uint32) []byte { return db.dict.Key(id) }

// Stamp returns the stamp of a key (dict.Stamp): eviction remembers its
// candidates by entry and stamp, not by name, so that a sampled key is
// not read at all unless it is evicted.
func (db *DB) Stamp(id uint32) dict.Stamp { return db.dict.StampOf(id) }

// HasStamp reports whether entry id still holds the key it held when
// its stamp was taken.
func (db *DB) HasStamp(id uint32, st dict.Stamp) bool { return db.dict.HasStamp(id, st) }

// Kind returns the kind of a key's value.
func (db *DB) Kind(id uint32) Kind { return Kind(db.dict.At(id).Meta >> kindShift) }

// Encoding returns the encoding of a key's value.
func (db *DB) Encoding(id uint32) Encoding {
	return Encoding(db.dict.At(id).Meta >> encShift & 0xf)
}

// Value returns the raw value word of a key.
func (db *DB) Value(id uint32) uint64 { return db.dict.At(id).Val }

// SetValue replaces a key's value word and encoding in place; the caller
// owns the old value (it has usually just transformed it).
func (db *DB) SetValue(id uint32, e Encoding, val uint64) {
	ent := db.dict.At(id)
	ent.Val = val
	ent.Meta = ent.Meta&^(0xf<<encShift) | uint32(e)<<encShift
}

// Add creates a key that does not exist yet.
func (db *DB) Add(key []byte, k Kind, e Encoding, val uint64) uint32 {
	db.beforeChange(key)
	id := db.dict.Insert(key)
	ent := db.dict.At(id)
	ent.Val = val
	ent.Meta = meta(k, e, db.initialAccess())
	db.ready(key)
	return id
}

func (db *DB) ready(key []byte) {
	if !db.shadow {
		db.ks.env.Ready(db, key)
	}
}

// streamGoing signals a stream key that is about to be deleted or
// replaced, so that its blocked readers learn of it.
func (db *DB) streamGoing(id uint32, meta uint32) {
	if Kind(meta>>kindShift) == KindStream {
		db.ready(db.dict.Key(id))
	}
}

// Overwrite gives an existing key a new value, freeing the old one. The
// TTL stays; the access data is reset, except an LFU counter which the
// key keeps, as in Redis.
func (db *DB) Overwrite(id uint32, k Kind, e Encoding, val uint64) {
	db.beforeChangeID(id)
	ent := db.dict.At(id)
	old, oldMeta := ent.Val, ent.Meta
	lru := db.initialAccess()
	if db.ks.LFU {
		lru = oldMeta & lruMask
	}
	ent.Val = val
	ent.Meta = meta(k, e, lru)
	db.streamGoing(id, oldMeta)
	if db.ks.LazyServerDel {
		db.ks.lazyFree(Kind(oldMeta>>kindShift), Encoding(oldMeta>>encShift&0xf), old)
	} else {
		db.ks.freeValue(Kind(oldMeta>>kindShift), Encoding(oldMeta>>encShift&0xf), old)
	}
}

// Delete removes a key and frees its value.
func (db *DB) Delete(id uint32) {
	db.beforeChangeID(id)
	ent := db.dict.At(id)
	if x := db.dict.Aux(id); x != 0 {
		db.removeExpireRec(x - 1)
	}
	db.streamGoing(id, ent.Meta)
	db.ks.freeValue(Kind(ent.Meta>>kindShift), Encoding(ent.Meta>>encShift&0xf), ent.Val)
	db.dict.Delete(id)
}

// Unlink removes a key, freeing a big value in the background, as UNLINK
// and the lazyfree-lazy-* options do.
func (db *DB) Unlink(id uint32) {
	db.beforeChangeID(id)
	ent := db.dict.At(id)
	if x := db.dict.Aux(id); x != 0 {
		db.removeExpireRec(x - 1)
	}
	db.streamGoing(id, ent.Meta)
	db.ks.lazyFree(Kind(ent.Meta>>kindShift), Encoding(ent.Meta>>encShift&0xf), ent.Val)
	db.dict.Delete(id)
}

// Rename moves a key's value, TTL and access data to a new key name, which
// must not exist.
func (db *DB) Rename(id uint32, to []byte) uint32 {
	return db.MoveTo(id, db, to)
}

// MoveTo moves a key (value, TTL, access data) to another database, under
// a new name that must not exist there.
func (db *DB) MoveTo(id uint32, dst *DB, to []byte) uint32 {
	db.beforeChangeID(id)
	dst.beforeChange(to)
	ent := *db.dict.At(id)
	when := int64(-1)
	if x := db.dict.Aux(id); x != 0 {
		when = db.expires[x-1].when
		db.removeExpireRec(x - 1)
	}
	db.streamGoing(id, ent.Meta)
	db.dict.Delete(id) // the value now belongs to the new entry
	nid := dst.dict.Insert(to)
	ne := dst.dict.At(nid)
	ne.Val, ne.Meta = ent.Val, ent.Meta
	if when >= 0 {
		dst.SetExpire(nid, when)
	}
	dst.ready(to)
	return nid
}

// ---- expires ----

// Expire returns a key's deadline in Unix milliseconds, or -1.
func (db *DB) Expire(id uint32) int64 {
	if x := db.dict.Aux(id); x != 0 {
		return db.expires[x-1].when
	}
	return -1
}

// SetExpire sets a key's deadline in Unix milliseconds.
func (db *DB) SetExpire(id uint32, when int64) {
	db.beforeChangeID(id)
	if x := db.dict.Aux(id); x != 0 {
		db.expires[x-1].when = when
		return
	}
	db.expires = append(db.expires, expireRec{id: id, when: when})
	db.dict.SetAux(id, uint32(len(db.expires)))
}

// Persist removes a key's TTL; it reports whether there was one.
func (db *DB) Persist(id uint32) bool {
	if db.dict.Aux(id) == 0 {
		return false
	}
	db.beforeChangeID(id)
	db.removeExpireRec(db.dict.Aux(id) - 1)
	return true
}

func (db *DB) removeExpireRec(i uint32) {
	removed := db.expires[i].id
	last := uint32(len(db.expires) - 1)
	if i != last {
		db.expires[i] = db.expires[last]
		db.dict.SetAux(db.expires[i].id, i+1)
	}
	db.dict.SetAux(removed, 0)
	db.expires = db.expires[:last]
	if cap(db.expires) > 1024 && len(db.expires) < cap(db.expires)/4 {
		db.expires = append([]expireRec(nil), db.expires...)
	}
}

// SampleExpire looks at the next key of the database's TTL list in the
// active cycle's round-robin order: if its deadline has passed it is
// deleted (gone is true); otherwise ttl is its remaining time to live.
func (db *DB) SampleExpire(now int64) (ttl int64, gone bool) {
	if db.expireCursor >= len(db.expires) {
		db.expireCursor = 0
	}
	r := db.expires[db.expireCursor]
	if r.when < now {
		// The last record moves into this slot: look at it next time.
		db.deleteExpired(r.id)
		return 0, true
	}
	db.expireCursor++
	return r.when - now, false
}

// ---- flushing ----

// Flush empties the database. With async, values are freed by the
// background lazy-free work instead of now.
func (db *DB) Flush(async bool) {
	db.beforeFlush()
	if async && db.dict.Len() > 0 {
		old := db.dict
		// Big values among its keys are queued in turn when their key is
		// drained, and freed in steps too.
		ks := db.ks
		ks.lazy.dicts = append(ks.lazy.dicts, lazyDict{d: old, entry: func(e *dict.Entry) {
			ks.lazyFree(Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf), e.Val)
		}})
		ks.lazy.pending += int64(old.Len())
		db.dict = dict.New(db.ks.Arena)
		db.dict.OnMove = db.entryMoved
		db.dict.AllowGrow = db.ks.allowGrow
	} else {
		db.dict.ForEach(func(id uint32) bool {
			e := db.dict.At(id)
			db.ks.freeValue(Kind(e.Meta>>kindShift), Encoding(e.Meta>>encShift&0xf), e.Val)
			return true
		})
		db.dict.Clear()
	}
	db.expires = nil
	db.expireCursor = 0
	db.AvgTTL = 0
}

// Swap exchanges the contents of two databases (SWAPDB).
func (ks *Keyspace) Swap(a, b int) {
	x, y := ks.DBs[a], ks.DBs[b]
	x.beforeFlush()
	y.beforeFlush()
	x.dict, y.dict = y.dict, x.dict
	x.expires, y.expires = y.expires, x.expires
	x.AvgTTL, y.AvgTTL = y.AvgTTL, x.AvgTTL
	x.expireCursor, y.expireCursor = y.expireCursor, x.expireCursor
	x.dict.OnMove, y.dict.OnMove = x.entryMoved, y.entryMoved
}

// ---- maintenance ----

// Random returns a random live key's id, or dict.None. Expired keys met on
// the way are deleted, as RANDOMKEY does; on a replica, where they cannot
// be, a keyspace of only expired keys still returns one.
func (db *DB) Random() uint32 {
	for tries := 0; db.dict.Len() > 0; tries++ {
		id := db.dict.Random(db.ks.Rand)
		if !db.expiredID(id) {
			return id
		}
		if db.ks.Replica || db.ks.ExpiryPaused {
			if tries >= 100 {
				return id
			}
			continue
		}
		db.deleteExpired(id)
	}
	return dict.None
}

// Maintain does a bounded amount of table housekeeping: incremental
// rehashing and compaction of the entry slabs. The server's cron calls it.
func (db *DB) Maintain(budget int) {
	db.dict.Rehash(budget)
	if db.dict.Sparse() {
		db.dict.Compact(budget)
	}
}

// MemoryOverhead is the memory of the tables themselves, for MEMORY STATS.
func (db *DB) MemoryOverhead() int64 {
	main, expires := db.TableOverheads()
	return main + expires
}

// TableOverheads splits MemoryOverhead into the key table and the expiry
// index, as MEMORY STATS reports them.
func (db *DB) TableOverheads() (main, expires int64) {
	return db.dict.MemoryUsage(), int64(cap(db.expires)) * 16
}

// SampleKey returns a random key's id, expired or not, or dict.None when
// the database is empty (eviction samples with it).
func (db *DB) SampleKey() uint32 {
	if db.dict.Len() == 0 {
		return dict.None
	}
	return db.dict.Random(db.ks.Rand)
}

// SampleVolatile returns a random key with a deadline and the deadline,
// or dict.None (eviction's volatile-* policies sample with it).
func (db *DB) SampleVolatile() (uint32, int64) {
	if len(db.expires) == 0 {
		return dict.None, 0
	}
	r := db.expires[db.ks.Rand(uint32(len(db.expires)))]
	return r.id, r.when
}

func (ks *Keyspace) allowGrow(more int64) bool {
	return ks.GrowAllowed == nil || ks.GrowAllowed(more)
}
