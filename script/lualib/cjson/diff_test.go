package cjson

import (
	"regexp"
	"testing"

	"github.com/redoubt-db/redoubt/internal/refredis"
	"github.com/redoubt-db/redoubt/script/lualib/internal/luadiff"
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

var lib = luadiff.Lib{Global: "cjson", Loader: Loader}

func newDiffer(t *testing.T) *luadiff.Differ {
	d := lib.NewDiffer(t)
	d.After = func(srv *refredis.Server, src string) {
		if settingsCall.MatchString(src) {
			srv.Do("SCRIPT", "FLUSH")
		}
	}
	return d
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

// errOf wraps a call expression so that the snippet returns its error
// message (or "ok: " and the result if there is none). The call stays
// on the snippet's first line.
func errOf(call string) string {
	return `local ok, e = pcall(function() return ` + call + ` end) if ok then return "ok: " .. tostring(e) end return e`
}
