package replication

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// Bad input on a replication link: a primary that sends a damaged or
// truncated dataset, or garbage where the dataset should be, or that
// disappears mid-transfer; a replica that asks for an offset from the
// future or sends garbage. Nothing may crash, a replica keeps its data
// until a whole dataset arrived, and the link retries.

// fakePrimary is a primary of the test's own: it answers the handshake
// and serves, to each PSYNC in turn, the next of its payloads (the last
// one again once they are used up).
type fakePrimary struct {
	ln       net.Listener
	mu       sync.Mutex
	payloads [][]byte
	psyncs   int
}

func startFakePrimary(t *testing.T, payloads ...[]byte) *fakePrimary {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePrimary{ln: ln, payloads: payloads}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(c)
		}
	}()
	return f
}

func (f *fakePrimary) port() string {
	return strconv.Itoa(f.ln.Addr().(*net.TCPAddr).Port)
}

func (f *fakePrimary) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.psyncs
}

func (f *fakePrimary) serve(c net.Conn) {
	defer c.Close()
	r := bufio.NewReader(c)
	for {
		v, err := protocol.ReadValue(r)
		if err != nil || len(v.Elems) == 0 {
			return
		}
		switch strings.ToUpper(v.Elems[0].Str) {
		case "PING":
			c.Write([]byte("+PONG\r\n"))
		case "PSYNC":
			f.mu.Lock()
			p := f.payloads[min(f.psyncs, len(f.payloads)-1)]
			f.psyncs++
			f.mu.Unlock()
			c.Write([]byte("+FULLRESYNC " + strings.Repeat("ab", 20) + " 0\r\n"))
			c.Write(p)
			// A damaged transfer ends with the connection, as a
			// primary that dies mid-transfer.
			time.Sleep(50 * time.Millisecond)
			return
		default:
			c.Write([]byte("+OK\r\n"))
		}
	}
}

// rdbOf returns the bytes of an RDB file holding key=value, written by
// redis-server.
func rdbOf(t *testing.T, key, value string) []byte {
	t.Helper()
	c := newCluster(t)
	s := c.start("source", redisKind)
	s.do("SET", key, value)
	s.do("SAVE")
	b, err := os.ReadFile(filepath.Join(s.dir, "dump.rdb"))
	if err != nil {
		c.fatalf("reading the source's dump.rdb: %v", err)
	}
	return b
}

func sized(b []byte) []byte { return append([]byte("$"+strconv.Itoa(len(b))+"\r\n"), b...) }

func diskless(b []byte) []byte {
	mark := strings.Repeat("0123456789", 4)
	return append(append([]byte("$EOF:"+mark+"\r\n"), b...), mark...)
}

// A Redoubt replica offered damaged datasets keeps its own data, says
// why in its log, and retries; the first whole dataset replaces it.
func TestReplicaKeepsDataOnDamagedTransfer(t *testing.T) {
	good := rdbOf(t, "fromprimary", "yes")
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)/2] ^= 0x40
	for _, load := range []string{"disabled", "on-empty-db"} {
		t.Run(load, func(t *testing.T) {
			bad := [][]byte{
				sized(flipped),             // a checksum that does not match
				diskless(flipped),          // the same, streamed
				sized(good)[:len(good)/2],  // cut short: the primary died
				[]byte("garbage\r\n"),      // not a bulk at all
				diskless(good)[:len(good)], // a stream without its end mark
			}
			f := startFakePrimary(t, append(bad, sized(good))...)
			c := newCluster(t)
			r := c.start("replica", redoubtKind, "repl-diskless-load "+load, "repl-timeout 5")
			r.do("SET", "mine", "kept")
			r.do("REPLICAOF", "127.0.0.1", f.port())
			// While the bad payloads are served, the data stays.
			rc := r.conn()
			for f.count() < len(bad) {
				// A diskless load answers -LOADING meanwhile, as Redis.
				if v := rc.doErr("PING"); v.Str != "PONG" && !strings.HasPrefix(v.Str, "LOADING") {
					c.fatalf("replica answered PING with %v", v)
				}
				if v := rc.doErr("GET", "mine"); v.Str != "kept" && !strings.HasPrefix(v.Str, "LOADING") {
					c.fatalf("after %d bad transfers the replica's own key is %v", f.count(), v)
				}
				time.Sleep(50 * time.Millisecond)
			}
			c.waitFor("the whole dataset to be loaded", func() (bool, string) {
				v := rc.doErr("GET", "fromprimary")
				return v.Str == "yes", fmt.Sprintf("GET fromprimary = %v after %d transfers", v, f.count())
			})
			if v := r.do("EXISTS", "mine"); v.Int != 0 {
				c.fatalf("the replica's own key survived the full sync")
			}
			if log := r.log(); !strings.Contains(log, "damaged") || !strings.Contains(log, "keeping the current dataset") {
				c.fatalf("the log does not say why the transfers were refused")
			}
		})
	}
}

// A replica asking for an offset the primary has not reached gets a
// full resync (and the primary says so), as in Redis; garbage from a
// replica's connection closes that connection only.
func TestPrimaryRefusesFutureOffsetAndGarbage(t *testing.T) {
	for _, kind := range []string{redisKind, redoubtKind} {
		t.Run(kind, func(t *testing.T) {
			c := newCluster(t)
			p := c.start("primary", kind)
			r := c.start("replica", redisKind)
			c.replicate(r, p)
			id := p.info("replication")["master_replid"]
			off := p.infoInt("replication", "master_repl_offset")
			cl, err := dial(p.addr)
			if err != nil {
				c.fatalf("dial: %v", err)
			}
			defer cl.close()
			cl.do("REPLCONF", "capa", "psync2")
			cl.nc.Write(protocol.AppendCommand(nil, "PSYNC", id, strconv.FormatInt(off+100000, 10)))
			line, err := cl.r.ReadString('\n')
			for err == nil && strings.TrimSpace(line) == "" {
				line, err = cl.r.ReadString('\n')
			}
			if err != nil || !strings.HasPrefix(line, "+FULLRESYNC") {
				c.fatalf("PSYNC from the future answered %q (%v)", line, err)
			}
			g, err := dial(p.addr)
			if err != nil {
				c.fatalf("dial: %v", err)
			}
			defer g.close()
			g.nc.Write([]byte("*1\r\n$-5\r\n\r\n*x\r\n"))
			g.r.ReadString('\n')
			if v := p.do("SET", "after", "garbage"); v.Str != "OK" {
				c.fatalf("SET after garbage: %v", v)
			}
			c.waitSync(p, r)
			if v := r.do("GET", "after"); v.Str != "garbage" {
				c.fatalf("the replica lost the stream: GET after = %v", v)
			}
		})
	}
}
