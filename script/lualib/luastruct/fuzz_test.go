package luastruct

import (
	"errors"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzUnpack feeds arbitrary formats, data and positions to unpack (and
// the format to size and pack). Lua errors are expected; a Go panic (which
// gopher-lua's PCall turns into an ApiErrorPanic) is a failure. Sizes in
// the format must not allocate anything by themselves: results are
// substrings of the data.
func FuzzUnpack(f *testing.F) {
	for _, c := range []struct{ fmt, data string }{
		{"", ""}, {"b", "\xff"}, {"<i2 >I3", "\x01\x02\x03\x04\x05"}, {"!4 b i d", "abcdefghijklmnopqrstuvwx"},
		{"i9 I17 i32 i0", string(make([]byte, 64))}, {"f d", "\x00\x00\xc0\x7f\x00\x00\x00\x00\x00\x00\xf8\x7f"},
		{"s s", "ab\x00cd\x00"}, {"s", "abc"}, {"b c0", "\x03abcd"}, {"c1 c0", "9abc"}, {"c2147483647", "x"},
		{"!3", ""}, {"i99999999999", ""}, {"x c0", "\x01a"}, {"q", "a"}, {"!1024 b i32", "ab"},
	} {
		f.Add(c.fmt, []byte(c.data), int64(1))
		f.Add(c.fmt, []byte(c.data), int64(-3))
	}
	f.Fuzz(func(t *testing.T, format string, data []byte, pos int64) {
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
				t.Fatalf("%s(%q, %q, %d): Go panic: %v", name, format, data, pos, err)
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
		fs := lua.LString(format)
		call("size", fs)
		vals := call("unpack", fs, lua.LString(data), lua.LNumber(pos))
		if vals == nil {
			return
		}
		// The last result is the next position, an integer.
		next, ok := vals[len(vals)-1].(lua.LNumber)
		if !ok || float64(next) != float64(int64(next)) {
			t.Fatalf("unpack(%q, %q, %d): next position %v", format, data, pos, vals[len(vals)-1])
		}
		// Whatever unpacked packs again with the same format, unless 'c0'
		// took its length from a value it consumed.
		call("pack", append([]lua.LValue{fs}, vals[:len(vals)-1]...)...)
	})
}
