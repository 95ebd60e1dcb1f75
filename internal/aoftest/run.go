package aoftest

import (
	"bytes"
	"crypto/sha1"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/dict"
	"github.com/redoubt-db/redoubt/internal/cmdtest"
	"github.com/redoubt-db/redoubt/keyspace"
	"github.com/redoubt-db/redoubt/protocol"
)

// Local runs a command the harness does not have (the server's DEBUG
// subcommands) and reports whether it did.
type Local func(h *cmdtest.Harness, args []string) bool

// Run runs script in h as RedisRewrite runs it on Redis, failing on an
// error reply. CONFIG SET, which is the server's, sets h's configuration;
// local, if not nil, runs what else the harness lacks.
func Run(h *cmdtest.Harness, script [][]string, local Local) {
	h.T.Helper()
	for _, args := range script {
		switch {
		case len(args) == 4 && strings.EqualFold(args[0], "config") && strings.EqualFold(args[1], "set"):
			configure(h, args[2]+" "+args[3])
		case local != nil && local(h, args):
		default:
			if r := h.Do(args...); len(r) > 0 && r[0] == '-' {
				h.T.Fatalf("redoubt: %q: %s", args, r)
			}
		}
	}
}

// configure applies a redis.conf line to h.
func configure(h *cmdtest.Harness, line string) {
	h.T.Helper()
	name, val, _ := strings.Cut(line, " ")
	if err := h.Cfg.Set([][2]string{{name, val}}, true); err != nil {
		h.T.Fatalf("redoubt: config %s: %v", line, err)
	}
}

// Compare gives Redis and h the settings (redis.conf lines), runs script
// on both, and checks that Redoubt's rewrite of each key is Redis's (see
// Same; ordered as Ordered says for the key's encoding in h), and that
// both have the same keys. It returns both rewrites, by key.
func Compare(h *cmdtest.Harness, script [][]string, local Local, settings ...string) (redis, ours map[string][]Command) {
	t := h.T
	t.Helper()
	redis = ByKey(Parse(t, RedisRewrite(t, script, settings...)))
	for _, s := range settings {
		configure(h, s)
	}
	Run(h, script, local)
	ours = Rewrite(h)
	for key, want := range redis {
		id := h.DB.Find([]byte(key))
		if id == dict.None {
			t.Errorf("key %q: Redis wrote it, Redoubt has no such key", key)
			continue
		}
		Same(t, key, want, ours[key], Ordered(h.DB.Encoding(id)))
	}
	for key := range ours {
		if redis[key] == nil {
			t.Errorf("key %q: Redoubt wrote it, Redis did not\n %v", key, ours[key])
		}
	}
	return redis, ours
}

// RoundTrip replays Redoubt's rewrite of every key of h in fresh, a new
// harness with the same commands, and checks that each key comes back
// with its kind, encoding (as OBJECT ENCODING names it; a string's is
// SET's choice) and deadline, and for every kind but streams
// its digest for DEBUG DIGEST (a stream's covers its node layout, which
// entries added anew need not have; its package checks the rest). It
// returns the commands replayed.
func RoundTrip(h, fresh *cmdtest.Harness) map[string][]Command {
	t := h.T
	t.Helper()
	cmds := Rewrite(h)
	keys := make([]string, 0, len(cmds))
	for key := range cmds {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		for _, c := range cmds[key] {
			if r := fresh.Do(c.Args...); len(r) > 0 && r[0] == '-' {
				t.Fatalf("replaying %v: %s", c, r)
			}
		}
	}
	if fresh.DB.Len() != h.DB.Len() {
		t.Errorf("the replay made %d keys, there were %d", fresh.DB.Len(), h.DB.Len())
	}
	for _, key := range keys {
		id, rid := h.DB.Find([]byte(key)), fresh.DB.Find([]byte(key))
		if rid == dict.None {
			t.Errorf("key %q: missing after the replay of %v", key, cmds[key])
			continue
		}
		db, back := h.DB, fresh.DB
		// The encoding as OBJECT ENCODING names it: a set of strings that
		// shrank stays a table but comes back packed; both are Redis's
		// hashtable. A string comes back as SET stores its bytes, whatever
		// APPEND or SETBIT made it, in Redis too.
		sameEnc := db.Encoding(id).String() == back.Encoding(rid).String() || db.Kind(id) == keyspace.KindString
		if db.Kind(id) != back.Kind(rid) || !sameEnc || db.Expire(id) != back.Expire(rid) {
			t.Errorf("key %q: %v %v expiring at %d after the replay, was %v %v expiring at %d", key,
				back.Kind(rid), back.Encoding(rid), back.Expire(rid), db.Kind(id), db.Encoding(id), db.Expire(id))
		}
		if db.Kind(id) != keyspace.KindStream && !bytes.Equal(digest(db, id), digest(back, rid)) {
			t.Errorf("key %q: the value differs after the replay of %v", key, cmds[key])
		}
	}
	return cmds
}

// digest is the digest of a key's value that DEBUG DIGEST-VALUE shows.
func digest(db *keyspace.DB, id uint32) []byte {
	h := sha1.New()
	db.DigestValue(id, h)
	return h.Sum(nil)
}

// Allocs is the number of allocations rewriting key makes, into a
// writer that has room: none, whatever the value's size, since elements
// are written as they are walked.
func Allocs(h *cmdtest.Harness, key string) float64 {
	id := h.DB.Find([]byte(key))
	w := protocol.Writer{}
	h.DB.RewriteKey(id, &w)
	w.Buf = make([]byte, 0, 2*len(w.Buf))
	return testing.AllocsPerRun(5, func() {
		w.Buf = w.Buf[:0]
		h.DB.RewriteKey(id, &w)
	})
}

// Cmd is the command name key elems...
func Cmd(name, key string, elems []string) []string {
	return append([]string{name, key}, elems...)
}

// Seq returns prefix+i for i in [from, to).
func Seq(prefix string, from, to int) []string {
	var out []string
	for i := from; i < to; i++ {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}
