package main

import (
	"fmt"
	"strconv"
	"strings"
)

// The replication checks (incident 2): a backlog too small for the write
// rate, and replicas whose lag approaches what the backlog holds. A
// replica that reconnects with an offset the backlog no longer holds
// needs a full resync; when every replica needs one at once, the primary
// drowns in snapshots (the resync storm).

// replicaLine is one of INFO replication's slaveN lines.
type replicaLine struct {
	name   string // ip:port
	state  string
	offset int64 // the last offset the replica acknowledged
	lag    int64 // seconds since its last acknowledgement
}

// parseReplicas reads INFO replication's slaveN lines, in order.
func parseReplicas(info map[string]string) []replicaLine {
	var out []replicaLine
	for i := 0; ; i++ {
		line, ok := info["slave"+strconv.Itoa(i)]
		if !ok {
			return out
		}
		var r replicaLine
		var ip, port string
		for _, kv := range strings.Split(line, ",") {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "ip":
				ip = v
			case "port":
				port = v
			case "state":
				r.state = v
			case "offset":
				r.offset, _ = strconv.ParseInt(v, 10, 64)
			case "lag":
				r.lag, _ = strconv.ParseInt(v, 10, 64)
			}
		}
		r.name = ip + ":" + port
		out = append(out, r)
	}
}

// replState is what the replication checks read from a primary.
type replState struct {
	offset    int64   // master_repl_offset
	firstByte int64   // repl_backlog_first_byte_offset
	backlog   int64   // the backlog's size now (INFO repl_backlog_size)
	rate      float64 // bytes/s of the replication stream; 0 when unknown
	rateHow   string  // how the rate was measured
	replicas  []replicaLine
}

// replFinding is a finding without its host.
type replFinding struct{ level, title, evidence, fix string }

// replicationFindings is the arithmetic of the checks, apart from how the
// numbers were read.
func replicationFindings(s replState) []replFinding {
	var out []replFinding
	// A backlog size that is at least a few minutes of writes, and at
	// least twice the worst gap seen, for the fix.
	suggest := func(gap int64) int64 {
		return max(int64(s.rate*300), 2*gap, s.backlog)
	}
	covers := 0.0
	if s.rate > 0 {
		covers = float64(s.backlog) / s.rate
		if s.backlog < int64(s.rate*60) {
			out = append(out, replFinding{levelWarning, "a replication backlog shorter than a minute of writes",
				fmt.Sprintf("%.0f bytes/s of writes (%s), a backlog of %d bytes: a replica away for %.0fs needs a full resync", s.rate, s.rateHow, s.backlog, covers),
				fmt.Sprintf("CONFIG SET repl-backlog-size %d", suggest(0))})
		}
	}
	for _, r := range s.replicas {
		if r.state != "online" {
			out = append(out, replFinding{levelInfo, "a replica in a full resync",
				fmt.Sprintf("replica %s is in state %s: it is loading a full copy of the data set", r.name, r.state),
				"if replicas resync again and again, enlarge repl-backlog-size and look for what cuts their links (timeouts, client-output-buffer-limit replica)"})
			continue
		}
		gap := s.offset - r.offset
		switch {
		case gap > 0 && r.offset+1 < s.firstByte:
			// The replica resumes at offset+1: the backlog no longer
			// holds that byte.
			out = append(out, replFinding{levelCritical, "a replica behind what the backlog holds",
				fmt.Sprintf("replica %s acknowledged offset %d, %d bytes behind the primary's %d; the backlog (%d bytes) starts at %d: if its link drops now, it needs a full resync", r.name, r.offset, gap, s.offset, s.backlog, s.firstByte),
				fmt.Sprintf("find why the replica lags (its disk, its network, a slow command on it); CONFIG SET repl-backlog-size %d", suggest(gap))})
		case gap*2 >= s.backlog && gap > 0:
			out = append(out, replFinding{levelWarning, "a replica's lag approaches the backlog",
				fmt.Sprintf("replica %s is %d bytes behind (acknowledged %d, primary at %d): %d%% of the %d-byte backlog", r.name, gap, r.offset, s.offset, gap*100/max(s.backlog, 1), s.backlog),
				fmt.Sprintf("find why the replica lags; CONFIG SET repl-backlog-size %d", suggest(gap))})
		case covers > 0 && r.lag >= 2 && float64(r.lag)*2 >= covers:
			out = append(out, replFinding{levelWarning, "a replica silent for most of what the backlog covers",
				fmt.Sprintf("replica %s last acknowledged %ds ago; at %.0f bytes/s (%s) the backlog covers %.0fs", r.name, r.lag, s.rate, s.rateHow, covers),
				fmt.Sprintf("look at the replica (stalled, or its link broken); CONFIG SET repl-backlog-size %d", suggest(int64(float64(r.lag)*s.rate)))})
		}
	}
	return out
}

// checkReplication: incident 2 on a primary with replicas.
func checkReplication(a *audit) {
	if a.info == nil || a.info["role"] != "master" || a.num("connected_slaves") == 0 {
		return
	}
	latest := a.info
	if a.info2 != nil {
		latest = a.info2
	}
	s := replState{
		offset:    infoNum(latest, "master_repl_offset"),
		firstByte: infoNum(latest, "repl_backlog_first_byte_offset"),
		backlog:   infoNum(latest, "repl_backlog_size"),
		replicas:  parseReplicas(latest),
	}
	if s.backlog == 0 {
		s.backlog, _ = a.settingInt("repl-backlog-size")
	}
	if a.info2 != nil && a.secs > 0 {
		s.rate = float64(infoNum(a.info2, "master_repl_offset")-a.num("master_repl_offset")) / a.secs
		s.rateHow = fmt.Sprintf("master_repl_offset over %.1fs", a.secs)
	}
	if s.rate <= 0 {
		// Without a second sample (or with no write in that second),
		// the server's own estimate of the stream to its replicas.
		if kbps := infoFloat(latest, "instantaneous_output_repl_kbps"); kbps > 0 {
			s.rate = kbps * 1024 / float64(max(a.num("connected_slaves"), 1))
			s.rateHow = "instantaneous_output_repl_kbps"
		}
	}
	for _, f := range replicationFindings(s) {
		a.add(f.level, "2", f.title, f.evidence, f.fix)
	}
}
