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
	"path/filepath"
	"sort"
	"strings"

	"github.com/redoubt-db/redoubt/glob"
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
	// Hidden parameters are not listed by CONFIG GET with a pattern.
	Hidden
	// Extension parameters are Redoubt's own, with no Redis
	// counterpart (the data directory's guard): CONFIG GET lists them,
	// and comparisons with Redis leave them out.
	Extension
)

// IsExtension reports whether name is one of Redoubt's own parameters.
func IsExtension(name string) bool {
	p := New().Lookup(name)
	return p != nil && p.Flags&Extension != 0
}

// Param is one configuration parameter.
type Param struct {
	Name  string
	Alias string
	Flags Flags
	// get renders the current value as CONFIG GET shows it.
	get func(v *Values) string
	// set parses and validates args and stores the result in v.
	set func(v *Values, args []string) error
	// rewrite gives the parameter's config file lines; none means the
	// file must not mention it. Without it, the parameter is one line
	// "name value", written when the value is not the default.
	rewrite func(v *Values) []rewriteLine
	// group names the apply function that makes a change take effect;
	// the parameter's name if empty.
	group string
	// volatile parameters run their apply function even when CONFIG SET
	// gives them the value they have.
	volatile bool
	// zeroDefault parameters are left at the zero value by New: replicaof
	// (none), and dir, which the server sets to its working directory.
	zeroDefault bool
	// def is the default, as CONFIG GET would render it.
	def string
}

// Get renders the parameter's value in v.
func (p *Param) Get(v *Values) string { return p.get(v) }

// Default is the default value, rendered as CONFIG GET shows it.
func (p *Param) Default() string { return p.def }

func (p *Param) applyName() string {
	if p.group != "" {
		return p.group
	}
	return p.Name
}

// entry is a name under which a parameter is known: its own or its
// alias. Redis keeps an alias as a parameter of its own, which shows in
// its error messages and in CONFIG SET's duplicate check.
type entry struct {
	name string
	p    *Param
}

// Config is the set of parameters and their current values.
type Config struct {
	Values
	// File is the absolute path of the config file, if any (CONFIG
	// REWRITE writes it back).
	File string
	// Renames are the rename-command directives, in order.
	Renames [][2]string

	entries  []entry          // in table order, each name then its alias
	byName   map[string]entry // by lower-case name
	order    []*Param
	appliers map[string]func() error // by apply group

	renameLines []LoadError // where each rename-command was
	// UserDirectives are the "user" lines, for the server's ACL.
	UserDirectives []UserDirective
	// UserLines, set by the server, lists its users as CONFIG REWRITE
	// writes them ("user <name> <rules>"); nil writes none.
	UserLines func() []string
	// moduleConfig is set by a "module.name value" directive.
	moduleConfig bool
}

// New returns a configuration with every parameter at its default.
func New() *Config {
	c := &Config{byName: map[string]entry{}, appliers: map[string]func() error{}}
	c.Values.extra = map[string]any{}
	for _, p := range table() {
		c.order = append(c.order, p)
		for _, name := range []string{p.Name, p.Alias} {
			if name != "" {
				e := entry{name, p}
				c.entries = append(c.entries, e)
				c.byName[name] = e
			}
		}
		if !p.zeroDefault {
			args := []string{p.def}
			if p.Flags&MultiArg != 0 {
				args = strings.Fields(p.def)
			}
			if err := p.set(&c.Values, args); err != nil {
				panic(fmt.Sprintf("config: default of %s: %v", p.Name, err))
			}
		}
		p.def = p.get(&c.Values)
	}
	return c
}

// Lookup finds a parameter by name or alias, in any case.
func (c *Config) Lookup(name string) *Param { return c.byName[strings.ToLower(name)].p }

// Params returns every parameter, in table order.
func (c *Config) Params() []*Param { return c.order }

// OnApply registers the function that makes a parameter's new value take
// effect in the running server. Parameters of one apply group (such as
// min-replicas-to-write and min-replicas-max-lag) share the function,
// which runs once per CONFIG SET that changes any of them.
func (c *Config) OnApply(name string, fn func() error) {
	p := c.Lookup(name)
	if p == nil {
		panic("config: OnApply for unknown parameter " + name)
	}
	c.appliers[p.applyName()] = fn
}

// SetError is a CONFIG SET failure, worded as Redis words it.
type SetError struct{ Msg string }

func (e *SetError) Error() string { return e.Msg }

func setFailed(arg, why string) *SetError {
	msg := fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s')", arg)
	if why != "" {
		msg += " - " + why
	}
	return &SetError{msg}
}

// Set changes several parameters at once, as CONFIG SET does: all are
// validated, stored and applied, or none is. allowProtected says whether
// protected parameters may change (enable-protected-configs).
func (c *Config) Set(pairs [][2]string, allowProtected bool) error {
	// Like Redis, look at every pair before failing: the first unknown
	// name wins unless another error came before it.
	entries := make([]entry, len(pairs))
	var failure *SetError
	for i, kv := range pairs {
		e, ok := c.byName[strings.ToLower(kv[0])]
		if !ok {
			if failure == nil {
				failure = &SetError{fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", kv[0])}
			}
			continue
		}
		if failure != nil {
			continue
		}
		switch {
		case e.p.Flags&Immutable != 0 && e.p.Flags&Extension != 0 && kv[1] == e.p.get(&c.Values):
			// Redoubt's own immutable parameters may be set to the
			// value they have: tools that write every parameter back
			// (CONFIG GET *, then CONFIG SET) keep working.
		case e.p.Flags&Immutable != 0:
			failure = setFailed(kv[0], "can't set immutable config")
		case e.p.Flags&Protected != 0 && !allowProtected:
			failure = setFailed(kv[0], "can't set protected config")
		}
		for j := 0; j < i && failure == nil; j++ {
			if entries[j].name == e.name {
				failure = setFailed(kv[0], "duplicate parameter")
			}
		}
		entries[i] = e
	}
	if failure != nil {
		return failure
	}

	old := make([]string, len(entries))
	for i, e := range entries {
		old[i] = e.p.get(&c.Values)
	}
	restore := func(n int) {
		for i := 0; i < n; i++ {
			_ = entries[i].p.set(&c.Values, setArgs(entries[i].p, old[i]))
		}
	}
	// Apply functions run once each, in the order their parameters came,
	// and only for parameters whose value changed.
	var groups []string
	firstOf := map[string]int{}
	for i, e := range entries {
		before := e.p.get(&c.Values)
		if err := e.p.set(&c.Values, setArgs(e.p, pairs[i][1])); err != nil {
			restore(i + 1)
			return setFailed(e.name, err.Error())
		}
		g := e.p.applyName()
		if _, seen := firstOf[g]; !seen && c.appliers[g] != nil && (e.p.volatile || e.p.get(&c.Values) != before) {
			firstOf[g] = i
			groups = append(groups, g)
		}
	}
	for _, g := range groups {
		if err := c.appliers[g](); err != nil {
			restore(len(entries))
			for _, g := range groups {
				_ = c.appliers[g]()
			}
			return setFailed(entries[firstOf[g]].name, err.Error())
		}
	}
	return nil
}

// setArgs turns a CONFIG SET value into the words a parameter takes:
// multi-word values are split at each space, as Redis does.
func setArgs(p *Param, v string) []string {
	switch {
	case p.Flags&MultiArg == 0:
		return []string{v}
	case v == "":
		return nil
	}
	return strings.Split(v, " ")
}

// Get returns the name and value of every parameter matching one of the
// patterns, each once, sorted by name. A pattern without glob characters
// is a name, returned as given, hidden or not; patterns match names and
// aliases of parameters that are not hidden, in any case.
func (c *Config) Get(patterns []string) [][2]string {
	seen := map[string]bool{}
	var out [][2]string
	for _, pat := range patterns {
		if !strings.ContainsAny(pat, "[*?") {
			key := strings.ToLower(pat)
			if e, ok := c.byName[key]; ok && !seen[key] {
				seen[key] = true
				out = append(out, [2]string{pat, e.p.get(&c.Values)})
			}
			continue
		}
		for _, e := range c.entries {
			if e.p.Flags&Hidden == 0 && !seen[e.name] && glob.MatchString(pat, e.name, true) {
				seen[e.name] = true
				out = append(out, [2]string{e.name, e.p.get(&c.Values)})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Path resolves a file name the way Redis does after changing into dir:
// relative names are relative to dir. Redoubt itself never changes its
// working directory, since it may be embedded in another program.
func (c *Config) Path(name string) string {
	if filepath.IsAbs(name) || c.Dir == "" {
		return name
	}
	return filepath.Join(c.Dir, name)
}
