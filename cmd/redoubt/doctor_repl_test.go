//go:build unix

package main

import (
	"net"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redoubt-db/redoubt/internal/difftest"
	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Incident 2: a replica that stopped acknowledging (SIGSTOP, as a
// replica stalled on its disk would) while its primary writes more than
// the backlog holds needs a full resync if its link drops: the doctor on
// the primary says so, for a Redis primary and a Redoubt one, each with
// a real redis-server as the replica.
func TestDoctorReplicaLag(t *testing.T) {
	redis, log := refredis.Start(t, t.TempDir(), "repl-backlog-size 16kb", "repl-diskless-sync-delay 0")
	if redis == nil {
		t.Fatal(log)
	}
	// An explicit repl-backlog-size: Redoubt then keeps that size, as
	// Redis does, instead of growing the backlog to cover a window.
	redoubt := difftest.StartRedoubt(t, "repl-backlog-size 16kb")
	for _, c := range []struct{ name, addr string }{{"Redis", redis.Addr()}, {"Redoubt", redoubt}} {
		host, port, _ := net.SplitHostPort(c.addr)
		replica, log := refredis.Start(t, t.TempDir(), "replicaof "+host+" "+port)
		if replica == nil {
			t.Fatal(log)
		}
		deadline := time.Now().Add(20 * time.Second)
		for !strings.Contains(infoField(t, c.addr, "replication", "slave0"), "state=online") ||
			infoField(t, replica.Addr(), "replication", "master_link_status") != "up" {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the replica did not come online", c.name)
			}
			time.Sleep(50 * time.Millisecond)
		}
		pid, _ := strconv.Atoi(infoField(t, replica.Addr(), "server", "process_id"))
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { syscall.Kill(pid, syscall.SIGCONT) })
		value := strings.Repeat("v", 1024)
		for i := range 200 {
			pipelineCommand(t, c.addr, 1, "SET", "k"+strconv.Itoa(i), value)
		}
		r := runDoctor(t, c.addr, "--json", "--sample", "0")
		// Critical once the backlog no longer holds the replica's next
		// byte. Redis 7.0 keeps the blocks a connected replica has not
		// been sent yet in its backlog beyond repl-backlog-size, so
		// until the stalled replica's socket took them (its kernel
		// buffers, which a loaded machine fills later) the backlog
		// still covers it and the finding is the warning that the lag
		// passed the backlog's size.
		var lag []finding
		for _, f := range r.with("2", levelCritical, levelWarning) {
			if strings.HasPrefix(f.Title, "a replica") && !strings.HasPrefix(f.Title, "a replication") {
				lag = append(lag, f)
			}
		}
		if r.code != 1 || len(lag) != 1 {
			t.Fatalf("%s: %s", c.name, r)
		}
		mustContain(t, c.name+"'s lag finding", lag[0].Evidence, "replica 127.0.0.1:"+strings.TrimPrefix(replica.Addr(), "127.0.0.1:"), "bytes behind")
		if len(r.with("5", levelWarning)) != 1 {
			t.Errorf("%s: no min-replicas-to-write finding: %s", c.name, r)
		}
		syscall.Kill(pid, syscall.SIGCONT)
	}
}

// The arithmetic of the replication checks.
func TestReplicationFindings(t *testing.T) {
	online := func(off, lag int64) replicaLine {
		return replicaLine{name: "10.0.0.2:6379", state: "online", offset: off, lag: lag}
	}
	titles := func(fs []replFinding) string {
		var s []string
		for _, f := range fs {
			s = append(s, f.level+": "+f.title)
		}
		return strings.Join(s, "; ")
	}
	for _, c := range []struct {
		name string
		s    replState
		want string
	}{
		{"healthy", replState{offset: 10000, firstByte: 1, backlog: 1 << 20, rate: 1000, replicas: []replicaLine{online(9990, 0)}}, ""},
		{"backlog of 10s of writes", replState{offset: 10000, firstByte: 1, backlog: 10000, rate: 1000, replicas: []replicaLine{online(10000, 0)}},
			"warning: a replication backlog shorter than a minute of writes"},
		{"lost", replState{offset: 100000, firstByte: 80000, backlog: 20000, replicas: []replicaLine{online(50000, 3)}},
			"critical: a replica behind what the backlog holds"},
		{"approaching", replState{offset: 100000, firstByte: 80000, backlog: 20000, replicas: []replicaLine{online(88000, 0)}},
			"warning: a replica's lag approaches the backlog"},
		{"silent", replState{offset: 100000, firstByte: 1, backlog: 1 << 20, rate: 10000, replicas: []replicaLine{online(100000, 60)}},
			"warning: a replica silent for most of what the backlog covers"},
		{"silent briefly", replState{offset: 100000, firstByte: 1, backlog: 1 << 20, rate: 10000, replicas: []replicaLine{online(100000, 1)}}, ""},
		{"resyncing", replState{offset: 100, firstByte: 1, backlog: 1 << 20, replicas: []replicaLine{{name: "r:1", state: "wait_bgsave"}}},
			"info: a replica in a full resync"},
	} {
		if got := titles(replicationFindings(c.s)); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}
	rs := parseReplicas(parseInfo("slave0:ip=10.0.0.2,port=6380,state=online,offset=123,lag=4\r\nslave1:ip=::1,port=6381,state=send_bulk,offset=0,lag=0\r\n"))
	if len(rs) != 2 || rs[0].name != "10.0.0.2:6380" || rs[0].offset != 123 || rs[0].lag != 4 || rs[1].state != "send_bulk" {
		t.Errorf("parseReplicas: %+v", rs)
	}
}
