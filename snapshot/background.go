package snapshot

import (
	"path/filepath"

	"bufio"
	"errors"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/redoubt-db/redoubt/config"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/rdb"
)

// A Background snapshot is BGSAVE: the dataset as it was at Start, written
// while clients keep changing it, without fork and without a second copy
// of the data.
//
// At Start each non-empty database's table is paused, so that its keys
// stay in known buckets, and split into groups (dict.GroupMask). A writer
// walks the groups in order, a batch at a time under the engine lock, and
// writes the file outside it. Before any key changes, the keyspace calls
// BeforeChange, and the group holding the key is written at once, as it
// still is, and marked done; FLUSHDB, FLUSHALL and SWAPDB first write
// every group of their databases left. So each key is written once, as it
// was at Start. The extra memory is what waits to be written: the walk's
// current batch, and the groups written early for databases the walk has
// not reached, whose records must follow their database's SELECTDB.
type Background struct {
	ks       *keyspace.Keyspace
	layout   layout
	checksum bool
	// TempName is the file written before it is renamed into place: a
	// name in the destination's directory, or a path.
	TempName string
	// BeforeRename, if set, may veto the rename of the finished file
	// into place (the directory changed meanwhile): Run then fails with
	// its error and removes the file.
	BeforeRename func() error
	// OnStep, if set, is told how long each step of the walk held the
	// lock; it is called with the lock still held. A step's hold is what
	// the snapshot costs the clients that wait for the lock.
	OnStep   func(held time.Duration)
	walks    []*walk
	unlisten func()
	cur      int         // the walk in progress
	out      rdb.Encoder // records for the file, in order, not yet taken
	aborted  bool
	// stop is closed by Abort, to cut a slowed walk's sleep short.
	stop chan struct{}
	// Keys counts the keys written so far, Total the keys at Start.
	Keys, Total int64
	// Peak is the most memory the snapshot held at once for records not
	// yet in the file: its cost beyond the dataset (Redis's COW size).
	Peak int64
}

// Pending is the memory held for records not yet in the file.
func (b *Background) Pending() int64 {
	n := len(b.out.B)
	for _, w := range b.walks {
		n += len(w.early.B)
	}
	return int64(n)
}

// walk is one database's part of a snapshot.
type walk struct {
	db            *keyspace.DB
	index         int
	d             *dict.Dict // the table paused at Start
	mask          uint64
	done          []uint64 // bitmap of the groups written
	next          uint64   // the next group the walk looks at
	keys, expires int
	started       bool        // its SELECTDB is written
	finished      bool        // every group is written
	early         rdb.Encoder // groups written before the walk started
}

// Engine is what a background snapshot needs of the execution engine:
// its lock, and to be told before keys change.
type Engine interface {
	sync.Locker
	Listen(l keyspace.ChangeListener) (remove func())
}

// StartBackground begins a background snapshot of ks, which eng runs.
// The caller holds the engine lock, and must call Run to write the file
// (or Abort).
func StartBackground(ks *keyspace.Keyspace, eng Engine, cfg *config.Values, info Info) *Background {
	return StartBackgroundAs(RDB, ks, eng, cfg, info)
}

// StartBackgroundAs is StartBackground for a file of format f.
func StartBackgroundAs(f Format, ks *keyspace.Keyspace, eng Engine, cfg *config.Values, info Info) *Background {
	l := layoutOf(f, cfg)
	b := &Background{ks: ks, layout: l, out: l.begin(cfg, info), checksum: cfg.RDBChecksum, stop: make(chan struct{}),
		TempName: "temp-bg-" + strconv.Itoa(os.Getpid()) + ".rdb"}
	for i, db := range ks.DBs {
		if db.Len() == 0 || info.NoData {
			continue
		}
		d := db.Dict()
		d.Pause()
		mask := d.GroupMask()
		b.walks = append(b.walks, &walk{db: db, index: i, d: d, mask: mask,
			done: make([]uint64, (mask+64)/64), keys: db.Len(), expires: db.ExpiresLen(),
			early: rdb.Encoder{Compress: cfg.RDBCompression}})
		b.Total += int64(db.Len())
	}
	b.unlisten = eng.Listen(b)
	return b
}

func (b *Background) walkOf(db *keyspace.DB) *walk {
	for _, w := range b.walks {
		if w.db == db && !w.finished {
			return w
		}
	}
	return nil
}

// BeforeChange implements keyspace.ChangeListener: it writes the group
// of key before the key changes.
func (b *Background) BeforeChange(db *keyspace.DB, key []byte) {
	if w := b.walkOf(db); w != nil {
		if g := uint64(w.d.Hash(key)) & w.mask; w.done[g/64]&(1<<(g%64)) == 0 {
			b.writeGroup(w, g)
		}
	}
}

// BeforeFlush implements keyspace.ChangeListener: it writes every group
// of db left before its contents go.
func (b *Background) BeforeFlush(db *keyspace.DB) {
	if w := b.walkOf(db); w != nil {
		for g := uint64(0); g <= w.mask; g++ {
			if w.done[g/64]&(1<<(g%64)) == 0 {
				b.writeGroup(w, g)
			}
		}
		b.finish(w)
	}
}

// writeGroup writes the keys of group g, where the walk's database is in
// the file (the current section) or will be (its early records).
func (b *Background) writeGroup(w *walk, g uint64) int {
	w.done[g/64] |= 1 << (g % 64)
	e := &w.early
	if w.started {
		e = &b.out
	}
	n := 0
	w.d.EachInGroup(w.mask, g, func(id uint32) {
		b.layout.record(w.db, id, e)
		n++
	})
	b.Keys += int64(n)
	b.Peak = max(b.Peak, b.Pending())
	return n
}

func (b *Background) finish(w *walk) {
	w.finished = true
	w.done = nil
	w.d.Resume()
}

// step walks up to budget groups; it returns the keys written and whether
// the walk is over. The caller holds the engine lock.
func (b *Background) step(budget int) (keys int, over bool) {
	for b.cur < len(b.walks) && budget > 0 {
		w := b.walks[b.cur]
		if !w.started {
			b.layout.section(&b.out, w.index, w.keys, w.expires)
			b.out.B = append(b.out.B, w.early.B...)
			w.early = rdb.Encoder{}
			w.started = true
		}
		for !w.finished && budget > 0 {
			g := w.next
			w.next++
			if w.done[g/64]&(1<<(g%64)) == 0 {
				keys += b.writeGroup(w, g)
				budget--
			}
			if w.next > w.mask {
				b.finish(w)
			}
		}
		if w.finished {
			b.cur++
		}
	}
	return keys, b.cur == len(b.walks)
}

// release stops listening to the keyspace and lets every table the
// snapshot paused rehash again. The caller holds the engine lock.
func (b *Background) release() {
	if b.unlisten != nil {
		b.unlisten()
		b.unlisten = nil
	}
	for _, w := range b.walks {
		if !w.finished {
			b.finish(w)
		}
	}
}

// Abort stops the snapshot: Run returns ErrAborted and leaves no file.
// The caller holds the engine lock.
func (b *Background) Abort() {
	if !b.aborted {
		b.aborted = true
		close(b.stop)
		b.release()
	}
}

// ErrAborted is Run's error after Abort.
var ErrAborted = errors.New("background save aborted")

// groupsPerStep bounds the lock hold of one step of the walk.
const groupsPerStep = 256

// Run writes the snapshot to path, taking lock for each step of the walk
// and releasing it to write, as saveFile does for SAVE. keyDelay slows
// the walk by that much per key (rdb-key-save-delay, for tests).
func (b *Background) Run(path string, lock sync.Locker, keyDelay time.Duration) error {
	return writeRename(b.TempPath(path), path, func(file io.Writer) error {
		return b.Stream(file, lock, keyDelay)
	}, b.BeforeRename)
}

// TempPath is the temporary file Run writes before renaming it to path.
func (b *Background) TempPath(path string) string {
	if filepath.IsAbs(b.TempName) {
		return b.TempName
	}
	return filepath.Join(filepath.Dir(path), b.TempName)
}

// Stream writes the snapshot to w, as Run writes it to a file: the
// whole file, checksum included, each step of the walk under lock and
// each write outside it. A replica's full resynchronisation streams it
// to the socket (diskless replication).
func (b *Background) Stream(w io.Writer, lock sync.Locker, keyDelay time.Duration) error {
	var out []byte
	f := &fileWriter{w: bufio.NewWriterSize(w, flushAt), checksum: b.checksum, rdb: b.layout.trailer()}
	budget := groupsPerStep
	if keyDelay > 0 {
		budget = 1
	}
	for {
		lock.Lock()
		start := time.Now()
		if b.aborted {
			lock.Unlock()
			return ErrAborted
		}
		keys, over := b.step(budget)
		out, b.out.B = b.out.B, out[:0]
		if over {
			b.release()
		}
		if b.OnStep != nil {
			b.OnStep(time.Since(start))
		}
		lock.Unlock()
		if err := f.Write(out); err != nil {
			b.abortLocked(lock)
			return err
		}
		if over {
			return f.end()
		}
		if keyDelay > 0 {
			select {
			case <-time.After(keyDelay * time.Duration(keys)):
			case <-b.stop:
			}
		}
	}
}

func (b *Background) abortLocked(lock sync.Locker) {
	lock.Lock()
	b.Abort()
	lock.Unlock()
}
