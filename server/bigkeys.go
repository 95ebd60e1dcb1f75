package server

import (
	"fmt"
	"sort"
	"time"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/keyspace"
)

// Incident 1's guardrail: an HGETALL of a 523,000-field hash held every
// other client for 200 ms, and nobody knew the hash was there. Here a
// key that grows past large-key-alarm-elements elements (or
// large-key-alarm-bytes bytes for a string) is noticed when it is written:
// counted, logged once (the log at most every ten seconds), and listed
// by MEMORY DOCTOR; a reply bigger than large-reply-alarm-bytes is counted
// and logged with the command and the client that asked for it. INFO
// guardrails shows both. The check costs a look-up of each key a write
// changed.

// bigKeysState is the alarm's state, guarded by the engine lock.
type bigKeysState struct {
	// known are the big keys seen (at most bigKeysKept), so that each is
	// reported once.
	known map[blockKey]bigKey
	// seen counts big keys noticed; replies counts big replies.
	seen, replies int64
	lastLog       time.Time
	lastReply     string
	// slowKeys counts KEYS commands that held the server past
	// slowKeysThreshold; lastSlowKeys describes the last one.
	slowKeys     int64
	lastSlowKeys string
	lastKeysLog  time.Time
}

type bigKey struct {
	elements int
	bytes    int64
}

const bigKeysKept = 1024

// checkBigKey looks at a key a write changed.
func (s *Server) checkBigKey(db *keyspace.DB, key []byte) {
	maxElems, maxBytes := s.cfg.BigKeyAlarmElements, s.cfg.BigKeyAlarmBytes
	if maxElems <= 0 && maxBytes <= 0 {
		return
	}
	id := db.Find(key)
	if id == dict.None {
		return
	}
	n := db.ValueLen(id)
	big := maxElems > 0 && n >= int(maxElems) && db.Kind(id) != keyspace.KindString
	var size int64
	if !big && maxBytes > 0 && db.Kind(id) == keyspace.KindString {
		size = int64(db.ValueSize(id))
		big = size >= maxBytes
	}
	if !big {
		return
	}
	b := &s.bigKeys
	k := blockKey{db: db.ID, key: string(key)}
	if _, ok := b.known[k]; ok {
		b.known[k] = bigKey{n, size}
		return
	}
	if b.known == nil {
		b.known = make(map[blockKey]bigKey)
	}
	if len(b.known) >= bigKeysKept {
		return
	}
	b.known[k] = bigKey{n, size}
	b.seen++
	if time.Since(b.lastLog) < 10*time.Second {
		return
	}
	b.lastLog = time.Now()
	what := fmt.Sprintf("%d elements", n)
	if db.Kind(id) == keyspace.KindString {
		what = humanBytes(size)
	}
	s.log.Warningf("Big key: '%s' (db %d) now holds %s. Commands that read it whole (HGETALL, SMEMBERS, LRANGE 0 -1 ...) block every other client while they run; UNLINK frees it in the background.",
		clipKey(key), db.ID, what)
}

// noteBigReply is told of a reply bigger than large-reply-alarm-bytes.
func (s *Server) noteBigReply(c *client, args [][]byte, n int) {
	b := &s.bigKeys
	b.replies++
	cmd := ""
	if len(args) > 0 {
		cmd = string(args[0])
		if len(args) > 1 {
			cmd += " " + clipKey(args[1])
		}
	}
	b.lastReply = fmt.Sprintf("%s (%s) to %s", cmd, humanBytes(int64(n)), c.addr)
	if time.Since(b.lastLog) < 10*time.Second {
		return
	}
	b.lastLog = time.Now()
	s.log.Warningf("Big reply: '%s' answered %s to client id=%d addr=%s name=%s; every other client waited while it was built.",
		cmd, humanBytes(int64(n)), c.id, c.addr, c.name)
}

// bigKeysDoctor is MEMORY DOCTOR's line on the big keys seen.
func (s *Server) bigKeysDoctor() []string {
	b := &s.bigKeys
	var out []string
	if len(b.known) > 0 {
		type entry struct {
			k blockKey
			v bigKey
		}
		var all []entry
		for k, v := range b.known {
			db := s.ks.DBs[k.db]
			if db.Find([]byte(k.key)) == dict.None {
				delete(b.known, k)
				continue
			}
			all = append(all, entry{k, v})
		}
		sort.Slice(all, func(i, j int) bool { return all[i].v.elements > all[j].v.elements })
		line := fmt.Sprintf("Big keys: %d keys crossed large-key-alarm-elements or large-key-alarm-bytes; the biggest:", len(all))
		for _, e := range all[:min(5, len(all))] {
			line += fmt.Sprintf(" '%s' (db %d, %d elements)", clipKey([]byte(e.k.key)), e.k.db, e.v.elements)
		}
		if len(all) > 0 {
			out = append(out, line+". Reading them whole stalls every other client; split them, or read them with the *SCAN commands.")
		}
	}
	if b.replies > 0 {
		out = append(out, fmt.Sprintf("Big replies: %d replies were bigger than large-reply-alarm-bytes; the last: %s.", b.replies, b.lastReply))
	}
	return out
}

// slowKeysThreshold is how long a KEYS must run to be reported (incident
// 7: KEYS * over 5 million keys blocked Redis for 28 s). Over a big
// database it runs in steps (keyswalk.go) and other clients are served
// between them, but its sender still waited, and the server worked for
// it that long.
const slowKeysThreshold = 100 * time.Millisecond

// noteSlowKeys counts and logs, at most every ten seconds, a KEYS that
// held the server, with the client that sent it.
func (s *Server) noteSlowKeys(c *client, args [][]byte, d time.Duration) {
	b := &s.bigKeys
	b.slowKeys++
	pattern := ""
	if len(args) > 1 {
		pattern = clipKey(args[1])
	}
	b.lastSlowKeys = fmt.Sprintf("KEYS %s (%d ms) from %s", pattern, d.Milliseconds(), c.addr)
	if time.Since(b.lastKeysLog) < 10*time.Second {
		return
	}
	b.lastKeysLog = time.Now()
	if c.blocked != nil && c.blocked.walk != nil {
		s.log.Warningf("KEYS %s took %d ms of the server's time, in steps between other clients' commands: sent by client id=%d addr=%s name=%s. SCAN walks the keyspace without building one big reply.",
			pattern, d.Milliseconds(), c.id, c.addr, c.name)
		return
	}
	s.log.Warningf("KEYS %s took %d ms, and every other client waited: sent by client id=%d addr=%s name=%s. SCAN walks the keyspace without blocking.",
		pattern, d.Milliseconds(), c.id, c.addr, c.name)
}
