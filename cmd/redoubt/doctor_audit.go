package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/protocol"
)

// audit is one server's audit: what was read from it, and what was found.
type audit struct {
	host string
	dir  string // --datadir for this server, "" if none
	opt  *doctorOptions
	c    *doctorConn

	// info is INFO everything; nil when INFO was refused (infoErr).
	info    map[string]string
	infoErr string
	// info2 is a second INFO taken a moment later, for rates (replication
	// stream, memory growth, evictions); nil when not needed or refused.
	// secs is the time between the two.
	info2 map[string]string
	secs  float64
	// guard is Redoubt's INFO guardrails section; nil on Redis.
	guard map[string]string
	// cfg is CONFIG GET *; nil when CONFIG was refused (cfgErr).
	cfg    map[string]string
	cfgErr string

	findings []finding
	// failed says why the server could not be audited, in full or at
	// all ("" when it could): the exit status is then 2.
	failed string
}

type auditResult struct {
	findings   []finding
	usedMemory int64
	// audited is false when nothing could be checked; failed says why
	// the audit failed, wholly or in part.
	audited bool
	failed  string
}

func (a *audit) add(level, incident, title, evidence, fix string) {
	a.findings = append(a.findings, finding{Host: a.host, Level: level, Incident: incident, Title: title, Evidence: evidence, Fix: fix})
}

// unchecked records a check that could not run, with why.
func (a *audit) unchecked(incident, what, why string) {
	a.add(levelUnchecked, incident, what+" not checked", why,
		"allow the doctor's connection to run the command (ACL: +@read +info +config|get +command|info +memory|usage +object|freq +client|list; or undo its rename-command), then run the doctor again")
}

// doctorCheck is one family of checks. local checks read only what was
// gathered and the local disk, so they run even after the connection
// failed.
type doctorCheck struct {
	name  string
	local bool
	run   func(*audit)
}

var doctorChecks = []doctorCheck{
	{name: "scripts (4)", run: checkScripts},
	{name: "eviction and TTLs (A/B)", local: true, run: checkEvictionTTLs},
	{name: "time to OOM (B)", local: true, run: checkOOMForecast},
	{name: "memory (6)", local: true, run: checkMemory},
	{name: "commands that stall (7)", run: checkCommands},
	{name: "connections (8)", run: checkClients},
	{name: "persistence (9)", local: true, run: checkPersistence},
	{name: "data directory guard (10)", local: true, run: checkGuard},
	{name: "split brain (5)", local: true, run: checkMinReplicas},
	{name: "replication backlog and lag (2)", local: true, run: checkReplication},
	{name: "big and hot keys (1, 3)", run: checkKeys},
	{name: "data directory (9, 10)", local: true, run: checkDatadir},
}

// auditHost connects to host, gathers INFO and CONFIG, and runs the
// checks. Every failure ends up in the result, never as a panic or an
// early return without a word: a partial audit is still a report.
func auditHost(host, dir string, o *doctorOptions) auditResult {
	a := &audit{host: host, dir: dir, opt: o}
	c, err := dialDoctor(host, o.timeout)
	if err != nil {
		return auditResult{failed: err.Error()}
	}
	defer c.Close()
	a.c = c
	if !a.gather() {
		return auditResult{failed: a.failed, findings: a.findings}
	}
	var notRun []string
	for _, ch := range doctorChecks {
		if c.err != nil && !ch.local {
			notRun = append(notRun, ch.name)
			continue
		}
		a.runCheck(ch)
	}
	if c.err != nil {
		a.failed = "the server stopped answering: " + c.err.Error()
		evidence := c.err.Error() + "; the check running then is incomplete"
		if len(notRun) > 0 {
			evidence += "; not run: " + strings.Join(notRun, ", ")
		}
		a.add(levelUnchecked, "-", "the audit is partial: the server stopped answering", evidence,
			"look at why the server stalls (SLOWLOG GET, LATENCY DOCTOR, its log) or raise --timeout, and run the doctor again")
	}
	return auditResult{findings: a.findings, usedMemory: a.num("used_memory"), audited: true, failed: a.failed}
}

// runCheck runs a check. A reply no check expected must not cost the
// report of the other checks and servers: a panic is turned into an
// unchecked entry.
func (a *audit) runCheck(ch doctorCheck) {
	defer func() {
		if p := recover(); p != nil {
			a.add(levelUnchecked, "-", ch.name+" failed",
				fmt.Sprintf("the doctor failed in this check: %v", p),
				"a bug of the doctor: report it with the server's INFO server section")
		}
	}()
	ch.run(a)
}

// gather reads INFO, CONFIG GET * and Redoubt's INFO guardrails, and a
// second INFO a second later when a check needs a rate. It returns false
// when nothing can be audited.
func (a *audit) gather() bool {
	v, err := a.c.do("INFO", "everything")
	if err != nil {
		a.failed = err.Error()
		return false
	}
	if e := v.Err(); e != nil {
		a.infoErr = "INFO refused: " + e.Error()
	} else if v.Type != '$' && v.Type != '=' {
		// A RESP-speaking server that is not Redis answers INFO with
		// something other than text.
		a.failed = fmt.Sprintf("not a Redis server: INFO answered %s", clip(v.String(), 60))
		return false
	} else {
		a.info = parseInfo(v.Str)
		if a.info["redis_version"] == "" {
			a.failed = "not a Redis server: INFO has no redis_version"
			return false
		}
	}
	v, err = a.c.do("CONFIG", "GET", "*")
	switch {
	case err != nil:
		// INFO answered: what it said is still audited, and the end
		// of the report says the audit is partial.
		a.cfgErr = "CONFIG GET: " + err.Error()
	case v.Err() != nil:
		a.cfgErr = "CONFIG GET refused: " + v.Err().Error()
	default:
		a.cfg = map[string]string{}
		for i := 0; i+1 < len(v.Elems); i += 2 {
			a.cfg[v.Elems[i].Str] = v.Elems[i+1].Str
		}
	}
	if a.info == nil && a.cfg == nil {
		a.failed = "nothing could be audited: " + a.infoErr + "; " + a.cfgErr
		return false
	}
	if a.info == nil {
		a.unchecked("-", "everything INFO tells (memory, persistence, replication, keyspace, clients)", a.infoErr)
	}
	if a.cfg == nil {
		a.unchecked("-", "the settings INFO does not show (busy-reply-threshold, script-kill-rollback, datadir-guard, min-replicas-*)", a.cfgErr)
	}
	// Redoubt's own section: Redis answers an unknown section with an
	// empty text.
	if v, err := a.c.do("INFO", "guardrails"); err == nil && v.Err() == nil && strings.Contains(v.Str, "# Guardrails") {
		a.guard = parseInfo(v.Str)
	}
	if a.info != nil && a.needsRates() {
		t0 := time.Now()
		time.Sleep(time.Second)
		if v, err := a.c.do("INFO"); err == nil && v.Err() == nil {
			a.info2 = parseInfo(v.Str)
			a.secs = time.Since(t0).Seconds()
		}
	}
	return true
}

// needsRates says whether a check needs a second INFO: a primary with
// replicas (the replication stream's rate) or a volatile-* policy under
// a memory limit (memory growth and evictions).
func (a *audit) needsRates() bool {
	if a.info["role"] == "master" && a.num("connected_slaves") > 0 {
		return true
	}
	policy, _ := a.setting("maxmemory-policy")
	max, _ := a.settingInt("maxmemory")
	return strings.HasPrefix(policy, "volatile-") && max > 0
}

// infoFallback names, for settings that INFO also shows, the INFO field:
// a server whose CONFIG is renamed or refused is still audited on them.
var infoFallback = map[string]string{
	"maxmemory":         "maxmemory",
	"maxmemory-policy":  "maxmemory_policy",
	"maxclients":        "maxclients",
	"repl-backlog-size": "repl_backlog_size",
}

// setting is a configuration value, from CONFIG GET or else from INFO.
func (a *audit) setting(name string) (string, bool) {
	if a.cfg != nil {
		v, ok := a.cfg[name]
		return v, ok
	}
	if f, ok := infoFallback[name]; ok && a.info != nil {
		v, ok := a.info[f]
		return v, ok
	}
	return "", false
}

func (a *audit) settingInt(name string) (int64, bool) {
	v, ok := a.setting(name)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// num is an integer field of INFO (0 when absent).
func (a *audit) num(k string) int64 { return infoNum(a.info, k) }

func infoNum(m map[string]string, k string) int64 {
	n, _ := strconv.ParseInt(m[k], 10, 64)
	return n
}

func infoFloat(m map[string]string, k string) float64 {
	f, _ := strconv.ParseFloat(m[k], 64)
	return f
}

// isRedoubt says whether the server is Redoubt: it has the guardrails.
func (a *audit) isRedoubt() bool { return a.guard != nil }

// selectDB switches the connection's database for the key checks.
func (a *audit) selectDB(db int) error {
	v, err := a.c.do("SELECT", strconv.Itoa(db))
	if err != nil {
		return err
	}
	return v.Err()
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
	for _, db := range keyspaceDBs(info) {
		keys += db.keys
		expires += db.expires
	}
	return keys, expires
}

type dbCount struct {
	db            int
	keys, expires int64
}

// keyspaceDBs lists INFO keyspace's databases, in order.
func keyspaceDBs(info map[string]string) []dbCount {
	var out []dbCount
	for k, v := range info {
		if !strings.HasPrefix(k, "db") {
			continue
		}
		id, err := strconv.Atoi(k[2:])
		if err != nil {
			continue
		}
		d := dbCount{db: id}
		for _, kv := range strings.Split(v, ",") {
			name, val, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(val, 10, 64)
			switch name {
			case "keys":
				d.keys = n
			case "expires":
				d.expires = n
			}
		}
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].db < out[j].db })
	return out
}

func clip(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// errText is an error reply's text, or a connection error's.
func errText(v protocol.Value, err error) string {
	if err != nil {
		return err.Error()
	}
	if e := v.Err(); e != nil {
		return e.Error()
	}
	return ""
}
