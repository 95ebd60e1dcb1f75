// Package luadiff holds what the differential tests of the Lua
// libraries share: a fresh gopher-lua state running a snippet with one
// library loaded, and the comparison of its result with EVAL's on the
// reference redis-server. The chunk is named "user_script" on both
// sides, as Redis names EVAL's, so error messages, positions included,
// compare as they are.
package luadiff

import (
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/internal/refredis"
)

// Prelude defines helpers that describe Lua values as strings (hex,
// num, dump, all, try, nest); it is one line, so that line numbers in a
// snippet's body are the same on both sides. Numbers are described by
// their exact binary value (num), never by tostring, whose float format
// differs between gopher-lua and Lua 5.1; tables by sorted dumps, their
// pairs order being the tables' own.
const Prelude = `local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end ` +
	`local function num(x) if x ~= x then return 'nan' end if x == 1/0 then return 'inf' end if x == -1/0 then return '-inf' end ` +
	`if x == 0 then if 1/x < 0 then return '-0' end return '0' end if x == math.floor(x) and math.abs(x) < 2^53 then return string.format('%d', x) end local m, e = math.frexp(x) return string.format('%d', m * 2^53) .. 'p' .. (e - 53) end ` +
	`local dump dump = function(v) local t = type(v) if t == 'number' then return 'n:' .. num(v) elseif t == 'string' then if #v > 64 then return 's#' .. #v .. ':' .. hex(v:sub(1, 16)) .. hex(v:sub(-16)) end return 's:' .. hex(v) ` +
	`elseif t == 'table' then local p = {} for k, x in pairs(v) do p[#p + 1] = dump(k) .. '=' .. dump(x) end table.sort(p) return '{' .. table.concat(p, ',') .. '}' ` +
	`else return tostring(v) end end ` +
	`local function all(...) local n = select('#', ...) local r = {} for i = 1, n do r[i] = dump((select(i, ...))) end return n .. ':' .. table.concat(r, '|') end ` +
	`local function try(...) local r = {pcall(...)} if r[1] then return 'ok ' .. all(unpack(r, 2, table.maxn(r))) end return 'error ' .. tostring(r[2]) end ` +
	`local function nest(d, leaf) local t = leaf for i = 1, d do t = {t} end return t end ` +
	"\n"

// Lib is a library under test: the global it is loaded as, and its
// loader.
type Lib struct {
	Global string
	Loader lua.LGFunction
}

// State returns a new state with lib loaded as its global. The registry
// is big enough for the 8000 stack slots a C function may use in Lua
// 5.1: the library's own limits must be the ones that show.
func (lib Lib) State() *lua.LState {
	L := lua.NewState(lua.Options{RegistrySize: 1 << 14, RegistryMaxSize: 1 << 20})
	L.Push(L.NewFunction(lib.Loader))
	L.Call(0, 1)
	L.SetGlobal(lib.Global, L.Get(-1))
	L.Pop(1)
	return L
}

// Eval runs src as Redis would run an EVAL body, in a new state with the
// library loaded; the result must be a string.
func (lib Lib) Eval(src string) (string, error) {
	L := lib.State()
	defer L.Close()
	fn, err := L.Load(strings.NewReader(src), "user_script")
	if err != nil {
		return "", err
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		return "", err
	}
	s, ok := L.Get(-1).(lua.LString)
	if !ok {
		return "", fmt.Errorf("returned a %s, not a string", L.Get(-1).Type())
	}
	return string(s), nil
}

// Start starts the reference redis-server, failing the test without it.
func Start(t *testing.T) *refredis.Server {
	t.Helper()
	srv, log := refredis.Start(t, t.TempDir())
	if srv == nil {
		t.Fatalf("redis-server did not start:\n%s", log)
	}
	return srv
}

// Diff compares every snippet's result, after Prelude, on Redis and on
// gopher-lua. With -v and SHOW set in the environment it logs them all.
func (lib Lib) Diff(t *testing.T, srv *refredis.Server, snippets []string) {
	t.Helper()
	for _, body := range snippets {
		src := Prelude + body
		want := srv.Do("EVAL", src, "0")
		if want.Type != '$' || want.Null {
			t.Errorf("%s\nRedis returned %c %q, not a string: fix the snippet", body, want.Type, want.Str)
			continue
		}
		got, err := lib.Eval(src)
		if err != nil {
			t.Errorf("%s\ngopher-lua: %v\nRedis:      %s", body, err, Show(want.Str))
			continue
		}
		if testing.Verbose() && os.Getenv("SHOW") != "" {
			t.Logf("%s\n=> %s", body, Show(got))
		}
		if got != want.Str {
			t.Errorf("%s\ngopher-lua: %s\nRedis:      %s", body, Show(got), Show(want.Str))
		}
	}
}

// Show prints a result readably: as it is when it is text, else in hex.
func Show(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			if len(s) > 200 {
				return fmt.Sprintf("hex(%d bytes) %s...", len(s), hex.EncodeToString([]byte(s[:100])))
			}
			return "hex " + hex.EncodeToString([]byte(s))
		}
	}
	if len(s) > 400 {
		return fmt.Sprintf("%q... (%d bytes)", s[:400], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// Differ compares snippets without Prelude, each returning a string, on
// Redis and on gopher-lua; a snippet that fails on either side fails the
// test at once. After, when set, runs after each snippet ran on Redis (to
// reset state that lasts in Redis's Lua).
type Differ struct {
	t     *testing.T
	srv   *refredis.Server
	lib   Lib
	After func(srv *refredis.Server, src string)
}

// NewDiffer starts the reference redis-server for lib's snippets.
func (lib Lib) NewDiffer(t *testing.T) *Differ {
	t.Helper()
	return &Differ{t: t, srv: Start(t), lib: lib}
}

// Check compares the snippets' results. With DIFFLOG set in the
// environment, it logs each snippet and Redis's result (go test -v).
func (d *Differ) Check(snippets ...string) {
	d.t.Helper()
	for _, src := range snippets {
		v := d.srv.Do("EVAL", src, "0")
		if d.After != nil {
			d.After(d.srv, src)
		}
		if v.Type != '$' || v.Null {
			d.t.Fatalf("redis: %s\nreturned %c %q, not a string", src, v.Type, v.Str)
		}
		want := v.Str
		if os.Getenv("DIFFLOG") != "" {
			d.t.Logf("%s\n=> %q", Trim(src), Trim(want))
		}
		got, err := d.lib.Eval(src)
		if err != nil {
			d.t.Fatalf("gopher-lua: %s\n%v", src, err)
		}
		if got != want {
			d.t.Errorf("%s\nredis:  %q\ngopher: %q", Trim(src), Trim(want), Trim(got))
			w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
			for i := range min(len(w), len(g)) {
				if w[i] != g[i] {
					d.t.Errorf("line %d:\nredis:  %q\ngopher: %q", i+1, w[i], g[i])
					break
				}
			}
		}
	}
}

// Trim shortens a long snippet or result for a message.
func Trim(s string) string {
	if len(s) > 600 {
		return s[:300] + " ... " + s[len(s)-300:]
	}
	return s
}
