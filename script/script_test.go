package script

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/protocol"
)

// fakeHost answers every command with a fixed reply and records the
// arguments it was called with.
type fakeHost struct {
	reply      string
	calls      [][]string
	interrupts int
	kill       bool
}

func (h *fakeHost) Call(r *Run, args [][]byte) []byte {
	var a []string
	for _, x := range args {
		a = append(a, string(x))
	}
	h.calls = append(h.calls, a)
	return []byte(h.reply)
}

func (h *fakeHost) Interrupt(r *Run) {
	h.interrupts++
	if h.kill {
		r.Killed = true
	}
}

func (h *fakeHost) Log(int, string) {}

func eval(t *testing.T, vm *VM, body string, resp int) string {
	t.Helper()
	s, msg := vm.Create([]byte(body))
	if s == nil {
		t.Fatalf("compile %q: %s", body, msg)
	}
	w := protocol.Writer{Resp: resp}
	vm.Eval(&w, &Run{Name: s.SHA, Eval: true, Resp: 2, Repl: ReplAll}, s, nil, nil)
	return string(w.Buf)
}

// Every RESP type a command can reply with becomes the Lua value Redis
// makes of it, and back.
func TestRESPToLua(t *testing.T) {
	for _, c := range []struct{ reply, script, want string }{
		{"+OK\r\n", "return redis.call('x').ok", "$2\r\nOK\r\n"},
		{"-WRONGTYPE bad\r\n", "return redis.pcall('x').err", "$13\r\nWRONGTYPE bad\r\n"},
		{"-NOCODE\r\n", "return redis.pcall('x').err", "$10\r\nERR NOCODE\r\n"},
		{":42\r\n", "return redis.call('x') + 1", ":43\r\n"},
		{"$3\r\nabc\r\n", "return redis.call('x')", "$3\r\nabc\r\n"},
		{"$-1\r\n", "return tostring(redis.call('x'))", "$5\r\nfalse\r\n"},
		{"*-1\r\n", "return tostring(redis.call('x'))", "$5\r\nfalse\r\n"},
		{"*2\r\n:1\r\n$1\r\nb\r\n", "local t = redis.call('x') return {t[2], #t}", "*2\r\n$1\r\nb\r\n:2\r\n"},
		{"%1\r\n$1\r\nk\r\n:7\r\n", "return redis.call('x').map.k", ":7\r\n"},
		{"~1\r\n$1\r\nm\r\n", "return tostring(redis.call('x').set.m)", "$4\r\ntrue\r\n"},
		{"#t\r\n", "return tostring(redis.call('x'))", "$4\r\ntrue\r\n"},
		{",1.5\r\n", "return tostring(redis.call('x').double)", "$3\r\n1.5\r\n"},
		{",inf\r\n", "return tostring(redis.call('x').double)", "$3\r\ninf\r\n"},
		{"_\r\n", "return type(redis.call('x'))", "$3\r\nnil\r\n"},
		{"(123\r\n", "return redis.call('x').big_number", "$3\r\n123\r\n"},
		{"=7\r\ntxt:abc\r\n", "local v = redis.call('x').verbatim_string return v.format .. v.string", "$6\r\ntxtabc\r\n"},
		{"|1\r\n$1\r\na\r\n$1\r\nb\r\n:5\r\n", "return redis.call('x')", ":5\r\n"},
	} {
		vm := New(&fakeHost{reply: c.reply})
		if got := eval(t, vm, c.script, 2); got != c.want {
			t.Errorf("reply %q, script %q: %q, want %q", c.reply, c.script, got, c.want)
		}
	}
}

// Lua values become RESP2 and RESP3 replies as Redis converts them.
func TestLuaToRESP(t *testing.T) {
	vm := New(&fakeHost{})
	for _, c := range []struct {
		script     string
		resp2, ok3 string
	}{
		{"return true", ":1\r\n", "#t\r\n"},
		{"return false", "$-1\r\n", "#f\r\n"},
		{"return nil", "$-1\r\n", "_\r\n"},
		{"return 3.9", ":3\r\n", ":3\r\n"},
		{"return {double=2.5}", "$3\r\n2.5\r\n", ",2.5\r\n"},
		{"return {map={a=1}}", "*2\r\n$1\r\na\r\n:1\r\n", "%1\r\n$1\r\na\r\n:1\r\n"},
		{"return {1, {err='E x'}, 3}", "*3\r\n:1\r\n-E x\r\n:3\r\n", "*3\r\n:1\r\n-E x\r\n:3\r\n"},
		{"return {ok='a\\r\\nb'}", "+a  b\r\n", "+a  b\r\n"},
	} {
		if got := eval(t, vm, c.script, 2); got != c.resp2 {
			t.Errorf("%q in RESP2: %q, want %q", c.script, got, c.resp2)
		}
		// The script's own protocol decides booleans (Redis's
		// script_client->resp), the caller's the rest.
		s, _ := vm.Create([]byte(c.script))
		w := protocol.Writer{Resp: 3}
		vm.Eval(&w, &Run{Name: s.SHA, Eval: true, Resp: 3, Repl: ReplAll}, s, nil, nil)
		if got := string(w.Buf); got != c.ok3 {
			t.Errorf("%q in RESP3: %q, want %q", c.script, got, c.ok3)
		}
	}
}

// Numbers passed to redis.call keep every digit (%.17g), as in Redis.
func TestCallArguments(t *testing.T) {
	h := &fakeHost{reply: "+OK\r\n"}
	vm := New(h)
	eval(t, vm, "redis.call('set', 'k', 0.1, 10, -3)", 2)
	if got := strings.Join(h.calls[0], " "); got != "set k 0.10000000000000001 10 -3" {
		t.Errorf("arguments %q", got)
	}
}

// The hook interrupts a loop, and a kill cannot be caught by pcall.
func TestKillPassesPcall(t *testing.T) {
	h := &fakeHost{kill: true}
	vm := New(h)
	got := eval(t, vm, "while true do pcall(function() while true do end end) end", 2)
	if !strings.Contains(got, "Script killed by user") || h.interrupts == 0 {
		t.Errorf("reply %q after %d interruptions", got, h.interrupts)
	}
	// The VM serves the next script normally.
	h.kill = false
	if got := eval(t, vm, "return 1", 2); got != ":1\r\n" {
		t.Errorf("after a kill: %q", got)
	}
}

func TestShebang(t *testing.T) {
	for _, c := range []struct {
		body  string
		flags Flags
		skip  int
		err   string
	}{
		{"return 1", FlagEvalCompat, 0, ""},
		{"#!lua\nreturn 1", 0, 5, ""},
		{"#!lua flags=no-writes,allow-oom\nreturn 1", FlagNoWrites | FlagAllowOOM, 31, ""},
		{"#!lua flags=\nreturn 1", 0, 12, ""},
		{"#!lua FLAGS=no-writes\nreturn 1", 0, 0, "Unknown lua shebang option: FLAGS=no-writes"},
		{"#!lua flags=no-writes,\nreturn 1", 0, 0, "Unexpected flag in script shebang: "},
		{"#!lua", 0, 0, "Invalid script shebang"},
		{"#!js\n", 0, 0, "Unexpected engine in script shebang: #!js"},
		{"#!lua x\n", 0, 0, "Unknown lua shebang option: x"},
	} {
		flags, skip, err := ShebangFlags([]byte(c.body))
		if err != c.err || (err == "" && (flags != c.flags || skip != c.skip)) {
			t.Errorf("%q: %v %d %q", c.body, flags, skip, err)
		}
	}
}

func TestNumberFormat(t *testing.T) {
	for f, want := range map[float64]string{1: "1", 0.1: "0.1", 1.0 / 3: "0.33333333333333", 1e15: "1e+15", 123456789012345: "1.2345678901234e+14", -0.5: "-0.5"} {
		if got := formatNumber(f); got != want {
			t.Errorf("%v: %q, want %q", f, got, want)
		}
	}
}

// The sandbox's proxies refuse writes however they are attempted.
func TestReadOnlyGlobals(t *testing.T) {
	vm := New(&fakeHost{})
	for _, s := range []string{"redis.call = 1", "string.upper = nil", "_G.x = 1", "rawset(_G, 'x', 1)", "setmetatable(_G, nil)", "getmetatable(_G).__index = nil", "rawset(getmetatable(''), 'x', 1)"} {
		if got := eval(t, vm, s, 2); !strings.Contains(got, "readonly table") {
			t.Errorf("%q: %q", s, got)
		}
	}
	if v := vm.globals.RawGetString("x"); v != lua.LNil {
		t.Errorf("a global x was created: %v", v)
	}
}

// A fresh Lua state is small, as Redis's (32 KB): Redis's test "EVAL
// does not leak in the Lua stack" wants used_memory_lua under 100 KB
// after 10,000 scripts.
func TestFreshStateMemory(t *testing.T) {
	for _, vm := range []*VM{New(&fakeHost{}), NewFunctions(&fakeHost{})} {
		if m := vm.Memory(); m > 90<<10 || m <= 16<<10 {
			t.Errorf("fresh state: %d bytes", m)
		}
	}
}

// A reply is left unconverted only where no one can see it: each of
// these scripts reads the status reply of the call somehow.
func TestDiscardedReplies(t *testing.T) {
	vm := New(&fakeHost{reply: "+OK\r\n"})
	for _, c := range []struct{ script, want string }{
		{"redis.call('set','k','v') return 1", ":1\r\n"},
		{"return redis.call('set','k','v')", "+OK\r\n"},
		{"local r = redis.call('set','k','v') return r", "+OK\r\n"},
		{"local a, b = redis.call('set','k','v') return {a, b}", "*1\r\n+OK\r\n"},
		{"return (redis.call('set','k','v'))", "+OK\r\n"},
		{"return {redis.call('set','k','v')}", "*1\r\n+OK\r\n"},
		{"return redis.call('set','k','v').ok", "$2\r\nOK\r\n"},
		{"return type(redis.call('set','k','v'))", "$5\r\ntable\r\n"},
		{"if redis.call('set','k','v') then return 1 end return 0", ":1\r\n"},
		{"local ok, r = pcall(redis.call, 'set', 'k', 'v') return r", "+OK\r\n"},
		{"local f = function() return redis.call('set','k','v') end return f()", "+OK\r\n"},
		{"redis.pcall('set','k','v') return 2", ":2\r\n"},
		{"local co = coroutine.wrap(function() return redis.call('set','k','v') end) return co()", "+OK\r\n"},
	} {
		if got := eval(t, vm, c.script, 2); got != c.want {
			t.Errorf("%q: %q, want %q", c.script, got, c.want)
		}
	}
}

// Globals that exist when a script is compiled are read as constants
// (fold.go), in nested functions too; others still raise Redis's error,
// and SCRIPT FLUSH's new state folds its own values.
func TestFoldedGlobals(t *testing.T) {
	vm := New(&fakeHost{reply: "+OK\r\n"})
	for round := 0; round < 2; round++ {
		for _, c := range []struct{ script, want string }{
			{"return type(redis.call)", "$8\r\nfunction\r\n"},
			{"local function f() return #KEYS .. string.upper('x') end return f()", "$2\r\n0X\r\n"},
			{"return rawequal(_G.redis, redis) and 1 or 0", ":1\r\n"},
			{"redis = 1", "Attempt to modify a readonly table"},
			{"return nope", "Script attempted to access nonexistent global variable 'nope'"},
			{"KEYS()", "attempt to call global 'KEYS' (a table value)"},
		} {
			if got := eval(t, vm, c.script, 2); !strings.Contains(got, c.want) {
				t.Errorf("round %d, %q: %q, want %q", round, c.script, got, c.want)
			}
		}
		s, _ := vm.Create([]byte("local function f() return redis, KEYS, cjson end return f"))
		for _, p := range append([]*lua.FunctionProto{s.fn.Proto}, s.fn.Proto.FunctionPrototypes...) {
			for _, inst := range p.Code {
				if int(inst>>26) == lua.OP_GETGLOBAL {
					t.Errorf("round %d: a GETGLOBAL left in\n%s", round, p)
				}
			}
		}
		vm.Reset()
	}
}
