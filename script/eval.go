package script

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"

	"github.com/redoubt-db/redoubt/protocol"
)

// Script is an EVAL script in the cache: compiled once, run by SHA.
type Script struct {
	SHA   string
	Body  []byte
	Flags Flags
	fn    *lua.LFunction
}

type evalCache struct {
	scripts map[string]*Script
	// mem is the bytes of the cached bodies and names, for INFO's
	// used_memory_scripts_eval.
	mem int64
	// last is the script Lookup found last.
	last *Script
}

// Lookup returns the cached script with this SHA1 (any case), or nil.
func (vm *VM) Lookup(sha []byte) *Script {
	if len(sha) != 40 {
		return nil
	}
	// EVALSHA of the script found last, spelled the same (clients send
	// the SHA1 as SCRIPT LOAD answered it): no folding, no hashing.
	if last := vm.eval.last; last != nil && last.SHA == string(sha) {
		return last
	}
	var lower [40]byte
	for i, c := range sha {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	s := vm.eval.scripts[string(lower[:])]
	if s != nil {
		vm.eval.last = s
	}
	return s
}

// Scripts is the number of cached scripts.
func (vm *VM) Scripts() int { return len(vm.eval.scripts) }

// ScriptsMemory is the memory the cached scripts' bodies take.
func (vm *VM) ScriptsMemory() int64 { return vm.eval.mem }

// Create compiles body and caches it under its SHA1 (Redis's
// luaCreateFunction); a script already cached is returned as it is. On
// failure it returns the error reply.
func (vm *VM) Create(body []byte) (*Script, string) {
	sha := SHA1Hex(body)
	if s := vm.eval.scripts[sha]; s != nil {
		return s, ""
	}
	flags, skip, err := ShebangFlags(body)
	if err != "" {
		return nil, "ERR " + err
	}
	// The shebang line is skipped but its line feed kept, so that line
	// numbers in errors stay the user's.
	fn, cerr := vm.L.Load(bytes.NewReader(body[skip:]), sourceUserScript)
	if cerr != nil {
		return nil, "ERR Error compiling script (new function): " + compileErrorIn(cerr, body[skip:], sourceUserScript)
	}
	vm.foldGlobals(fn.Proto)
	s := &Script{SHA: sha, Body: bytes.Clone(body), Flags: flags, fn: fn}
	vm.eval.scripts[sha] = s
	vm.eval.mem += int64(len(body) + len(sha))
	return s, ""
}

// compileError words a compile error as Lua 5.1 does
// ("user_script:1: <message> near '<token>'"); the message itself is
// gopher-lua's parser's.
func compileErrorIn(err error, body []byte, source string) string {
	if ae, ok := err.(*lua.ApiError); ok && ae.Cause != nil {
		err = ae.Cause
	}
	var pe *parse.Error
	if errors.As(err, &pe) {
		line, tok := pe.Pos.Line, pe.Token
		if line == parse.EOF {
			line, tok = bytes.Count(body, []byte("\n"))+1, "<eof>"
		}
		return source + ":" + strconv.Itoa(line) + ": " + strings.TrimSpace(pe.Message) + " near '" + tok + "'"
	}
	return strings.TrimSpace(strings.ReplaceAll(err.Error(), "\n", " "))
}

// ShebangFlags reads a script's "#!lua flags=..." line (Redis's
// evalExtractShebangFlags). It returns the flags, the length of the
// shebang line without its line feed, and an error message.
func ShebangFlags(body []byte) (Flags, int, string) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return FlagEvalCompat, 0, ""
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return 0, 0, "Invalid script shebang"
	}
	parts, ok := protocol.SplitArgs(body[:end], nil)
	if !ok || len(parts) == 0 {
		return 0, 0, "Invalid engine in script shebang"
	}
	if string(parts[0]) != "#!lua" {
		return 0, 0, "Unexpected engine in script shebang: " + string(parts[0])
	}
	var flags Flags
	for _, p := range parts[1:] {
		list, ok := bytes.CutPrefix(p, []byte("flags="))
		if !ok {
			return 0, 0, "Unknown lua shebang option: " + string(p)
		}
		// An empty list is no flags, as Redis splits it (sdssplitlen
		// of nothing is no element): "#!lua flags=" declares a script
		// that may write and must not run on OOM.
		if len(list) == 0 {
			continue
		}
		for _, name := range strings.Split(string(list), ",") {
			f, ok := ParseFlag(name)
			if !ok {
				return 0, 0, "Unexpected flag in script shebang: " + name
			}
			flags |= f
		}
	}
	return flags, end, ""
}

// ParseFlag maps a flag's name to the flag.
func ParseFlag(name string) (Flags, bool) {
	for _, f := range flagNames {
		if f.name == name {
			return f.f, true
		}
	}
	return 0, false
}

// Eval runs a cached script for r with KEYS and ARGV, writing its reply
// to w. It returns the error reply's message when the script failed, and
// whether that error was already counted in errorstats.
func (vm *VM) Eval(w *protocol.Writer, r *Run, s *Script, keys, argv [][]byte) (errMsg string, counted bool) {
	// KEYS and ARGV are reused from script to script: the globals are
	// read-only, so a script cannot keep a reference to them past its
	// end, and each run refills them.
	// A script may have changed their metatables or fields (rawset,
	// setmetatable): fill makes them fresh for each run. The globals
	// KEYS and ARGV themselves cannot be replaced (the global table is
	// read-only), and compiled scripts hold these two tables as
	// constants (fold.go).
	vm.fill(vm.keysT, keys)
	vm.fill(vm.argvT, argv)
	return vm.call(w, r, s.fn)
}

// fill makes t the array of items: t[1..n], nothing else.
func (vm *VM) fill(t *lua.LTable, items [][]byte) {
	t.Metatable = lua.LNil
	// Keys past the array part (a script may have added some) go; the
	// common case, an untouched array, is found without a walk.
	var after lua.LValue = lua.LNil
	if n := t.Len(); n > 0 {
		after = lua.LNumber(n)
	}
	if k, _ := t.Next(after); k != lua.LNil || t.Len() > len(items) {
		var extra []lua.LValue
		t.ForEach(func(k, _ lua.LValue) {
			if n, ok := k.(lua.LNumber); !ok || float64(n) != math.Trunc(float64(n)) || n < 1 || int(n) > len(items) {
				extra = append(extra, k)
			}
		})
		for _, k := range extra {
			t.RawSet(k, lua.LNil)
		}
	}
	for i, it := range items {
		// The same argument as the last run's (a rate limiter's
		// settings, a constant value) keeps its Lua string.
		if old, ok := t.RawGetInt(i + 1).(lua.LString); ok && string(old) == string(it) {
			continue
		}
		t.RawSetInt(i+1, vm.strs.str(it))
	}
	for i := len(items) + 1; t.RawGetInt(i) != lua.LNil; i++ {
		t.RawSetInt(i, lua.LNil)
	}
}

func (vm *VM) array(items [][]byte) *lua.LTable {
	t := vm.L.CreateTable(len(items), 0)
	for i, it := range items {
		t.RawSetInt(i+1, lua.LString(it))
	}
	return t
}
