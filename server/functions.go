package server

import (
	"errors"
	"strings"
	"time"

	"github.com/redoubt-db/redoubt/command"
	"github.com/redoubt-db/redoubt/glob"
	"github.com/redoubt-db/redoubt/rdb"
	"github.com/redoubt-db/redoubt/script"
)

// Functions (Redis's functions.c): FUNCTION LOAD keeps libraries on a Lua
// state of their own (s.scripts.fvm), FCALL runs their functions as EVAL
// runs scripts. Libraries are data: FUNCTION LOAD, DELETE, FLUSH and
// RESTORE are propagated as they are, and saved in RDB files (opcode
// FUNCTION2) and AOF rewrites (FUNCTION LOAD), so they come back after a
// restart and reach replicas.

func (s *Server) registerFunctionCommands(h func(string, srvHandler)) {
	h("fcall", fcallCmd)
	h("fcall_ro", fcallCmd)
	h("function|load", functionLoadCmd)
	h("function|delete", functionDeleteCmd)
	h("function|flush", functionFlushCmd)
	h("function|list", functionListCmd)
	h("function|dump", functionDumpCmd)
	h("function|restore", functionRestoreCmd)
	h("function|kill", func(s *Server, c *client, ctx *command.Ctx) { s.scriptKill(ctx, false) })
	h("function|stats", functionStatsCmd)
	h("function|help", functionHelpCmd)
}

// loadLibrary loads a library found in an RDB file or AOF preamble;
// replace lets it replace one of the same name (DEBUG RELOAD MERGE).
func (s *Server) loadLibrary(code []byte, replace bool) error {
	if _, msg := s.scripts.fvm.LoadLibrary(code, replace, false); msg != "" {
		return errors.New(msg)
	}
	return nil
}

func fcallCmd(s *Server, c *client, ctx *command.Ctx) {
	ro := ctx.Cmd.Name == "fcall_ro"
	f := s.scripts.fvm.Function(ctx.Args[1])
	if f == nil {
		ctx.Err("ERR Function not found")
		return
	}
	numkeys, ok := parseInt(ctx.Args[2])
	if !ok {
		ctx.Err("ERR Bad number of keys provided")
		return
	}
	if numkeys > int64(len(ctx.Args)-3) {
		ctx.Err("ERR Number of keys can't be greater than number of args")
		return
	}
	if numkeys < 0 {
		ctx.Err("ERR Number of keys can't be negative")
		return
	}
	ctx.PreventPropagation()
	s.monitorScript(c, ctx)
	r := &s.scripts.runBuf
	*r = script.Run{Caller: c, Name: f.Name, Flags: f.Flags, Resp: 2, Repl: script.ReplAll}
	if msg := s.scriptMayRun(c, r, ro); msg != "" {
		ctx.Err(msg)
		return
	}
	keys := ctx.Args[3 : 3+numkeys]
	argv := ctx.Args[3+numkeys:]
	vm := s.scripts.fvm
	s.runScript(c, ctx, r, func() (string, bool) { return vm.Call(ctx.W, r, f, keys, argv) })
}

// subcommandSyntaxError is Redis's addReplySubcommandSyntaxError.
func subcommandSyntaxError(ctx *command.Ctx) {
	ctx.Err("ERR unknown subcommand or wrong number of arguments for '" + clip(ctx.Args[1], 128) + "'. Try " + strings.ToUpper(string(ctx.Args[0])) + " HELP.")
}

func parseInt(b []byte) (int64, bool) {
	n, ok := int64(0), len(b) > 0
	neg := false
	for i, ch := range b {
		if i == 0 && ch == '-' && len(b) > 1 {
			neg = true
			continue
		}
		if ch < '0' || ch > '9' || n > (1<<62)/10 {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	if neg {
		n = -n
	}
	return n, ok
}

func functionLoadCmd(s *Server, c *client, ctx *command.Ctx) {
	replace := false
	i := 2
	for ; i < len(ctx.Args)-1; i++ {
		if !strings.EqualFold(string(ctx.Args[i]), "replace") {
			ctx.Err("ERR Unknown option given: " + string(ctx.Args[i]))
			return
		}
		replace = true
	}
	if i >= len(ctx.Args) {
		ctx.Err("ERR Function code is missing")
		return
	}
	lib, msg := s.scripts.fvm.LoadLibrary(ctx.Args[i], replace, c.flags&flagReplayed == 0)
	if lib == nil {
		ctx.Err("ERR " + msg)
		return
	}
	ctx.Dirty++
	ctx.W.BulkString(lib.Name)
}

func functionDeleteCmd(s *Server, c *client, ctx *command.Ctx) {
	if !s.scripts.fvm.DeleteLibrary(string(ctx.Args[2])) {
		ctx.Err("ERR Library not found")
		return
	}
	ctx.Dirty++
	ctx.W.OK()
}

func functionFlushCmd(s *Server, c *client, ctx *command.Ctx) {
	switch {
	case len(ctx.Args) == 2:
	case len(ctx.Args) == 3 && (strings.EqualFold(string(ctx.Args[2]), "sync") || strings.EqualFold(string(ctx.Args[2]), "async")):
	case len(ctx.Args) > 3:
		subcommandSyntaxError(ctx)
		return
	default:
		ctx.Err("ERR FUNCTION FLUSH only supports SYNC|ASYNC option")
		return
	}
	s.scripts.fvm.FlushFunctions()
	ctx.Dirty++
	ctx.W.OK()
}

func functionListCmd(s *Server, c *client, ctx *command.Ctx) {
	withCode := false
	var pattern []byte
	for i := 2; i < len(ctx.Args); i++ {
		switch strings.ToLower(string(ctx.Args[i])) {
		case "withcode":
			if withCode {
				ctx.Err("ERR Unknown argument withcode")
				return
			}
			withCode = true
		case "libraryname":
			if pattern != nil {
				ctx.Err("ERR Unknown argument libraryname")
				return
			}
			if i+1 >= len(ctx.Args) {
				ctx.Err("ERR library name argument was not given")
				return
			}
			i++
			pattern = ctx.Args[i]
		default:
			ctx.Err("ERR Unknown argument " + string(ctx.Args[i]))
			return
		}
	}
	var libs []*script.Library
	for _, l := range s.scripts.fvm.Libraries() {
		if pattern == nil || glob.Match(pattern, []byte(l.Name), false) {
			libs = append(libs, l)
		}
	}
	w := ctx.W
	w.Array(len(libs))
	for _, l := range libs {
		n := 3
		if withCode {
			n = 4
		}
		w.Map(n)
		w.BulkString("library_name")
		w.BulkString(l.Name)
		w.BulkString("engine")
		w.BulkString("LUA")
		w.BulkString("functions")
		w.Array(len(l.Functions))
		for _, f := range l.Functions {
			w.Map(3)
			w.BulkString("name")
			w.BulkString(f.Name)
			w.BulkString("description")
			if f.Description == "" {
				w.Null()
			} else {
				w.BulkString(f.Description)
			}
			w.BulkString("flags")
			names := flagList(f.Flags)
			w.Set(len(names))
			for _, fl := range names {
				w.Simple(fl)
			}
		}
		if withCode {
			w.BulkString("library_code")
			w.Bulk(l.Code)
		}
	}
}

// flagList names a function's flags in Redis's order.
func flagList(f script.Flags) []string {
	var out []string
	for _, name := range []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"} {
		if fl, _ := script.ParseFlag(name); f&fl != 0 {
			out = append(out, name)
		}
	}
	return out
}

// functionsPayload is FUNCTION DUMP's payload: each library's code after
// the FUNCTION2 opcode, then DUMP's footer.
func (s *Server) functionsPayload() []byte {
	var e rdb.Encoder
	for _, l := range s.scripts.fvm.Libraries() {
		e.B = append(e.B, rdb.OpFunction2)
		e.String(l.Code)
	}
	return rdb.AppendDumpFooter(e.B)
}

func functionDumpCmd(s *Server, c *client, ctx *command.Ctx) {
	ctx.W.Bulk(s.functionsPayload())
}

func functionRestoreCmd(s *Server, c *client, ctx *command.Ctx) {
	policy := "append"
	if len(ctx.Args) > 4 {
		subcommandSyntaxError(ctx)
		return
	}
	if len(ctx.Args) == 4 {
		policy = strings.ToLower(string(ctx.Args[3]))
		if policy != "append" && policy != "replace" && policy != "flush" {
			ctx.Err("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
			return
		}
	}
	body, ok := rdb.CheckDumpFooter(ctx.Args[2])
	if !ok {
		ctx.Err("ERR DUMP payload version or checksum are wrong")
		return
	}
	codes, msg := readFunctionLibraries(body)
	if msg != "" {
		ctx.Err("ERR " + msg)
		return
	}
	vm := s.scripts.fvm
	// Load into a fresh state first, so that a bad payload changes
	// nothing (Redis loads into a temporary library context).
	check := script.NewFunctions(s)
	for _, code := range codes {
		if _, msg := check.LoadLibrary(code, false, false); msg != "" {
			ctx.Err("ERR " + msg)
			return
		}
	}
	if policy != "flush" {
		for _, l := range check.Libraries() {
			if old := vm.Library(l.Name); old != nil && policy == "append" {
				ctx.Err("ERR Library " + l.Name + " already exists")
				return
			}
			for _, f := range l.Functions {
				if old := vm.Function([]byte(f.Name)); old != nil && (policy == "append" || old.Library.Name != l.Name) {
					ctx.Err("ERR Function " + f.Name + " already exists")
					return
				}
			}
		}
	}
	if policy == "flush" {
		vm.FlushFunctions()
	}
	for _, code := range codes {
		if _, msg := vm.LoadLibrary(code, true, false); msg != "" {
			ctx.Err("ERR " + msg)
			return
		}
	}
	ctx.Dirty++
	ctx.W.OK()
}

// readFunctionLibraries reads the libraries' code from a FUNCTION DUMP
// payload without its footer.
func readFunctionLibraries(body []byte) ([][]byte, string) {
	d := rdb.NewDecoder(body)
	var codes [][]byte
	for d.Remaining() > 0 {
		op := d.Byte()
		if d.Err() != nil {
			return nil, "can not read data type"
		}
		if op != rdb.OpFunction2 {
			return nil, "given type is not a function"
		}
		code := d.String()
		if d.Err() != nil {
			return nil, "failed loading the given functions payload"
		}
		codes = append(codes, append([]byte(nil), code...))
	}
	return codes, ""
}

func functionStatsCmd(s *Server, c *client, ctx *command.Ctx) {
	w := ctx.W
	w.Map(2)
	w.BulkString("running_script")
	if r := s.scripts.run; r != nil && !r.Eval {
		w.Map(3)
		w.BulkString("name")
		w.BulkString(r.Name)
		w.BulkString("command")
		caller := s.scripts.caller
		w.Array(len(caller.args))
		for _, a := range caller.args {
			w.Bulk(a)
		}
		w.BulkString("duration_ms")
		w.Int(time.Since(r.Start).Milliseconds())
	} else {
		w.Null()
	}
	w.BulkString("engines")
	w.Map(1)
	w.BulkString("LUA")
	w.Map(2)
	w.BulkString("libraries_count")
	w.Int(int64(len(s.scripts.fvm.Libraries())))
	w.BulkString("functions_count")
	w.Int(int64(s.scripts.fvm.FunctionCount()))
}

func functionHelpCmd(s *Server, c *client, ctx *command.Ctx) {
	help := []string{
		"FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
		"HELP",
		"    Prints this help.",
	}
	ctx.W.Array(len(help))
	for _, l := range help {
		ctx.W.Simple(l)
	}
}
