package durability

import (
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// Transactions in a crash: a txWriter runs MULTI, INCR, RPUSH, EXEC in a
// loop on its own keys in txDB, so a crash must keep whole transactions
// only (the counter equal to the list's length, the list 1..n) and
// every acknowledged one.

const (
	txWriters = 5
	txDB      = "2"
)

type txWriter struct {
	round, id int
	acks      []time.Time // when transaction i+1's EXEC was answered
	sent      int         // EXECs sent
	fault     string
	applied   int // transactions found after the first restart, -1 before
}

func (w *txWriter) keys() (string, string) {
	return fmt.Sprintf("r%d:tx:n:%d", w.round, w.id), fmt.Sprintf("r%d:tx:l:%d", w.round, w.id)
}

func (w *txWriter) run(addr string) {
	c, err := dialRaw(addr)
	if err != nil {
		w.fault = "dial: " + err.Error()
		return
	}
	defer c.close()
	if _, err := c.do("SELECT", txDB); err != nil {
		return
	}
	n, l := w.keys()
	for i := 1; ; i++ {
		w.sent = i
		replies, err := c.pipeline([][]string{{"MULTI"}, {"INCR", n}, {"RPUSH", l, strconv.Itoa(i)}, {"EXEC"}})
		if err != nil {
			return
		}
		want := fmt.Sprintf("[OK QUEUED QUEUED [(integer) %d, (integer) %d]]", i, i)
		if got := fmt.Sprint(strs(replies)); got != want {
			w.fault = fmt.Sprintf("transaction %d: replies %s, want %s", i, got, want)
			return
		}
		w.acks = append(w.acks, time.Now())
	}
}

func strs(vs []protocol.Value) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.String()
	}
	return out
}

// startTxWriters starts the writers of a round; wait returns once the
// server's death has ended them all.
func startTxWriters(t *testing.T, addr string, round int) (ws []*txWriter, wait func()) {
	var wg sync.WaitGroup
	for i := range txWriters {
		w := &txWriter{round: round, id: i, applied: -1}
		ws = append(ws, w)
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(addr)
		}()
	}
	return ws, func() {
		wg.Wait()
		for _, w := range ws {
			if w.fault != "" {
				t.Errorf("round %d transaction writer %d: %s", w.round, w.id, w.fault)
			}
		}
	}
}

// verifyTx checks what each transaction writer left: whole transactions,
// at least those acknowledged more than bound before the kill, at most
// those sent, the same as after an earlier restart; and no other key in
// txDB. It returns the number of acknowledged transactions checked, and
// of those missing.
func verifyTx(t *testing.T, srv *server, ws []*txWriter, kills map[int]time.Time, bound time.Duration) (checked, lost int) {
	t.Helper()
	c, err := dialRaw(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.close()
	c.do("SELECT", txDB)
	keys := 0
	for _, w := range ws {
		n, l := w.keys()
		replies, err := c.pipeline([][]string{{"GET", n}, {"LRANGE", l, "0", "-1"}})
		if err != nil {
			t.Fatal(err)
		}
		count := 0
		if !replies[0].Null {
			count, _ = strconv.Atoi(replies[0].Str)
			keys += 2
		}
		list := replies[1].Elems
		whole := len(list) == count
		for i, v := range list {
			whole = whole && v.Str == strconv.Itoa(i+1)
		}
		switch {
		case !whole:
			t.Errorf("round %d transaction writer %d: counter %d, list %v: a transaction was split", w.round, w.id, count, replies[1])
		case count > w.sent:
			t.Errorf("round %d transaction writer %d: %d transactions found, only %d sent", w.round, w.id, count, w.sent)
		case w.applied >= 0 && count != w.applied:
			t.Errorf("round %d transaction writer %d: %d transactions found after an earlier restart, %d now", w.round, w.id, w.applied, count)
		}
		if w.applied < 0 {
			w.applied = count
		}
		checked += len(w.acks)
		for i := count; i < len(w.acks); i++ {
			lost++
			if age := kills[w.round].Sub(w.acks[i]); age > bound {
				t.Errorf("round %d transaction writer %d: transaction %d acknowledged %v before the kill is missing (bound %v)", w.round, w.id, i+1, age, bound)
			}
		}
	}
	v, err := c.do("DBSIZE")
	if err != nil {
		t.Fatal(err)
	}
	if v.Int != int64(keys) {
		t.Errorf("db %s holds %d keys, the transaction writers' are %d", txDB, v.Int, keys)
	}
	return checked, lost
}
