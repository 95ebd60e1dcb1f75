package replication

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// The tests of this file run replication under a steady write load, the
// way it runs in production: the replica attaches, loses its link and
// resynchronises while a client keeps writing, and a FAILOVER swaps the
// roles under a writer that must not lose an acknowledged write.

// loadRate is the load's pace in operations (a command, a transaction
// or a script) a second: about 250 KB/s of replication stream, a
// quarter of the default 1 MB backlog per second, so that a link that
// is down for a moment is still covered by a Redis primary's backlog.
const loadRate = 3000

// A load is a writer goroutine that keeps changing a primary's dataset
// with every type's write commands over a few thousand keys in
// databases 0 and 3: SET/INCR/APPEND, LPUSH/LPOP/LTRIM, HSET/HDEL,
// SADD/SREM, ZADD/ZINCRBY/ZREM, XADD with MAXLEN, EXPIRE/PERSIST, DEL, a
// MULTI/EXEC block and an EVAL writing two keys. Every command must
// succeed: the writer talks to a primary.
type load struct {
	c    *cluster
	s    *server
	stop chan struct{}
	done chan struct{}
	ops  atomic.Int64
	once sync.Once
	// errs are the error replies and the I/O error that ended the
	// writer, read after done.
	errs []string
}

// loadKeys are the key families of the load and how many keys of each
// there are per database: a key's name says its type, so that no
// command meets a key of another type.
var loadKeys = []struct {
	prefix string
	n      int
}{
	{"str", 600}, {"cnt", 300}, {"list", 300}, {"hash", 300}, {"set", 300}, {"zset", 300}, {"stream", 100},
}

// startLoad starts a load on s, stopped when the test ends if halt was
// not called.
func startLoad(c *cluster, s *server, seed uint64) *load {
	c.t.Helper()
	cl, err := dial(s.addr)
	if err != nil {
		c.fatalf("load: connecting to %s: %v", s.name, err)
	}
	l := &load{c: c, s: s, stop: make(chan struct{}), done: make(chan struct{})}
	go l.run(cl, rand.New(rand.NewPCG(seed, 0x5eed)))
	c.t.Cleanup(func() {
		l.once.Do(func() { close(l.stop) })
		<-l.done
	})
	return l
}

func (l *load) run(cl *client, rng *rand.Rand) {
	defer close(l.done)
	defer cl.close()
	start := time.Now()
	db := 0
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		default:
		}
		var cmds [][]string
		if i%97 == 0 {
			db = 3 - db // 0, 3, 0, ...
			cmds = append(cmds, []string{"SELECT", strconv.Itoa(db)})
		}
		cmds = append(cmds, loadOp(rng)...)
		for _, cmd := range cmds {
			v, err := cl.do(cmd...)
			if err != nil {
				l.errs = append(l.errs, fmt.Sprintf("%s: %v", quote(cmd), err))
				return
			}
			if v.Type == '-' || (cmd[0] == "EXEC" && v.Null) {
				if len(l.errs) < 20 {
					l.errs = append(l.errs, fmt.Sprintf("%s: %s", quote(cmd), v))
				}
			}
		}
		n := l.ops.Add(1)
		if ahead := time.Duration(n)*time.Second/loadRate - time.Since(start); ahead > time.Millisecond {
			time.Sleep(ahead)
		}
	}
}

// loadOp picks the next operation: one command, or the commands of a
// transaction.
func loadOp(rng *rand.Rand) [][]string {
	key := func(prefix string) string {
		for _, f := range loadKeys {
			if f.prefix == prefix {
				return fmt.Sprintf("%s:%d", prefix, rng.IntN(f.n))
			}
		}
		panic(prefix)
	}
	anyKey := func() string { return key(loadKeys[rng.IntN(len(loadKeys))].prefix) }
	member := func(p string) string { return p + strconv.Itoa(rng.IntN(40)) }
	val := func() string { return strings.Repeat(string(rune('a'+rng.IntN(26))), 1+rng.IntN(40)) }
	switch rng.IntN(24) {
	case 0, 1, 2:
		return [][]string{{"SET", key("str"), val()}}
	case 3:
		return [][]string{{"APPEND", key("str"), val()}}
	case 4, 5:
		return [][]string{{"INCR", key("cnt")}}
	case 6:
		return [][]string{{"LPUSH", key("list"), val(), val()}}
	case 7:
		return [][]string{{"LPOP", key("list")}}
	case 8:
		return [][]string{{"LTRIM", key("list"), "0", "20"}}
	case 9:
		return [][]string{{"HSET", key("hash"), member("f"), val()}}
	case 10:
		return [][]string{{"HDEL", key("hash"), member("f")}}
	case 11:
		return [][]string{{"SADD", key("set"), member("m"), member("m")}}
	case 12:
		return [][]string{{"SREM", key("set"), member("m")}}
	case 13:
		return [][]string{{"ZADD", key("zset"), strconv.Itoa(rng.IntN(1000)), member("m")}}
	case 14:
		return [][]string{{"ZINCRBY", key("zset"), "1.5", member("m")}}
	case 15:
		return [][]string{{"ZREM", key("zset"), member("m")}}
	case 16, 17:
		return [][]string{{"XADD", key("stream"), "MAXLEN", "50", "*", "f", val(), "n", strconv.Itoa(rng.IntN(1e6))}}
	case 18:
		// TTLs far beyond the test, so that no key expires between
		// reading the primary and the replica.
		return [][]string{{"EXPIRE", anyKey(), strconv.Itoa(3000 + rng.IntN(1000))}}
	case 19:
		return [][]string{{"PERSIST", anyKey()}}
	case 20:
		return [][]string{{"DEL", anyKey()}}
	case 21:
		return [][]string{{"MULTI"}, {"INCR", key("cnt")}, {"HSET", key("hash"), member("f"), val()}, {"RPUSH", key("list"), val()}, {"EXEC"}}
	case 22:
		return [][]string{{"EVAL", "redis.call('set', KEYS[1], ARGV[1]); return redis.call('incrby', KEYS[2], ARGV[2])",
			"2", key("str"), key("cnt"), val(), strconv.Itoa(rng.IntN(100))}}
	default:
		return [][]string{{"SET", key("str"), val(), "EX", strconv.Itoa(3000 + rng.IntN(1000))}}
	}
}

// waitOps waits until the load made n more operations than it had.
func (l *load) waitOps(n int64) {
	l.c.t.Helper()
	target := l.ops.Load() + n
	l.c.waitFor(fmt.Sprintf("the load to make %d operations", n), func() (bool, string) {
		select {
		case <-l.done:
			return true, "" // halt reports why
		default:
		}
		got := l.ops.Load()
		return got >= target, fmt.Sprintf("%d of %d", got, target)
	})
}

// halt stops the writer and fails the test if any command failed.
func (l *load) halt() int64 {
	l.c.t.Helper()
	l.once.Do(func() { close(l.stop) })
	<-l.done
	if len(l.errs) > 0 {
		l.c.fatalf("the load on %s failed:\n%s", l.s.name, strings.Join(l.errs, "\n"))
	}
	return l.ops.Load()
}

// linkUp reports whether r's link to its primary is up.
func linkUp(r *server) (bool, string) {
	st := r.info("replication")["master_link_status"]
	return st == "up", "master_link_status:" + st
}

// wantBothDBs fails the test unless the dataset has keys in db 0 and 3.
func (c *cluster) wantBothDBs(name string, d map[string]entry) {
	c.t.Helper()
	n := map[string]int{}
	for k := range d {
		db, _, _ := strings.Cut(k, "/")
		n[db]++
	}
	if n["0"] == 0 || n["3"] == 0 {
		c.fatalf("%s: keys by database %v, want keys in 0 and 3", name, n)
	}
}

// TestSyncUnderLoad pins a full resynchronisation made while a client
// keeps writing: the replica attaches with REPLICAOF in the middle of
// the load, so the primary's snapshot and the stream of writes that
// follow it must join without a gap or an overlap. After the load stops
// the replica must reach the primary's offset and hold its dataset.
func TestSyncUnderLoad(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c := newCluster(t)
		p := c.start("primary", primaryKind)
		r := c.start("replica", replicaKind)
		l := startLoad(c, p, 1)
		l.waitOps(2000)
		before := counts(p)
		if v := r.do("REPLICAOF", "127.0.0.1", strconv.Itoa(p.port)); v.Str != "OK" {
			c.fatalf("REPLICAOF replied %s", v)
		}
		c.waitFor("the replica's link to be up", func() (bool, string) { return linkUp(r) })
		atSync := l.ops.Load()
		time.Sleep(2 * time.Second) // the stream, under load
		ops := l.halt()
		c.waitSync(p, r)
		if after := counts(p); after.full != before.full+1 || after.partialOK != before.partialOK {
			c.fatalf("sync_full %d -> %d (want +1), sync_partial_ok %d -> %d (want unchanged)",
				before.full, after.full, before.partialOK, after.partialOK)
		}
		want := dataset(p)
		c.wantBothDBs("primary", want)
		c.sameData("primary", want, "replica", dataset(r))
		t.Logf("%d operations, %d of them after the link came up; %d keys; offset %s",
			ops, ops-atSync, len(want), p.info("replication")["master_repl_offset"])
	})
}

// TestLinkCutUnderLoad pins a partial resynchronisation under load: the
// replica's link is killed (CLIENT KILL TYPE master on the replica)
// while the writes go on; the replica reconnects at once and continues
// from the primary's backlog (+CONTINUE), which at this pace holds far
// more than the writes it missed, so the primary serves no full sync.
func TestLinkCutUnderLoad(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		l := startLoad(c, p, 2)
		l.waitOps(1500)
		before := counts(p)
		if v := r.do("CLIENT", "KILL", "TYPE", "master"); v.Int != 1 {
			c.fatalf("replica: CLIENT KILL TYPE master killed %s clients, want 1", v)
		}
		c.waitFor("the replica to continue with a partial resync", func() (bool, string) {
			up, st := linkUp(r)
			now := counts(p)
			return up && now.partialOK > before.partialOK, fmt.Sprintf("%s, sync_partial_ok %d -> %d", st, before.partialOK, now.partialOK)
		})
		l.waitOps(3000) // about a second more
		ops := l.halt()
		c.waitSync(p, r)
		if after := counts(p); after.partialOK < before.partialOK+1 || after.full != before.full {
			c.fatalf("sync_partial_ok %d -> %d (want at least +1), sync_full %d -> %d (want unchanged), sync_partial_err %d -> %d",
				before.partialOK, after.partialOK, before.full, after.full, before.partialErr, after.partialErr)
		}
		want := dataset(p)
		c.wantBothDBs("primary", want)
		c.sameData("primary", want, "replica", dataset(r))
		t.Logf("%d operations, %d keys", ops, len(want))
	})
}

// TestFullResyncAfterBacklogExceeded pins Redis's behaviour when a
// replica was away longer than the backlog holds: with repl-backlog-size
// set explicitly (to 16kb: Redoubt's cover is off and its backlog is
// exactly that size), a replica whose link is cut (by a proxy between it
// and the primary) while more than 64 KB of writes go by cannot continue
// from the backlog and gets one full resynchronisation, under load, after
// which it converges.
func TestFullResyncAfterBacklogExceeded(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c := newCluster(t)
		p := c.start("primary", primaryKind, "repl-backlog-size 16kb")
		r := c.start("replica", replicaKind, "repl-backlog-size 16kb")
		px := newProxy(t, p.addr)
		if v := r.do("REPLICAOF", "127.0.0.1", px.portString()); v.Str != "OK" {
			c.fatalf("REPLICAOF replied %s", v)
		}
		c.waitSync(p, r)
		if got := p.info("replication")["repl_backlog_size"]; got != "16384" {
			c.fatalf("primary: repl_backlog_size %s, want 16384", got)
		}
		l := startLoad(c, p, 3)
		l.waitOps(500)
		before := counts(p)
		off := p.infoInt("replication", "master_repl_offset")
		px.cut()
		c.waitFor("the replica to see its link down", func() (bool, string) {
			up, st := linkUp(r)
			return !up, st
		})
		c.waitFor("64 KB of writes while the link is cut", func() (bool, string) {
			d := p.infoInt("replication", "master_repl_offset") - off
			return d > 64<<10, fmt.Sprintf("%d bytes", d)
		})
		missed := p.infoInt("replication", "master_repl_offset") - off
		px.heal()
		c.waitFor("the replica to come back with a full resync", func() (bool, string) {
			up, st := linkUp(r)
			now := counts(p)
			return up && now.full > before.full, fmt.Sprintf("%s, sync_full %d -> %d", st, before.full, now.full)
		})
		l.waitOps(1500)
		ops := l.halt()
		c.waitSync(p, r)
		if after := counts(p); after.full != before.full+1 || after.partialOK != before.partialOK {
			c.fatalf("sync_full %d -> %d (want +1), sync_partial_ok %d -> %d (want unchanged), sync_partial_err %d -> %d",
				before.full, after.full, before.partialOK, after.partialOK, before.partialErr, after.partialErr)
		}
		want := dataset(p)
		c.wantBothDBs("primary", want)
		c.sameData("primary", want, "replica", dataset(r))
		accepted, refused := px.counts()
		t.Logf("%d bytes of stream while the link was cut; %d operations; proxy: %d connections forwarded, %d refused during the cut",
			missed, ops, accepted, refused)
	})
}

// An ackWriter writes to whichever of two nodes is the primary, as a
// client of a failover-aware setup does, and records every write that
// was acknowledged: each round is INCR counter then SET w:<n> <n>, n
// growing by one each round whatever happened to the previous one.
// Error replies (READONLY once the primary turned replica) and dropped
// connections send it looking for the primary (ROLE) again.
type ackWriter struct {
	c     *cluster
	nodes []*server
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once

	mu sync.Mutex
	// acked are the n of the acknowledged SET w:<n>, incrs the replies
	// of the acknowledged INCR counter, in order.
	acked []int64
	incrs []int64
	// ackedOn counts acknowledgements (of both commands) by node address.
	ackedOn map[string]int
	// errs counts error replies and I/O errors by their first word.
	errs map[string]int
	// lastIncrAcked is whether the last INCR sent was acknowledged (the
	// writer stops only then, so the counter ends at the last reply).
	lastIncrAcked bool
	// longest is the longest time between two acknowledgements.
	longest time.Duration
}

func startAckWriter(c *cluster, nodes ...*server) *ackWriter {
	w := &ackWriter{c: c, nodes: nodes, stop: make(chan struct{}), done: make(chan struct{}),
		ackedOn: map[string]int{}, errs: map[string]int{}}
	go w.run()
	c.t.Cleanup(func() { w.halt() })
	return w
}

// primary returns the node whose ROLE is master, or nil.
func (w *ackWriter) primary() *server {
	for _, s := range w.nodes {
		cl, err := dial(s.addr)
		if err != nil {
			continue
		}
		v, err := cl.do("ROLE")
		cl.close()
		if err == nil && len(v.Elems) > 0 && v.Elems[0].Str == "master" {
			return s
		}
	}
	return nil
}

func (w *ackWriter) run() {
	defer close(w.done)
	var (
		cl      *client
		on      *server
		last    = time.Now()
		stopped time.Time
	)
	defer func() {
		if cl != nil {
			cl.close()
		}
	}()
	fail := func(what string) {
		w.mu.Lock()
		w.errs[what]++
		w.mu.Unlock()
		if cl != nil {
			cl.close()
			cl = nil
		}
	}
	ack := func() {
		now := time.Now()
		w.mu.Lock()
		w.ackedOn[on.addr]++
		w.longest = max(w.longest, now.Sub(last))
		w.mu.Unlock()
		last = now
	}
	for n := int64(0); ; n++ {
		select {
		case <-w.stop:
			if stopped.IsZero() {
				stopped = time.Now()
			}
			w.mu.Lock()
			done := w.lastIncrAcked || time.Since(stopped) > 5*time.Second
			w.mu.Unlock()
			if done {
				return
			}
		default:
		}
		if cl == nil {
			if on = w.primary(); on == nil {
				time.Sleep(5 * time.Millisecond)
				continue
			}
			var err error
			if cl, err = dial(on.addr); err != nil {
				fail("dial: " + err.Error())
				continue
			}
		}
		v, err := cl.do("INCR", "counter")
		w.mu.Lock()
		w.lastIncrAcked = err == nil && v.Type == ':'
		if w.lastIncrAcked {
			w.incrs = append(w.incrs, v.Int)
		}
		w.mu.Unlock()
		switch {
		case err != nil:
			fail("I/O: " + err.Error())
			continue
		case v.Type != ':':
			fail(firstWord(v))
			continue
		}
		ack()
		v, err = cl.do("SET", "w:"+strconv.FormatInt(n, 10), strconv.FormatInt(n, 10))
		switch {
		case err != nil:
			fail("I/O: " + err.Error())
			continue
		case v.Type != '+' || v.Str != "OK":
			fail(firstWord(v))
			continue
		}
		w.mu.Lock()
		w.acked = append(w.acked, n)
		w.mu.Unlock()
		ack()
	}
}

func firstWord(v protocol.Value) string {
	if v.Type != '-' {
		return "reply " + v.String()
	}
	word, _, _ := strings.Cut(v.Str, " ")
	return word
}

// ackedOnNode is how many acknowledgements a node gave so far.
func (w *ackWriter) ackedOnNode(s *server) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ackedOn[s.addr]
}

// halt stops the writer after its next acknowledged INCR.
func (w *ackWriter) halt() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// TestFailoverNoAckedWriteLost pins FAILOVER under a writer: the primary
// holds writes until its replica acknowledged the whole stream, then the
// two swap roles (PSYNC ... FAILOVER), so no write the old primary
// acknowledged can be missing from the new one. The writer meets errors
// during the swap (READONLY, dropped connections) and then writes to the
// new primary, found with ROLE. At the end the new primary holds every
// acknowledged SET w:<n>, and counter is the last acknowledged INCR
// reply on both nodes: the acknowledged INCR replies only ever grow.
func TestFailoverNoAckedWriteLost(t *testing.T) {
	eachPair(t, func(t *testing.T, primaryKind, replicaKind string) {
		c, p, r := startPair(t, primaryKind, replicaKind)
		w := startAckWriter(c, p, r)
		c.waitFor("the writer's first acknowledgements", func() (bool, string) {
			n := w.ackedOnNode(p)
			return n >= 400, fmt.Sprintf("%d acknowledgements", n)
		})
		if v := p.do("FAILOVER"); v.Str != "OK" {
			c.fatalf("FAILOVER replied %s", v)
		}
		failoverAt := time.Now()
		role := func(s *server) protocol.Value { return s.do("ROLE") }
		c.waitFor("the roles to swap", func() (bool, string) {
			pr, rr := role(p), role(r)
			ok := len(pr.Elems) == 5 && pr.Elems[0].Str == "slave" && pr.Elems[2].Int == int64(r.port) &&
				pr.Elems[3].Str == "connected" && len(rr.Elems) == 3 && rr.Elems[0].Str == "master"
			return ok, fmt.Sprintf("old primary ROLE %s; old replica ROLE %s", pr, rr)
		})
		swapped := time.Since(failoverAt)
		p.name, r.name = "old primary", "new primary"
		c.waitFor("the writer to be acknowledged by the new primary", func() (bool, string) {
			n := w.ackedOnNode(r)
			return n > 0, fmt.Sprintf("%d acknowledgements", n)
		})
		time.Sleep(time.Second) // writing to the new primary
		w.halt()
		c.waitSync(r, p)

		w.mu.Lock()
		defer w.mu.Unlock()
		if !w.lastIncrAcked {
			c.fatalf("the writer's last INCR was not acknowledged within 5 s of the stop (errors: %v)", w.errs)
		}
		if w.ackedOn[r.addr] == 0 {
			c.fatalf("no write acknowledged by the new primary (acknowledgements by address %v, errors %v)", w.ackedOn, w.errs)
		}
		for i := 1; i < len(w.incrs); i++ {
			if w.incrs[i] <= w.incrs[i-1] {
				c.fatalf("acknowledged INCR replies went %d -> %d (acknowledgement %d of %d): an acknowledged increment was lost",
					w.incrs[i-1], w.incrs[i], i, len(w.incrs))
			}
		}
		last := w.incrs[len(w.incrs)-1]
		for _, s := range []*server{r, p} {
			cn := s.conn()
			got, err := strconv.ParseInt(cn.do("GET", "counter").Str, 10, 64)
			if err != nil || got < int64(len(w.incrs)) || got != last {
				c.fatalf("%s: counter %d (%v), want the last acknowledged INCR reply %d (%d INCRs acknowledged)",
					s.name, got, err, last, len(w.incrs))
			}
			var missing []string
			for chunk := range slices.Chunk(w.acked, 500) {
				args := []string{"MGET"}
				for _, n := range chunk {
					args = append(args, "w:"+strconv.FormatInt(n, 10))
				}
				v := cn.do(args...)
				for i, n := range chunk {
					if want := strconv.FormatInt(n, 10); v.Elems[i].Str != want || v.Elems[i].Null {
						missing = append(missing, fmt.Sprintf("w:%d=%s", n, v.Elems[i]))
					}
				}
			}
			if len(missing) > 0 {
				c.fatalf("%s lacks %d of the %d acknowledged SETs: %s", s.name, len(missing), len(w.acked),
					strings.Join(missing[:min(len(missing), 20)], " "))
			}
		}
		t.Logf("%d SETs and %d INCRs acknowledged (%d acknowledgements by the old primary, %d by the new); counter %d; roles swapped %v after FAILOVER; longest wait between acknowledgements %v; errors during the swap: %v",
			len(w.acked), len(w.incrs), w.ackedOn[p.addr], w.ackedOn[r.addr], last, swapped.Round(time.Millisecond),
			w.longest.Round(time.Millisecond), w.errs)
	})
}
