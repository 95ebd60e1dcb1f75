package command

// RegisterIntrospection adds COMMAND and its subcommands, which describe
// the table itself.
func RegisterIntrospection(t *Table) {
	t.Handle("command|count", func(c *Ctx) { c.W.Int(int64(len(t.cmds))) })
}
