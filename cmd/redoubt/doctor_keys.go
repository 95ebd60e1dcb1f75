package main

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The key checks: big keys (incident 1: an HGETALL of a 523,000-field
// hash held every client for 200 ms), hot keys (incident 3: a hot key
// expired and its clients stampeded the database), and under a volatile-*
// policy the memory held by keys without a TTL (incident A, reported by
// doctor_memory.go's reportTTLMemory).
//
// Big keys are found as redis-cli --bigkeys and --memkeys find them: a
// SCAN of the keyspace, TYPE, the element count by type (STRLEN, LLEN,
// SCARD, ZCARD, HLEN, XLEN) and MEMORY USAGE. Unlike redis-cli, the walk
// is bounded: it stops after --sample keys or --sample-time, whichever
// comes first, so a keyspace of a hundred million keys costs what ten
// thousand do. SCAN walks the hash table in bucket order, which is
// unrelated to the keys' names, so a prefix of the walk is a fair sample.
//
// Hot keys: Redis keeps access counts only under an LFU policy, and then
// OBJECT FREQ (as redis-cli --hotkeys) reads them from the same walk;
// under any other policy Redis cannot tell, and the report says so.
// Redoubt samples accesses under any policy and lists the hottest keys in
// INFO guardrails (hot_keys:db0:key=count,...).
//
// The *LEN commands count as an access for LRU and LFU, as they do for
// redis-cli --bigkeys; CLIENT NO-TOUCH (Redis 7.2, Redoubt) is asked for
// first so that, where it exists, the walk leaves the eviction order as
// it was. OBJECT FREQ, TYPE, PTTL and MEMORY USAGE do not touch keys.

// Defaults of the big-key thresholds, Redoubt's large-key-alarm-elements
// and large-key-alarm-bytes: a Redoubt server's own settings are used
// when CONFIG shows them.
const (
	defaultBigElements = 100000
	defaultBigBytes    = 64 << 20
)

// scanPage is SCAN's COUNT: a round trip per page, and each page's
// commands pipelined.
const scanPage = 100

type sampledKey struct {
	db    int
	key   string
	typ   string
	mem   int64 // MEMORY USAGE; -1 when unknown
	elems int64 // elements, or a string's length; -1 when unknown
	freq  int64 // OBJECT FREQ; -1 when unknown
	ttl   int64 // PTTL in ms, -1 for none; ttlUnknown when not asked
}

// ttlUnknown marks a key whose TTL was not asked: PTTL is sent in the
// walk under a volatile-* policy only, and for the hot keys.
const ttlUnknown = -3

type keyWalk struct {
	sampled, total int
	elapsed        time.Duration
	stopped        string // why the walk stopped before the end, "" if it did not
	big            []sampledKey
	hot            []sampledKey // under an LFU policy
	// Under a volatile-* policy: the sampled memory of keys with and
	// without a TTL, and the biggest keys without one.
	memTTL, memNoTTL int64
	noTTL            []sampledKey
	refused          map[string]string
}

// lenCommand is the element count command of a type.
var lenCommand = map[string]string{
	"string": "STRLEN", "list": "LLEN", "set": "SCARD", "zset": "ZCARD", "hash": "HLEN", "stream": "XLEN",
}

func checkKeys(a *audit) {
	if a.info == nil {
		return
	}
	policy, _ := a.setting("maxmemory-policy")
	lfu := strings.HasSuffix(policy, "-lfu")
	volatile := strings.HasPrefix(policy, "volatile-")
	if a.opt.sample == 0 {
		a.add(levelNote, "1/3", "keys not sampled", "--sample 0: big and hot keys were not looked for", "run without --sample 0")
		return
	}
	// Where it exists, keep the walk out of the LRU/LFU clocks.
	a.c.do("CLIENT", "NO-TOUCH", "ON")
	bigElems, bigBytes := int64(defaultBigElements), int64(defaultBigBytes)
	if n, err := strconv.ParseInt(a.cfg["large-key-alarm-elements"], 10, 64); err == nil && n > 0 {
		bigElems = n
	}
	if n, err := strconv.ParseInt(a.cfg["large-key-alarm-bytes"], 10, 64); err == nil && n > 0 {
		bigBytes = n
	}
	w := a.walkKeys(lfu, volatile, bigElems, bigBytes)
	a.reportBigKeys(w, bigElems, bigBytes)
	a.reportTTLMemory(w, policy)
	a.reportHotKeys(w, policy, lfu)
}

// walkKeys samples the keyspace, database by database.
func (a *audit) walkKeys(lfu, volatile bool, bigElems, bigBytes int64) *keyWalk {
	w := &keyWalk{refused: map[string]string{}}
	dbs := keyspaceDBs(a.info)
	for _, d := range dbs {
		w.total += int(d.keys)
	}
	target := min(a.opt.sample, w.total)
	bar := newKeyBar(a.opt.progress, a.host, target)
	defer bar.finish()
	start := time.Now()
	deadline := start.Add(a.opt.sampleTime)
	defer func() { w.elapsed = time.Since(start) }()
	for _, d := range dbs {
		if err := a.selectDB(d.db); err != nil {
			if a.c.err != nil {
				return w // the audit reports the connection's failure
			}
			w.refused["SELECT"] = err.Error()
			continue
		}
		cursor := "0"
		for {
			if w.sampled >= a.opt.sample {
				w.stopped = fmt.Sprintf("--sample %d reached", a.opt.sample)
				return w
			}
			if time.Now().After(deadline) {
				w.stopped = fmt.Sprintf("--sample-time %v spent", a.opt.sampleTime)
				return w
			}
			v, err := a.c.do("SCAN", cursor, "COUNT", strconv.Itoa(scanPage))
			if err != nil {
				return w
			}
			if e := v.Err(); e != nil {
				w.refused["SCAN"] = e.Error()
				return w
			}
			if len(v.Elems) != 2 {
				w.refused["SCAN"] = "an unexpected reply: " + clip(v.String(), 60)
				return w
			}
			cursor = v.Elems[0].Str
			var keys []string
			for _, k := range v.Elems[1].Elems {
				if len(keys)+w.sampled < a.opt.sample {
					keys = append(keys, k.Str)
				}
			}
			ks, err := a.sampleKeys(d.db, keys, lfu, volatile, w.refused)
			if err != nil {
				return w
			}
			for _, k := range ks {
				w.sampled++
				w.note(k, bigElems, bigBytes)
			}
			bar.update(w.sampled)
			if cursor == "0" {
				break
			}
		}
	}
	return w
}

// errRefused ends the walk when TYPE, without which nothing can be
// read of a key, is refused.
var errRefused = errors.New("refused")

// sampleKeys reads a page's keys: TYPE of each, then their size, length,
// access counter (under LFU) and TTL (under volatile-*), each step
// pipelined. A command refused once is not sent again (refused names
// it); a connection failure or a refused TYPE ends the walk.
func (a *audit) sampleKeys(db int, keys []string, lfu, volatile bool, refused map[string]string) ([]sampledKey, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	cmds := make([][]string, len(keys))
	for i, k := range keys {
		cmds[i] = []string{"TYPE", k}
	}
	types, err := a.c.pipeline(cmds)
	if err != nil {
		return nil, err // the audit reports the connection's failure
	}
	out := make([]sampledKey, 0, len(keys))
	cmds = cmds[:0]
	// asks[i] says what cmds[i] asks, for reading the replies back.
	type ask struct {
		key  int
		what string
	}
	var asks []ask
	for i, k := range keys {
		typ := types[i].Str
		if e := types[i].Err(); e != nil {
			refused["TYPE"] = e.Error()
			return nil, errRefused
		}
		if typ == "none" { // gone since SCAN
			continue
		}
		out = append(out, sampledKey{db: db, key: k, typ: typ, mem: -1, elems: -1, freq: -1, ttl: ttlUnknown})
		n := len(out) - 1
		// OBJECT FREQ first: under Redis without NO-TOUCH, the length
		// command after it counts as an access.
		if _, no := refused["OBJECT FREQ"]; lfu && !no {
			cmds, asks = append(cmds, []string{"OBJECT", "FREQ", k}), append(asks, ask{n, "OBJECT FREQ"})
		}
		if _, no := refused["MEMORY USAGE"]; !no {
			cmds, asks = append(cmds, []string{"MEMORY", "USAGE", k}), append(asks, ask{n, "MEMORY USAGE"})
		}
		if _, no := refused["PTTL"]; volatile && !no {
			cmds, asks = append(cmds, []string{"PTTL", k}), append(asks, ask{n, "PTTL"})
		}
		if c, ok := lenCommand[typ]; ok {
			if _, no := refused[c]; !no {
				cmds, asks = append(cmds, []string{c, k}), append(asks, ask{n, c})
			}
		}
	}
	if len(cmds) == 0 {
		return out, nil
	}
	replies, err := a.c.pipeline(cmds)
	if err != nil {
		return nil, err
	}
	for i, q := range asks {
		v := replies[i]
		if e := v.Err(); e != nil {
			refused[q.what] = e.Error()
			continue
		}
		k := &out[q.key]
		switch q.what {
		case "OBJECT FREQ":
			k.freq = v.Int
		case "MEMORY USAGE":
			if !v.Null {
				k.mem = v.Int
			}
		case "PTTL":
			k.ttl = v.Int
		default:
			k.elems = v.Int
		}
	}
	return out, nil
}

// note keeps what the report needs of a sampled key: the big ones, under
// LFU the twenty most accessed, under volatile-* the memory with and
// without a TTL.
func (w *keyWalk) note(k sampledKey, bigElems, bigBytes int64) {
	isBig := k.mem >= bigBytes || (k.typ == "string" && k.elems >= bigBytes) || (k.typ != "string" && k.elems >= bigElems)
	if isBig {
		w.big = keepTop(w.big, k, 20, func(x sampledKey) int64 { return max(x.mem, x.elems) })
	}
	if k.freq >= 0 {
		w.hot = keepTop(w.hot, k, 20, func(x sampledKey) int64 { return x.freq })
	}
	switch {
	case k.mem < 0:
	case k.ttl == -1:
		w.memNoTTL += k.mem
		w.noTTL = keepTop(w.noTTL, k, 3, func(x sampledKey) int64 { return x.mem })
	case k.ttl >= 0:
		w.memTTL += k.mem
	}
}

// keepTop adds k to list, keeping the n greatest by score, greatest first.
func keepTop(list []sampledKey, k sampledKey, n int, score func(sampledKey) int64) []sampledKey {
	list = append(list, k)
	sort.SliceStable(list, func(i, j int) bool { return score(list[i]) > score(list[j]) })
	return list[:min(n, len(list))]
}

func (k sampledKey) String() string {
	s := fmt.Sprintf("db%d:'%s'", k.db, clip(k.key, 64))
	var parts []string
	if k.typ != "" {
		parts = append(parts, k.typ)
	}
	if k.elems >= 0 {
		unit := "elements"
		if k.typ == "string" {
			unit = "bytes"
		}
		parts = append(parts, fmt.Sprintf("%d %s", k.elems, unit))
	}
	if k.mem >= 0 {
		parts = append(parts, human(k.mem)+" in memory")
	}
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	return s
}

func (w *keyWalk) coverage() string {
	s := fmt.Sprintf("%d of %d keys sampled in %.1fs", w.sampled, w.total, w.elapsed.Seconds())
	if w.stopped != "" {
		s += " (" + w.stopped + ")"
	}
	return s
}

func (a *audit) reportBigKeys(w *keyWalk, bigElems, bigBytes int64) {
	for _, c := range []string{"SELECT", "SCAN", "TYPE", "MEMORY USAGE", "STRLEN", "LLEN", "SCARD", "ZCARD", "HLEN", "XLEN"} {
		if why, ok := w.refused[c]; ok {
			a.unchecked("1", "big keys ("+c+")", c+": "+why+"; "+w.coverage())
		}
	}
	if len(w.big) > 0 {
		names := make([]string, len(w.big))
		for i, k := range w.big {
			names[i] = k.String()
		}
		a.add(levelWarning, "1", plural(len(w.big), "big key"),
			fmt.Sprintf("%s; %s. A command that reads one whole (HGETALL, SMEMBERS, LRANGE 0 -1, DEL) holds every other client while it runs; bars: %d elements, %s",
				strings.Join(names, ", "), w.coverage(), bigElems, human(bigBytes)),
			"read big collections in pages (HSCAN, SSCAN, ZSCAN, LRANGE by ranges), delete them with UNLINK, and split them into smaller keys")
	} else if w.stopped != "" && w.sampled > 0 {
		a.add(levelNote, "1", "no big key in the sample", w.coverage()+": big keys may be among those not sampled",
			"raise --sample or --sample-time for a fuller walk (each sampled key costs the server a few cheap commands)")
	}
	// Redoubt notices big keys as they are written, and big replies.
	if n := infoNum(a.guard, "big_keys_seen"); n > 0 && len(w.big) == 0 {
		a.add(levelInfo, "1", "the server has seen big keys",
			fmt.Sprintf("big_keys_seen:%d since start (none in this sample: %s); MEMORY DOCTOR names them", n, w.coverage()),
			"MEMORY DOCTOR, then read those keys in pages and split them")
	}
	if n := infoNum(a.guard, "big_replies"); n > 0 {
		a.add(levelWarning, "1", "big replies were sent",
			fmt.Sprintf("big_replies:%d; the last: %s", n, a.guard["last_big_reply"]),
			"read the key named in pages (HSCAN, SSCAN, ZSCAN, LRANGE by ranges) in the client named")
	}
}
