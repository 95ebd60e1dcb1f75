package acl

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/redoubt-db/redoubt/command"
)

// Commands is the command table as ACL rules see it: every command and
// subcommand Redis knows, whether or not this server runs it, each with a
// small integer ID that indexes a selector's bitmap of allowed commands,
// and its categories. Like Redis's orig_commands it ignores
// rename-command: rules name commands by their real names.
//
// A Commands is immutable once built and may be shared.
type Commands struct {
	cmds   []cmdInfo // by ID
	top    []int     // top-level commands, by name
	byName map[string]int
	bySpec map[*command.Spec]int
}

type cmdInfo struct {
	name    string // lower case; "parent|sub" for a subcommand
	cats    Category
	parent  int   // -1 for a top-level command
	subs    []int // by name
	hasKeys bool
	chans   chanSpec
}

// chanSpec says which arguments of a Pub/Sub command are channels, as
// Redis's table of commands with channels does.
type chanSpec struct {
	flags chanFlag
	all   bool // every argument from the first; otherwise only argument 1
}

type chanFlag uint8

const (
	chanPattern chanFlag = 1 << iota
	chanSubscribe
	chanUnsubscribe
	chanPublish
)

// channelCommands are the commands whose arguments name channels. Only
// publishing and subscribing are checked against a user's channels;
// unsubscribing never is.
var channelCommands = map[string]chanSpec{
	"subscribe":    {chanSubscribe, true},
	"ssubscribe":   {chanSubscribe, true},
	"unsubscribe":  {chanUnsubscribe, true},
	"sunsubscribe": {chanUnsubscribe, true},
	"psubscribe":   {chanPattern | chanSubscribe, true},
	"punsubscribe": {chanPattern | chanUnsubscribe, true},
	"publish":      {chanPublish, false},
	"spublish":     {chanPublish, false},
}

var (
	defaultOnce sync.Once
	defaultCmds *Commands
)

// DefaultCommands is the ACL view of every command in package command's
// specs, built once.
func DefaultCommands() *Commands {
	defaultOnce.Do(func() { defaultCmds = NewCommands(command.Specs()) })
	return defaultCmds
}

// NewCommands builds the ACL view of the given top-level command specs
// and their subcommands. It panics on a spec naming an unknown category:
// the command table is part of the program.
func NewCommands(specs []*command.Spec) *Commands {
	c := &Commands{byName: map[string]int{}, bySpec: map[*command.Spec]int{}}
	add := func(s *command.Spec, parent int) int {
		cats, bad := categoryFromSpec(s.ACL)
		if bad != "" {
			panic(fmt.Sprintf("acl: command %s has an unknown ACL category %q", s.Name, bad))
		}
		id := len(c.cmds)
		name := strings.ToLower(s.Name)
		c.cmds = append(c.cmds, cmdInfo{name: name, cats: cats, parent: parent,
			hasKeys: s.HasKeys(), chans: channelCommands[name]})
		c.byName[name] = id
		c.bySpec[s] = id
		return id
	}
	for _, s := range specs {
		id := add(s, -1)
		c.top = append(c.top, id)
		for _, sub := range s.Subcommands {
			sid := add(sub, id)
			c.cmds[id].subs = append(c.cmds[id].subs, sid)
		}
	}
	byName := func(ids []int) {
		sort.Slice(ids, func(i, j int) bool { return c.cmds[ids[i]].name < c.cmds[ids[j]].name })
	}
	byName(c.top)
	for i := range c.cmds {
		byName(c.cmds[i].subs)
	}
	return c
}

// Len is the number of commands and subcommands.
func (c *Commands) Len() int { return len(c.cmds) }

// id finds the ID of a command of the server's table: by its spec, which
// costs one map probe, or else by its name. ok is false for a command
// the ACL does not know, which only +@all (a selector's "future
// commands" bit) allows, as Redis allows a module command loaded later.
func (c *Commands) id(cmd *command.Command) (int, bool) {
	if id, ok := c.bySpec[cmd.Spec]; ok {
		return id, true
	}
	id, ok := c.byName[cmd.Name]
	return id, ok
}

// lookup finds a command named in a rule, "name" or "container|sub", in
// any case, as Redis's ACLLookupCommand does: more than one '|', a
// subcommand of a command without subcommands, or an empty name find
// nothing.
func (c *Commands) lookup(name string) (int, bool) {
	name = cString(name)
	if name == "" {
		return 0, false
	}
	base, sub, isSub := strings.Cut(name, "|")
	if isSub && strings.Contains(sub, "|") {
		return 0, false
	}
	id, ok := c.byName[lowerASCII(base)]
	if !ok || !isSub {
		return id, ok
	}
	if len(c.cmds[id].subs) == 0 {
		return 0, false
	}
	id, ok = c.byName[lowerASCII(base)+"|"+lowerASCII(sub)]
	return id, ok
}

// Name is the full name of the command with the given ID.
func (c *Commands) name(id int) string { return c.cmds[id].name }

// each calls fn for every command in the order rules are described and
// categories listed: top-level commands by name, each followed by its
// subcommands. Redis walks a hash table instead, so its order varies
// from run to run; only the order of a container before its
// subcommands, which the rules' meaning depends on, is kept here.
func (c *Commands) each(fn func(id int)) {
	for _, id := range c.top {
		fn(id)
		for _, sub := range c.cmds[id].subs {
			fn(sub)
		}
	}
}

// Category lists the commands and subcommands of a category, for ACL
// CAT <category>, or returns Redis's error for an unknown category.
func (c *Commands) Category(name string) ([]string, error) {
	cat := ParseCategory(name)
	if cat == 0 {
		n := cString(name)
		if len(n) > 128 {
			n = n[:128]
		}
		return nil, &Error{Msg: replyText("Unknown category '" + n + "'")}
	}
	var out []string
	c.each(func(id int) {
		if c.cmds[id].cats&cat != 0 {
			out = append(out, c.cmds[id].name)
		}
	})
	return out, nil
}

// CategoriesOf returns the categories of a command given by its full
// name, and false if the ACL does not know it.
func (c *Commands) CategoriesOf(name string) (Category, bool) {
	id, ok := c.byName[lowerASCII(name)]
	if !ok {
		return 0, false
	}
	return c.cmds[id].cats, true
}
