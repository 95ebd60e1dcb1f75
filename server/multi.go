package server

import (
	"github.com/redoubt-db/redoubt/acl"
	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Transactions (Redis's multi.c). Queued commands are copied out of the
// read buffer; EXEC runs them back to back under the engine lock, which
// is what makes the block atomic. WATCH is optimistic locking: a change to
// a watched key flags the watcher, and its EXEC then fails with a null.

type multiState struct {
	queue []queuedCmd
	// mem is the queued arguments' bytes and their pointers (CLIENT
	// LIST multi-mem, Redis's argv_len_sums).
	mem int
}

type queuedCmd struct {
	cmd  *command.Command
	args [][]byte
}

// watchKey names a watched key.
type watchKey struct {
	db  int
	key string
}

// watch is one client watching one key. expired records that the key had
// already expired when WATCH ran: deleting such a key is no change.
type watch struct {
	c       *client
	expired bool
}

func (c *client) queue(cmd *command.Command, args [][]byte) {
	// An aborted transaction need not keep its commands.
	if c.flags&(flagDirtyCAS|flagDirtyExec) != 0 {
		return
	}
	n := 0
	for _, a := range args {
		n += len(a)
	}
	buf := make([]byte, 0, n)
	copied := make([][]byte, len(args))
	for i, a := range args {
		buf = append(buf, a...)
		copied[i] = buf[len(buf)-len(a) : len(buf) : len(buf)]
	}
	c.multi.queue = append(c.multi.queue, queuedCmd{cmd: cmd, args: copied})
	c.multi.mem += n + len(args)*memArgPointer
}

// queuedWrite reports whether the transaction queued a write command.
func (c *client) queuedWrite() bool {
	for _, q := range c.multi.queue {
		if q.cmd.Has(command.Write) {
			return true
		}
	}
	return false
}

// queuedDenyOOM reports whether the transaction queued a command that
// may grow the dataset.
func (c *client) queuedDenyOOM() bool {
	for _, q := range c.multi.queue {
		if q.cmd.Has(command.DenyOOM) {
			return true
		}
	}
	return false
}

// queuedDenyStale reports whether the transaction queued a command that
// must not run on stale data.
func (c *client) queuedDenyStale() bool {
	for _, q := range c.multi.queue {
		if !q.cmd.Has(command.Stale) {
			return true
		}
	}
	return false
}

func (c *client) discardTransaction() {
	c.multi = multiState{}
	c.flags &^= flagMulti | flagDirtyCAS | flagDirtyExec
	c.s.unwatchAll(c)
}

func multiCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagMulti != 0 {
		ctx.Err("ERR MULTI calls can not be nested")
		return
	}
	c.flags |= flagMulti
	ctx.W.OK()
}

func discardCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagMulti == 0 {
		ctx.Err("ERR DISCARD without MULTI")
		return
	}
	c.discardTransaction()
	ctx.W.OK()
}

func execCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagMulti == 0 {
		ctx.Err("ERR EXEC without MULTI")
		return
	}
	if s.watchedKeyExpired(c) {
		c.flags |= flagDirtyCAS
	}
	if c.flags&(flagDirtyCAS|flagDirtyExec) != 0 {
		if c.flags&flagDirtyExec != 0 {
			ctx.Err("EXECABORT Transaction discarded because of previous errors.")
		} else {
			ctx.W.NullArray()
		}
		c.discardTransaction()
		return
	}
	s.unwatchAll(c)
	queue := c.multi.queue
	ctx.W.Array(len(queue))
	c.flags |= flagDenyBlocking
	for _, q := range queue {
		// The user's rules may have changed since the command was
		// queued: checked again, as Redis's EXEC does.
		if u := c.user; u != nil {
			if v := u.Check(q.cmd, q.args, s.aclKeys(u, q.cmd, q.args)); !v.OK() {
				s.aclDeny(c, v.Reason, acl.ContextMulti, v.Object(q.cmd, q.args), u.Name())
				c.reply.Error(v.ExecError())
				s.RecordError(v.ExecError())
				continue
			}
		}
		s.call(c, q.cmd, q.args)
	}
	c.flags &^= flagDenyBlocking
	c.discardTransaction()
}

func watchCmd(s *Server, c *client, ctx *command.Ctx) {
	if c.flags&flagMulti != 0 {
		ctx.Err("ERR WATCH inside MULTI is not allowed")
		return
	}
	if c.flags&flagDirtyCAS == 0 {
		for _, k := range ctx.Args[1:] {
			s.watchKey(c, k)
		}
	}
	ctx.W.OK()
}

func unwatchCmd(s *Server, c *client, ctx *command.Ctx) {
	s.unwatchAll(c)
	c.flags &^= flagDirtyCAS
	ctx.W.OK()
}

func (s *Server) watchKey(c *client, key []byte) {
	wk := watchKey{db: c.db.ID, key: string(key)}
	for _, k := range c.watched {
		if k == wk {
			return
		}
	}
	id := c.db.Find(key)
	expired := id != dict.None && c.db.Expire(id) >= 0 && c.db.Expire(id) < s.ks.Now()
	s.watched[wk] = append(s.watched[wk], &watch{c: c, expired: expired})
	c.watched = append(c.watched, wk)
}

func (s *Server) unwatchAll(c *client) {
	for _, wk := range c.watched {
		ws := s.watched[wk]
		for i, w := range ws {
			if w.c == c {
				ws = append(ws[:i], ws[i+1:]...)
				break
			}
		}
		if len(ws) == 0 {
			delete(s.watched, wk)
		} else {
			s.watched[wk] = ws
		}
	}
	c.watched = nil
}

// watchedKeyExpired reports whether a key that was live when watched has
// expired since: EXEC must then fail, as the key logically changed.
func (s *Server) watchedKeyExpired(c *client) bool {
	for _, wk := range c.watched {
		for _, w := range s.watched[wk] {
			if w.c != c || w.expired {
				continue
			}
			db := s.ks.DBs[wk.db]
			if id := db.Find([]byte(wk.key)); id != dict.None {
				if when := db.Expire(id); when >= 0 && when < s.ks.Now() {
					return true
				}
			}
		}
	}
	return false
}

// KeyChanged implements engine.Host (Redis's signalModifiedKey):
// watchers of the key see their transaction fail, and tracking clients
// that cached it are told.
func (s *Server) KeyChanged(db *keyspace.DB, key []byte) { s.keyChanged(db, key, true) }

// keyChanged is KeyChanged for a key that may be there (a write), or is
// known to be gone (an eviction), which the big-key alarm need not look
// up.
func (s *Server) keyChanged(db *keyspace.DB, key []byte, mayExist bool) {
	s.trackingInvalidateKey(s.currentClient(), key, true)
	if s.repl.master != nil {
		s.rememberReplicaKey(db, key)
	}
	if mayExist {
		s.checkBigKey(db, key)
	}
	if len(s.watched) == 0 {
		return
	}
	ws := s.watched[watchKey{db: db.ID, key: string(key)}]
	var dirty []*client
	for _, w := range ws {
		if w.expired && db.Find(key) == dict.None {
			// The stale key was deleted: logically nothing changed.
			w.expired = false
			continue
		}
		dirty = append(dirty, w.c)
	}
	for _, c := range dirty {
		c.flags |= flagDirtyCAS
		s.unwatchAll(c)
	}
}

// touchWatchedInDB flags the watchers of every key of emptied that
// exists there or in replacedWith (FLUSHDB, FLUSHALL, SWAPDB). It must run
// before the databases change.
func (s *Server) touchWatchedInDB(emptied, replacedWith *keyspace.DB) {
	expiredIn := func(db *keyspace.DB, key []byte) bool {
		id := db.Find(key)
		return id != dict.None && db.Expire(id) >= 0 && db.Expire(id) < s.ks.Now()
	}
	for wk, ws := range s.watched {
		if wk.db != emptied.ID {
			continue
		}
		key := []byte(wk.key)
		inEmptied := emptied.Find(key) != dict.None
		inReplacement := replacedWith != nil && replacedWith.Find(key) != dict.None
		if !inEmptied && !inReplacement {
			continue
		}
		for _, w := range ws {
			if w.expired {
				if !inReplacement {
					w.expired = false
					continue
				}
				if expiredIn(replacedWith, key) {
					continue
				}
			} else if !inEmptied && expiredIn(replacedWith, key) {
				w.expired = true
				continue
			}
			w.c.flags |= flagDirtyCAS
		}
	}
}
