package memdrill

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/proctest"
	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/protocol"
)

const maxmemory = 256 << 20

// rssFactorLimit is what Redoubt's peak resident memory may reach, as a
// multiple of maxmemory, under the churn: the drill's stated bound
// (Redis peaks at about 1.9 in the same drill on the machines here).
const rssFactorLimit = 1.6

// startServer starts kind ("redis" or "redoubt") with maxmemory 256mb
// and allkeys-lru.
func startServer(t *testing.T, kind string) *proctest.Proc {
	t.Helper()
	bin := refredis.Tool(t, "redis-server")
	if kind == "redoubt" {
		bin = proctest.Build(t, "./cmd/redoubt-server")
	}
	for attempt := 0; ; attempt++ {
		port := difftest.FreePort(t)
		dir := t.TempDir()
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--appendonly", "no",
			"--maxmemory", strconv.Itoa(maxmemory), "--maxmemory-policy", "allkeys-lru"}
		p := proctest.Start(t, bin, args, fmt.Sprintf("127.0.0.1:%d", port), filepath.Join(dir, "log"))
		err := p.WaitReady(20 * time.Second)
		if err == nil {
			return p
		}
		if attempt < 3 && p.PortTaken() {
			continue
		}
		t.Fatalf("%s did not start: %v\n%s", kind, err, p.Log())
	}
}

// procKB reads a field of /proc/PID/status in kB ("VmRSS", "VmHWM").
func procKB(t *testing.T, pid int, field string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

// churn writes total bytes of values of varying sizes to addr from four
// connections, 64 commands in flight on each: phases of small, then
// mixed, then large values, over key names reused at random, so that
// eviction and overwrites free slots of one size while the next phase
// asks for another (the pattern that fragments an allocator).
func churn(t *testing.T, addr string, total int64) {
	t.Helper()
	const conns = 4
	phases := []struct{ lo, hi int }{{16, 256}, {16, 16 << 10}, {4 << 10, 64 << 10}, {16, 512}}
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				errs <- err
				return
			}
			defer nc.Close()
			r := bufio.NewReader(nc)
			rng := rand.New(rand.NewPCG(uint64(w), 6))
			value := make([]byte, 64<<10)
			for i := range value {
				value[i] = byte('a' + i%26)
			}
			var buf []byte
			for _, ph := range phases {
				var sent int64
				for sent < total/int64(len(phases))/conns {
					buf = buf[:0]
					for range 64 {
						n := ph.lo + rng.IntN(ph.hi-ph.lo)
						key := "k:" + strconv.Itoa(rng.IntN(400000))
						buf = protocol.AppendCommand(buf, "SET", key, string(value[:n]))
						sent += int64(n)
					}
					if _, err := nc.Write(buf); err != nil {
						errs <- err
						return
					}
					for range 64 {
						v, err := protocol.ReadValue(r)
						if err != nil {
							errs <- err
							return
						}
						if v.Type == '-' {
							errs <- fmt.Errorf("SET: %s", v.Str)
							return
						}
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

// The drill for incident 6: 1.5 GB of values of varying sizes churned
// through maxmemory 256mb. Each server's peak resident memory, as a
// multiple of maxmemory, is printed; Redoubt's stays under
// rssFactorLimit.
func TestDrillIncident6ChurnStaysNearMaxmemory(t *testing.T) {
	if testing.Short() {
		t.Skip("the churn writes 1.5 GB to each server")
	}
	for _, kind := range []string{"redis", "redoubt"} {
		p := startServer(t, kind)
		pid := p.Cmd.Process.Pid
		start := time.Now()
		atPeak := watchPeak(t, p.Addr)
		churn(t, p.Addr, 1536<<20)
		t.Logf("%s at its highest resident memory: %s", kind, atPeak())
		peak := float64(procKB(t, pid, "VmHWM")<<10) / maxmemory
		final := float64(procKB(t, pid, "VmRSS")<<10) / maxmemory
		c := difftest.Dial(t, p.Addr)
		used := difftest.InfoFields(t, c, "memory")
		stats := difftest.InfoFields(t, c, "stats")
		evicted := stats["evicted_keys"]
		t.Logf("%s: active_defrag_hits %s, misses %s, total_active_defrag_time %s ms", kind, stats["active_defrag_hits"], stats["active_defrag_misses"], stats["total_active_defrag_time"])
		t.Logf("%s: peak RSS %.2f x maxmemory, final %.2f x; used_memory %s, mem_fragmentation_ratio %s, evicted_keys %s (%v)",
			kind, peak, final, used["used_memory"], used["mem_fragmentation_ratio"], evicted, time.Since(start).Round(time.Second))
		if kind == "redoubt" && peak > rssFactorLimit {
			t.Errorf("Redoubt's resident memory peaked at %.2f x maxmemory, over the drill's bound of %.1f", peak, rssFactorLimit)
		}
	}
}

// watchPeak reads INFO memory every 50 ms until the returned function
// is called, which describes the reading with the highest
// used_memory_rss: what the memory was made of then.
func watchPeak(t *testing.T, addr string) func() string {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	done := make(chan string)
	go func() {
		defer nc.Close()
		r := bufio.NewReader(nc)
		var best int64
		var desc string
		for {
			select {
			case <-stop:
				done <- desc
				return
			case <-time.After(50 * time.Millisecond):
			}
			nc.Write(protocol.AppendCommand(nil, "INFO", "memory"))
			v, err := protocol.ReadValue(r)
			if err != nil {
				done <- desc
				return
			}
			f := map[string]string{}
			for _, line := range strings.Split(v.Str, "\r\n") {
				if k, val, ok := strings.Cut(line, ":"); ok {
					f[k] = val
				}
			}
			if rss, _ := strconv.ParseInt(f["used_memory_rss"], 10, 64); rss > best {
				best = rss
				desc = fmt.Sprintf("used_memory_rss %s, used_memory %s, allocator_active %s, allocator_frag_bytes %s", f["used_memory_rss"], f["used_memory"], f["allocator_active"], f["allocator_frag_bytes"])
			}
		}
	}()
	return func() string { close(stop); return <-done }
}
