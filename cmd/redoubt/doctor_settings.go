package main

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
)

// The checks of settings and counters: scripts (4), commands that stall
// or wipe (7), connections (8), persistence (9), the data directory guard
// (10), split brain (5).

// checkScripts: incident 4, a script that loops.
func checkScripts(a *audit) {
	if a.cfg == nil {
		a.unchecked("4", "busy-reply-threshold and script-kill-rollback", a.cfgErr)
		return
	}
	// Redis 6 knows the setting by its old name only.
	t, ok := a.cfg["busy-reply-threshold"]
	if !ok {
		t, ok = a.cfg["lua-time-limit"]
	}
	if ok && t == "0" {
		a.add(levelWarning, "4", "a looping script is never reported busy",
			"busy-reply-threshold is 0: other clients wait for a looping script forever instead of getting -BUSY, and SCRIPT KILL cannot be sent",
			"CONFIG SET busy-reply-threshold 5000")
	}
	if a.cfg["script-kill-rollback"] == "no" {
		a.add(levelWarning, "4", "a script that wrote cannot be killed",
			"script-kill-rollback is no: SCRIPT KILL answers UNKILLABLE once a script wrote, and only SHUTDOWN NOSAVE ends it",
			"CONFIG SET script-kill-rollback yes")
	}
}

// checkCommands: incident 7, commands that stall everyone or wipe the
// data, available to every client.
func checkCommands(a *audit) {
	var enabled []string
	for _, name := range []string{"KEYS", "FLUSHALL", "FLUSHDB", "DEBUG"} {
		v, err := a.c.do("COMMAND", "INFO", name)
		if why := errText(v, err); why != "" {
			a.unchecked("7", "whether KEYS, FLUSHALL, FLUSHDB and DEBUG are enabled", "COMMAND INFO: "+why)
			return
		}
		// A renamed or disabled command is unknown to COMMAND INFO
		// under its name: a null entry.
		if len(v.Elems) == 1 && !v.Elems[0].Null {
			enabled = append(enabled, name)
		}
	}
	if len(enabled) > 0 {
		renames := make([]string, len(enabled))
		for i, n := range enabled {
			renames[i] = "rename-command " + n + ` ""`
		}
		a.add(levelInfo, "7", "commands that can stall or wipe the server are enabled",
			strings.Join(enabled, ", ")+" available to every client",
			strings.Join(renames, ", ")+" in the configuration (or restrict them with ACL) where clients need not run them")
	}
	// Redoubt counts the KEYS commands that held the server.
	if n := infoNum(a.guard, "slow_keys_commands"); n > 0 {
		a.add(levelWarning, "7", "KEYS held the server",
			fmt.Sprintf("%d KEYS commands held every client past the threshold; the last: %s", n, a.guard["last_slow_keys"]),
			"replace KEYS with SCAN in the client named, and rename KEYS away")
	}
}

// checkClients: incident 8, the connection budget.
func checkClients(a *audit) {
	if max, ok := a.settingInt("maxclients"); ok && max > 0 && a.info != nil && a.num("connected_clients")*10 >= max*8 {
		a.add(levelWarning, "8", "clients near maxclients",
			fmt.Sprintf("%s of %d connections are in use", a.info["connected_clients"], max),
			"find the clients that hold idle connections (CLIENT LIST, sort by idle) and pool them, or raise maxclients")
	}
	v, err := a.c.do("CLIENT", "LIST")
	if why := errText(v, err); why != "" {
		a.unchecked("8", "idle connections", "CLIENT LIST: "+why)
		return
	}
	if idle, total, top := idleClients(v.Str, 3600); idle > 0 {
		a.add(levelInfo, "8", "idle connections",
			fmt.Sprintf("%d of %d connections idle for an hour or more; most from %s", idle, total, top),
			"close or pool connections in those clients, or set timeout so the server closes idle ones")
	}
}

// checkPersistence: incident 9, saves and AOF writes that fail.
func checkPersistence(a *audit) {
	if a.info == nil {
		return // said once by gather
	}
	if a.info["rdb_last_bgsave_status"] == "err" {
		a.add(levelCritical, "9", "the last background save failed",
			"rdb_last_bgsave_status:err; with stop-writes-on-bgsave-error, writes are refused with MISCONF",
			"read the server log for the cause (often a full disk) and fix it, then BGSAVE")
	}
	if a.info["aof_last_write_status"] == "err" || a.info["aof_last_bgrewrite_status"] == "err" {
		a.add(levelCritical, "9", "the AOF cannot be written or rewritten",
			"aof_last_write_status:"+a.info["aof_last_write_status"]+", aof_last_bgrewrite_status:"+a.info["aof_last_bgrewrite_status"],
			"check free disk space in the data directory and the server log")
	}
}

// checkGuard: incident 10, Redoubt's data directory guard switched off.
func checkGuard(a *audit) {
	if a.cfg == nil {
		if a.isRedoubt() {
			a.unchecked("10", "datadir-guard", a.cfgErr)
		}
		return
	}
	if a.cfg["datadir-guard"] == "no" {
		a.add(levelWarning, "10", "the data directory guard is off",
			"datadir-guard is no: the server starts empty on a directory whose data vanished, and may save over another node's data",
			"CONFIG SET datadir-guard yes")
	}
}

// checkMinReplicas: incident 5, a primary that goes on acknowledging
// writes when cut off from its replicas.
func checkMinReplicas(a *audit) {
	if a.info == nil || a.info["role"] != "master" || a.num("connected_slaves") == 0 {
		return
	}
	// Redis applies min-replicas-to-write only when min-replicas-max-lag
	// is set too; INFO shows min_slaves_good_slaves exactly then, which
	// answers without CONFIG.
	on := a.info["min_slaves_good_slaves"] != ""
	if a.cfg != nil {
		to, _ := strconv.Atoi(a.cfg["min-replicas-to-write"])
		lag, _ := strconv.Atoi(a.cfg["min-replicas-max-lag"])
		on = to > 0 && lag > 0
	}
	if !on {
		a.add(levelWarning, "5", "a primary that keeps accepting writes when cut off",
			fmt.Sprintf("%s replicas, min-replicas-to-write 0 (or min-replicas-max-lag 0): a primary cut off from them goes on acknowledging writes that a failover loses", a.info["connected_slaves"]),
			"CONFIG SET min-replicas-to-write 1 and min-replicas-max-lag 10")
	}
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
