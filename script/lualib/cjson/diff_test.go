package cjson

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
	lua "github.com/yuin/gopher-lua"
)

// The differential tests run each Lua snippet, which returns a string,
// with EVAL on the reference redis-server 7.0 and in a fresh gopher-lua
// state with this package loaded as the global cjson, and compare the
// two strings byte for byte. The chunk is named "user_script" on both
// sides, as Redis names EVAL's, so error messages, position prefixes
// ("user_script:3: ") included, compare as they are. Snippets keep to
// Lua that gopher-lua and Lua 5.1 run alike (no tostring of fractions,
// whose formatting gopher-lua does its own way) and encode objects of
// one key only, or decode what they encode, where table order is
// unspecified.

// settingsCall matches the calls that change a cjson setting, which
// lasts in Redis's Lua state: SCRIPT FLUSH makes a new state after a
// snippet that has one.
var settingsCall = regexp.MustCompile(`(en|de)code_[a-z_]+\(`)

type differ struct {
	t   *testing.T
	srv *refredis.Server
}

func newDiffer(t *testing.T) *differ {
	t.Helper()
	srv, log := refredis.Start(t, t.TempDir())
	if srv == nil {
		t.Fatalf("redis-server did not start:\n%s", log)
	}
	return &differ{t: t, srv: srv}
}

// redis runs src with EVAL.
func (d *differ) redis(src string) string {
	d.t.Helper()
	v := d.srv.Do("EVAL", src, "0")
	if settingsCall.MatchString(src) {
		d.srv.Do("SCRIPT", "FLUSH")
	}
	if v.Type != '$' || v.Null {
		d.t.Fatalf("redis: %s\nreturned %c %q, not a string", src, v.Type, v.Str)
	}
	return v.Str
}

// gopher runs src in a new gopher-lua state.
func gopher(t testing.TB, src string) string {
	t.Helper()
	L := lua.NewState()
	defer L.Close()
	L.Push(L.NewFunction(Loader))
	L.Call(0, 1)
	L.SetGlobal("cjson", L.Get(-1))
	L.Pop(1)
	fn, err := L.Load(strings.NewReader(src), "user_script")
	if err != nil {
		t.Fatalf("gopher-lua: %s\n%v", src, err)
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		t.Fatalf("gopher-lua: %s\n%v", src, err)
	}
	s, ok := L.Get(-1).(lua.LString)
	if !ok {
		t.Fatalf("gopher-lua: %s\nreturned %s, not a string", src, L.Get(-1).Type())
	}
	return string(s)
}

// check compares the snippets' results. With DIFFLOG set in the
// environment, it logs each snippet and Redis's result (go test -v).
func (d *differ) check(snippets ...string) {
	d.t.Helper()
	for _, src := range snippets {
		want := d.redis(src)
		if os.Getenv("DIFFLOG") != "" {
			d.t.Logf("%s\n=> %q", trim(src), trim(want))
		}
		if got := gopher(d.t, src); got != want {
			d.t.Errorf("%s\nredis:  %q\ngopher: %q", trim(src), trim(want), trim(got))
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

// luaQuote quotes s as a Lua 5.1 string literal (which has no \x
// escapes).
func luaQuote(s string) string {
	b := []byte{'"'}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= ' ' && c < 0x7f && c != '"' && c != '\\' {
			b = append(b, c)
		} else {
			b = append(b, '\\', '0'+c/100, '0'+c/10%10, '0'+c%10)
		}
	}
	return string(append(b, '"'))
}

func trim(s string) string {
	if len(s) > 600 {
		return s[:300] + " ... " + s[len(s)-300:]
	}
	return s
}

// errOf wraps a call expression so that the snippet returns its error
// message (or "ok: " and the result if there is none). The call stays
// on the snippet's first line.
func errOf(call string) string {
	return `local ok, e = pcall(function() return ` + call + ` end) if ok then return "ok: " .. tostring(e) end return e`
}
