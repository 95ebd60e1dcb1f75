package cjson

import (
	"testing"

	lua "github.com/yuin/gopher-lua"
)

// FuzzDecode decodes arbitrary bytes: decode may fail, with a Lua error,
// but must not panic the Go process. What it accepts must encode (with
// invalid numbers allowed), and encoding what that decodes to must give
// the same text again: 14 significant digits survive the round trip.
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`[1,2,3]`, `{"a":{"b":[true,false,null]}}`, `"\u0041\ud83d\ude00\n"`, `-0x1p-3`, `nan(12)`, `Infinity`,
		`[1e400, -1e-400, 123456789012345678901234567890]`, `{"a":1,"a":2}`, "[1]\x00x", "\x00\x00", `[[[[[[[[[[]]]]]]]]]]`,
		`"\uD800\uDC00"`, `"\uDC00"`, `{"":""}`, ` [ 1 , "x" ] `, `[1,]`, `{`, `"abc`,
	} {
		f.Add(seed)
	}
	L := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer L.Close()
	L.Push(L.NewFunction(Loader))
	L.Call(0, 1)
	mod := L.Get(-1).(*lua.LTable)
	L.Pop(1)
	L.Push(mod.RawGetString("encode_invalid_numbers"))
	L.Push(lua.LTrue)
	L.Call(1, 0)
	decode, encode := mod.RawGetString("decode"), mod.RawGetString("encode")
	call := func(fn, arg lua.LValue) (lua.LValue, error) {
		L.Push(fn)
		L.Push(arg)
		if err := L.PCall(1, 1, nil); err != nil {
			return nil, err
		}
		v := L.Get(-1)
		L.Pop(1)
		return v, nil
	}
	f.Fuzz(func(t *testing.T, doc string) {
		v, err := call(decode, lua.LString(doc))
		if err != nil {
			return
		}
		enc1, err := call(encode, v)
		if err != nil {
			t.Fatalf("decode(%q) does not encode: %v", doc, err)
		}
		v2, err := call(decode, enc1)
		if err != nil {
			t.Fatalf("encode(decode(%q)) = %q does not decode: %v", doc, enc1, err)
		}
		enc2, err := call(encode, v2)
		if err != nil || enc2.String() != enc1.String() {
			t.Fatalf("decode(%q) encodes as %q, then as %q (%v)", doc, enc1, enc2, err)
		}
	})
}
