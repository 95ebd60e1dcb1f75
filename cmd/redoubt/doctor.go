package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"
)

// redoubt doctor HOST:PORT [HOST:PORT ...] [options]
//
// Audits running servers, real Redis or Redoubt, for the settings and
// states behind the incidents of the project's catalogue, from what INFO,
// CONFIG GET and COMMAND INFO say, from a bounded sample of the keys
// (SCAN, TYPE, MEMORY USAGE, the *LEN commands, OBJECT FREQ), and, with
// --datadir, from the data directory on this machine. It only reads: no
// command it sends changes the data or the configuration. Each finding
// names the incident, the evidence and the fix.
//
// A check that could not run (a command refused by ACL or renamed, a
// server that stopped answering) is listed as "unchecked" with the
// reason; the report goes on with the other checks. Notes say what the
// audit could not see by its nature (hot keys under an LRU policy, the
// data directory without --datadir).
//
// The exit status is 2 when a server could not be audited (no
// connection, not a Redis server, no answer, or it stopped answering
// part-way), else 1 when a finding is at warning level or above, else 0.
// Refused commands alone do not make it 2: the report lists what they
// left unchecked.
//
// The checks are in doctor_*.go by family: doctor_settings.go (settings
// and counters), doctor_memory.go (eviction, OOM, memory), doctor_repl.go
// (replication), doctor_keys.go (the key sample, big keys),
// doctor_hotkeys.go (hot keys), doctor_datadir.go (the data directory);
// doctorconn.go is the client, termbar.go the progress bar.

const doctorUsage = `Usage: redoubt doctor HOST:PORT [HOST:PORT ...] [--json] [--sample N]
         [--sample-time DURATION] [--timeout DURATION] [--datadir PATH ...]

  --json               the findings as a JSON list
  --sample N           keys sampled per server for big and hot keys (default 10000; 0: none)
  --sample-time D      time budget of the key sample per server (default 10s)
  --timeout D          connect and per-reply timeout (default 5s)
  --datadir PATH       the data directory of a server, on this machine: the
                       first --datadir goes with the first HOST:PORT, the
                       second with the second, and so on ("" skips a host);
                       checks stale temporary files and the identity marker
`

// Level names, worst first. note and unchecked never change the exit
// status: they say what the audit did not see, not what it found.
const (
	levelCritical  = "critical"
	levelWarning   = "warning"
	levelInfo      = "info"
	levelUnchecked = "unchecked"
	levelNote      = "note"
)

var levelRank = map[string]int{levelCritical: 0, levelWarning: 1, levelInfo: 2, levelUnchecked: 3, levelNote: 4}

type finding struct {
	Host     string `json:"host"`
	Level    string `json:"level"` // critical, warning, info; unchecked, note
	Incident string `json:"incident"`
	Title    string `json:"title"`
	Evidence string `json:"evidence"`
	Fix      string `json:"fix"`
}

type doctorOptions struct {
	asJSON     bool
	hosts      []string
	datadirs   []string
	sample     int
	sampleTime time.Duration
	timeout    time.Duration
	// progress, when set, is where the key sample draws its progress
	// bar: standard error when it is a terminal and the output is not
	// JSON, so that a pipe or a log never gets carriage returns.
	progress io.Writer
}

func parseDoctorArgs(args []string) (*doctorOptions, error) {
	o := &doctorOptions{sample: 10000, sampleTime: 10 * time.Second, timeout: 5 * time.Second}
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(a, "=")
		if !strings.HasPrefix(a, "--") {
			o.hosts = append(o.hosts, a)
			continue
		}
		value := func() (string, error) {
			if hasVal {
				return val, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		var v string
		switch name {
		case "--json":
			o.asJSON = true
		case "--sample":
			if v, err = value(); err == nil {
				o.sample, err = strconv.Atoi(v)
				if err == nil && o.sample < 0 {
					err = fmt.Errorf("--sample %d: not a count", o.sample)
				}
			}
		case "--sample-time", "--timeout":
			if v, err = value(); err == nil {
				var d time.Duration
				if d, err = time.ParseDuration(v); err == nil && d <= 0 {
					err = fmt.Errorf("%s %s: not a positive duration", name, v)
				}
				if name == "--timeout" {
					o.timeout = d
				} else {
					o.sampleTime = d
				}
			}
		case "--datadir":
			if v, err = value(); err == nil {
				o.datadirs = append(o.datadirs, v)
			}
		default:
			err = fmt.Errorf("unknown option %s", a)
		}
		if err != nil {
			return nil, err
		}
	}
	if len(o.hosts) == 0 {
		return nil, fmt.Errorf("no server given")
	}
	if len(o.datadirs) > len(o.hosts) {
		return nil, fmt.Errorf("%d --datadir for %d servers: each --datadir goes with the server in the same position", len(o.datadirs), len(o.hosts))
	}
	return o, nil
}

func doctorMain(args []string, stdout, stderr io.Writer) int {
	o, err := parseDoctorArgs(args)
	if err != nil {
		fmt.Fprintf(stderr, "redoubt doctor: %v\n%s", err, doctorUsage)
		return 2
	}
	if f, ok := stderr.(*os.File); ok && !o.asJSON && isTerminal(f) {
		o.progress = stderr
	}
	var all []finding
	used := map[string]int64{}
	status, audited := 0, 0
	for i, h := range o.hosts {
		var dir string
		if i < len(o.datadirs) {
			dir = o.datadirs[i]
		}
		res := auditHost(h, dir, o)
		if res.failed != "" {
			fmt.Fprintf(stderr, "redoubt doctor: %s: %s\n", h, res.failed)
			status = 2
		}
		if !res.audited {
			all = append(all, finding{Host: h, Level: levelUnchecked, Incident: "-", Title: "the server could not be audited",
				Evidence: res.failed,
				Fix:      "check the address, that a Redis-compatible server listens there without TLS or a password, and that it answers within --timeout"})
			continue
		}
		audited++
		if res.usedMemory > 0 {
			used[h] = res.usedMemory
		}
		all = append(all, res.findings...)
	}
	all = append(all, memorySkew(used)...)
	if len(o.datadirs) == 0 && audited > 0 {
		all = append(all, finding{Level: levelNote, Incident: "9/10", Title: "the data directory was not checked",
			Evidence: "stale temporary files of interrupted saves and rewrites, free disk, and the data directory's identity cannot be seen over a connection",
			Fix:      "run the doctor on the server's machine with --datadir PATH (one per server, in the same order)"})
	}
	for _, f := range all {
		if levelRank[f.Level] <= levelRank[levelWarning] && status == 0 {
			status = 1
		}
	}
	sortFindings(all, o.hosts)
	if o.asJSON {
		if all == nil {
			all = []finding{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(all)
		return status
	}
	found := false
	for _, f := range all {
		found = found || levelRank[f.Level] <= levelRank[levelInfo]
	}
	if !found && status == 0 {
		fmt.Fprintln(stdout, "No findings.")
	}
	for _, f := range all {
		host := f.Host
		if host == "" {
			host = "all servers"
		}
		fmt.Fprintf(stdout, "[%s] %s — incident %s: %s\n    evidence: %s\n    fix: %s\n", f.Level, host, f.Incident, f.Title, f.Evidence, f.Fix)
	}
	return status
}

// sortFindings orders the report by server (as given; notes for all
// servers last), then worst first, keeping the checks' order otherwise.
func sortFindings(fs []finding, hosts []string) {
	pos := map[string]int{"": len(hosts)}
	for i, h := range hosts {
		if _, ok := pos[h]; !ok {
			pos[h] = i
		}
	}
	sort.SliceStable(fs, func(i, j int) bool {
		if pos[fs[i].Host] != pos[fs[j].Host] {
			return pos[fs[i].Host] < pos[fs[j].Host]
		}
		return levelRank[fs[i].Level] < levelRank[fs[j].Level]
	})
}

// human renders a byte count as Redis's *_human fields do.
func human(n int64) string {
	f := float64(n)
	for _, u := range []string{"B", "K", "M", "G", "T"} {
		if f < 1024 || u == "T" {
			if u == "B" {
				return fmt.Sprintf("%dB", n)
			}
			return fmt.Sprintf("%.2f%s", f, u)
		}
		f /= 1024
	}
	return ""
}

// duration renders seconds for a report: "45s", "12m", "3.5h", "2.1 days".
func duration(secs float64) string {
	switch {
	case secs < 120:
		return fmt.Sprintf("%.0fs", secs)
	case secs < 7200:
		return fmt.Sprintf("%.0fm", secs/60)
	case secs < 2*86400:
		return fmt.Sprintf("%.1fh", secs/3600)
	}
	return fmt.Sprintf("%.1f days", secs/86400)
}

// plural is "1 big key", "3 big keys".
func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}
