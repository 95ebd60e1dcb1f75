// Package config is the server's configuration: the table of parameters
// with Redis 7's names, types, bounds and defaults, the redis.conf parser,
// and the operations behind CONFIG GET, SET and REWRITE.
//
// Every parameter binds a name to a typed field of Values (or, for the
// parameters Redoubt accepts only for compatibility, to a validated value
// kept by name). Parsing and validation are pure; changes that must reach
// the running server (a new port, a new maxmemory) go through apply
// functions that the server registers, so CONFIG SET of several
// parameters either applies all of them or restores all of them.
package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/protocol"
)

// Flags qualify a parameter.
type Flags uint16

// Parameter flags, as Redis has them.
const (
	// Immutable parameters are set at start-up only.
	Immutable Flags = 1 << iota
	// Sensitive values are redacted from logs, SLOWLOG and MONITOR.
	Sensitive
	// Protected parameters change only with enable-protected-configs.
	Protected
	// DenyLoading parameters cannot change while loading a dataset.
	DenyLoading
	// MultiArg parameters take several words (save, bind, ...).
	MultiArg
	// Hidden parameters are not listed by CONFIG GET *.
	Hidden
)

// Param is one configuration parameter.
type Param struct {
	Name  string
	Alias string
	Flags Flags
	// get renders the current value as CONFIG GET shows it.
	get func(v *Values) string
	// set parses and validates args and stores the result in v.
	set func(v *Values, args []string) error
	// apply, registered by the server, makes a new value take effect.
	apply func() error
	// def is the default, as CONFIG GET would render it.
	def string
}

// Get renders the parameter's value in v.
func (p *Param) Get(v *Values) string { return p.get(v) }

// Default is the default value, rendered as CONFIG GET shows it.
func (p *Param) Default() string { return p.def }

// Config is the set of parameters and their current values.
type Config struct {
	Values
	// File is the absolute path of the config file, if any (CONFIG
	// REWRITE writes it back).
	File string
	// Renames are the rename-command directives, in order.
	Renames [][2]string
	// Lines are the config file's lines as read, for CONFIG REWRITE.
	Lines []string

	params map[string]*Param
	order  []*Param
}

// New returns a configuration with every parameter at its default.
func New() *Config {
	c := &Config{params: map[string]*Param{}}
	c.Values.extra = map[string]string{}
	c.Values.setAtStartup = map[string]bool{}
	for _, p := range table() {
		c.params[p.Name] = p
		if p.Alias != "" {
			c.params[p.Alias] = p
		}
		c.order = append(c.order, p)
		if err := p.set(&c.Values, splitDefault(p)); err != nil {
			panic(fmt.Sprintf("config: default of %s: %v", p.Name, err))
		}
		p.def = p.get(&c.Values)
	}
	return c
}

func splitDefault(p *Param) []string {
	if p.Flags&MultiArg != 0 {
		args, _ := protocol.SplitArgs([]byte(p.def), nil)
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = string(a)
		}
		return out
	}
	return []string{p.def}
}

// Lookup finds a parameter by name or alias, in any case.
func (c *Config) Lookup(name string) *Param { return c.params[strings.ToLower(name)] }

// Params returns every parameter, in table order.
func (c *Config) Params() []*Param { return c.order }

// OnApply registers the function that makes a parameter's new value take
// effect in the running server. Parameters sharing an apply function
// (bind and port, say) have it run once per CONFIG SET.
func (c *Config) OnApply(name string, fn func() error) {
	p := c.params[name]
	if p == nil {
		panic("config: OnApply for unknown parameter " + name)
	}
	p.apply = fn
}

// LoadError is a fatal error in the configuration, reported as Redis
// reports it before exiting.
type LoadError struct {
	Line int    // 1-based, 0 if not tied to a line
	Text string // the offending line
	Msg  string
}

func (e *LoadError) Error() string {
	if e.Line == 0 {
		return e.Msg
	}
	return fmt.Sprintf("Reading the configuration file, at line %d\n>>> '%s'\n%s", e.Line, e.Text, e.Msg)
}

// ArgsToConfig turns command line options ("--port 7000 --save ”") into
// config file lines appended after the file's, as redis-server does.
func ArgsToConfig(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if strings.HasPrefix(a, "--") && len(a) > 2 {
			if i > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(quote(a))
	}
	return b.String()
}

// quote renders an argument so that SplitArgs reads it back unchanged.
func quote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\r\n\"'\\") {
		return s
	}
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(ch)
		case '\n':
			b.WriteString("\\n")
		case '\r':
			b.WriteString("\\r")
		case '\t':
			b.WriteString("\\t")
		default:
			if ch < 32 || ch > 126 {
				fmt.Fprintf(&b, "\\x%02x", ch)
			} else {
				b.WriteByte(ch)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Load reads configuration text (a file's content followed by the command
// line options) line by line, like Redis's loadServerConfigFromString.
// fileLines is how many of the lines came from the file: only those are
// kept for CONFIG REWRITE.
func (c *Config) Load(text string, fileLines int) error {
	lines := strings.Split(text, "\n")
	for i, raw := range lines {
		line := strings.Trim(raw, " \t\r\n")
		if i < fileLines {
			c.Lines = append(c.Lines, raw)
		}
		if line == "" || line[0] == '#' {
			continue
		}
		fail := func(msg string) error { return &LoadError{Line: i + 1, Text: line, Msg: msg} }
		argv, ok := protocol.SplitArgs([]byte(line), nil)
		if !ok {
			return fail("Unbalanced quotes in configuration line")
		}
		if len(argv) == 0 {
			continue
		}
		args := make([]string, len(argv))
		for j, a := range argv {
			args[j] = string(a)
		}
		name := strings.ToLower(args[0])
		if p := c.params[name]; p != nil {
			vals := args[1:]
			if p.Flags&MultiArg == 0 && len(vals) != 1 {
				return fail("wrong number of arguments")
			}
			if p.Flags&MultiArg != 0 && len(vals) == 1 && vals[0] != "" {
				// A single quoted argument of a multi-word parameter,
				// as in --save "900 1 300 10".
				split, ok := protocol.SplitArgs([]byte(vals[0]), nil)
				if !ok {
					return fail("Unbalanced quotes in configuration line")
				}
				vals = vals[:0]
				for _, s := range split {
					vals = append(vals, string(s))
				}
			}
			if err := p.set(&c.Values, vals); err != nil {
				return fail(err.Error())
			}
			c.Values.setAtStartup[p.Name] = true
			continue
		}
		switch {
		case deprecated[name] && len(args) == 2:
		case name == "include" && len(args) == 2:
			if err := c.include(args[1]); err != nil {
				return fail(err.Error())
			}
		case name == "rename-command" && len(args) == 3:
			c.Renames = append(c.Renames, [2]string{args[1], args[2]})
		default:
			return fail("Bad directive or wrong number of arguments")
		}
	}
	return nil
}

// include loads another config file, as the include directive does.
func (c *Config) include(path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("Fatal error, can't open config file '%s': %v", path, err)
	}
	return c.Load(string(data), 0)
}

// deprecated parameters are accepted and ignored, as Redis 7 does.
var deprecated = map[string]bool{
	"list-max-ziplist-entries": true,
	"list-max-ziplist-value":   true,
	"lua-replicate-commands":   true,
}

// SetError is a CONFIG SET failure, worded as Redis words it.
type SetError struct{ Msg string }

func (e *SetError) Error() string { return e.Msg }

// Set changes several parameters at once, as CONFIG SET does: all are
// validated, stored and applied, or none is. allowProtected says whether
// protected parameters may change (enable-protected-configs).
func (c *Config) Set(pairs [][2]string, allowProtected bool) error {
	params := make([]*Param, len(pairs))
	for i, kv := range pairs {
		p := c.params[strings.ToLower(kv[0])]
		if p == nil || p.Flags&Hidden != 0 && p.set == nil {
			return &SetError{fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", kv[0])}
		}
		params[i] = p
	}
	for i, p := range params {
		var why string
		switch {
		case p.Flags&Immutable != 0:
			why = "can't set immutable config"
		case p.Flags&Protected != 0 && !allowProtected:
			why = "can't set protected config"
		}
		for j := 0; j < i && why == ""; j++ {
			if params[j] == p {
				why = "duplicate parameter"
			}
		}
		if why != "" {
			return &SetError{fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", pairs[i][0], why)}
		}
	}
	old := make([]string, len(params))
	for i, p := range params {
		old[i] = p.get(&c.Values)
	}
	restore := func(n int) {
		for i := 0; i < n; i++ {
			_ = params[i].set(&c.Values, c.splitValue(params[i], old[i]))
		}
	}
	for i, p := range params {
		if err := p.set(&c.Values, c.splitValue(p, pairs[i][1])); err != nil {
			restore(i + 1)
			return &SetError{fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", p.Name, err.Error())}
		}
	}
	var applied []func() error
	for i, p := range params {
		if p.apply == nil || containsFunc(applied, p.apply) {
			continue
		}
		applied = append(applied, p.apply)
		if err := p.apply(); err != nil {
			restore(len(params))
			for _, fn := range applied {
				_ = fn()
			}
			msg := fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s')", params[i].Name)
			if err.Error() != "" {
				msg += " - " + err.Error()
			}
			return &SetError{msg}
		}
	}
	return nil
}

func containsFunc(fns []func() error, fn func() error) bool {
	p := fmt.Sprintf("%p", fn)
	for _, f := range fns {
		if fmt.Sprintf("%p", f) == p {
			return true
		}
	}
	return false
}

// splitValue turns a CONFIG SET value into the words a parameter takes.
func (c *Config) splitValue(p *Param, v string) []string {
	if p.Flags&MultiArg == 0 {
		return []string{v}
	}
	args, _ := protocol.SplitArgs([]byte(v), nil)
	out := make([]string, len(args))
	for i, a := range args {
		out[i] = string(a)
	}
	return out
}

// Get returns the name and value of every parameter matching one of the
// glob patterns, each once, sorted by name.
func (c *Config) Get(patterns []string) [][2]string {
	seenName := map[string]bool{}
	var out [][2]string
	for _, pat := range patterns {
		// An exact name or alias returns that name as given, hidden or not.
		if p := c.params[strings.ToLower(pat)]; p != nil && !strings.ContainsAny(pat, "*?[") {
			if !seenName[pat] {
				seenName[pat] = true
				out = append(out, [2]string{pat, p.get(&c.Values)})
			}
			continue
		}
		for _, p := range c.order {
			if p.Flags&Hidden != 0 {
				continue
			}
			for _, name := range []string{p.Name, p.Alias} {
				if name != "" && !seenName[name] && glob.MatchString(pat, name, true) {
					seenName[name] = true
					out = append(out, [2]string{name, p.get(&c.Values)})
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}
