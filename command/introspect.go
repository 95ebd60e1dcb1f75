package command

import (
	"bytes"
	"strings"

	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/protocol"
)

// RegisterIntrospection adds COMMAND and its subcommands, which describe
// the table itself. They list only available commands, under their
// original names even when renamed, in name order (Redis uses its hash
// table order, which is arbitrary).
func RegisterIntrospection(t *Table) {
	t.Handle("command", func(c *Ctx) { t.writeAllInfo(c.W) })
	t.Handle("command|count", func(c *Ctx) { c.W.Int(int64(len(t.cmds))) })
	t.Handle("command|list", t.commandList)
	t.Handle("command|info", func(c *Ctx) {
		if len(c.Args) == 2 {
			t.writeAllInfo(c.W)
			return
		}
		c.W.Array(len(c.Args) - 2)
		for _, name := range c.Args[2:] {
			writeInfo(c.W, t.lookupName(name))
		}
	})
	t.Handle("command|docs", t.commandDocs)
	t.Handle("command|getkeys", func(c *Ctx) { t.getKeys(c, false) })
	t.Handle("command|getkeysandflags", func(c *Ctx) { t.getKeys(c, true) })
	t.Handle("command|help", func(c *Ctx) {
		Help(c.W, strings.ToUpper(string(c.Args[0])), []string{
			"(no subcommand)",
			"    Return details about all Redis commands.",
			"COUNT",
			"    Return the total number of commands in this Redis server.",
			"LIST",
			"    Return a list of all commands in this Redis server.",
			"INFO [<command-name> ...]",
			"    Return details about multiple Redis commands.",
			"    If no command names are given, documentation details for all",
			"    commands are returned.",
			"DOCS [<command-name> ...]",
			"    Return documentation details about multiple Redis commands.",
			"    If no command names are given, documentation details for all",
			"    commands are returned.",
			"GETKEYS <full-command>",
			"    Return the keys from a full Redis command.",
			"GETKEYSANDFLAGS <full-command>",
			"    Return the keys and the access flags from a full Redis command.",
		})
	})
}

// lookupName finds an available command by the name COMMAND INFO and
// COMMAND DOCS take: "name" or "container|sub".
func (t *Table) lookupName(name []byte) *Command {
	base, sub, isSub := bytes.Cut(name, []byte("|"))
	c := t.cmds[lowerName(base)]
	if c == nil || !isSub {
		return c
	}
	if c.Subs == nil || bytes.IndexByte(sub, '|') >= 0 {
		return nil
	}
	return c.Subs[lowerName(sub)]
}

// specFor finds the command a COMMAND GETKEYS call names, as Redis looks
// up a command to run: a renamed command answers to its new name only,
// and a container's second argument names the subcommand. Commands
// without a handler are found too: key extraction needs only the spec.
func (t *Table) specFor(args [][]byte) *Spec {
	name := lowerName(args[0])
	var s *Spec
	if c := t.cmds[name]; c != nil {
		s = c.Spec
	} else if t.renamed[name] == nil && !strings.Contains(name, "|") {
		s = t.specs[name]
	}
	if s == nil || len(args) == 1 || len(s.Subcommands) == 0 {
		return s
	}
	sub := lowerName(args[1])
	if strings.Contains(sub, "|") {
		return nil
	}
	return t.specs[s.Name+"|"+sub]
}

func (t *Table) writeAllInfo(w *protocol.Writer) {
	all := t.All()
	w.Array(len(all))
	for _, c := range all {
		writeInfo(w, c)
	}
}

// writeInfo writes a command's COMMAND INFO entry, or a null for nil.
func writeInfo(w *protocol.Writer, c *Command) {
	if c == nil {
		w.Null()
		return
	}
	s := c.Spec
	w.Array(10)
	w.BulkString(c.Name)
	w.Int(int64(c.Arity))
	n := 0
	for _, f := range flagNames {
		if c.Flags&f.f != 0 {
			n++
		}
	}
	w.Set(n)
	for _, f := range flagNames {
		if c.Flags&f.f != 0 {
			w.Simple(f.name)
		}
	}
	w.Int(int64(s.FirstKey))
	w.Int(int64(s.LastKey))
	w.Int(int64(s.KeyStep))
	w.Set(len(s.ACL))
	for _, cat := range s.ACL {
		w.Simple(cat)
	}
	w.Set(len(s.Tips))
	for _, tip := range s.Tips {
		w.BulkString(tip)
	}
	w.Set(len(s.KeySpecs))
	for i := range s.KeySpecs {
		writeKeySpec(w, &s.KeySpecs[i])
	}
	if c.Subs == nil {
		w.Set(0)
		return
	}
	w.Array(len(c.Subs))
	for _, sub := range c.sortedSubs() {
		writeInfo(w, sub)
	}
}

func writeKeyFlags(w *protocol.Writer, f KeyFlag) {
	names := f.Names()
	w.Set(len(names))
	for _, name := range names {
		w.Simple(name)
	}
}

func writeKeySpec(w *protocol.Writer, ks *KeySpec) {
	if ks.Notes != "" {
		w.Map(4)
		w.BulkString("notes")
		w.BulkString(ks.Notes)
	} else {
		w.Map(3)
	}
	w.BulkString("flags")
	writeKeyFlags(w, ks.flags)

	w.BulkString("begin_search")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(ks.BeginSearch)
	w.BulkString("spec")
	switch ks.BeginSearch {
	case "index":
		w.Map(1)
		w.BulkString("index")
		w.Int(int64(ks.Index))
	case "keyword":
		w.Map(2)
		w.BulkString("keyword")
		w.BulkString(ks.Keyword)
		w.BulkString("startfrom")
		w.Int(int64(ks.StartFrom))
	default:
		w.Map(0)
	}

	w.BulkString("find_keys")
	w.Map(2)
	w.BulkString("type")
	w.BulkString(ks.FindKeys)
	w.BulkString("spec")
	switch ks.FindKeys {
	case "range":
		w.Map(3)
		w.BulkString("lastkey")
		w.Int(int64(ks.LastKey))
		w.BulkString("keystep")
		w.Int(int64(ks.KeyStep))
		w.BulkString("limit")
		w.Int(int64(ks.Limit))
	case "keynum":
		w.Map(3)
		w.BulkString("keynumidx")
		w.Int(int64(ks.KeyNumIdx))
		w.BulkString("firstkey")
		w.Int(int64(ks.FirstKey))
		w.BulkString("keystep")
		w.Int(int64(ks.KeyStep))
	default:
		w.Map(0)
	}
}

func (t *Table) commandDocs(c *Ctx) {
	if len(c.Args) == 2 {
		all := t.All()
		c.W.Map(len(all))
		for _, cmd := range all {
			c.W.BulkString(cmd.Name)
			writeDocs(c.W, cmd)
		}
		return
	}
	d := c.W.Defer()
	n := 0
	for _, name := range c.Args[2:] {
		if cmd := t.lookupName(name); cmd != nil {
			c.W.BulkString(cmd.Name)
			writeDocs(c.W, cmd)
			n++
		}
	}
	c.W.FillMap(d, n)
}

// writeDocs writes a command's COMMAND DOCS entry: only the fields it
// has, group always.
func writeDocs(w *protocol.Writer, c *Command) {
	d := &c.Spec.Doc
	n := 1
	for _, present := range []bool{d.Summary != "", d.Since != "", d.Complexity != "",
		len(d.DocFlags) > 0, d.DeprecatedSince != "", d.ReplacedBy != "",
		len(d.History) > 0, len(d.Arguments) > 0, c.Subs != nil} {
		if present {
			n++
		}
	}
	w.Map(n)
	if d.Summary != "" {
		w.BulkString("summary")
		w.BulkString(d.Summary)
	}
	if d.Since != "" {
		w.BulkString("since")
		w.BulkString(d.Since)
	}
	w.BulkString("group")
	w.BulkString(d.Group)
	if d.Complexity != "" {
		w.BulkString("complexity")
		w.BulkString(d.Complexity)
	}
	if len(d.DocFlags) > 0 {
		w.BulkString("doc_flags")
		w.Set(len(d.DocFlags))
		for _, f := range d.DocFlags {
			w.Simple(f)
		}
	}
	if d.DeprecatedSince != "" {
		w.BulkString("deprecated_since")
		w.BulkString(d.DeprecatedSince)
	}
	if d.ReplacedBy != "" {
		w.BulkString("replaced_by")
		w.BulkString(d.ReplacedBy)
	}
	if len(d.History) > 0 {
		w.BulkString("history")
		w.Set(len(d.History))
		for _, h := range d.History {
			w.Array(2)
			w.BulkString(h[0])
			w.BulkString(h[1])
		}
	}
	if len(d.Arguments) > 0 {
		w.BulkString("arguments")
		writeArgs(w, d.Arguments)
	}
	if c.Subs != nil {
		w.BulkString("subcommands")
		w.Map(len(c.Subs))
		for _, sub := range c.sortedSubs() {
			w.BulkString(sub.Name)
			writeDocs(w, sub)
		}
	}
}

func writeArgs(w *protocol.Writer, args []Arg) {
	w.Array(len(args))
	for i := range args {
		a := &args[i]
		nested := a.Type == "oneof" || a.Type == "block"
		n := 2
		for _, present := range []bool{a.KeySpecIndex != nil, a.Token != nil, a.Summary != "",
			a.Since != "", a.DeprecatedSince != "", len(a.Flags) > 0, nested} {
			if present {
				n++
			}
		}
		w.Map(n)
		w.BulkString("name")
		w.BulkString(a.Name)
		w.BulkString("type")
		w.BulkString(a.Type)
		if a.KeySpecIndex != nil {
			w.BulkString("key_spec_index")
			w.Int(int64(*a.KeySpecIndex))
		}
		if a.Token != nil {
			w.BulkString("token")
			w.BulkString(*a.Token)
		}
		if a.Summary != "" {
			w.BulkString("summary")
			w.BulkString(a.Summary)
		}
		if a.Since != "" {
			w.BulkString("since")
			w.BulkString(a.Since)
		}
		if a.DeprecatedSince != "" {
			w.BulkString("deprecated_since")
			w.BulkString(a.DeprecatedSince)
		}
		if len(a.Flags) > 0 {
			w.BulkString("flags")
			w.Set(len(a.Flags))
			for _, f := range a.Flags {
				w.Simple(f)
			}
		}
		if nested {
			w.BulkString("arguments")
			writeArgs(w, a.Arguments)
		}
	}
}

// commandList is COMMAND LIST [FILTERBY MODULE name|ACLCAT cat|PATTERN pat].
func (t *Table) commandList(c *Ctx) {
	var match func(*Command) bool
	for i := 2; i < len(c.Args); i += 3 {
		if !c.IsOpt(i, "filterby") || len(c.Args)-1-i != 2 {
			c.Err(ErrSyntax)
			return
		}
		arg := c.Args[i+2]
		switch {
		case c.IsOpt(i+1, "module"):
			// There are no modules, so no module commands.
			match = func(*Command) bool { return false }
		case c.IsOpt(i+1, "aclcat"):
			match = func(cmd *Command) bool {
				for _, cat := range cmd.Spec.ACL {
					if isOpt(arg, cat[1:]) {
						return true
					}
				}
				return false
			}
		case c.IsOpt(i+1, "pattern"):
			match = func(cmd *Command) bool { return glob.Match(arg, []byte(cmd.Name), true) }
		default:
			c.Err(ErrSyntax)
			return
		}
	}
	d := c.W.Defer()
	n := 0
	t.Each(func(cmd *Command) {
		if match == nil || match(cmd) {
			c.W.BulkString(cmd.Name)
			n++
		}
	})
	c.W.FillArray(d, n)
}

// getKeys is COMMAND GETKEYS and GETKEYSANDFLAGS.
func (t *Table) getKeys(c *Ctx, withFlags bool) {
	args := c.Args[2:]
	s := t.specFor(args)
	if s == nil {
		c.Err("ERR Invalid command specified")
		return
	}
	keys, err := s.AppendKeys(nil, args)
	if err != nil {
		c.Err("ERR " + err.Error())
		return
	}
	c.W.Array(len(keys))
	for _, k := range keys {
		if withFlags {
			c.W.Array(2)
			c.W.Bulk(args[k.Pos])
			writeKeyFlags(c.W, k.Flags)
		} else {
			c.W.Bulk(args[k.Pos])
		}
	}
}
