package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// doctorRun is one run of redoubt doctor.
type doctorRun struct {
	code     int
	out, err string
	findings []finding // with --json
}

// runDoctor runs the doctor; with --json among args it decodes the
// findings, failing the test on output that is not a JSON list.
func runDoctor(t *testing.T, args ...string) doctorRun {
	t.Helper()
	var out, errOut bytes.Buffer
	r := doctorRun{code: run(append([]string{"doctor"}, args...), nil, &out, &errOut)}
	r.out, r.err = out.String(), errOut.String()
	for _, a := range args {
		if a == "--json" {
			if err := json.Unmarshal(out.Bytes(), &r.findings); err != nil {
				t.Fatalf("--json output is not a list of findings: %v\n%s", err, r.out)
			}
		}
	}
	return r
}

// with returns the findings of an incident at the given levels (all
// levels when none is given).
func (r doctorRun) with(incident string, levels ...string) []finding {
	var out []finding
	for _, f := range r.findings {
		if f.Incident != incident {
			continue
		}
		if len(levels) == 0 {
			out = append(out, f)
			continue
		}
		for _, l := range levels {
			if f.Level == l {
				out = append(out, f)
			}
		}
	}
	return out
}

// problems are the findings proper: critical, warning, info.
var problems = []string{levelCritical, levelWarning, levelInfo}

func (r doctorRun) String() string {
	return fmt.Sprintf("exit %d\n%s%s", r.code, r.out, r.err)
}

// pipelineCommand sends the command n times on one connection, in
// batches, and reads the replies: a quick way to give keys many accesses
// or to fill a server.
func pipelineCommand(t testing.TB, addr string, n int, args ...string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r := bufio.NewReader(c)
	one := protocol.AppendCommand(nil, args...)
	for done := 0; done < n; {
		batch := min(500, n-done)
		c.SetDeadline(time.Now().Add(30 * time.Second))
		if _, err := c.Write(bytes.Repeat(one, batch)); err != nil {
			t.Fatal(err)
		}
		for range batch {
			if _, err := protocol.ReadValue(r); err != nil {
				t.Fatal(err)
			}
		}
		done += batch
	}
}

// fakeServer listens on the loopback interface and runs serve on each
// connection until the test ends.
func fakeServer(t *testing.T, serve func(c net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}

// respServer is a fake RESP server: answer gives the raw reply to a
// command, "" for no reply at all (the connection then hangs until the
// test ends).
func respServer(t *testing.T, answer func(args []string) string) string {
	return fakeServer(t, func(c net.Conn) {
		p := protocol.NewParser()
		var buf []byte
		tmp := make([]byte, 4096)
		for {
			n, err := c.Read(tmp)
			if err != nil {
				return
			}
			buf = append(buf, tmp[:n]...)
			for {
				args, used, err := p.Next(buf)
				if err != nil {
					break
				}
				buf = buf[used:]
				if len(args) == 0 {
					continue
				}
				s := make([]string, len(args))
				for i, a := range args {
					s[i] = string(a)
				}
				reply := answer(s)
				if reply == "" {
					// Hang: read on, answer nothing.
					for {
						if _, err := c.Read(tmp); err != nil {
							return
						}
					}
				}
				c.Write([]byte(reply))
			}
		}
	})
}

func bulk(s string) string {
	return "$" + strconv.Itoa(len(s)) + "\r\n" + s + "\r\n"
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// infoField reads a field of INFO section from a server.
func infoField(t *testing.T, addr, section, field string) string {
	t.Helper()
	d, err := dialDoctor(addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	v, err := d.do("INFO", section)
	if err != nil {
		t.Fatal(err)
	}
	return parseInfo(v.Str)[field]
}
