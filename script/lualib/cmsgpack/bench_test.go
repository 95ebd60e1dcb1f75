package cmsgpack

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func benchState(b *testing.B, setup string) (*lua.LState, *lua.LFunction) {
	L := lua.NewState()
	b.Cleanup(L.Close)
	L.Push(L.NewFunction(Loader))
	L.Call(0, 1)
	L.SetGlobal("cmsgpack", L.Get(-1))
	L.Pop(1)
	if err := L.DoString(setup); err != nil {
		b.Fatal(err)
	}
	fn, err := L.Load(strings.NewReader("return f()"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	return L, fn
}

func run(b *testing.B, setup string) {
	L, fn := benchState(b, setup)
	b.ReportAllocs()
	for b.Loop() {
		L.Push(fn)
		L.Call(0, 0)
	}
}

func BenchmarkPackSmall(b *testing.B) {
	run(b, `local t = {1, 2, {a = 3, b = 'hello'}, 'x', true, 1.5} local pack = cmsgpack.pack function f() pack(t) end`)
}

func BenchmarkPackArray1000(b *testing.B) {
	run(b, `local t = {} for i = 1, 1000 do t[i] = i * 3 end local pack = cmsgpack.pack function f() pack(t) end`)
}

func BenchmarkUnpackSmall(b *testing.B) {
	run(b, `local s = cmsgpack.pack({1, 2, {a = 3, b = 'hello'}, 'x', true, 1.5}) local unpack = cmsgpack.unpack function f() unpack(s) end`)
}

func BenchmarkUnpackArray1000(b *testing.B) {
	run(b, `local t = {} for i = 1, 1000 do t[i] = i * 3 end local s = cmsgpack.pack(t) local unpack = cmsgpack.unpack function f() unpack(s) end`)
}
