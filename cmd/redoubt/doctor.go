package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// redoubt doctor HOST:PORT [HOST:PORT ...] [--json]
//
// Audits running servers, real Redis or Redoubt, for the settings and
// states behind the incidents of the project's catalogue, from what INFO,
// CONFIG GET and COMMAND INFO say. It only reads: no command it sends
// changes anything. Each finding names the incident, the evidence and the
// fix. The exit status is 0 when nothing was found at warning level or
// above, 1 when something was, 2 when a server could not be audited.

type finding struct {
	Host     string `json:"host"`
	Level    string `json:"level"` // info, warning, critical
	Incident string `json:"incident"`
	Title    string `json:"title"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
}

// doctorConn is a minimal RESP client: the tool must not depend on the
// server's packages beyond the protocol.
type doctorConn struct {
	c net.Conn
	r *bufio.Reader
}

func (d *doctorConn) do(args ...string) (protocol.Value, error) {
	d.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := d.c.Write(protocol.AppendCommand(nil, args...)); err != nil {
		return protocol.Value{}, err
	}
	return protocol.ReadValue(d.r)
}

func doctorMain(args []string, stdout, stderr io.Writer) int {
	asJSON := false
	var hosts []string
	for _, a := range args {
		switch a {
		case "--json":
			asJSON = true
		default:
			hosts = append(hosts, a)
		}
	}
	if len(hosts) == 0 {
		fmt.Fprintln(stderr, "Usage: redoubt doctor HOST:PORT [HOST:PORT ...] [--json]")
		return 2
	}
	var all []finding
	used := map[string]int64{}
	status := 0
	for _, h := range hosts {
		fs, mem, err := auditHost(h)
		if err != nil {
			fmt.Fprintf(stderr, "redoubt doctor: %s: %v\n", h, err)
			status = 2
			continue
		}
		used[h] = mem
		all = append(all, fs...)
	}
	all = append(all, memorySkew(used)...)
	for _, f := range all {
		if f.Level != "info" && status == 0 {
			status = 1
		}
	}
	if asJSON {
		if all == nil {
			all = []finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(all)
		return status
	}
	if len(all) == 0 {
		fmt.Fprintln(stdout, "No findings.")
	}
	for _, f := range all {
		fmt.Fprintf(stdout, "[%s] %s — incident %s: %s\n    evidence: %s\n    fix: %s\n", f.Level, f.Host, f.Incident, f.Title, f.Evidence, f.Fix)
	}
	return status
}

// auditHost returns a server's findings and its used memory.
func auditHost(host string) ([]finding, int64, error) {
	c, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	d := &doctorConn{c: c, r: bufio.NewReader(c)}
	v, err := d.do("INFO", "everything")
	if err != nil {
		return nil, 0, err
	}
	if err := v.Err(); err != nil {
		return nil, 0, err
	}
	info := parseInfo(v.Str)
	cfg := map[string]string{}
	if v, err := d.do("CONFIG", "GET", "*"); err == nil && v.Err() == nil {
		for i := 0; i+1 < len(v.Elems); i += 2 {
			cfg[v.Elems[i].Str] = v.Elems[i+1].Str
		}
	}
	var fs []finding
	add := func(level, incident, title, evidence, fix string) {
		fs = append(fs, finding{Host: host, Level: level, Incident: incident, Title: title, Evidence: evidence, Fix: fix})
	}
	num := func(m map[string]string, k string) int64 {
		n, _ := strconv.ParseInt(m[k], 10, 64)
		return n
	}

	// Incident 4: a script that loops.
	if t, ok := cfg["busy-reply-threshold"]; ok && t == "0" {
		add("warning", "4", "a looping script is never reported busy",
			"busy-reply-threshold is 0: other clients wait for a looping script forever instead of getting -BUSY, and SCRIPT KILL cannot be sent",
			"CONFIG SET busy-reply-threshold 5000")
	}
	if cfg["script-kill-rollback"] == "no" {
		add("warning", "4", "a script that wrote cannot be killed",
			"script-kill-rollback is no: SCRIPT KILL answers UNKILLABLE once a script wrote, and only SHUTDOWN NOSAVE ends it",
			"CONFIG SET script-kill-rollback yes")
	}
	// Incidents A and B: eviction that has nothing left to evict.
	policy := cfg["maxmemory-policy"]
	keys, expires := keyspaceTotals(info)
	if strings.HasPrefix(policy, "volatile-") && keys > 0 && expires*10 < keys {
		add("warning", "A/B", "a volatile-* policy with few keys it may evict",
			fmt.Sprintf("maxmemory-policy is %s but only %d of %d keys have a TTL: once memory is full, writes fail with OOM", policy, expires, keys),
			"give the keys TTLs, or use an allkeys-* policy")
	}
	if cfg["maxmemory"] == "0" {
		add("info", "6", "no memory limit",
			"maxmemory is 0: the server grows until the machine or the container kills it",
			"set maxmemory below the memory the server may use")
	}
	// Incident 6: fragmentation.
	if ratio, _ := strconv.ParseFloat(info["mem_fragmentation_ratio"], 64); ratio > 1.5 && num(info, "used_memory_rss") > 100<<20 {
		add("warning", "6", "memory fragmentation",
			fmt.Sprintf("mem_fragmentation_ratio %.2f: the process holds %s for %s of data", ratio, info["used_memory_rss_human"], info["used_memory_human"]),
			"enable activedefrag, or restart the node after a failover")
	}
	// Incident 7: commands that stall everyone.
	for _, name := range []string{"keys", "flushall", "flushdb", "debug"} {
		if v, err := d.do("COMMAND", "INFO", name); err == nil && len(v.Elems) == 1 && !v.Elems[0].Null {
			add("info", "7", "a command that can stall or wipe the server is enabled",
				strings.ToUpper(name)+" is available to clients",
				"rename-command "+strings.ToUpper(name)+` "" in the configuration (or restrict it with ACL) where clients need not run it`)
		}
	}
	// Incident 8: the connection budget.
	if max := num(cfg, "maxclients"); max > 0 && num(info, "connected_clients")*10 >= max*8 {
		add("warning", "8", "clients near maxclients",
			fmt.Sprintf("%s of %d connections are in use", info["connected_clients"], max),
			"find the clients that hold idle connections (CLIENT LIST, sort by idle) and pool them, or raise maxclients")
	}
	// Incident 8: connections left idle, by source.
	if v, err := d.do("CLIENT", "LIST"); err == nil && v.Err() == nil {
		if idle, total, top := idleClients(v.Str, 3600); idle > 0 {
			add("info", "8", "idle connections",
				fmt.Sprintf("%d of %d connections idle for an hour or more; most from %s", idle, total, top),
				"close or pool connections in those clients, or set timeout so the server closes idle ones")
		}
	}
	// Incident 9: persistence that fails.
	if info["rdb_last_bgsave_status"] == "err" {
		add("critical", "9", "the last background save failed",
			"rdb_last_bgsave_status:err; with stop-writes-on-bgsave-error, writes are refused with MISCONF",
			"read the server log for the cause (often a full disk) and fix it, then BGSAVE")
	}
	if info["aof_last_write_status"] == "err" || info["aof_last_bgrewrite_status"] == "err" {
		add("critical", "9", "the AOF cannot be written or rewritten",
			"aof_last_write_status:"+info["aof_last_write_status"]+", aof_last_bgrewrite_status:"+info["aof_last_bgrewrite_status"],
			"check free disk space in the data directory and the server log")
	}
	// Incident 10: the data directory's identity (Redoubt only).
	if cfg["datadir-guard"] == "no" {
		add("warning", "10", "the data directory guard is off",
			"datadir-guard is no: the server starts empty on a directory whose data vanished, and may save over another node's data",
			"CONFIG SET datadir-guard yes")
	}
	// Incident 5: split brain.
	if info["role"] == "master" && num(info, "connected_slaves") > 0 && num(cfg, "min-replicas-to-write") == 0 {
		add("warning", "5", "a primary that keeps accepting writes when cut off",
			fmt.Sprintf("%s replicas, min-replicas-to-write 0: a primary cut off from them goes on acknowledging writes that a failover loses", info["connected_slaves"]),
			"CONFIG SET min-replicas-to-write 1 and min-replicas-max-lag 10")
	}
	// Incident 2: a backlog too small for the write rate.
	if info["role"] == "master" && num(info, "connected_slaves") > 0 {
		before := num(info, "master_repl_offset")
		time.Sleep(time.Second)
		if v, err := d.do("INFO", "replication"); err == nil {
			rate := num(parseInfo(v.Str), "master_repl_offset") - before
			if backlog := num(cfg, "repl-backlog-size"); rate > 0 && backlog < rate*60 {
				add("warning", "2", "a replication backlog shorter than a minute of writes",
					fmt.Sprintf("%d bytes/s of writes, repl-backlog-size %d: a replica away for %ds needs a full resync", rate, backlog, backlog/rate),
					fmt.Sprintf("CONFIG SET repl-backlog-size %d", rate*300))
			}
		}
	}
	return fs, num(info, "used_memory"), nil
}

// memorySkew flags nodes whose memory differs much from the others'
// (incident A: one node full while the rest are not).
func memorySkew(used map[string]int64) []finding {
	if len(used) < 2 {
		return nil
	}
	hosts := make([]string, 0, len(used))
	for h := range used {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	var lo, hi string
	for _, h := range hosts {
		if lo == "" || used[h] < used[lo] {
			lo = h
		}
		if hi == "" || used[h] > used[hi] {
			hi = h
		}
	}
	if used[lo] > 0 && used[hi] > 2*used[lo] {
		return []finding{{Host: hi, Level: "warning", Incident: "A", Title: "memory skew across nodes",
			Evidence: fmt.Sprintf("%s uses %d bytes, %s %d: one node fills first", hi, used[hi], lo, used[lo]),
			Fix:      "look for big keys on the fuller node (redis-cli --bigkeys) and spread them, or use hash tags less"}}
	}
	return nil
}

// idleClients counts CLIENT LIST's clients idle at least minIdle seconds
// and names the sources (addresses without the port) with most of them.
func idleClients(list string, minIdle int64) (idle, total int, top string) {
	bySource := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(list), "\n") {
		if line == "" {
			continue
		}
		total++
		var addr string
		var secs int64
		for _, kv := range strings.Fields(line) {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "addr":
				addr = v
			case "idle":
				secs, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		if secs >= minIdle {
			idle++
			if h, _, err := net.SplitHostPort(addr); err == nil {
				addr = h
			}
			bySource[addr]++
		}
	}
	sources := make([]string, 0, len(bySource))
	for s := range bySource {
		sources = append(sources, s)
	}
	sort.Slice(sources, func(i, j int) bool {
		if bySource[sources[i]] != bySource[sources[j]] {
			return bySource[sources[i]] > bySource[sources[j]]
		}
		return sources[i] < sources[j]
	})
	var parts []string
	for i, s := range sources {
		if i == 3 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s (%d)", s, bySource[s]))
	}
	return idle, total, strings.Join(parts, ", ")
}

func parseInfo(s string) map[string]string {
	m := map[string]string{}
	for _, line := range strings.Split(s, "\n") {
		line = strings.TrimRight(line, "\r")
		if k, v, ok := strings.Cut(line, ":"); ok && !strings.HasPrefix(line, "#") {
			m[k] = v
		}
	}
	return m
}

// keyspaceTotals adds up INFO keyspace's dbN lines.
func keyspaceTotals(info map[string]string) (keys, expires int64) {
	for k, v := range info {
		if !strings.HasPrefix(k, "db") {
			continue
		}
		if _, err := strconv.Atoi(k[2:]); err != nil {
			continue
		}
		for _, kv := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(val, 10, 64)
			switch name {
			case "keys":
				keys += n
			case "expires":
				expires += n
			}
		}
	}
	return keys, expires
}
