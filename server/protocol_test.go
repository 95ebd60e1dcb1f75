package server_test

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// readUntilClose returns everything a server sends until it closes the
// connection (or goes quiet for a while).
func readUntilClose(t *testing.T, addr string, in []byte) []byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Write(in); err != nil {
		t.Fatal(err)
	}
	// Read until EOF, or until the server has said nothing for a while
	// (some inputs leave the connection open, waiting for more).
	var out []byte
	buf := make([]byte, 64<<10)
	for {
		c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		out = append(out, buf[:n]...)
		if err != nil {
			return out
		}
	}
}

var malformed = []string{
	"*3000000000\r\n",
	"*-10\r\nPING\r\n",
	"*x\r\n",
	"*1\r\nfoo\r\n",
	"*1\r\n$-1\r\n",
	"*1\r\n$536870913\r\n",
	"*1\r\n$+1\r\nx\r\n",
	"*2\r\n$4\r\nECHO\r\n$1\r\nab\r\nPING\r\n",
	"set \"unbalanced\r\n",
	"set 'a'b\r\n",
	"PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n",
	"*1\r\n$" + strings.Repeat("1", protocol.InlineMax+1),
	"*" + strings.Repeat("1", protocol.InlineMax+1),
	strings.Repeat("a", protocol.InlineMax+10),
}

// TestMalformedRequestsMatchRedis sends each malformed request to both
// servers and compares everything they answer before closing.
func TestMalformedRequestsMatchRedis(t *testing.T) {
	redis := difftest.StartRedis(t)
	redoubt := difftest.StartRedoubt(t)
	for _, in := range malformed {
		want := readUntilClose(t, redis, []byte(in))
		got := readUntilClose(t, redoubt, []byte(in))
		if !bytes.Equal(got, want) {
			t.Errorf("%.60q:\n redis:   %q\n redoubt: %q", in, want, got)
		}
	}
}

// TestUnauthenticatedLimitsMatchRedis checks the tighter limits for
// clients that have not authenticated yet.
func TestUnauthenticatedLimitsMatchRedis(t *testing.T) {
	redis := difftest.StartRedis(t, "requirepass secret")
	redoubt := difftest.StartRedoubt(t, "requirepass secret")
	for _, in := range []string{"*11\r\n", "*1\r\n$16385\r\n", "*1\r\n$4\r\nPING\r\n", "AUTH wrong\r\n", "AUTH secret\r\n*11\r\n"} {
		want := readUntilClose(t, redis, []byte(in))
		got := readUntilClose(t, redoubt, []byte(in))
		if !bytes.Equal(got, want) {
			t.Errorf("%q:\n redis:   %q\n redoubt: %q", in, want, got)
		}
	}
}

// TestBadInputLosesNothing throws every malformed request at the server
// from several connections while a well-behaved client keeps working: the
// good client's data and connection must survive.
func TestBadInputLosesNothing(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	good := difftest.Dial(t, addr)
	for i := 0; i < 100; i++ {
		good.Do("SET", "k"+strconv.Itoa(i), "v"+strconv.Itoa(i))
	}
	for _, in := range malformed {
		readUntilClose(t, addr, []byte(in))
		if got := good.Do("PING"); string(got) != "+PONG\r\n" {
			t.Fatalf("after %.40q the good client got %q", in, got)
		}
	}
	if got := good.Do("DBSIZE"); string(got) != ":100\r\n" {
		t.Fatalf("DBSIZE after bad input: %q", got)
	}
	for i := 0; i < 100; i++ {
		want := "v" + strconv.Itoa(i)
		if got := good.Do("GET", "k"+strconv.Itoa(i)); string(got) != fmt.Sprintf("$%d\r\n%s\r\n", len(want), want) {
			t.Fatalf("GET k%d after bad input: %q", i, got)
		}
	}
}

// TestHostileLengthsDoNotAllocate opens many connections that announce
// enormous requests and send nothing more: the server's memory must not
// grow by what they announced.
func TestHostileLengthsDoNotAllocate(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	admin := difftest.Dial(t, addr)
	before := usedMemory(t, admin)
	var conns []net.Conn
	for i := 0; i < 50; i++ {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.Write([]byte("*2147483647\r\n$536870912\r\nabc"))
		conns = append(conns, c)
	}
	// Make sure every hostile header has been read.
	for _, c := range conns {
		c.Write([]byte("d"))
	}
	admin.Do("PING")
	after := usedMemory(t, admin)
	// 50 clients announced 25 GiB between them; allow a few MiB of
	// ordinary per-client buffers.
	if grown := after - before; grown > 16<<20 {
		t.Fatalf("used_memory grew by %d bytes for hostile headers", grown)
	}
}

func usedMemory(t *testing.T, c *difftest.Conn) int64 {
	t.Helper()
	info := string(c.DoValue("INFO", "memory").Str)
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory_rss:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatalf("no used_memory_rss in %q", info)
	return 0
}

// TestPipelineOrderAndPartialWrites sends a long pipeline in pieces of
// odd sizes, as a slow network would deliver it, and checks every reply
// comes back in order.
func TestPipelineOrderAndPartialWrites(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	var req []byte
	const n = 5000
	for i := 0; i < n; i++ {
		if i%3 == 0 {
			req = append(req, fmt.Sprintf("SET key%d \"%s\"\r\n", i, strings.Repeat("x", i%50))...)
		} else {
			req = protocol.AppendCommand(req, "SET", "key"+strconv.Itoa(i), strings.Repeat("y", i%700))
		}
		req = protocol.AppendCommand(req, "GET", "key"+strconv.Itoa(i))
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	go func() {
		for off, step := 0, 1; off < len(req); step = step%997 + 13 {
			end := min(off+step, len(req))
			c.Write(req[off:end])
			off = end
		}
	}()
	r := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for i := 0; i < n; i++ {
		if v, err := protocol.ReadValue(r); err != nil || v.Str != "OK" {
			t.Fatalf("SET %d: %v %v", i, v, err)
		}
		want := strings.Repeat("y", i%700)
		if i%3 == 0 {
			want = strings.Repeat("x", i%50)
		}
		if v, err := protocol.ReadValue(r); err != nil || v.Str != want {
			t.Fatalf("GET %d: %v %v", i, v, err)
		}
	}
}

// TestBigArgument sends a value bigger than the initial read buffer, in
// small writes, and reads it back.
func TestBigArgument(t *testing.T) {
	p := difftest.NewPair(t)
	big := strings.Repeat("0123456789", 300_000)
	p.Do("SET", "big", big)
	p.Do("GET", "big")
	if got := p.Redoubt.DoValue("GET", "big"); got.Str != big {
		t.Fatalf("big value came back with %d bytes", len(got.Str))
	}
}
