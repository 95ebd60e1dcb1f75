package server_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/protocol"
)

// The clients' memory INFO reports is a running total kept as buffers
// change: it grows with clients holding unread replies and comes back
// to where it was once they are gone.
func TestClientsMemoryTotal(t *testing.T) {
	addr := difftest.StartRedoubt(t)
	c := difftest.Dial(t, addr)
	c.Do("set", "big", strings.Repeat("x", 100000))
	base := infoInt(c, "memory", "mem_clients_normal")
	var conns []net.Conn
	for range 10 {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, nc)
		var b []byte
		for range 50 {
			b = protocol.AppendCommand(b, "GET", "big")
		}
		nc.Write(b) // the replies are never read
	}
	deadline := time.Now().Add(10 * time.Second)
	for infoInt(c, "memory", "mem_clients_normal") < base+10*1_000_000 {
		if time.Now().After(deadline) {
			t.Fatalf("mem_clients_normal %d with 10 clients holding 5 MB of replies each (base %d)", infoInt(c, "memory", "mem_clients_normal"), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, nc := range conns {
		nc.Close()
	}
	for infoInt(c, "memory", "mem_clients_normal") > base+64<<10 {
		if time.Now().After(deadline) {
			t.Fatalf("mem_clients_normal %d after the clients left (base %d)", infoInt(c, "memory", "mem_clients_normal"), base)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
