// Command probes measures what big values and client buffers cost, on
// Redoubt and on redis-server side by side (issue 9, point 3): a fresh
// pair of servers per probe, each on a free 127.0.0.1 port in a temporary
// directory with an empty --save, each watched for its resident size and killed
// past a cap (4 GiB unless -cap says otherwise), reported as "killed".
//
//	go build -o /tmp/rb/redoubt-server ./cmd/redoubt-server
//	go run ./bench/probes -redoubt /tmp/rb/redoubt-server [-probes bigset,...] [-repeats 3]
//
// Probes:
//
//	bigset    one client SETs a 500 MB value, then DELs it: peak RSS, RSS
//	          and used_memory 2 s after the DEL
//	bigset4   four clients SET a 500 MB value each at once, then DEL
//	getnoread 100 pipelined GETs of a 10 MB value never read: peak RSS
//	          once the server stopped growing, RSS and used_memory 2 s
//	          after the client closed
//	srand     SRANDMEMBER s -2000000000 under client-output-buffer-limit
//	          normal 64mb 32mb 10: how long until the client is dropped,
//	          peak RSS, and the longest wait a second client's PINGs see
//	stall     60 pipelined GETs of a 10 MB value read at full speed: the
//	          longest wait a second client's PINGs see, and the peak RSS
//
// Times are medians over -repeats runs (fresh servers each); memory
// figures are the median too. The machine is shared: read the ratios.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

var (
	redoubtBin = flag.String("redoubt", "/tmp/rb/redoubt-server", "Redoubt server binary")
	redisBin   = flag.String("redis", "/usr/bin/redis-server", "redis-server binary")
	probeList  = flag.String("probes", "bigset,bigset4,getnoread,srand,stall", "probes to run")
	repeats    = flag.Int("repeats", 1, "runs per probe and server (medians reported)")
	capBytes   = flag.Int64("cap", 4<<30, "resident size past which a server is killed")
	only       = flag.String("only", "", "run one server only: redis or redoubt")
)

func main() {
	flag.Parse()
	probes := map[string]func(*server) result{
		"bigset":    func(s *server) result { return probeBigSet(s, 1) },
		"bigset4":   func(s *server) result { return probeBigSet(s, 4) },
		"getnoread": probeGetNoRead,
		"srand":     probeSrand,
		"stall":     probeStall,
	}
	fmt.Printf("| probe | figure | Redis | Redoubt | ratio |\n|---|---|---|---|---|\n")
	for _, name := range strings.Split(*probeList, ",") {
		p := probes[name]
		if p == nil {
			fmt.Fprintf(os.Stderr, "unknown probe %q\n", name)
			os.Exit(2)
		}
		var rs, ds []result
		for i := 0; i < *repeats; i++ {
			if *only != "redoubt" {
				rs = append(rs, runOn("redis", *redisBin, p))
			}
			if *only != "redis" {
				ds = append(ds, runOn("redoubt", *redoubtBin, p))
			}
		}
		report(name, median(rs), median(ds))
	}
}

// result holds a probe's figures by name; killed is set if the server
// went past the cap (or died).
type result struct {
	figs   map[string]float64
	order  []string
	killed bool
	note   string
}

func (r *result) set(name string, v float64) {
	if r.figs == nil {
		r.figs = map[string]float64{}
	}
	if _, ok := r.figs[name]; !ok {
		r.order = append(r.order, name)
	}
	r.figs[name] = v
}

func median(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	out := result{}
	for _, r := range rs {
		if r.killed {
			out.killed = true
			out.note = r.note
		}
	}
	for _, name := range rs[0].order {
		var vs []float64
		for _, r := range rs {
			if v, ok := r.figs[name]; ok {
				vs = append(vs, v)
			}
		}
		if len(vs) == 0 {
			continue
		}
		sort.Float64s(vs)
		out.set(name, vs[len(vs)/2])
	}
	return out
}

func report(name string, r, d result) {
	order := r.order
	if len(order) == 0 {
		order = d.order
	}
	for _, f := range order {
		rv, dv := r.figs[f], d.figs[f]
		ratio := "-"
		if rv > 0 {
			ratio = fmt.Sprintf("**%.2f**", dv/rv)
		}
		rs, ds := format(f, rv), format(f, dv)
		if r.killed {
			rs = "killed"
		}
		if d.killed {
			ds, ratio = "killed", "-"
		}
		fmt.Printf("| %s | %s | %s | %s | %s |\n", name, f, rs, ds, ratio)
	}
	if d.note != "" || r.note != "" {
		fmt.Printf("| %s | note | %s | %s | |\n", name, r.note, d.note)
	}
}

func format(fig string, v float64) string {
	switch {
	case strings.HasSuffix(fig, "_mb"):
		return fmt.Sprintf("%.0f MB", v)
	case strings.HasSuffix(fig, "_s"):
		return fmt.Sprintf("%.2f s", v)
	}
	return fmt.Sprintf("%g", v)
}

// server is one running server under watch.
type server struct {
	kind  string
	cmd   *exec.Cmd
	port  int
	dir   string
	peak  atomic.Int64 // resident bytes, sampled
	dead  atomic.Bool  // killed past the cap, or exited
	exitc chan struct{}
}

func runOn(kind, bin string, p func(*server) result) result {
	s, err := start(kind, bin)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer s.stop()
	idle := s.rss()
	r := p(s)
	// What the server holds idle, to read the "after" figures against.
	r.set("rss_idle_mb", float64(idle)/mb)
	if s.dead.Load() {
		r.killed = true
		if r.note == "" {
			r.note = "killed past the cap or died"
		}
	}
	return r
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func start(kind, bin string) (*server, error) {
	dir, err := os.MkdirTemp("", "probe-"+kind+"-")
	if err != nil {
		return nil, err
	}
	port := freePort()
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir}
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	log, _ := os.Create(filepath.Join(dir, "server.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{kind: kind, cmd: cmd, port: port, dir: dir, exitc: make(chan struct{})}
	go func() { cmd.Wait(); s.dead.Store(true); close(s.exitc) }()
	go s.watch()
	for i := 0; i < 200; i++ {
		c, err := net.Dial("tcp", s.addr())
		if err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	s.stop()
	return nil, fmt.Errorf("%s did not start on port %d", kind, port)
}

func (s *server) addr() string { return "127.0.0.1:" + strconv.Itoa(s.port) }

// watch samples the resident size every 10 ms and kills the server past
// the cap: the machine is shared, and a runaway server must not take it.
func (s *server) watch() {
	for {
		select {
		case <-s.exitc:
			return
		case <-time.After(10 * time.Millisecond):
		}
		rss, hwm := procMem(s.cmd.Process.Pid)
		if m := max(rss, hwm); m > s.peak.Load() {
			s.peak.Store(m)
		}
		if rss > *capBytes {
			s.cmd.Process.Kill()
			return
		}
	}
}

// procMem reads VmRSS and VmHWM from /proc/PID/status, in bytes.
func procMem(pid int) (rss, hwm int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		v, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = v << 10
		case "VmHWM:":
			hwm = v << 10
		}
	}
	return
}

func (s *server) rss() int64 {
	r, _ := procMem(s.cmd.Process.Pid)
	return r
}

func (s *server) stop() {
	if !s.dead.Load() {
		s.cmd.Process.Kill()
	}
	<-s.exitc
	os.RemoveAll(s.dir)
}

// conn is a minimal RESP client.
type conn struct {
	c net.Conn
	r *bufio.Reader
}

func dial(s *server) (*conn, error) {
	c, err := net.Dial("tcp", s.addr())
	if err != nil {
		return nil, err
	}
	return &conn{c: c, r: bufio.NewReaderSize(c, 64<<10)}, nil
}

func encode(args ...[]byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n", len(a))
		b.Write(a)
		b.WriteString("\r\n")
	}
	return b.Bytes()
}

func bs(args ...string) [][]byte {
	out := make([][]byte, len(args))
	for i, a := range args {
		out[i] = []byte(a)
	}
	return out
}

// do sends a command and reads its reply, returned as text for simple
// replies (bulk payloads are discarded beyond their first 64 bytes).
func (c *conn) do(args ...string) (string, error) {
	if _, err := c.c.Write(encode(bs(args...)...)); err != nil {
		return "", err
	}
	return c.reply()
}

func (c *conn) reply() (string, error) {
	line, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	switch line[0] {
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return "", nil
		}
		var head bytes.Buffer
		if _, err := io.CopyN(&head, c.r, int64(min(n, 64))); err != nil {
			return "", err
		}
		if _, err := io.CopyN(io.Discard, c.r, int64(n-min(n, 64)+2)); err != nil {
			return "", err
		}
		return head.String(), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		for i := 0; i < n; i++ {
			if _, err := c.reply(); err != nil {
				return "", err
			}
		}
		return line, nil
	case '-':
		return line, errors.New(line)
	}
	return line, nil
}

func (c *conn) close() { c.c.Close() }

// writeBig sends a command whose last argument is v, without copying v.
func (c *conn) writeBig(v []byte, args ...string) error {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args)+1)
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	fmt.Fprintf(&b, "$%d\r\n", len(v))
	bufs := net.Buffers{b.Bytes(), v, []byte("\r\n")}
	_, err := bufs.WriteTo(c.c)
	return err
}

// usedMemory reads INFO memory's used_memory on a fresh connection.
func usedMemory(s *server) float64 {
	c, err := dial(s)
	if err != nil {
		return -1
	}
	defer c.close()
	c.c.Write(encode(bs("INFO", "memory")...))
	line, err := c.r.ReadString('\n')
	if err != nil || line[0] != '$' {
		return -1
	}
	n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
	body := make([]byte, n+2)
	io.ReadFull(c.r, body)
	for _, l := range strings.Split(string(body), "\r\n") {
		if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return -1
}

const mb = 1 << 20

var payloads sync.Map

// payload is a value of n bytes, made once per size.
func payload(n int) []byte {
	if v, ok := payloads.Load(n); ok {
		return v.([]byte)
	}
	b := bytes.Repeat([]byte("0123456789abcdef"), n/16+1)[:n]
	payloads.Store(n, b)
	return b
}

// settle waits for the resident size to stop moving, at most d.
func settle(s *server, d time.Duration) {
	end := time.Now().Add(d)
	last := s.rss()
	for time.Now().Before(end) && !s.dead.Load() {
		time.Sleep(200 * time.Millisecond)
		r := s.rss()
		if abs(r-last) < 1<<20 {
			return
		}
		last = r
	}
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

func probeBigSet(s *server, clients int) result {
	var r result
	val := payload(500 * mb)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c, err := dial(s)
			if err != nil {
				return
			}
			defer c.close()
			key := "big" + strconv.Itoa(i)
			c.writeBig(val, "SET", key)
			if rep, err := c.reply(); err != nil || rep != "+OK" {
				r.note = fmt.Sprintf("SET: %q %v", rep, err)
			}
		}(i)
	}
	wg.Wait()
	r.set("set_s", time.Since(t0).Seconds())
	r.set("peak_rss_mb", float64(s.peak.Load())/mb)
	if s.dead.Load() {
		return r
	}
	c, err := dial(s)
	if err != nil {
		return r
	}
	for i := 0; i < clients; i++ {
		c.do("DEL", "big"+strconv.Itoa(i))
	}
	c.close()
	time.Sleep(2 * time.Second)
	r.set("rss_after_del_mb", float64(s.rss())/mb)
	r.set("used_memory_after_mb", usedMemory(s)/mb)
	return r
}

func probeGetNoRead(s *server) result {
	var r result
	c, err := dial(s)
	if err != nil {
		return r
	}
	c.writeBig(payload(10*mb), "SET", "v10")
	c.reply()
	var pipe bytes.Buffer
	for i := 0; i < 100; i++ {
		pipe.Write(encode(bs("GET", "v10")...))
	}
	c.c.Write(pipe.Bytes())
	settle(s, 20*time.Second)
	r.set("peak_rss_mb", float64(s.peak.Load())/mb)
	c.close()
	time.Sleep(2 * time.Second)
	r.set("rss_after_close_mb", float64(s.rss())/mb)
	r.set("used_memory_after_mb", usedMemory(s)/mb)
	return r
}

// pinger sends PINGs one at a time until stop and records the longest
// wait between a PING and its reply.
func pinger(s *server, stop chan struct{}) (maxGap func() time.Duration) {
	var longest atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := dial(s)
		if err != nil {
			return
		}
		defer c.close()
		for {
			select {
			case <-stop:
				return
			default:
			}
			t := time.Now()
			if _, err := c.do("PING"); err != nil {
				return
			}
			if d := int64(time.Since(t)); d > longest.Load() {
				longest.Store(d)
			}
			time.Sleep(time.Millisecond)
		}
	}()
	return func() time.Duration { <-done; return time.Duration(longest.Load()) }
}

func probeSrand(s *server) result {
	var r result
	c, err := dial(s)
	if err != nil {
		return r
	}
	defer c.close()
	if _, err := c.do("CONFIG", "SET", "client-output-buffer-limit", "normal 64mb 32mb 10"); err != nil {
		r.note = err.Error()
		return r
	}
	args := []string{"SADD", "s"}
	for i := 0; i < 100; i++ {
		args = append(args, "member:"+strconv.Itoa(i))
	}
	c.do(args...)
	stop := make(chan struct{})
	gap := pinger(s, stop)
	time.Sleep(100 * time.Millisecond)
	t0 := time.Now()
	c.c.Write(encode(bs("SRANDMEMBER", "s", "-2000000000")...))
	// Read whatever comes until the server drops the connection.
	n, _ := io.Copy(io.Discard, c.r)
	r.set("dropped_after_s", time.Since(t0).Seconds())
	close(stop)
	r.set("max_ping_gap_s", gap().Seconds())
	r.set("peak_rss_mb", float64(s.peak.Load())/mb)
	r.set("reply_bytes_read_mb", float64(n)/mb)
	if s.dead.Load() {
		return r
	}
	c2, err := dial(s)
	if err == nil {
		if rep, err := c2.do("PING"); err != nil || rep != "+PONG" {
			r.note = "server not answering after the drop"
		}
		c2.close()
	}
	return r
}

func probeStall(s *server) result {
	var r result
	c, err := dial(s)
	if err != nil {
		return r
	}
	defer c.close()
	c.writeBig(payload(10*mb), "SET", "v10")
	c.reply()
	stop := make(chan struct{})
	gap := pinger(s, stop)
	time.Sleep(100 * time.Millisecond)
	var pipe bytes.Buffer
	for i := 0; i < 60; i++ {
		pipe.Write(encode(bs("GET", "v10")...))
	}
	t0 := time.Now()
	go c.c.Write(pipe.Bytes())
	for i := 0; i < 60; i++ {
		if _, err := c.reply(); err != nil {
			r.note = "GET: " + err.Error()
			break
		}
	}
	r.set("all_replies_s", time.Since(t0).Seconds())
	close(stop)
	r.set("max_ping_gap_s", gap().Seconds())
	r.set("peak_rss_mb", float64(s.peak.Load())/mb)
	return r
}
