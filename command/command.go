// Package command is the command table: what each command is called, how
// many arguments it takes, what it does to the keyspace (its flags and key
// specs), its documentation, and the function that runs it.
//
// The table is data. Names, arities, flags, key specs and documentation
// come from spec.json, captured from Redis 7.0's own COMMAND INFO and
// COMMAND DOCS replies by ./gen, so that COMMAND answers what cluster-aware
// clients and redis-cli expect. Handlers live next to their data type, in
// their own packages, and attach themselves by name with Table.Handle;
// only commands with a handler are visible to clients.
package command

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
	"time"
)

// Flag is a command flag, as COMMAND INFO lists them.
type Flag uint64

// Command flags. The names are Redis's.
const (
	Write Flag = 1 << iota
	ReadOnly
	DenyOOM
	Module
	Admin
	PubSub
	NoScript
	Blocking
	Loading
	Stale
	SkipMonitor
	SkipSlowlog
	Asking
	Fast
	NoAuth
	NoMandatoryKeys
	NoAsyncLoading
	NoMulti
	MovableKeys
	AllowBusy
	// Flags Redis keeps but does not show in COMMAND INFO.
	MayReplicate
	Protected
	// TouchesArbitraryKeys: the command may expire any key (SCAN,
	// RANDOMKEY), so its deletions are propagated one by one rather
	// than in a MULTI/EXEC block.
	TouchesArbitraryKeys
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{Write, "write"}, {ReadOnly, "readonly"}, {DenyOOM, "denyoom"}, {Module, "module"},
	{Admin, "admin"}, {PubSub, "pubsub"}, {NoScript, "noscript"}, {Blocking, "blocking"},
	{Loading, "loading"}, {Stale, "stale"}, {SkipMonitor, "skip_monitor"},
	{SkipSlowlog, "skip_slowlog"}, {Asking, "asking"}, {Fast, "fast"}, {NoAuth, "no_auth"},
	{NoMandatoryKeys, "no_mandatory_keys"}, {NoAsyncLoading, "no_async_loading"},
	{NoMulti, "no_multi"}, {MovableKeys, "movablekeys"}, {AllowBusy, "allow_busy"},
}

// ParseFlag maps a COMMAND INFO flag name to a Flag.
func ParseFlag(name string) (Flag, bool) {
	for _, f := range flagNames {
		if f.name == name {
			return f.f, true
		}
	}
	return 0, false
}

// Handler runs a command. It reads c.Args and writes exactly one reply.
type Handler func(c *Ctx)

// Command is one entry of the table: a command or a subcommand.
type Command struct {
	// Name is the lower-case name; for a subcommand, "parent|sub".
	Name    string
	Arity   int
	Flags   Flag
	Handler Handler
	Spec    *Spec
	Parent  *Command
	Subs    map[string]*Command
	Stats   Stats
}

// Stats are a command's INFO commandstats and latencystats figures.
type Stats struct {
	Calls, Rejected, Failed int64
	Usec                    int64
	Latency                 Histogram
}

// Has reports whether the command has all the given flags.
func (c *Command) Has(f Flag) bool { return c.Flags&f == f }

// FullName is the name as INFO commandstats and errors spell it, with a
// subcommand as "parent|sub".
func (c *Command) FullName() string { return c.Name }

// ArityOK checks an argument count (command name included) against the
// arity: exact when positive, a minimum when negative.
func (c *Command) ArityOK(n int) bool {
	return (c.Arity > 0 && n == c.Arity) || (c.Arity < 0 && n >= -c.Arity)
}

// Table maps names to commands.
type Table struct {
	cmds  map[string]*Command
	specs map[string]*Spec
	// renamed holds commands renamed or hidden by rename-command; their
	// handlers stay reachable from inside the server (MULTI, scripts).
	renamed map[string]*Command
}

// NewTable returns an empty table over the embedded specs.
func NewTable() *Table {
	t := &Table{cmds: map[string]*Command{}, specs: map[string]*Spec{}, renamed: map[string]*Command{}}
	for _, s := range Specs() {
		t.specs[s.Name] = s
		for _, sub := range s.Subcommands {
			t.specs[sub.Name] = sub
		}
	}
	return t
}

// Handle attaches a handler to the command named in the specs, making it
// available. For a subcommand, name is "parent|sub". It panics on a name
// the specs do not know: that is a programming error.
func (t *Table) Handle(name string, h Handler) *Command {
	s := t.specs[name]
	if s == nil {
		panic(fmt.Sprintf("command: no spec for %q", name))
	}
	c := &Command{Name: name, Arity: s.Arity, Spec: s, Handler: h}
	for _, f := range s.Flags {
		fl, ok := ParseFlag(f)
		if !ok {
			panic(fmt.Sprintf("command: %s: unknown flag %q", name, f))
		}
		c.Flags |= fl
	}
	if parent, sub, ok := strings.Cut(name, "|"); ok {
		p := t.cmds[parent]
		if p == nil {
			p = t.Handle(parent, nil)
		}
		if p.Subs == nil {
			p.Subs = map[string]*Command{}
		}
		c.Parent = p
		p.Subs[sub] = c
		return c
	}
	if old := t.cmds[name]; old != nil && old.Subs != nil {
		c.Subs = old.Subs
		for _, sub := range c.Subs {
			sub.Parent = c
		}
	}
	t.cmds[name] = c
	return c
}

// Flag adds flags Redis keeps but does not list in COMMAND INFO.
func (t *Table) Flag(name string, f Flag) {
	c := t.Get(name)
	if c == nil {
		panic(fmt.Sprintf("command: no handler for %q", name))
	}
	c.Flags |= f
}

// Lookup finds a command by the name a client sent, in any case, without
// allocating.
func (t *Table) Lookup(name []byte) *Command { return lookupFold(t.cmds, name) }

// lookupFold finds a name in a table of lower-case names, comparing as
// Redis's case-insensitive command dictionaries do (ASCII letters only),
// without allocating for names of ordinary length.
func lookupFold(m map[string]*Command, name []byte) *Command {
	var buf [32]byte
	if len(name) > len(buf) {
		return m[lowerName(name)]
	}
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		buf[i] = ch
	}
	return m[string(buf[:len(name)])]
}

// lowerName lower-cases a command name as Redis's case-insensitive
// command dictionaries compare names: ASCII letters only.
func lowerName(b []byte) string {
	out := append([]byte(nil), b...)
	for i, ch := range out {
		if 'A' <= ch && ch <= 'Z' {
			out[i] = ch + 'a' - 'A'
		}
	}
	return string(out)
}

// LookupSub finds a subcommand of c by the name a client sent.
func (c *Command) LookupSub(name []byte) *Command {
	if c.Subs == nil {
		return nil
	}
	return lookupFold(c.Subs, name)
}

// Get returns a command by its canonical lower-case name ("parent|sub"
// for subcommands), renamed ones included.
func (t *Table) Get(name string) *Command {
	parent, sub, isSub := strings.Cut(name, "|")
	c := t.cmds[parent]
	if c == nil {
		c = t.renamed[parent]
	}
	if c == nil || !isSub {
		return c
	}
	return c.Subs[sub]
}

// Rename applies a rename-command directive: an empty new name hides the
// command from clients.
func (t *Table) Rename(old, new string) error {
	old, new = strings.ToLower(old), strings.ToLower(new)
	c := t.cmds[old]
	if c == nil {
		return fmt.Errorf("No such command in rename-command")
	}
	if new != "" {
		if t.cmds[new] != nil {
			return fmt.Errorf("Target command name already exists")
		}
		t.cmds[new] = c
	}
	delete(t.cmds, old)
	t.renamed[old] = c
	return nil
}

// All returns every available command, sorted by name.
func (t *Table) All() []*Command {
	out := make([]*Command, 0, len(t.cmds))
	for _, c := range t.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Each calls fn for every available command and subcommand.
func (t *Table) Each(fn func(c *Command)) {
	for _, c := range t.All() {
		fn(c)
		for _, sub := range c.sortedSubs() {
			fn(sub)
		}
	}
}

// sortedSubs returns a container's subcommands by name.
func (c *Command) sortedSubs() []*Command {
	subs := make([]*Command, 0, len(c.Subs))
	for _, s := range c.Subs {
		subs = append(subs, s)
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].Name < subs[j].Name })
	return subs
}

// Histogram counts latencies in power-of-two microsecond buckets, the
// form LATENCY HISTOGRAM reports, and, for INFO latencystats'
// percentiles, in finer ones: sixteen per power of two, so that a
// percentile is within about 6% of the latencies it stands for, as
// Redis's HdrHistogram (two significant digits) reports them nearly
// exact. The fine buckets are allocated on a command's first call.
type Histogram struct {
	Buckets [40]int64
	Count   int64
	fine    *[fineBuckets]int64
}

const (
	fineSub     = 16 // sub-buckets per power of two
	fineShift   = 4  // log2(fineSub)
	fineBuckets = (40 - fineShift + 1) * fineSub
)

// fineIndex is the fine bucket of a latency of us microseconds: below
// fineSub one bucket per microsecond, above it fineSub per power of two.
func fineIndex(us int64) int {
	if us < fineSub {
		return int(max(us, 0))
	}
	e := bits.Len64(uint64(us)) - 1 // us is in [2^e, 2^(e+1))
	sub := int(us>>(e-fineShift)) & (fineSub - 1)
	return min((e-fineShift+1)*fineSub+sub, fineBuckets-1)
}

// fineUpper is the highest latency fine bucket i holds.
func fineUpper(i int) int64 {
	if i < fineSub {
		return int64(i)
	}
	e := i/fineSub + fineShift - 1
	sub := int64(i % fineSub)
	return (int64(fineSub)+sub+1)<<(e-fineShift) - 1
}

// Record adds one observation.
func (h *Histogram) Record(d time.Duration) {
	us := d.Microseconds()
	i := 0
	for v := us; v > 1 && i < len(h.Buckets)-1; v >>= 1 {
		i++
	}
	h.Buckets[i]++
	h.Count++
	if h.fine == nil {
		h.fine = new([fineBuckets]int64)
	}
	h.fine[fineIndex(us)]++
}

// Percentile returns the p-th percentile in microseconds: the highest
// latency of the fine bucket that holds it, as HdrHistogram reports its
// buckets' highest equivalent value.
func (h *Histogram) Percentile(p float64) float64 {
	if h.Count == 0 || h.fine == nil {
		return 0
	}
	rank := int64(p/100*float64(h.Count) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for i, n := range h.fine {
		seen += n
		if seen >= rank {
			return float64(fineUpper(i))
		}
	}
	return float64(fineUpper(fineBuckets - 1))
}
