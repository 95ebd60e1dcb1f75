package luastruct

import (
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
)

func run(b *testing.B, setup string) {
	L := lua.NewState()
	b.Cleanup(L.Close)
	L.Push(L.NewFunction(Loader))
	L.Call(0, 1)
	L.SetGlobal("struct", L.Get(-1))
	L.Pop(1)
	if err := L.DoString(setup); err != nil {
		b.Fatal(err)
	}
	fn, err := L.Load(strings.NewReader("return f()"), "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		L.Push(fn)
		L.Call(0, 0)
	}
}

func BenchmarkPack(b *testing.B) {
	run(b, `local pack = struct.pack function f() pack('>!4 b i h d c5', 1, 100000, -2, 0.5, 'hello') end`)
}

func BenchmarkUnpack(b *testing.B) {
	run(b, `local s = struct.pack('>!4 b i h d c5', 1, 100000, -2, 0.5, 'hello') local unpack = struct.unpack function f() unpack('>!4 b i h d c5', s) end`)
}

func BenchmarkSize(b *testing.B) {
	run(b, `local size = struct.size function f() size('>!4 b i h d c5') end`)
}
