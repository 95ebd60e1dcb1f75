package durability

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// Crash tests: clients write as fast as they can while the server runs
// with an AOF, the server is killed with SIGKILL at some moment, and the
// restarted server must hold every acknowledged write (appendfsync
// always), or every write acknowledged before a bounded window
// (everysec). Rounds run on the same directory, so a later round also
// checks that what earlier crashes left loads again, unchanged, after
// more crashes.

const crashClients = 50

// A crashWriter is one client of a round. Its writes are a fixed
// sequence, op j being
//
//	j%3 == 0: SET r<round>:k:<id>:<j> <j>
//	j%3 == 1: INCR r<round>:cnt:<id>
//	j%3 == 2: RPUSH r<round>:l:<id> <j>
//
// sent one at a time, so the server applies them in order and what a
// crash keeps of them must be a prefix: the first `applied` ops.
type crashWriter struct {
	round, id int
	acks      []time.Time // when op j's reply arrived
	sent      int         // ops sent, acknowledged or not
	fault     string      // an unexpected reply
	refused   string      // a MISCONF error, which ends the writer
	applied   int         // ops found after the first restart, -1 before
}

func (w *crashWriter) key(kind string, j int) string {
	switch kind {
	case "k":
		return fmt.Sprintf("r%d:k:%d:%d", w.round, w.id, j)
	case "cnt":
		return fmt.Sprintf("r%d:cnt:%d", w.round, w.id)
	}
	return fmt.Sprintf("r%d:l:%d", w.round, w.id)
}

func (w *crashWriter) op(j int) []string {
	switch j % 3 {
	case 0:
		return []string{"SET", w.key("k", j), strconv.Itoa(j)}
	case 1:
		return []string{"INCR", w.key("cnt", j)}
	}
	return []string{"RPUSH", w.key("l", j), strconv.Itoa(j)}
}

// Counts after the first n ops.
func setsAfter(n int) int   { return (n + 2) / 3 }
func incrsAfter(n int) int  { return (n + 1) / 3 }
func pushesAfter(n int) int { return n / 3 }

// checkReply checks the reply to op j: the writes of one client are
// alone on their keys, so every reply is known.
func (w *crashWriter) checkReply(j int, v protocol.Value) string {
	var want string
	switch j % 3 {
	case 0:
		want = "OK"
	case 1:
		want = "(integer) " + strconv.Itoa(incrsAfter(j+1))
	default:
		want = "(integer) " + strconv.Itoa(pushesAfter(j+1))
	}
	if got := v.String(); got != want {
		return fmt.Sprintf("op %d %q: reply %s, want %s", j, w.op(j), got, want)
	}
	return ""
}

// run writes until the connection dies (the kill) or a write is
// refused.
func (w *crashWriter) run(addr string) {
	c, err := dialRaw(addr)
	if err != nil {
		w.fault = "dial: " + err.Error()
		return
	}
	defer c.close()
	for j := 0; ; j++ {
		w.sent = j + 1
		v, err := c.do(w.op(j)...)
		if err != nil {
			return
		}
		if v.Type == '-' && strings.HasPrefix(v.Str, "MISCONF ") {
			w.refused = v.Str
			return
		}
		if f := w.checkReply(j, v); f != "" {
			w.fault = f
			return
		}
		w.acks = append(w.acks, time.Now())
	}
}

// crashRound starts the writers on srv, kills srv after d (calling
// beforeKill, if not nil, just before) and returns the writers (all
// finished) and the moment of the kill.
func crashRound(t *testing.T, srv *server, round int, d time.Duration, beforeKill func()) ([]*crashWriter, time.Time) {
	t.Helper()
	ws := make([]*crashWriter, crashClients)
	var wg sync.WaitGroup
	for i := range ws {
		ws[i] = &crashWriter{round: round, id: i, applied: -1}
		wg.Add(1)
		go func(w *crashWriter) {
			defer wg.Done()
			w.run(srv.addr)
		}(ws[i])
	}
	time.Sleep(d)
	if beforeKill != nil {
		beforeKill()
	}
	killed := time.Now()
	srv.kill()
	wg.Wait()
	for _, w := range ws {
		if w.fault != "" || w.refused != "" {
			t.Errorf("round %d client %d: %s%s", round, w.id, w.fault, w.refused)
		}
	}
	return ws, killed
}

// crashCheck is what a verification found.
type crashCheck struct {
	acked    int           // acknowledged writes checked
	lost     int           // acknowledged writes missing
	window   time.Duration // the oldest missing write's age at the kill
	inflight int           // writes sent but not acknowledged that were applied
}

// verifyWriters reads back what each writer left and checks it is the
// state after a prefix of its ops, no shorter than its acknowledged ops
// minus those acknowledged within `bound` of the kill (0: none may be
// missing), no longer than the ops it sent; a writer already verified
// after an earlier restart must show the same prefix again. It also
// checks that the database holds no other key.
func verifyWriters(t *testing.T, srv *server, ws []*crashWriter, kills map[int]time.Time, bound time.Duration) crashCheck {
	t.Helper()
	c, err := dialRaw(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	var res crashCheck
	keys := 0
	for _, w := range ws {
		// Every SET key the writer may have written, and one more op
		// than it sent, to see a write that was never made.
		var setKeys []string
		for j := 0; j <= w.sent+3; j += 3 {
			setKeys = append(setKeys, w.key("k", j))
		}
		replies, err := c.pipeline([][]string{
			append([]string{"MGET"}, setKeys...),
			{"GET", w.key("cnt", 0)},
			{"LRANGE", w.key("l", 0), "0", "-1"},
		})
		if err != nil {
			t.Fatalf("reading back: %v", err)
		}
		sets, cnt, list := replies[0], replies[1], replies[2]
		present := 0
		for i, v := range sets.Elems {
			if !v.Null {
				present++
				if want := strconv.Itoa(3 * i); v.Str != want {
					t.Errorf("%s = %q, want %q", setKeys[i], v.Str, want)
				}
			}
		}
		incrs := 0
		if !cnt.Null {
			incrs, _ = strconv.Atoi(cnt.Str)
		}
		n := present + incrs + len(list.Elems)
		// A prefix of n ops: SET keys 0, 3, ... below n, the counter at
		// the INCRs among them, the list the values pushed among them.
		prefix := setsAfter(n) == present && incrsAfter(n) == incrs && pushesAfter(n) == len(list.Elems)
		for i, v := range sets.Elems {
			if !v.Null != (3*i < n) {
				prefix = false
			}
		}
		for i, v := range list.Elems {
			if v.Str != strconv.Itoa(3*i+2) {
				prefix = false
			}
		}
		if !prefix {
			t.Errorf("round %d client %d: not the state after a prefix of its writes: %d SET keys, counter %d, list %v (sent %d, acknowledged %d)",
				w.round, w.id, present, incrs, list, w.sent, len(w.acks))
			continue
		}
		keys += present
		if incrs > 0 {
			keys++
		}
		if len(list.Elems) > 0 {
			keys++
		}
		if n > w.sent {
			t.Errorf("round %d client %d: %d ops applied, only %d sent", w.round, w.id, n, w.sent)
		}
		if w.applied >= 0 && n != w.applied {
			t.Errorf("round %d client %d: %d ops applied after an earlier restart, %d now", w.round, w.id, w.applied, n)
		}
		if w.applied < 0 {
			w.applied = n
		}
		res.acked += len(w.acks)
		res.inflight += max(n-len(w.acks), 0)
		kill := kills[w.round]
		for j := n; j < len(w.acks); j++ {
			res.lost++
			age := kill.Sub(w.acks[j])
			res.window = max(res.window, age)
			if age > bound {
				t.Errorf("round %d client %d: op %d %q acknowledged %v before the kill is missing (bound %v)",
					w.round, w.id, j, w.op(j), age, bound)
			}
		}
	}
	v, err := c.do("DBSIZE")
	if err != nil {
		t.Fatal(err)
	}
	if v.Int != int64(keys) {
		t.Errorf("DBSIZE %d, the writers' keys are %d", v.Int, keys)
	}
	return res
}

// crashTest runs rounds of writes and kills under an appendfsync policy.
func crashTest(t *testing.T, policy string, rounds int, minRun, maxRun, bound time.Duration, extra ...string) {
	dir := t.TempDir()
	settings := append([]string{"appendonly yes", "appendfsync " + policy}, extra...)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 1))
	t.Logf("kill moments drawn with seed %d", seed)
	var all []*crashWriter
	var allTx []*txWriter
	kills := map[int]time.Time{}
	for round := 0; round <= rounds; round++ {
		srv := startServer(t, redoubtKind, dir, settings...)
		if round > 0 {
			res := verifyWriters(t, srv, all, kills, bound)
			tx, txLost := verifyTx(t, srv, allTx, kills, bound)
			t.Logf("after crash %d: %d acknowledged writes and %d acknowledged transactions checked (all rounds so far); missing: %d writes (the oldest acknowledged %v before its kill) and %d transactions; %d writes in flight at a kill were kept",
				round, res.acked, tx, res.lost, res.window, txLost, res.inflight)
		}
		if round == rounds {
			srv.stop()
			break
		}
		d := minRun + time.Duration(rng.Int64N(int64(maxRun-minRun)))
		txs, waitTx := startTxWriters(t, srv.addr, round)
		var rewrites string
		ws, killed := crashRound(t, srv, round, d, func() {
			f := srv.info("persistence")
			rewrites = fmt.Sprintf("AOF of %s bytes, %s rewrites", f["aof_current_size"], f["aof_rewrites"])
		})
		waitTx()
		kills[round] = killed
		acked, inflight, txAcked := 0, 0, 0
		for _, w := range ws {
			acked += len(w.acks)
			inflight += w.sent - len(w.acks)
		}
		for _, w := range txs {
			txAcked += len(w.acks)
		}
		t.Logf("round %d: killed after %v (%s), %d writes acknowledged, %d in flight, %d transactions acknowledged",
			round, d.Round(time.Millisecond), rewrites, acked, inflight, txAcked)
		if acked == 0 || txAcked == 0 {
			t.Fatalf("round %d: no write was acknowledged", round)
		}
		all = append(all, ws...)
		allTx = append(allTx, txs...)
	}
}

// Under appendfsync always a reply leaves only once its write is in the
// file (and fsynced), so a crash loses no acknowledged write. The AOF is
// also rewritten automatically as soon as it passes a few megabytes, so
// that kills land during rewrites and between them too.
func TestCrashAppendfsyncAlways(t *testing.T) {
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	crashTest(t, "always", rounds, time.Second, 3*time.Second, 0,
		"auto-aof-rewrite-min-size 4mb", "auto-aof-rewrite-percentage 100")
}

// Under appendfsync everysec Redis writes the commands to the file
// before replying, except while the background fsync of the previous
// second is still running: then it replies, keeps the commands in
// memory, and retries at each event-loop turn and cron tick, writing
// regardless once the write has been put off for 2 s
// (flushAppendOnlyFile; INFO's aof_delayed_fsync counts those). A crash
// of the process, which leaves the kernel's page cache to the disk, can
// therefore lose the writes acknowledged in the last 2 s plus a cron
// period (100 ms at hz 10); Redis's "you can lose 1 second of data" is
// the power-loss figure for the fsync interval, which this test cannot
// produce. The bound is 2 s plus half a second for the cron tick and
// scheduling on a loaded machine. Rounds run long enough that writes
// older than the bound exist to be checked.
func TestCrashAppendfsyncEverysec(t *testing.T) {
	rounds := 3
	if testing.Short() {
		rounds = 1
	}
	crashTest(t, "everysec", rounds, 3*time.Second, 5*time.Second, 2500*time.Millisecond)
}
