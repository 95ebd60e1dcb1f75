package server_test

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// A script that loops, sent by a TLS client or a plain one: the other
// TLS clients are answered -BUSY while it runs (served by the script's
// own loop, or run inside the script by engine.Do for the loop that
// read them), a TLS client that connects meanwhile too; SCRIPT KILL
// from a TLS client ends it, and the caller then gets the script's
// error and the reply of the command it pipelined after it.
func TestBusyScriptOverTLS(t *testing.T) {
	certs := newTestCerts(t)
	port := difftest.FreePort(t)
	srv, _ := startTLS(t, certs.settings(port, "tls-auth-clients no", "busy-reply-threshold 10"))
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := certs.clientConfig(t, "", "")
	for _, callerTLS := range []bool{true, false} {
		t.Run("caller tls "+strconv.FormatBool(callerTLS), func(t *testing.T) {
			caller := dialRaw(t, srv.Addr(), nil)
			if callerTLS {
				caller = dialRaw(t, addr, cfg)
			}
			other := dialRaw(t, addr, cfg)
			caller.send("EVAL", "while 1 do redis.call('ping') end", "0")
			caller.send("PING")
			for {
				v := other.do("PING")
				if v.Type == '-' && strings.HasPrefix(v.Str, "BUSY") {
					break
				}
				if v.Str != "PONG" {
					t.Fatalf("PING beside the script: %+v", v)
				}
			}
			late := dialRaw(t, addr, cfg)
			if v := late.do("GET", "k"); !strings.HasPrefix(v.Str, "BUSY") {
				t.Fatalf("a TLS client connected during the script: %+v", v)
			}
			if v := other.do("SCRIPT", "KILL"); v.Str != "OK" {
				t.Fatalf("SCRIPT KILL: %+v", v)
			}
			if v := caller.read(); v.Type != '-' || !strings.Contains(v.Str, "killed by user") {
				t.Fatalf("the script's reply: %+v", v)
			}
			if v := caller.read(); v.Str != "PONG" {
				t.Fatalf("the PING after the script: %+v", v)
			}
			if v := late.do("PING"); v.Str != "PONG" {
				t.Fatalf("PING after the script: %+v", v)
			}
		})
	}
}

// TestBusyScriptsUnderLoad over TLS, a plain client beside: scripts that
// loop until killed, kills, short scripts and new TLS connections (whose
// first command may come with the handshake's end); every command gets
// a reply, and the counters the scripts keep only move by whole
// scripts.
func TestBusyScriptsUnderLoadOverTLS(t *testing.T) {
	certs := newTestCerts(t)
	port := difftest.FreePort(t)
	srv, _ := startTLS(t, certs.settings(port, "tls-auth-clients no", "busy-reply-threshold 20", "io-threads 2"))
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cfg := certs.clientConfig(t, "", "")
	done := make(chan struct{})
	errs := make(chan string, 16)
	var wg sync.WaitGroup
	for w := range 5 {
		// Dialled here: t.Fatal belongs to the test's goroutine.
		c := dialRaw(t, addr, cfg)
		if w == 4 {
			c = dialRaw(t, srv.Addr(), nil)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				var cmd []string
				switch {
				case w == 0 && i%20 == 0:
					cmd = []string{"EVAL", "redis.call('incrby', 'a', 1) redis.call('incrby', 'b', 1) while true do end", "0"}
				case w == 1:
					cmd = []string{"SCRIPT", "KILL"}
				case w == 3 && i%10 == 0:
					// New TLS connections are accepted during a busy script.
					n, err := tls.Dial("tcp", addr, cfg)
					if err != nil {
						errs <- err.Error()
						return
					}
					_, err = n.Write(protocol.AppendCommand(nil, "PING"))
					if err == nil {
						_, err = protocol.ReadValue(bufio.NewReader(n))
					}
					n.Close()
					if err != nil {
						errs <- "a new connection: " + err.Error()
						return
					}
					continue
				default:
					cmd = []string{"EVAL", "redis.call('incrby', 'a', 1) return redis.call('incrby', 'b', 1)", "0"}
				}
				c.conn.SetDeadline(time.Now().Add(time.Minute)) // only against a hang
				if _, err := c.conn.Write(protocol.AppendCommand(nil, cmd...)); err != nil {
					errs <- err.Error()
					return
				}
				if _, err := protocol.ReadValue(c.r); err != nil {
					errs <- fmt.Sprintf("%q: %v", cmd, err)
					return
				}
			}
		}()
	}
	time.Sleep(time.Second)
	close(done)
	// The looping script may still run: kill it until it is gone.
	c := dialRaw(t, addr, cfg)
	for v := c.do("SCRIPT", "KILL"); v.Str == "OK"; v = c.do("SCRIPT", "KILL") {
		time.Sleep(10 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	if a, b := c.do("GET", "a"), c.do("GET", "b"); a.Str != b.Str {
		t.Errorf("a %q and b %q differ: a script was cut in half", a.Str, b.Str)
	}
}
