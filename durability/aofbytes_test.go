package durability

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
)

// The commands Redoubt appends to its incremental file must be the
// bytes Redis appends for the same commands: the same rewrites of
// relative times, blocking pops, XREADGROUP and friends, the same SELECTs
// and MULTI/EXEC wrapping, the same deletions of keys found expired.
// Both servers get each command in turn (their replies are compared
// too); the files are then compared command by command, with the
// millisecond times each server read from its own clock masked. With
// aof-timestamp-enabled the "#TS:" annotations must also match: the
// corpus runs in chunks, each started early in a new second, so that
// both servers see the second change at the same place.

func TestAOFBytesMatchRedis(t *testing.T) {
	for _, ts := range []string{"no", "yes"} {
		t.Run("aof-timestamp-enabled-"+ts, func(t *testing.T) { aofBytes(t, ts == "yes") })
	}
}

// chunkRun is when a chunk of the corpus ran, in Unix seconds, and
// whether it ran inside one second (then both servers annotate it with
// one #TS: of that second, before its first command).
type chunkRun struct {
	start, end  int64
	inOneSecond bool
}

func aofBytes(t *testing.T, timestamps bool) {
	settings := []string{"appendonly yes", "aof-use-rdb-preamble yes", "appendfsync always",
		"aof-timestamp-enabled " + map[bool]string{true: "yes", false: "no"}[timestamps]}
	redis := startServer(t, redisKind, t.TempDir(), settings...)
	ours := startServer(t, redoubtKind, t.TempDir(), settings...)
	p := difftest.PairOf(t, ours.addr, redis.addr)
	// Keys expire only when a command finds them, at the same command
	// on both servers.
	setup := chunkRun{start: time.Now().Unix()}
	p.Do("debug", "set-active-expire", "0")
	p.Do("set", "dump-source", "payload")
	dump := p.Redis.DoValue("dump", "dump-source").Str
	p.Do("del", "dump-source")
	p.Do("set", "chunk-end", "setup")
	setup.end = time.Now().Unix()

	runs := []chunkRun{setup}
	for i, chunk := range strings.Split(strings.TrimSpace(aofCorpus), "\n\n") {
		if timestamps {
			// 300 ms into the next second: Redis's clock (updated by
			// its cron, every 100 ms) has moved to it too.
			now := time.Now()
			time.Sleep(now.Truncate(time.Second).Add(1300 * time.Millisecond).Sub(now))
		}
		run := chunkRun{start: time.Now().Unix()}
		for _, line := range strings.Split(chunk, "\n") {
			runCorpusLine(t, p, redis, ours, strings.TrimSpace(line), dump)
		}
		p.Do("set", "chunk-end", strconv.Itoa(i))
		end := time.Now()
		run.end = end.Unix()
		run.inOneSecond = run.end == run.start && end.Sub(end.Truncate(time.Second)) < 950*time.Millisecond
		runs = append(runs, run)
	}
	want := parseAOF(t, "redis", readFile(t, lastIncr(t, redis.dir)))
	got := parseAOF(t, "redoubt", readFile(t, lastIncr(t, ours.dir)))
	t.Logf("redis appended %d items, redoubt %d", len(want), len(got))
	if timestamps {
		exact := checkTimestamps(t, runs, want, got)
		t.Logf("#TS: annotations compared by position in %d chunks of the corpus's %d (the others ran across a second)", exact, len(runs)-1)
		want, got = dropLooseTimestamps(runs, want), dropLooseTimestamps(runs, got)
	}
	compareItems(t, want, got)
}

// runCorpusLine runs one line of aofCorpus on both servers.
func runCorpusLine(t *testing.T, p *difftest.Pair, redis, ours *server, line, dump string) {
	t.Helper()
	if line == "" {
		return
	}
	if ms, ok := strings.CutPrefix(line, "!sleep "); ok {
		n, _ := strconv.Atoi(ms)
		time.Sleep(time.Duration(n) * time.Millisecond)
		return
	}
	if rest, ok := strings.CutPrefix(line, "!block "); ok {
		block, push, _ := strings.Cut(rest, " | ")
		for _, s := range []*server{redis, ours} {
			c := s.conn()
			blocked := s.conn()
			blocked.Send(splitLine(t, block)...)
			difftest.WaitBlocked(t, c, 1)
			c.Do(splitLine(t, push)...)
			blocked.ReadRaw()
			blocked.Close()
			c.Close()
		}
		return
	}
	mode := line[0]
	line = strings.TrimLeft(line, "~?")
	line = strings.ReplaceAll(expandTimes(line), "{dump}", strconv.Quote(dump))
	args := splitLine(t, line)
	switch mode {
	case '~':
		p.Redis.Do(args...)
		p.Redoubt.Do(args...)
	case '?':
		p.DoUnordered(args...)
	default:
		p.Do(args...)
	}
}
