package cmsgpack

import (
	"errors"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"

	"github.com/redoubt-db/redoubt/script/lualib/lua51"
)

// FuzzUnpack feeds arbitrary input to unpack, unpack_one and unpack_limit.
// Lua errors are expected; a Go panic (which gopher-lua's PCall turns into
// an ApiErrorPanic) is a failure, and so is a value that does not pack
// back to something unpack reads again. Lengths in the input must not
// size anything (see presize), which the fuzzer's memory limit checks.
func FuzzUnpack(f *testing.F) {
	for _, s := range []string{
		"", "\x00", "\x7f\xe0\xff", "\xcc\xff", "\xcd\x01\x02", "\xce\x80\x00\x00\x01", "\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
		"\xd3\x80\x00\x00\x00\x00\x00\x00\x00", "\xca\x7f\xc0\x00\x00", "\xcb\x7f\xf8\x00\x00\x00\x00\x00\x01",
		"\xa3abc", "\xd9\x02hi", "\xda\x00\x01x", "\xdb\xff\xff\xff\xff", "\x93\x01\xc0\x03", "\xdc\xff\xff",
		"\xdd\xff\xff\xff\xff\x01", "\x82\xa1a\x01\xa1b\x92\xc2\xc3", "\xde\xff\xff", "\xdf\xff\xff\xff\xff",
		"\x81\xc0\x01", "\x81\xcb\x7f\xf8\x00\x00\x00\x00\x00\x00\x01", "\xc1", "\xc4\x01a", "\x91\x91\x91\x91\x90",
	} {
		f.Add([]byte(s), int64(0), int64(0))
		f.Add([]byte(s), int64(1), int64(1))
	}
	// More top-level values than pack takes arguments.
	f.Add([]byte(strings.Repeat(";", 4136)), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, data []byte, limit, offset int64) {
		L := lib.State()
		defer L.Close()
		mod := L.GetGlobal(lib.Global).(*lua.LTable)
		call := func(name string, args ...lua.LValue) []lua.LValue {
			L.SetTop(0)
			L.Push(mod.RawGetString(name))
			for _, a := range args {
				L.Push(a)
			}
			err := L.PCall(len(args), lua.MultRet, nil)
			var ae *lua.ApiError
			if errors.As(err, &ae) && ae.Type == lua.ApiErrorPanic {
				t.Fatalf("%s(%q): Go panic: %v", name, data, err)
			}
			if err != nil {
				return nil
			}
			out := make([]lua.LValue, L.GetTop())
			for i := range out {
				out[i] = L.Get(i + 1)
			}
			return out
		}
		s := lua.LString(data)
		call("unpack_one", s, lua.LNumber(offset))
		call("unpack_limit", s, lua.LNumber(limit), lua.LNumber(offset))
		vals := call("unpack", s)
		if len(vals) == 0 {
			return
		}
		// What was read packs, and what packs reads back as many values.
		// unpack may return up to LUAI_MAXCSTACK values but pack, like
		// the C library, takes at most half as many arguments, so the
		// values are packed in runs and the strings concatenated.
		const run = lua51.MaxCStack / 4
		var packed lua.LString
		for i := 0; i < len(vals); i += run {
			part := call("pack", vals[i:min(i+run, len(vals))]...)
			if len(part) != 1 {
				t.Fatalf("unpack(%q) gave values pack refuses", data)
			}
			packed += part[0].(lua.LString)
		}
		again := call("unpack", packed)
		if len(again) != len(vals) {
			t.Fatalf("unpack(%q): %d values, %d after a pack round trip", data, len(vals), len(again))
		}
	})
}
